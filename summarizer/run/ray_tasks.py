"""What runs inside Ray workers: reading files, extracting, staging results, sharing the
rate limit. The driver side is :mod:`summarizer.run.ray_engine`.

Workers never open the database. Every task writes what it finished to Parquet part files
(:mod:`summarizer.store.staging`) named after its batch, and looks there first: a task Ray
runs again after a worker died skips the papers its earlier attempt already staged, so a
paid answer that reached staging is never bought twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from summarizer.backends.base import AsyncBackend, Backend, BackendSettings
from summarizer.backends.registry import get_backend
from summarizer.core.calls import CallRecord
from summarizer.core.endpoint import EndpointProfile
from summarizer.core.errors import BudgetExceeded, InputError
from summarizer.core.paper import Paper
from summarizer.core.results import Extraction, Failure
from summarizer.ingest import Skipped, read_source
from summarizer.ingest.records import Sighting
from summarizer.run.jobs import EngineSettings, Job
from summarizer.run.journal import Journal, heal_staged, staged_journal
from summarizer.run.progress import Reporter
from summarizer.run.ratelimit import SharedBudget
from summarizer.run.sink import Spend
from summarizer.store.columns import SIGHTED
from summarizer.store.staging import KINDS, spec_of, write_part

PAPER_FIELDS = tuple(
    name for name in SIGHTED.names if name not in ("seen_on", "ingested_at", "current_key")
)
"""The fields of a paper as read: the store's sighting rows (:data:`SIGHTED`) name them."""
READ_SCHEMA = pa.schema(
    [("file_index", pa.int32()), ("position", pa.int64()), ("kind", pa.string())]
    + [field for field in SIGHTED.schema if field.name in PAPER_FIELDS]
    + [("reason", pa.string())]
)
"""A staged read row: a paper as a run stores it (``kind`` paper), a rejected record
(``rejected``, with ``reason``) or a file in a folder skipped as not papers (``skipped``).
``file_index`` and ``position`` keep the input's order, which decides which copy of an id
is kept, exactly as a local run reads it."""
PAPER_COLUMNS = ["paper_id", "title", "abstract", "source", "record", "content_hash", "cache_key"]
"""A paper to extract, as the extraction stage reads it."""
READ_BLOCK = 5000
"""Rows per block a read task hands on: a big file streams through in blocks."""
RULES_PART = 250
"""Papers per part a CPU task stages: a task killed halfway keeps its first half."""


def _read_row(file_index: int, position: int, item: Sighting | InputError | Skipped,
              names: Mapping[str, str]) -> dict[str, Any]:  # fmt: skip
    """One staged read row; ``names`` maps the absolute path a worker opened to the path as
    the user gave it, which is what a local run records as the source."""
    row: dict[str, Any]
    if isinstance(item, Sighting):
        paper = item.paper()
        row = {"file_index": file_index, "position": position, "kind": "paper"}
        row.update((name, getattr(paper, name)) for name in PAPER_FIELDS)
    elif isinstance(item, Skipped):
        row = {"file_index": file_index, "position": position, "kind": "skipped",
               "source": item.source, "reason": item.reason}  # fmt: skip
    else:
        row = {"file_index": file_index, "position": position, "kind": "rejected",
               "source": item.source, "record": item.record, "reason": item.reason}  # fmt: skip
    row["source"] = names.get(row["source"], row["source"])
    return row


def parse_files(files: pa.Table, *, fmt: str | None) -> Iterator[pa.Table]:
    """A read task: each file through the project's own parser, streamed out in blocks.
    Files are opened by absolute path (a worker runs in a folder of its own, never the
    user's: see ``ray_engine._Cluster``) and recorded under the name the user gave."""
    for file_index, path, name, in_folder in zip(
        files.column("file_index").to_pylist(),
        files.column("path").to_pylist(),
        files.column("name").to_pylist(),
        files.column("in_folder").to_pylist(),
        strict=True,
    ):
        rows: list[dict[str, Any]] = []
        skipped: list[Skipped] = []
        position = 0
        names = {path: name}
        for item in read_source(Path(path), fmt, skipped.append if in_folder else None):
            rows.append(_read_row(file_index, position, item, names))
            position += 1
            if len(rows) >= READ_BLOCK:
                yield pa.Table.from_pylist(rows, schema=READ_SCHEMA)
                rows = []
        rows.extend(_read_row(file_index, position + i, s, names) for i, s in enumerate(skipped))
        if rows:
            yield pa.Table.from_pylist(rows, schema=READ_SCHEMA)


