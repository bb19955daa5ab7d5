"""The main job: stream inputs, store papers, extract what is not cached, store results.

Inputs are processed in chunks so that memory stays flat however large the
batch is, and each chunk's results are committed before the next is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.backends.base import AnyBackend, AsyncBackend, Backend
from summarizer.core.errors import ConfigError, InputError
from summarizer.ingest import read_papers, read_sightings
from summarizer.run import lifecycle
from summarizer.run.jobs import EngineSettings, Job
from summarizer.run.plan import Item, Plan, RecentKeys, chunked, ingest_failure, store_chunk
from summarizer.run.progress import Reporter
from summarizer.run.report import RunReport
from summarizer.run.sink import ResultSink
from summarizer.store.store import Store

if TYPE_CHECKING:
    from summarizer.run.fetch import FetchOptions, FetchReport
    from summarizer.run.workers import Pending, ProcessPool

# A cached re-run needs none of the extraction side: the engine (asyncio, the LLM path),
# the worker pool and the journal are imported where a run first uses them.

DEFAULT_CHUNK = 5000
MIN_PARALLEL = 2000
"""A chunk with fewer papers to extract than this is extracted in the main process."""


def parse_shard(text: str) -> tuple[int, int]:
    """Read ``i/n`` (1 <= i <= n): this worker takes the i-th of n slices of every input."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {text!r} is not i/n (e.g. 1/3)") from None
    if not 1 <= index <= count:
        raise ConfigError(f"--shard {text!r}: i must be between 1 and n")
    return index, count


def check_inputs(inputs: Iterable[str | Path], today: date | None = None) -> None:
    """Named inputs that do not exist are a setting mistake, reported before anything is
    opened or created; ``-`` is standard input. A source (``hf:…``, ``arxiv:…@…``,
    ``oai:…@…``) is checked for its spelling, its dates read against ``today`` (UTC; None:
    now)."""
    from summarizer.ingest.remote import is_source

    items = list(inputs)
    if any(is_source(p) for p in items):
        from summarizer.run.fetch import split_inputs, today_utc

        items, _ = split_inputs(items, today or today_utc())
    missing = [str(p) for p in items if str(p) != "-" and not Path(p).exists()]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise ConfigError(f"no such file or folder: {shown}; check the INPUT paths")


def in_shard(items: Iterator[Item], shard: tuple[int, int] | None) -> Iterator[Item]:
    """Keep this shard's papers; a paper's slice comes from its text, so copies stay together."""
    if shard is None:
        yield from items
        return
    index, count = shard
    for item in items:
        if isinstance(item, InputError) or int(item.content_hash[:8], 16) % count == index - 1:
            yield item


def fetch_sources(
    inputs: Iterable[str | Path],
    store: Store,
    fmt: str | None,
    options: FetchOptions | None,
) -> tuple[list[str | Path], FetchReport | None]:
    """The inputs with each source replaced by the pages it was fetched into (fetching what
    is not kept yet); the fetch's report, or None when no input is a source."""
    from summarizer.ingest.remote import is_source

    items = list(inputs)
    if not any(is_source(item) for item in items):
        return items, None
    if fmt is not None:
        raise ConfigError(
            f"--input-format {fmt} is for files; a source (hf:…, arxiv:…, oai:…) is read in "
            "its own format: run the files and the sources separately"
        )
    from summarizer.run.fetch import fetch_inputs

    return fetch_inputs(items, store, options)


RAMP = (500, 1000, 2000)
"""First chunk sizes of a big run: the workers start after 500 papers are read, not 5,000."""
MAX_SETTLED_CHUNK = 20_000
"""A chunk that needed no work at all is followed by a bigger one, up to this: a cached
re-run opens the database and probes it fewer times."""


class _Chunks:
    """The input in chunks: ``size`` papers each, the first ones smaller (``ramp``) so that
    extraction starts early; after a chunk that needed nothing (``settled``), the next ones
    grow, up to MAX_SETTLED_CHUNK, until one needs work again."""

    def __init__(self, items: Iterator[Item], size: int, ramp: tuple[int, ...] = ()) -> None:
        self.items = items
        self.size = size
        self.ramp = [first for first in ramp if first < size]
        self.next = self.ramp.pop(0) if self.ramp else size

    def settled(self, needed_work: bool) -> None:
        """How the last chunk went: whether any paper in it needed storing or extracting."""
        if needed_work:
            self.next = self.ramp.pop(0) if self.ramp else self.size
        else:
            self.ramp = []
            self.next = min(max(self.next, self.size) * 2, max(MAX_SETTLED_CHUNK, self.size))

    def __iter__(self) -> Iterator[list[Item]]:
        while chunk := list(islice(self.items, self.next)):
            yield chunk  # the caller says how it went (settled) before asking for the next


