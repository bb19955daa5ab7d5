"""The main job: stream inputs, store papers, extract what is not cached, store results.

Inputs are processed in chunks so that memory stays flat however large the
batch is, and each chunk's results are committed before the next is read.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.backends.base import AnyBackend, AsyncBackend, Backend
from summarizer.core.errors import ConfigError, InputError, Interrupted, RunStopped
from summarizer.core.identity import cache_key
from summarizer.core.paper import Paper
from summarizer.ingest import Sighting, Skipped, read_papers, read_sightings
from summarizer.ingest.count import estimate_papers
from summarizer.run.jobs import EngineSettings, Job, make_jobs
from summarizer.run.progress import Reporter
from summarizer.run.sink import ResultSink
from summarizer.store.store import IngestOutcome, Store

if TYPE_CHECKING:
    from summarizer.core.results import Failure
    from summarizer.run.workers import Pending, ProcessPool

# A cached re-run needs none of the extraction side: the engine (asyncio, the LLM path),
# the worker pool and the journal are imported where a run first uses them.

DEFAULT_CHUNK = 5000
MIN_PARALLEL = 2000
"""A chunk with fewer papers to extract than this is extracted in the main process."""
MAX_REPORTED_REJECTIONS = 200
MAX_SKIPPED_NOTES = 20


@dataclass
class RunReport:
    """Counts for the end-of-run summary; ``distinct`` = cached + extracted + failed + skipped.

    A copy of a paper more than a chunk away from its first sighting is counted as cached
    (it is, by then), so ``distinct`` is exact for batches of up to one chunk.
    """

    db_path: Path
    backend: str = ""
    model: str = ""
    read: int = 0
    distinct: int = 0
    new: int = 0
    cached: int = 0
    extracted: int = 0
    failed: int = 0
    skipped_failed: int = 0
    rejected: int = 0
    rejections: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    stopped: RunStopped | None = None
    """Why the run ended early (Interrupted, BudgetExceeded); finished work is stored."""
    recovered: int = 0
    notes: list[str] = field(default_factory=list)
    expected: int | None = None
    """Papers the input holds, estimated before reading it (None when it cannot be)."""
    timeouts: int = 0
    """Calls that got no answer in time (LLM runs)."""
    probe: str | None = None
    """How the LLM endpoint's structured-output mode was settled (probed, stored, forced)."""

    @property
    def pending(self) -> int:
        """Papers read and stored that still wait for extraction (after a stop)."""
        done = self.cached + self.skipped_failed + self.extracted + self.failed
        return max(0, self.distinct - done)

    skipped_files: int = 0
    """Files in input folders that hold no papers: each is a note, not a rejection."""

    @property
    def clean(self) -> bool:
        """No paper failed or was rejected and the run was not cut short."""
        return not (self.failed or self.rejected or self.stopped)

    def skip(self, item: Skipped) -> None:
        """A file in a folder that holds no papers: a note (the first MAX_SKIPPED_NOTES)."""
        self.skipped_files += 1
        if self.skipped_files <= MAX_SKIPPED_NOTES:
            self.notes.append(str(item))

    def finish_reading(self) -> None:
        """Count the skipped files that got no note of their own."""
        more = self.skipped_files - MAX_SKIPPED_NOTES
        if more > 0:
            self.notes.append(f"... and {more} more files skipped")

    def reject(self, error: InputError | Failure) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REPORTED_REJECTIONS:
            if isinstance(error, InputError):
                self.rejections.append(str(error))
            else:
                self.rejections.append(f"{error.source}: {error.record}: {error.message}")


