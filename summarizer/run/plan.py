"""The plan: what a run does with the papers it reads, decided here once for every executor.

A live run (:mod:`summarizer.run.pipeline`), the Ray driver (:mod:`summarizer.run.ray_engine`)
and a provider batch submission (:mod:`summarizer.run.batches`) read their inputs in chunks
and hand each chunk to :meth:`Plan.chunk`, which decides, in one open of the database:

- **which papers are settled**: stored, this sighting recorded, current and cached
  (:meth:`Store.settled`); they are counted and never built into a Paper;
- **what is stored**: new papers and sightings; a source read again first loses its old
  ingest failures, so a record fixed in its file closes its failure (:func:`store_chunk`);
- **which cached result becomes current**: a stored paper that points at another backend's
  result is pointed at the cached one now, or at its new result once that lands
  (:class:`Planned.awaiting`);
- **what to extract**: the papers whose cache key is neither stored, nor failed before
  (unless ``retry_failed``), nor already bought and not yet delivered (``waiting``: a paper
  in an open provider batch);
- **what strict grounding strips**: with ``strict``, the ungrounded values of every cached
  result this run uses (:meth:`Store.drop_ungrounded`), as it does from new results.

The cache key is computed here, in Python, from :func:`summarizer.core.identity.cache_key`;
no SQL computes one. Executors differ only in how they extract ``todo`` and when results
land; none of them decides any of the above on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from typing import TYPE_CHECKING

from summarizer.core.errors import InputError
from summarizer.core.identity import CacheIdentity, cache_key
from summarizer.core.paper import Paper
from summarizer.ingest import Sighting
from summarizer.run.jobs import Job
from summarizer.run.report import RunReport
from summarizer.store.store import IngestOutcome, Store

if TYPE_CHECKING:
    from summarizer.core.results import Failure
    from summarizer.run.progress import Reporter

Item = Paper | Sighting | InputError
"""What a run reads: a paper (or a sighting of one, hashed but not yet a Paper), or a
rejected record."""


def chunked(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while chunk := list(islice(items, size)):
        yield chunk


def ingest_failure(error: InputError) -> Failure:
    """A rejected input record, as the failure that reports it."""
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
    ``settled_sources`` those of sightings that needed nothing else). Returns the outcome
    and the failures to record (rejected records, conflicting ids); the caller saves them."""
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


@dataclass
class Planned:
    """What one chunk needs from its executor."""

    todo: list[Job] = field(default_factory=list)
    """Papers to extract, one job per distinct cache key."""
    awaiting: list[Job] = field(default_factory=list)
    """Jobs of ``todo`` whose paper points at another result now: its new result becomes
    current when it lands (a failure leaves the old one current)."""
    waiting: int = 0
    """Papers left out because their result is already bought and on its way (``waiting``)."""
    needed_work: bool = True
    """Whether any paper of the chunk was stored, repointed or is to be extracted."""