def ingest(
    inputs: Iterable[str | Path],
    store: Store,
    *,
    fmt: str | None = None,
    limit: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    fetch: FetchOptions | None = None,
) -> RunReport:
    """Parse and store papers only; no extraction. A source among the inputs is fetched
    first (:mod:`summarizer.run.fetch`, with ``fetch``'s options) and its pages read."""
    started = time.perf_counter()
    report = RunReport(db_path=store.path)
    inputs, fetched = fetch_sources(inputs, store, fmt, fetch)
    if fetched is not None:
        report.notes.extend(fetched.lines)
    reread: set[str] = set()
    for chunk in chunked(read_papers(inputs, fmt, limit, on_skip=report.skip), chunk_size):
        _, failures = store_chunk(chunk, store, report, reread)
        store.save(failures=failures)
    report.finish_reading()
    report.elapsed = time.perf_counter() - started
    return report


@dataclass(kw_only=True)
class _RunContext:
    """What every chunk of one local run shares: the plan, where results go, how to count."""

    plan: Plan
    backend: AnyBackend
    sink: ResultSink
    report: RunReport
    settings: EngineSettings
    reporter: Reporter
    notice: Callable[[str], None] | None = None
    chunk_size: int = DEFAULT_CHUNK
    reprobe: bool = False
    needed_work: bool = True

    def plan_chunk(self, chunk: list[Item]) -> list[Job]:
        """The plan's decisions for a chunk; the papers waiting on a new result are made
        current as their results land in the sink."""
        planned = self.plan.chunk(chunk)
        self.needed_work = planned.needed_work
        if planned.awaiting:
            self.sink.pointers.on_success(j.paper.paper_id for j in planned.awaiting)
        return planned.todo

    def announce_cost(
        self, backend: AsyncBackend, todo: list[Job], chunk_read: int, whole: bool
    ) -> None:
        """Before the first paid call: how many papers, how many tokens, what it may cost.
        ``whole``: the first chunk was the whole input, so the count is exact."""
        if self.notice is None:
            return
        expected = self.report.expected
        total = len(todo)
        if not whole and expected and chunk_read and expected > chunk_read:
            total = round(len(todo) * expected / chunk_read)
        line = lifecycle.cost_notice(backend, todo[:200], total, approximate=total != len(todo))
        if line is not None:
            self.notice(line)


def run(
    inputs: Iterable[str | Path],
    store: Store,
    backend: AnyBackend,
    *,
    fmt: str | None = None,
    limit: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    settings: EngineSettings | None = None,
    retry_failed: bool = False,
    reporter: Reporter | None = None,
    strict_grounding: bool = False,
    shard: tuple[int, int] | None = None,
    refresh: bool = False,
    notice: Callable[[str], None] | None = None,
    reprobe: bool = False,
    pending: bool = False,
) -> RunReport:
    """Ingest, extract every paper not already cached, and store the results.

    ``refresh`` extracts the papers read again, cached or not, and replaces their stored
    results. ``notice`` receives the lines a user should see before a paid run spends
    (the estimated cost, or that cost is not tracked). With ``retry_failed`` and no
    inputs, the papers whose extraction failed are tried again; with ``pending`` (and no
    inputs), every stored paper that has no result to show: stored by ``ingest``, or left
    by a run that was stopped.

    Ctrl-C stops the run cleanly: everything finished is committed and the
    report says ``stopped``; the next run resumes where this one ended.
    """
    settings = settings or EngineSettings()
    settings.strict_grounding = settings.strict_grounding or strict_grounding
    reporter = reporter or Reporter()
    identity = backend.identity
    report = RunReport(db_path=store.path, backend=identity.backend, model=identity.model)
    report.cost_known = lifecycle.price_known(backend)
    lifecycle.check_budget_is_priced(backend, settings)
    journal = None
    if backend.capabilities.billable:
        from summarizer.run.journal import Journal, journal_path

        journal = Journal(journal_path(store.path))
    # paid results are committed often (the journal covers the gaps); free ones once a chunk
    sink = (
        ResultSink(store, journal, replace=refresh)
        if journal
        else ResultSink(
            store, flush_every=chunk_size * 2, flush_seconds=float("inf"), replace=refresh
        )
    )

    def close() -> None:
        sink.close()
        report.extracted, report.failed = sink.extracted, sink.failed
        # a paid call is logged as it happens; a free one counts when its paper lands (a
        # chunk cut short by Ctrl-C made no calls for the papers it never extracted)
        billed = backend.capabilities.billable
        report.calls = (
            max(report.calls, sink.spend.calls) if billed else sink.extracted + sink.failed
        )
        report.prompt_tokens = sink.spend.prompt_tokens
        report.completion_tokens = sink.spend.completion_tokens
        report.cost_usd = sink.spend.cost_usd

    with lifecycle.logged(store, report, closing=[close]):
        report.recovered = lifecycle.recover(store)
        inputs = list(inputs)
        papers: Iterator[Item] = in_shard(
            read_sightings(inputs, fmt, limit, on_skip=report.skip), shard
        )
        if retry_failed and not inputs:
            failed_papers = store.failed_papers()
            report.expected = len(failed_papers)
            papers = iter(failed_papers)
        elif pending and not inputs:
            ids = store.pending_paper_ids()
            report.expected = len(ids)
            papers = _stored_papers(store, ids, chunk_size)
        else:
            report.expected = lifecycle.expected_papers(inputs, fmt, limit, shard)
        if report.expected is not None:
            reporter.add_total(report.expected)
        # A batch bigger than a chunk is not counted exactly anyway (see RunReport), so its
        # first chunks can be small and the workers start early; a smaller one keeps one chunk.
        big = report.expected is not None and report.expected > chunk_size
        ramp = big and not retry_failed and not isinstance(backend, AsyncBackend)
        chunks = _Chunks(papers, chunk_size, RAMP if ramp else ())
        plan = Plan(
            store=store,
            identity=identity,
            report=report,
            refresh=refresh,
            retry_failed=retry_failed,
            strict=settings.strict_grounding,
            progress=reporter,
            count_total=report.expected is None,
        )
        context = _RunContext(
            plan=plan,
            backend=backend,
            sink=sink,
            report=report,
            settings=settings,
            reporter=reporter,
            notice=notice,
            chunk_size=chunk_size,
            reprobe=reprobe,
        )
        if isinstance(backend, AsyncBackend):
            import asyncio

            asyncio.run(_run_async(context, backend, chunks))
        else:
            try:
                _run_chunks(context, backend, chunks)
            finally:
                backend.close()
    return report