def papers_of(batch: pa.Table) -> list[Job]:
    """A batch of the extraction stage as jobs."""
    columns = {name: batch.column(name).to_pylist() for name in PAPER_COLUMNS}
    return [
        Job(
            Paper(
                title=title,
                abstract=abstract,
                source=source,
                record=record,
                content_hash=content_hash,
                paper_id=paper_id,
            ),
            key,
        )
        for paper_id, title, abstract, source, record, content_hash, key in zip(
            *(columns[name] for name in PAPER_COLUMNS), strict=True
        )
    ]


def batch_name(keys: list[str]) -> str:
    """A batch's name from its papers: the same batch, retried, finds its own parts."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:24]


def staged_keys(folder: Path, name: str) -> tuple[set[str], int]:
    """Cache keys an earlier attempt of this batch staged (results and failures), and the
    number its next part takes. What it had only journaled becomes parts first."""
    heal_staged(folder, f"{name}-")
    keys: set[str] = set()
    following = 0
    for kind in KINDS:
        for part in (folder / kind).glob(f"{name}-*.parquet"):
            following = max(following, int(part.stem.rsplit("-", 1)[1]) + 1)
            if kind != "calls":
                column = pq.read_table(part, columns=["cache_key"]).column(0)
                keys.update(k for k in column.to_pylist() if k)
    return keys, following


def _crash_once(marker: str | None) -> None:
    """Fault injection for the retry tests: the first worker to stage a part while
    ``marker`` does not exist creates it and dies there, mid-batch."""
    if marker:
        try:
            with open(marker, "x"):
                pass
        except FileExistsError:
            return
        os._exit(1)  # a worker process dying, not an exception Ray could report


class StagingSink:
    """A worker's sink: outcomes and call records go to part files every ``flush_every``
    results or ``flush_seconds``, whichever comes first; what a dead worker loses is at
    most what it held since its last part."""

    def __init__(
        self,
        folder: Path,
        name: str,
        *,
        first_part: int = 0,
        flush_every: int = 25,
        flush_seconds: float = 2.0,
        crash_once: str | None = None,
        journal: bool = False,
    ) -> None:
        self.folder = folder
        self.name = name
        self.part = first_part
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.crash_once = crash_once
        self.journaled = journal
        """Paid answers: each is journaled the moment it arrives, so a worker killed between
        two parts loses nothing (see :func:`summarizer.run.journal.heal_staged`)."""
        self._journal: Journal | None = None
        self.closed = False
        self.results: list[Extraction] = []
        self.failures: list[Failure] = []
        self.calls: list[CallRecord] = []
        self._spend = Spend()
        self.extracted = 0
        self.failed = 0
        self._last = time.monotonic()

    @property
    def spend(self) -> Spend:
        return self._spend

    def _journal_of(self) -> Journal | None:
        if self.journaled and self._journal is None:
            self._journal = staged_journal(self.folder, f"{self.name}-{self.part:05d}")
        return self._journal

    def add_result(self, result: Extraction) -> None:
        if self.closed:
            return
        if journal := self._journal_of():
            journal.append("result", result)
        self.results.append(result)
        self.extracted += 1
        self._maybe_flush()

    def add_failure(self, failure: Failure) -> None:
        if self.closed:
            return
        if journal := self._journal_of():
            journal.append("failure", failure)
        self.failures.append(failure)
        self.failed += 1
        self._maybe_flush()

    def add_call(self, record: CallRecord) -> None:
        if self.closed:
            return
        if journal := self._journal_of():
            journal.append("call", record)
        self.calls.append(record)
        self._spend.add(record)

    def _maybe_flush(self) -> None:
        due = time.monotonic() - self._last >= self.flush_seconds
        if due or len(self.results) + len(self.failures) >= self.flush_every:
            self.flush()

    def close(self) -> None:
        """Stage what is held; anything that still arrives is dropped, not staged half."""
        self.flush()
        self.closed = True

    def flush(self) -> None:
        """Stage what is held: calls first, so a result never lands without its call."""
        held: dict[str, list[Any]] = {
            "calls": self.calls,
            "results": self.results,
            "failures": self.failures,
        }
        if not any(held.values()):
            return
        name = f"{self.name}-{self.part:05d}"
        for kind in ("calls", "results", "failures"):
            if held[kind]:
                write_part(self.folder, kind, name, spec_of(kind).arrow(held[kind]))
        if self._journal is not None:  # its lines are in the part now
            self._journal.clear()
            self._journal = None
        self.part += 1
        self.results, self.failures, self.calls = [], [], []
        self._last = time.monotonic()
        _crash_once(self.crash_once)


def _summary(sink: StagingSink, skipped: int, stopped: BudgetExceeded | None = None) -> pa.Table:
    """What a batch did, for the driver's progress and report."""
    return pa.table(
        {
            "extracted": [sink.extracted],
            "failed": [sink.failed],
            "already": [skipped],
            "calls": [sink.spend.calls],
            "stopped": pa.array([str(stopped) if stopped else None], pa.string()),
        }
    )