def parse_shard(text: str) -> tuple[int, int]:
    """Read ``i/n`` (1 <= i <= n): this worker takes the i-th of n slices of every input."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {text!r} is not i/n (e.g. 1/3)") from None
    if not 1 <= index <= count:
        raise ConfigError(f"--shard {text!r}: i must be between 1 and n")
    return index, count


def check_inputs(inputs: Iterable[str | Path]) -> None:
    """Named inputs that do not exist are a setting mistake, reported before anything is
    opened or created; ``-`` is standard input."""
    missing = [str(p) for p in inputs if str(p) != "-" and not Path(p).exists()]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise ConfigError(f"no such file or folder: {shown}; check the INPUT paths")


Item = Paper | Sighting | InputError
"""What a run reads: a paper (or a sighting of one, hashed but not yet a Paper), or a
rejected record."""


def in_shard(items: Iterator[Item], shard: tuple[int, int] | None) -> Iterator[Item]:
    """Keep this shard's papers; a paper's slice comes from its text, so copies stay together."""
    if shard is None:
        yield from items
        return
    index, count = shard
    for item in items:
        if isinstance(item, InputError) or int(item.content_hash[:8], 16) % count == index - 1:
            yield item


class RecentKeys:
    """Cache keys of this chunk and the one before: copies of a paper inside that window are
    caught here; older copies are already stored, so the cache answers for them. Memory stays
    flat however long the run."""

    def __init__(self) -> None:
        self.current: set[int] = set()
        self.previous: set[int] = set()

    def rotate(self) -> None:
        self.previous, self.current = self.current, set()

    def __contains__(self, marker: int) -> bool:
        return marker in self.current or marker in self.previous

    def add(self, marker: int) -> None:
        self.current.add(marker)


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


def chunked(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while chunk := list(islice(items, size)):
        yield chunk


def ingest_failure(error: InputError) -> Failure:
    """A rejected input record, as the failure that reports it (shared with batch jobs)."""
    from summarizer.core.results import Failure

    return Failure(
        paper_id=None,
        cache_key=None,
        stage="ingest",
        error_type="InputError",
        message=error.reason,
        source=error.source,
        record=error.record,
    )


def ingest(
    inputs: Iterable[str | Path],
    store: Store,
    *,
    fmt: str | None = None,
    limit: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> RunReport:
    """Parse and store papers only; no extraction."""
    started = time.perf_counter()
    report = RunReport(db_path=store.path)
    reread: set[str] = set()
    for chunk in chunked(read_papers(inputs, fmt, limit, on_skip=report.skip), chunk_size):
        _, failures = store_chunk(chunk, store, report, reread)
        store.save(failures=failures)
    report.finish_reading()
    report.elapsed = time.perf_counter() - started
    return report


def store_chunk(
    chunk: list[Item],
    store: Store,
    report: RunReport,
    reread: set[str],
    identity: str | None = None,
    settled_sources: set[str] | None = None,
) -> tuple[IngestOutcome, list[Failure]]:
    """Store a chunk's papers; a source read again starts with a clean slate of ingest
    failures (``reread`` holds the sources this run has already cleared, and
    ``settled_sources`` those of sightings that needed nothing else)."""
    failures: list[Failure] = []
    papers: list[Paper] = []
    for item in chunk:
        if isinstance(item, Paper):
            papers.append(item)
        elif isinstance(item, Sighting):
            papers.append(item.paper())
        else:
            report.reject(item)
            failures.append(ingest_failure(item))
    sources = {p.source for p in papers} | {f.source for f in failures if f.source}
    sources |= settled_sources or set()
    if fresh := sources - reread:
        store.clear_ingest_failures(fresh)
        reread |= fresh
    outcome = store.add_papers(papers, identity)
    report.read += len(papers)
    report.new += outcome.new
    for conflict in outcome.conflicts:
        report.reject(conflict)
    failures.extend(outcome.conflicts)
    return outcome, failures


@dataclass(kw_only=True)
class _RunContext:
    """What every chunk of one run shares: where papers and results go and how to count them."""

    store: Store
    backend: AnyBackend
    sink: ResultSink
    report: RunReport
    settings: EngineSettings
    reporter: Reporter
    retry_failed: bool
    refresh: bool = False
    notice: Callable[[str], None] | None = None
    chunk_size: int = DEFAULT_CHUNK
    reprobe: bool = False
    seen: RecentKeys = field(default_factory=RecentKeys)
    reread: set[str] = field(default_factory=set)
    needed_work: bool = True
    """Whether the last chunk planned held a paper to store, point or extract."""
    settle_possible: bool | None = None
    """Whether the database held papers when the run began (a fresh one has none to settle)."""

    def plan(self, chunk: list[Item]) -> list[Job]:
        """Store a chunk's papers and decide which need extracting; cached ones become current."""
        with self.store.session():  # one open of the file for the whole plan
            return self._plan(chunk)

    def _settle(self, chunk: list[Item]) -> list[Sighting]:
        """Take out of ``chunk`` the sightings that need nothing (stored, recorded, cached and
        current: see :meth:`Store.settled`), probed in bulk; they never become Papers."""
        if self.refresh:
            return []
        if self.settle_possible is None:  # only papers stored before this run can need nothing
            self.settle_possible = self.store.has_papers()
        if not self.settle_possible:
            return []
        by_source: dict[str, list[tuple[int, Sighting]]] = {}
        for index, item in enumerate(chunk):
            if isinstance(item, Sighting):
                by_source.setdefault(item.source, []).append((index, item))
        if not by_source:
            return []
        digest = self.backend.identity.digest
        today = datetime.now(UTC).date()
        taken: set[int] = set()
        for source, found in by_source.items():
            probe = [(s.content_hash, s.seen_on, s.record) for _, s in found]
            taken.update(found[i][0] for i in self.store.settled(source, probe, digest, today))
        if not taken:
            return []
        settled = [item for i, item in enumerate(chunk) if i in taken]
        chunk[:] = [item for i, item in enumerate(chunk) if i not in taken]
        return settled  # type: ignore[return-value]

    def _plan(self, chunk: list[Item]) -> list[Job]:
        store, sink, report, seen = self.store, self.sink, self.report, self.seen
        seen.rotate()
        chunk = list(chunk)
        settled = self._settle(chunk)
        self.needed_work = any(not isinstance(item, InputError) for item in chunk)
        outcome, failures = store_chunk(
            chunk,
            store,
            report,
            self.reread,
            self.backend.identity.digest,
            {s.source for s in settled},
        )
        for failure in failures:
            sink.add_failure(failure)
        report.read += len(settled)
        for sighting in settled:  # stored, cached and current: counted, nothing to do
            marker = int(sighting.content_hash[:16], 16)
            if marker in seen:
                continue
            seen.add(marker)
            report.distinct += 1
            report.cached += 1
        jobs = make_jobs(outcome.papers, self.backend)
        keys = [job.cache_key for job in jobs]
        cached = set() if self.refresh else store.cached_keys(keys)
        skip_failed = self.retry_failed or self.refresh
        failed_before = set() if skip_failed else store.failed_keys(keys) - cached
        todo: list[Job] = []
        for job in jobs:
            # one backend per run, so a content hash stands for its cache key
            marker = int(job.paper.content_hash[:16], 16)
            if marker in seen:
                continue
            seen.add(marker)
            report.distinct += 1
            if job.cache_key in cached:
                report.cached += 1
            elif job.cache_key in failed_before:
                report.skipped_failed += 1
            else:
                todo.append(job)
        stale = outcome.repoint
        if stale:
            sink.pointers.point(
                (j.paper.paper_id, j.cache_key)
                for j in jobs
                if j.cache_key in cached and j.paper.paper_id in stale
            )
            sink.pointers.on_success(j.paper.paper_id for j in todo if j.paper.paper_id in stale)
        if self.settings.strict_grounding and settled:
            digest = self.backend.identity.digest
            cached |= {cache_key(s.content_hash, digest) for s in settled}
        if self.settings.strict_grounding and cached:
            store.drop_ungrounded(cached)
        if self.report.expected is None:
            self.reporter.add_total(len(jobs) + len(settled))
        self.reporter.advance(len(jobs) - len(todo) + len(settled))
        return todo

    async def settle_endpoint(self, backend: AsyncBackend) -> None:
        """Probe the endpoint once (or use what an earlier probe stored) before any paper."""
        key = backend.endpoint
        known = self.store.endpoint(*key) if key is not None else None
        profile = await backend.prepare(known, reprobe=self.reprobe)
        if profile is None:
            return
        if profile.origin == "probed":
            self.store.save_endpoint(profile)
        self.report.probe = profile.describe()
        line = f"endpoint {profile.base_url} ({profile.model}): {self.report.probe}"
        if self.notice is not None:
            self.notice(line)  # before the batch, where a user can still stop it
        else:
            self.report.notes.append(line)

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
        line = cost_notice(backend, todo[:200], total, approximate=total != len(todo))
        if line is not None:
            self.notice(line)


