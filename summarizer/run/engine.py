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
import gc
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from summarizer.backends.base import AsyncBackend
from summarizer.backends.registry import reference_extractor
from summarizer.core.calls import CallRecord, current_call
from summarizer.core.errors import BackendError, BudgetExceeded, ExtractionError, TransientError
from summarizer.core.results import Extraction, Usage
from summarizer.core.schema import Summary
from summarizer.grounding import ground
from summarizer.run.concurrency import FlightControl
from summarizer.run.jobs import EngineSettings, EngineSink, Job, failure_for
from summarizer.run.progress import Reporter
from summarizer.run.ratelimit import Limiter, RateLimiter


def over_budget(
    settings: EngineSettings, spent_usd: float, in_flight_usd: float, tokens: int, next_cost: float
) -> BudgetExceeded | None:
    """Why the next call must not go, if it must not: spent, plus what is in flight, plus its
    own estimate. The one rule for --max-cost and --max-tokens, in one process or a cluster."""
    max_cost = settings.max_cost
    if max_cost is not None and spent_usd + in_flight_usd + next_cost > max_cost:
        return BudgetExceeded(
            f"--max-cost ${max_cost:g} reached: ${spent_usd:.4f} spent, and the next "
            f"call (about ${next_cost:.4f}) would pass it"
        )
    if settings.max_tokens is not None and tokens >= settings.max_tokens:
        return BudgetExceeded(f"--max-tokens {settings.max_tokens:,} reached")
    return None


class SharedSpend(Protocol):
    """A spend budget several engines draw on (a Ray run's workers): each call is admitted
    before it goes and its real cost reported after."""

    async def admit(self, estimate: float) -> BudgetExceeded | None: ...

    def settle(self, estimate: float) -> None: ...

    def spend(self, cost_usd: float, tokens: int) -> None: ...