def _stored_papers(store: Store, ids: list[str], size: int) -> Iterator[Item]:
    """Stored papers by id, read back a chunk at a time (a run writes between two reads)."""
    for start in range(0, len(ids), size):
        yield from store.papers_by_id(ids[start : start + size])


def _run_chunks(context: _RunContext, backend: Backend, chunks: _Chunks) -> None:
    """Synchronous backends; big chunks of a parallel one go to worker processes while the
    next chunk is parsed, so parsing, extraction and writing overlap."""
    sink, report = context.sink, context.report
    settings, reporter = context.settings, context.reporter

    def collect(futures: list[Pending], sink: ResultSink, reporter: Reporter) -> None:
        from summarizer.run.workers import ProcessPool

        ProcessPool.collect(futures, sink, reporter)

    pool: ProcessPool | None = None
    pending: list[Pending] = []
    big = report.expected is not None and report.expected >= MIN_PARALLEL
    try:
        for chunk in chunks:  # parsed here, while the workers extract the chunks before it
            # one open of the database a chunk: the results that came back, then these papers
            with context.plan.store.session():
                sink.flush()
                todo = context.plan_chunk(chunk)
            if todo:  # extraction takes a while: readers may open the file meanwhile
                context.plan.store.let_go()
            chunks.settled(context.needed_work)
            report.calls += len(todo)
            submitted: list[Pending] = []
            if todo:  # a cached chunk never loads the extraction side
                from summarizer.run import workers

                count = workers.worker_count(backend)
                if count > 1 and (len(todo) >= MIN_PARALLEL or big or pool is not None):
                    pool = pool or workers.ProcessPool(backend, count)
                    submitted = pool.submit(todo, settings.strict_grounding)
                else:
                    workers.run_sync(backend, todo, sink, settings, reporter)
            if pending:  # the chunk before; the workers go on with this one meanwhile
                collect(pending, sink, reporter)
            pending = submitted
        if pending:
            collect(pending, sink, reporter)
        sink.flush()
    finally:
        if pool is not None:
            pool.close()


async def _run_async(context: _RunContext, backend: AsyncBackend, chunks: _Chunks) -> None:
    report = context.report
    from summarizer.run.engine import AsyncEngine

    engine = AsyncEngine(backend, context.sink, context.settings, context.reporter)
    context.plan.store.let_go()  # an LLM run talks to its endpoint before the first chunk
    try:
        await lifecycle.settle_endpoint(
            context.plan.store, backend, report, reprobe=context.reprobe, notice=context.notice
        )
        first = True
        for chunk in chunks:
            todo = context.plan_chunk(chunk)
            chunks.settled(context.needed_work)
            if first:
                context.announce_cost(backend, todo, len(chunk), len(chunk) < context.chunk_size)
                first = False
            await engine.run(todo)
            context.sink.flush()
            if engine.stopped:
                break
    finally:
        report.stopped = report.stopped or engine.stopped
        report.notes.extend(backend.notes)
        report.timeouts = engine.flight.timeouts
        await backend.aclose()


__all__ = [
    "DEFAULT_CHUNK",
    "Item",
    "RecentKeys",
    "RunReport",
    "chunked",
    "ingest",
    "ingest_failure",
    "run",
    "store_chunk",
]