def cost_notice(
    backend: AsyncBackend, sample: list[Job], total: int, *, approximate: bool
) -> str | None:
    """The line a user sees before a paid run spends: ``total`` papers, the tokens and cost
    estimated from ``sample`` (a few of them). None when there is nothing to extract."""
    if total == 0 or not sample:
        return None
    about = "about " if approximate else ""
    usage = [backend.estimate_usage(j.paper) for j in sample]
    tokens = round(total * sum(p + c for p, c in usage) / len(sample))
    costs = [backend.estimate_cost(j.paper) for j in sample]
    model = backend.identity.model
    if any(c is None for c in costs):
        return (
            f"{about}{total:,} papers to extract with {model}, about {tokens:,} tokens; cost "
            f"is not tracked: no price is known for {model} (pass --prices FILE to track it)"
        )
    cost = total * sum(c or 0.0 for c in costs) / len(costs)
    return f"{about}{total:,} papers to extract with {model}, about {tokens:,} tokens, estimated cost ${cost:,.4f}"


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
) -> RunReport:
    """Ingest, extract every paper not already cached, and store the results.

    ``refresh`` extracts the papers read again, cached or not, and replaces their stored
    results. ``notice`` receives the lines a user should see before a paid run spends
    (the estimated cost, or that cost is not tracked).

    Ctrl-C stops the run cleanly: everything finished is committed and the
    report says ``stopped``; the next run resumes where this one ended.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    settings = settings or EngineSettings()
    settings.strict_grounding = settings.strict_grounding or strict_grounding
    reporter = reporter or Reporter()
    identity = backend.identity
    report = RunReport(db_path=store.path, backend=identity.backend, model=identity.model)
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
    if isinstance(backend, AsyncBackend):
        check_budget_is_priced(backend, settings)
    report.recovered = sink.recover() + _recover_staged(store)
    inputs = list(inputs)
    papers: Iterator[Item] = in_shard(
        read_sightings(inputs, fmt, limit, on_skip=report.skip), shard
    )
    if retry_failed and not inputs:
        failed_papers = store.failed_papers()
        report.expected = len(failed_papers)
        papers = iter(failed_papers)
    else:
        report.expected = expected_papers(inputs, fmt, limit, shard)
    if report.expected is not None:
        reporter.add_total(report.expected)
    # A batch bigger than a chunk is not counted exactly anyway (see RunReport), so its
    # first chunks can be small and the workers start early; a smaller one keeps one chunk.
    big = report.expected is not None and report.expected > chunk_size
    ramp = big and not retry_failed and not isinstance(backend, AsyncBackend)
    chunks = _Chunks(papers, chunk_size, RAMP if ramp else ())
    context = _RunContext(
        store=store,
        backend=backend,
        sink=sink,
        report=report,
        settings=settings,
        reporter=reporter,
        retry_failed=retry_failed,
        refresh=refresh,
        notice=notice,
        chunk_size=chunk_size,
        reprobe=reprobe,
    )
    failed: BaseException | None = None
    try:
        if isinstance(backend, AsyncBackend):
            import asyncio

            asyncio.run(_run_async(context, backend, chunks))
        else:
            try:
                _run_chunks(context, backend, chunks)
            finally:
                backend.close()
    except KeyboardInterrupt:
        report.stopped = Interrupted("interrupted (Ctrl-C); finished results are stored")
    except BaseException as error:
        failed = error
        raise
    finally:
        sink.close()
        report.extracted, report.failed = sink.extracted, sink.failed
        report.finish_reading()
        report.calls = max(report.calls, sink.spend.calls)
        report.prompt_tokens = sink.spend.prompt_tokens
        report.completion_tokens = sink.spend.completion_tokens
        report.cost_usd = sink.spend.cost_usd
        report.elapsed = time.perf_counter() - started
        store.record_run(run_row(report, started_at, failed))
    return report


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
            with context.store.session():
                sink.flush()
                todo = context.plan(chunk)
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
    try:
        await backend.check_endpoint()
        await context.settle_endpoint(backend)
        first = True
        for chunk in chunks:
            todo = context.plan(chunk)
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


def _recover_staged(store: Store) -> int:
    """Results a Ray run staged beside the database and died before loading: stored now,
    whichever engine runs next (see :mod:`summarizer.store.staging`)."""
    from summarizer.store.paths import staging_root

    root = staging_root(store.path)
    if not root.is_dir():
        return 0
    from summarizer.run.journal import heal_staged
    from summarizer.store import staging

    for folder in staging.run_folders(root):  # a dead run's workers are all gone
        heal_staged(folder)
    return staging.recover(store, root).results


def check_budget_is_priced(backend: AsyncBackend, settings: EngineSettings) -> None:
    if settings.max_cost is None:
        return
    probe = Paper(title="probe", abstract="probe", source="-", record="-")
    if backend.estimate_cost(probe) is None:
        model = backend.identity.model
        raise ConfigError(
            f"--max-cost needs a price for model {model!r}, and none is known; pass --prices "
            "FILE with its prices (USD per million tokens), or cap tokens with --max-tokens"
        )


def expected_papers(
    inputs: list[str | Path], fmt: str | None, limit: int | None, shard: tuple[int, int] | None
) -> int | None:
    expected = estimate_papers(inputs, fmt)
    if expected is None:
        return None
    if shard is not None:
        expected = -(-expected // shard[1])
    return min(expected, limit) if limit is not None else expected


def run_row(
    report: RunReport, started_at: datetime, failed: BaseException | None = None
) -> dict[str, Any]:
    return {
        "run_id": uuid.uuid4().hex,
        "started_at": started_at,
        "finished_at": datetime.now(UTC).replace(tzinfo=None),
        "backend": report.backend,
        "model": report.model,
        "papers_read": report.read,
        "papers_new": report.new,
        "cached": report.cached,
        "extracted": report.extracted,
        "failed": report.failed,
        "rejected": report.rejected,
        "backend_calls": report.calls,
        "prompt_tokens": report.prompt_tokens,
        "completion_tokens": report.completion_tokens,
        "cost_usd": report.cost_usd,
        "status": _run_status(report, failed),
        "probe": report.probe,
    }


def _run_status(report: RunReport, failed: BaseException | None) -> str:
    """``failed: <why>`` for a run that died, else how it ended."""
    if failed is not None:
        reason = " ".join(str(failed).split())[:200] or type(failed).__name__
        return f"failed: {reason}"
    if report.stopped is not None:
        return str(report.stopped)
    return "ok" if report.clean else "partial"