class SpendBook:
    """A cluster's spend against --max-cost and --max-tokens, kept in one place (the Ray
    run's budget actor) for every worker's engine: what is spent, and what is in flight."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.spent_usd = 0.0
        self.tokens = 0
        self.in_flight = 0.0
        self.stopped: BudgetExceeded | None = None

    def admit(self, estimate: float) -> BudgetExceeded | None:
        if self.stopped is None:
            self.stopped = over_budget(
                self.settings, self.spent_usd, self.in_flight, self.tokens, estimate
            )
            if self.stopped is None:
                self.in_flight += estimate
        return self.stopped

    def settle(self, estimate: float) -> None:
        self.in_flight = max(0.0, self.in_flight - estimate)

    def spend(self, cost_usd: float, tokens: int) -> None:
        self.spent_usd += cost_usd
        self.tokens += tokens


class AsyncEngine:
    """One per run: owns the limiter, the per-paper retry loop and the budget checks."""

    def __init__(
        self,
        backend: AsyncBackend,
        sink: EngineSink,
        settings: EngineSettings,
        reporter: Reporter,
        limiter: Limiter | None = None,
        shared: SharedSpend | None = None,
    ) -> None:
        self.backend = backend
        self.sink = sink
        self.settings = settings
        self.reporter = reporter
        self.limiter: Limiter = limiter or RateLimiter(settings.rpm, settings.tpm)
        self.shared = shared
        """The budget of a whole cluster (--max-cost, --max-tokens), when one is shared."""
        self.flight = FlightControl(
            settings.concurrency,
            local=backend.local,
            timeout=settings.timeout,
            pace=self.limiter.request_rate,
        )
        self.extracted = 0
        self.failed = 0
        self.stopped: BudgetExceeded | None = None
        self._usage: dict[str, Usage] = {}
        self._committed = 0.0
        """Estimated cost of the calls in flight: spent, as far as the budget is concerned."""
        backend.on_call(self._on_call)
        backend.on_headers(self._on_headers)

    def _on_call(self, record: CallRecord) -> None:
        self.sink.add_call(record)
        if self.shared is not None:
            self.shared.spend(record.cost_usd, record.prompt_tokens + record.completion_tokens)
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

    def _on_headers(self, status: int, headers: Mapping[str, str]) -> None:
        self.limiter.observe(headers)

    def _budget_left(self, next_cost: float) -> bool:
        """Whether the next call fits: spent, plus what is in flight, plus its own estimate."""
        spend = self.sink.spend
        self.stopped = over_budget(
            self.settings, spend.cost_usd, self._committed, spend.tokens, next_cost
        )
        return self.stopped is None

    async def _admit(self, estimate: float) -> bool:
        """Book the next call against the budget: this run's, or the cluster's shared one."""
        if self.shared is not None:
            self.stopped = await self.shared.admit(estimate)
            return self.stopped is None
        if not self._budget_left(estimate):
            return False
        self._committed += estimate
        return True

    def _settle(self, estimate: float) -> None:
        if self.shared is not None:
            self.shared.settle(estimate)
        else:
            self._committed -= estimate

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(error.retry_after, self.settings.max_wait)
        backoff = wait_random_exponential(multiplier=0.5, max=self.settings.max_wait)
        return float(backoff(state))

    async def _extract_with_retries(self, job: Job) -> tuple[Summary, int]:
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
                    return await self._call(job), attempt
                except TransientError as error:
                    if error.retry_after is not None:
                        self.limiter.pause(error.retry_after)
                    raise
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _call(self, job: Job) -> Summary:
        """One request under the flight limit and the current timeout."""
        flight = self.flight
        level = await flight.acquire()
        self.reporter.flight(flight.in_flight, flight.allowed)
        started = time.monotonic()
        timeout = flight.timeout
        try:
            summary = await asyncio.wait_for(self.backend.extract(job.paper), timeout)
        except (TimeoutError, TransientError) as error:
            await flight.release()
            if isinstance(error, TimeoutError) or error.error_type == "timeout":
                flight.timed_out()
                await flight.settle_after_timeout(level)
                if isinstance(error, TimeoutError):
                    raise TransientError(
                        f"no answer within {timeout:.0f}s", error_type="timeout"
                    ) from None
            raise
        except BaseException:
            await flight.release()
            raise
        flight.answered(time.monotonic() - started, level)
        await flight.release()
        self.reporter.flight(flight.in_flight, flight.allowed)
        return summary

    async def _one(self, job: Job) -> None:
        attempts = 1
        try:
            summary, attempts = await self._extract_with_retries(job)
            grounded = ground(
                summary,
                job.paper.abstract,
                strict=self.settings.strict_grounding,
                reference=reference_extractor()("", job.paper.abstract),
            )
        except TransientError as error:  # retries ran out
            self._fail(job, error, self.settings.max_attempts)
        except BackendError:
            raise  # wrong key, unknown model: every paper would fail the same way
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
        self.sink.add_failure(failure_for(job, error, self.backend.identity, attempts, tokens))
        self.failed += 1

    async def run(self, jobs: Sequence[Job]) -> None:
        """Run jobs with at most ``concurrency`` in flight; stop starting new ones on budget."""
        pending = iter(jobs)

        async def worker() -> None:
            for job in pending:
                estimate = self.backend.estimate_cost(job.paper) or 0.0
                if self.stopped is not None or not await self._admit(estimate):
                    return
                try:
                    await self._one(job)
                finally:
                    self._settle(estimate)

        # What exists now (modules, clients, the jobs) lives for the whole run: set it aside
        # from the collector, so a full collection stays short. Without this, each one walked
        # the whole heap and held the event loop for 0.1-0.2 s, a second of idle sending per
        # 600 requests at 1,200 RPM.
        gc.collect()
        gc.freeze()
        workers = [asyncio.create_task(worker()) for _ in range(max(1, self.settings.concurrency))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            gc.unfreeze()