_backends: dict[str, Backend] = {}
"""A worker process's backends, built once and reused by every task it runs."""


def _rules_backend(name: str, settings: BackendSettings) -> Backend:
    key = f"{name}:{settings!r}"
    if key not in _backends:
        backend = get_backend(name, settings)
        if not isinstance(backend, Backend):
            raise TypeError(f"backend {name!r} is not synchronous")
        _backends[key] = backend
    return _backends[key]


def extract_batch(
    batch: pa.Table,
    *,
    backend: str,
    settings: BackendSettings,
    strict: bool,
    folder: str,
    crash_once: str | None = None,
) -> pa.Table:
    """A CPU task (``rules``): extract and ground a batch, stage it as one part."""
    from summarizer.run.workers import run_sync

    staging = Path(folder)
    name = batch_name(batch.column("cache_key").to_pylist())
    done, parts = staged_keys(staging, name)
    jobs = [job for job in papers_of(batch) if job.cache_key not in done]
    sink = StagingSink(staging, name, first_part=parts, flush_every=RULES_PART,
                       flush_seconds=float("inf"), crash_once=crash_once)  # fmt: skip
    run_sync(_rules_backend(backend, settings), jobs, sink, EngineSettings(strict_grounding=strict),
             Reporter())  # fmt: skip
    sink.flush()
    return _summary(sink, len(done))


LATE_SLOT = 0.05
"""Seconds past its booked slot a request still goes in (at least one slot's spacing)."""
MAX_REBOOKINGS = 3
"""A loop so busy that every slot is missed still sends, after this many tries."""


