"""Driving a backend over many papers: concurrency, rate limits, the one retry layer, budgets.

Synchronous backends (``rules``) run in a plain loop: they are CPU-bound and
free. Async backends (``openai``) run many requests at once under a shared
:class:`~summarizer.run.ratelimit.RateLimiter`; transport faults are retried here
with tenacity (exponential backoff with jitter, honouring ``Retry-After``) and
nowhere else. Every outcome goes to the :class:`~summarizer.run.sink.ResultSink`
the moment it is known, so an interruption loses only calls still in flight.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from summarizer.backends.base import Backend, get_backend
from summarizer.core.calls import current_call, redact
from summarizer.core.errors import BackendError, ExtractionError, TransientError
from summarizer.core.identity import cache_key
from summarizer.core.paper import Paper
from summarizer.core.results import Extraction, Failure, Usage
from summarizer.grounding.ground import ground
from summarizer.run.progress import Reporter
from summarizer.run.ratelimit import RateLimiter
from summarizer.run.sink import ResultSink
from summarizer.store.tables import extractions_table


@dataclass(slots=True)
class Job:
    paper: Paper
    cache_key: str


@dataclass
class EngineSettings:
    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None
    max_attempts: int = 6
    max_wait: float = 60.0
    max_cost: float | None = None
    max_tokens: int | None = None
    strict_grounding: bool = False


def make_jobs(papers: Sequence[Paper], backend: Backend) -> list[Job]:
    digest = backend.identity.digest
    return [Job(p, cache_key(p.content_hash, digest)) for p in papers]


def failure_for(job: Job, exc: BaseException, attempts: int = 1, tokens: int = 0) -> Failure:
    error_type = getattr(exc, "error_type", None) or type(exc).__name__
    if isinstance(exc, ExtractionError):
        attempts = max(attempts, exc.attempts)
    message = redact(" ".join(str(exc).split()))[:500] or error_type
    return Failure(
        paper_id=job.paper.paper_id,
        cache_key=job.cache_key,
        stage="extract",
        error_type=error_type,
        message=message,
        attempts=attempts,
        tokens=tokens,
        source=job.paper.source,
        record=job.paper.record,
    )


def run_sync(
    backend: Backend,
    jobs: Sequence[Job],
    sink: ResultSink | _ListSink,
    settings: EngineSettings,
    reporter: Reporter,
) -> tuple[int, int]:
    """Extract each job in turn; any exception becomes that paper's Failure."""
    identity = backend.identity
    extracted = failed = 0
    for job in jobs:
        try:
            summary = backend.extract(job.paper)
            grounded = ground(summary, job.paper.abstract, strict=settings.strict_grounding)
        except Exception as exc:  # a bug on one paper must not cost the batch
            sink.add_failure(failure_for(job, exc))
            failed += 1
        else:
            sink.add_result(Extraction(job.paper.paper_id, job.cache_key, identity, grounded))
            extracted += 1
        reporter.advance()
    return extracted, failed


_worker_backend: Backend | None = None
PARALLEL_BATCH = 500
MIN_PARALLEL = 2000


def _start_worker(name: str) -> None:
    global _worker_backend
    _worker_backend = get_backend(name)


def _extract_batch(batch: list[Job], strict: bool) -> tuple[pa.Table, list[Failure]]:
    """Runs in a worker process: extract and ground, hand back one Arrow table."""
    assert _worker_backend is not None
    sink = _ListSink()
    run_sync(_worker_backend, batch, sink, EngineSettings(strict_grounding=strict), Reporter())
    return extractions_table(sink.results), sink.failures


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
            workers, mp_context=context, initializer=_start_worker, initargs=(backend.name,)
        )

    def submit(
        self, jobs: Sequence[Job], strict: bool
    ) -> list[Future[tuple[pa.Table, list[Failure]]]]:
        return [
            self.executor.submit(_extract_batch, list(jobs[i : i + PARALLEL_BATCH]), strict)
            for i in range(0, len(jobs), PARALLEL_BATCH)
        ]

    @staticmethod
    def collect(
        futures: list[Future[tuple[pa.Table, list[Failure]]]], sink: ResultSink, reporter: Reporter
    ) -> tuple[int, int]:
        extracted = failed = 0
        for future in futures:
            table, failures = future.result()
            sink.add_table(table)
            for failure in failures:
                sink.add_failure(failure)
            extracted += table.num_rows
            failed += len(failures)
            reporter.advance(table.num_rows + len(failures))
        return extracted, failed

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def worker_count(backend: Backend) -> int:
    if not backend.capabilities.parallel or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(os.cpu_count() or 1, 8)