@dataclass(kw_only=True)
class Plan:
    """One run's decisions, chunk by chunk (see the module's docstring)."""

    store: Store
    identity: CacheIdentity
    report: RunReport
    refresh: bool = False
    """Extract the papers read again, cached or not (their new results replace the old)."""
    retry_failed: bool = False
    """Extract papers whose key failed before (otherwise they are skipped and counted)."""
    strict: bool = False
    """Strict grounding: also strip the ungrounded values of the cached results used."""
    waiting: Callable[[Sequence[str]], set[str]] | None = None
    """Which of these keys are bought and not yet delivered (open provider batches)."""
    progress: Reporter | None = None
    count_total: bool = True
    """Add each chunk's papers to the progress total (when the input could not be counted)."""
    seen: RecentKeys = field(default_factory=RecentKeys)
    reread: set[str] = field(default_factory=set)
    settle_possible: bool | None = None
    """Whether the database held papers when the run began (a fresh one has none to settle)."""

    def __post_init__(self) -> None:
        self.digest = self.identity.digest

    def key(self, content_hash: str) -> str:
        """The cache key of a paper's text under this run's backend: the only definition."""
        return cache_key(content_hash, self.digest)

    def chunk(self, items: Sequence[Item]) -> Planned:
        """Store a chunk's papers and decide which need extracting; cached ones become
        current, and everything decided is written before this returns."""
        with self.store.session():  # one open of the file for the whole plan
            return self._chunk(list(items))

    def _chunk(self, chunk: list[Item]) -> Planned:
        store, report, seen = self.store, self.report, self.seen
        seen.rotate()
        settled = self._settle(chunk)
        planned = Planned(needed_work=any(not isinstance(item, InputError) for item in chunk))
        outcome, failures = store_chunk(
            chunk, store, report, self.reread, self.digest, {s.source for s in settled}
        )
        report.read += len(settled)
        for sighting in settled:  # stored, cached and current: counted, nothing to do
            marker = int(sighting.content_hash[:16], 16)
            if marker in seen:
                continue
            seen.add(marker)
            report.distinct += 1
            report.cached += 1
        jobs = [Job(p, self.key(p.content_hash)) for p in outcome.papers]
        keys = [job.cache_key for job in jobs]
        cached = set() if self.refresh else store.cached_keys(keys)
        skip_failed = self.retry_failed or self.refresh
        failed_before = set() if skip_failed else store.failed_keys(keys) - cached
        open_keys = [k for k in keys if k not in cached and k not in failed_before]
        waiting = self.waiting(open_keys) if self.waiting is not None and open_keys else set()
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
            elif job.cache_key in waiting:
                planned.waiting += 1
            else:
                planned.todo.append(job)
        stale = outcome.repoint
        point_now: list[tuple[str, str]] = []
        if stale:
            point_now = [
                (j.paper.paper_id, j.cache_key)
                for j in jobs
                if j.cache_key in cached and j.paper.paper_id in stale
            ]
            planned.awaiting = [j for j in planned.todo if j.paper.paper_id in stale]
        if failures or point_now:
            store.save(failures=failures, current=point_now)
        if self.strict:
            used = cached | {self.key(s.content_hash) for s in settled}
            if used:
                store.drop_ungrounded(used)
        if self.progress is not None:
            if self.count_total:
                self.progress.add_total(len(jobs) + len(settled))
            self.progress.advance(len(jobs) - len(planned.todo) + len(settled))
        return planned

    def _settle(self, chunk: list[Item]) -> list[Sighting | Paper]:
        """Take out of ``chunk`` the sightings that need nothing (stored, recorded, cached and
        current: see :meth:`Store.settled`), probed in bulk; they never become Papers."""
        if self.refresh:
            return []
        if self.settle_possible is None:  # only papers stored before this run can need nothing
            self.settle_possible = self.store.has_papers()
        if not self.settle_possible:
            return []
        by_source: dict[str, list[tuple[int, Sighting | Paper]]] = {}
        for index, item in enumerate(chunk):
            if isinstance(item, Sighting | Paper):
                by_source.setdefault(item.source, []).append((index, item))
        if not by_source:
            return []
        today = datetime.now(UTC).date()
        taken: set[int] = set()
        for source, found in by_source.items():
            probe = [
                (s.content_hash, _seen_on(s), s.record, self.key(s.content_hash)) for _, s in found
            ]
            taken.update(found[i][0] for i in self.store.settled(source, probe, today))
        if not taken:
            return []
        settled = [item for i, item in enumerate(chunk) if i in taken]
        chunk[:] = [item for i, item in enumerate(chunk) if i not in taken]
        return [item for item in settled if not isinstance(item, InputError)]


def _seen_on(item: Sighting | Paper) -> date | None:
    if isinstance(item, Paper):
        return item.listing_date or item.published
    return item.seen_on


__all__ = [
    "Item",
    "Plan",
    "Planned",
    "RecentKeys",
    "chunked",
    "ingest_failure",
    "store_chunk",
]