class RemoteLimiter:
    """A worker's view of the cluster's one :class:`SharedBudget` actor: the engine's
    :class:`~summarizer.run.ratelimit.Limiter`, with every request booked there."""

    def __init__(self, budget: Any) -> None:
        self.budget = budget
        self._rate: float | None = None

    def request_rate(self) -> float | None:
        return self._rate

    async def acquire(self, tokens: float) -> None:
        """Book a slot and wait for it. A slot slept past (this worker's loop was busy) is
        given up for a new one: sent late, it would land in the provider's window together
        with the slots after it, and a rolling window counts both."""
        for _ in range(MAX_REBOOKINGS):
            asked = time.monotonic()
            delay, self._rate = await self.budget.reserve.remote(tokens)
            slot = asked + delay  # no later than the slot booked: lateness is not underrated
            while delay > 0:
                await asyncio.sleep(delay)
                delay = await self.budget.held.remote()
            late = time.monotonic() - slot
            if not self._rate or late <= max(1.0 / self._rate, LATE_SLOT):
                return

    def pause(self, seconds: float) -> None:
        self.budget.pause.remote(seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        self.budget.observe.remote(
            {k: v for k, v in headers.items() if k.lower().startswith("x-ratelimit-")}
        )


class RemoteSpend:
    """A worker's view of the cluster's spend book: the engine's ``SharedSpend``."""

    def __init__(self, budget: Any) -> None:
        self.budget = budget

    async def admit(self, estimate: float) -> BudgetExceeded | None:
        stopped: BudgetExceeded | None = await self.budget.admit.remote(estimate)
        return stopped

    def settle(self, estimate: float) -> None:
        self.budget.settle.remote(estimate)  # an actor runs one caller's calls in order

    def spend(self, cost_usd: float, tokens: int) -> None:
        self.budget.spend.remote(cost_usd, tokens)


class BudgetActor(SharedBudget):
    """The cluster's budgets as one Ray actor (``ray.remote(BudgetActor)``): the request and
    token pace every request books (:class:`SharedBudget`) and, with --max-cost or
    --max-tokens, the spend every call is admitted against (:class:`SpendBook`)."""

    def __init__(self, settings: EngineSettings) -> None:
        super().__init__(settings.rpm, settings.tpm)
        from summarizer.run.engine import SpendBook

        self.book = SpendBook(settings)

    def admit(self, estimate: float) -> BudgetExceeded | None:
        return self.book.admit(estimate)

    def settle(self, estimate: float) -> None:
        self.book.settle(estimate)

    def spend(self, cost_usd: float, tokens: int) -> None:
        self.book.spend(cost_usd, tokens)

    def stats(self) -> dict[str, float]:
        """What the benchmark reads: requests booked, the pace, the spend."""
        return {
            "reserved": self.reserved,
            "rpm": self.requests.per_minute or 0.0,
            "spent_usd": self.book.spent_usd,
        }


class LLMWorker:
    """An actor of the extraction pool (``openai``): one async client, on an event loop of
    its own that lives as long as the actor, so connections are reused across batches."""

    def __init__(
        self,
        *,
        backend: str,
        settings: BackendSettings,
        profile: EndpointProfile | None,
        engine: EngineSettings,
        budget: Any,
        folder: str,
        crash_once: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.crash_once = crash_once
        self.engine_settings = engine
        self.limiter = RemoteLimiter(budget)
        capped = engine.max_cost is not None or engine.max_tokens is not None
        self.spend = RemoteSpend(budget) if capped else None
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="llm-worker", daemon=True).start()
        chosen = get_backend(backend, settings)
        if not isinstance(chosen, AsyncBackend):
            raise TypeError(f"backend {backend!r} is not asynchronous")
        self.backend = chosen
        self._run(chosen.prepare(profile))

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def __call__(self, batch: pa.Table) -> pa.Table:
        from summarizer.run.engine import AsyncEngine

        name = batch_name(batch.column("cache_key").to_pylist())
        done, parts = staged_keys(self.folder, name)
        jobs = [job for job in papers_of(batch) if job.cache_key not in done]
        sink = StagingSink(
            self.folder, name, first_part=parts, crash_once=self.crash_once, journal=True
        )
        engine = AsyncEngine(
            self.backend, sink, self.engine_settings, Reporter(), self.limiter, self.spend
        )
        running = asyncio.run_coroutine_threadsafe(engine.run(jobs), self.loop)
        try:
            running.result()
        finally:
            # Abandoned (the actor is being stopped): cancel the calls still out, so none of
            # them ends as a "failure" while the process tears its clients down, and the
            # papers stay for the next run; then stage what landed, and take no more.
            if not running.done():
                running.cancel()
                concurrent.futures.wait([running], timeout=5)
            sink.close()
        return _summary(sink, len(done), engine.stopped)


__all__ = [
    "KINDS",
    "PAPER_COLUMNS",
    "READ_SCHEMA",
    "BudgetActor",
    "LLMWorker",
    "RemoteLimiter",
    "StagingSink",
    "extract_batch",
    "parse_files",
]