class AsyncEngine:
    """One per run: owns the limiter, the per-paper retry loop and the budget checks."""

    def __init__(
        self, backend: Any, sink: ResultSink, settings: EngineSettings, reporter: Reporter
    ) -> None:
        self.backend = backend
        self.sink = sink
        self.settings = settings
        self.reporter = reporter
        self.limiter = RateLimiter(settings.rpm, settings.tpm)
        self.extracted = 0
        self.failed = 0
        self.stopped: str | None = None
        self._usage: dict[str, Usage] = {}
        backend.call_sink = self._on_call
        backend.header_observers.append(self._on_headers)

    def _on_call(self, record: Any) -> None:
        self.sink.add_call(record)
        usage = self._usage.setdefault(record.cache_key, Usage())
        usage.add(
            Usage(
                record.prompt_tokens,
                record.completion_tokens,
                record.cached_tokens,
                record.cost_usd,
            )
        )
        spend = self.sink.spend
        self.reporter.spend(spend.tokens, spend.cost_usd, self.failed)

    def _on_headers(self, status: int, headers: Any) -> None:
        self.limiter.observe(headers)

    def _budget_left(self) -> bool:
        spend = self.sink.spend
        if self.settings.max_cost is not None and spend.cost_usd >= self.settings.max_cost:
            self.stopped = f"--max-cost ${self.settings.max_cost:g} reached"
        elif self.settings.max_tokens is not None and spend.tokens >= self.settings.max_tokens:
            self.stopped = f"--max-tokens {self.settings.max_tokens:,} reached"
        return self.stopped is None

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(error.retry_after, self.settings.max_wait)
        backoff = wait_random_exponential(multiplier=0.5, max=self.settings.max_wait)
        return float(backoff(state))

    async def _extract_with_retries(self, job: Job) -> tuple[Any, int]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            reraise=True,
        )
        attempt = 0
        async for trial in retrying:
            with trial:
                attempt = trial.retry_state.attempt_number
                current_call.set((job.cache_key, attempt))
                await self.limiter.acquire(self.backend.estimate_tokens(job.paper))
                try:
                    return await self.backend.extract(job.paper), attempt
                except TransientError as error:
                    if error.retry_after is not None:
                        self.limiter.pause(error.retry_after)
                    raise
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _one(self, job: Job) -> None:
        attempts = 1
        try:
            summary, attempts = await self._extract_with_retries(job)
            grounded = ground(
                summary,
                job.paper.abstract,
                strict=self.settings.strict_grounding,
                check_recall=True,
            )
        except BackendError as error:
            if not isinstance(error, TransientError):
                raise  # wrong key, unknown model: every paper would fail the same way
            self._fail(job, error, self.settings.max_attempts)
        except ExtractionError as error:
            self._fail(job, error, attempts)
        except Exception as error:  # a bug on one paper must not cost the batch
            self._fail(job, error, attempts)
        else:
            usage = self._usage.pop(job.cache_key, None)
            identity = self.backend.identity
            self.sink.add_result(
                Extraction(job.paper.paper_id, job.cache_key, identity, grounded, usage)
            )
            self.extracted += 1
        self.reporter.advance()

    def _fail(self, job: Job, error: Exception, attempts: int) -> None:
        usage = self._usage.pop(job.cache_key, None)
        tokens = usage.total_tokens if usage else 0
        self.sink.add_failure(failure_for(job, error, attempts, tokens))
        self.failed += 1

    async def run(self, jobs: Sequence[Job]) -> None:
        """Run jobs with at most ``concurrency`` in flight; stop starting new ones on budget."""
        pending = iter(jobs)

        async def worker() -> None:
            for job in pending:
                if not self._budget_left():
                    return
                await self._one(job)

        workers = [asyncio.create_task(worker()) for _ in range(max(1, self.settings.concurrency))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
