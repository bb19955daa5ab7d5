"""Synchronous, CPU-bound backends (``rules``): a plain loop, or worker processes for big batches.

The parent keeps parsing and writing while workers extract; each worker rebuilds the
backend from its name and full settings and hands back one Arrow table per batch,
so results cross the process boundary in bulk rather than object by object.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

import pyarrow as pa

from summarizer.backends.base import Backend, BackendSettings
from summarizer.backends.registry import get_backend
from summarizer.core.results import Extraction, Failure
from summarizer.grounding import ground
from summarizer.run.jobs import EngineSettings, Job, OutcomeSink, failure_for
from summarizer.run.progress import Reporter
from summarizer.run.sink import ResultSink
from summarizer.store.columns import EXTRACTIONS


def run_sync(
    backend: Backend,
    jobs: Sequence[Job],
    sink: OutcomeSink,
    settings: EngineSettings,
    reporter: Reporter,
) -> None:
    """Extract each job in turn; any exception becomes that paper's Failure."""
    identity = backend.identity
    for job in jobs:
        try:
            summary = backend.extract(job.paper)
            grounded = ground(summary, job.paper.abstract, strict=settings.strict_grounding)
        except Exception as exc:  # a bug on one paper must not cost the batch
            sink.add_failure(failure_for(job, exc, identity))
        else:
            sink.add_result(Extraction(job.paper.paper_id, job.cache_key, identity, grounded))
        reporter.advance()


_worker_backend: Backend | None = None
Pending = Future[tuple[pa.Table, list[Failure]]]
"""A batch handed to a worker process: its results table and failures, once done."""
PARALLEL_BATCH = 500


def _start_worker(name: str, settings: BackendSettings) -> None:
    global _worker_backend
    backend = get_backend(name, settings)
    if not isinstance(backend, Backend):
        raise TypeError(f"backend {name!r} is not synchronous; it cannot run in worker processes")
    _worker_backend = backend


def _extract_batch(batch: list[Job], strict: bool) -> tuple[pa.Table, list[Failure]]:
    """Runs in a worker process: extract and ground, hand back one Arrow table."""
    assert _worker_backend is not None
    sink = _ListSink()
    run_sync(_worker_backend, batch, sink, EngineSettings(strict_grounding=strict), Reporter())
    return EXTRACTIONS.arrow(sink.results), sink.failures


class _ListSink:
    def __init__(self) -> None:
        self.results: list[Extraction] = []
        self.failures: list[Failure] = []

    def add_result(self, result: Extraction) -> None:
        self.results.append(result)

    def add_failure(self, failure: Failure) -> None:
        self.failures.append(failure)


class ProcessPool:
    """Fans a CPU-bound backend out over processes; the parent keeps parsing and writing."""

    def __init__(self, backend: Backend, workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self.executor = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(backend.name, backend.settings),
        )

    def submit(self, jobs: Sequence[Job], strict: bool) -> list[Pending]:
        return [
            self.executor.submit(_extract_batch, list(jobs[i : i + PARALLEL_BATCH]), strict)
            for i in range(0, len(jobs), PARALLEL_BATCH)
        ]

    @staticmethod
    def collect(futures: list[Pending], sink: ResultSink, reporter: Reporter) -> None:
        for future in futures:
            table, failures = future.result()
            sink.add_table(table)
            for failure in failures:
                sink.add_failure(failure)
            reporter.advance(table.num_rows + len(failures))

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def worker_count(backend: Backend) -> int:
    if not backend.capabilities.parallel or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(os.cpu_count() or 1, 8)
