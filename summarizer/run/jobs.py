"""A unit of work (a paper and its cache key), the engine's settings, and how a job fails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from summarizer.backends.base import AnyBackend
from summarizer.core.calls import redact
from summarizer.core.errors import ExtractionError
from summarizer.core.identity import CacheIdentity, cache_key
from summarizer.core.paper import Paper

if TYPE_CHECKING:
    from summarizer.core.calls import CallRecord
    from summarizer.core.results import Extraction, Failure
    from summarizer.run.sink import Spend


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
    timeout: float | None = None
    """Seconds per request; None: follow the observed latency (see run/concurrency.py)."""


def make_jobs(papers: Sequence[Paper], backend: AnyBackend) -> list[Job]:
    digest = backend.identity.digest
    return [Job(p, cache_key(p.content_hash, digest)) for p in papers]


def failure_for(
    job: Job, exc: BaseException, identity: CacheIdentity, attempts: int = 1, tokens: int = 0
) -> Failure:
    from summarizer.core.results import Failure  # with pydantic: only a run that extracts

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
        backend=identity.backend,
        model=identity.model,
    )


class OutcomeSink(Protocol):
    """Where an engine puts each finished paper: the run's ResultSink, or a worker's list."""

    def add_result(self, result: Extraction) -> None: ...

    def add_failure(self, failure: Failure) -> None: ...


class EngineSink(OutcomeSink, Protocol):
    """Where the LLM engine puts outcomes and call records, and reads what was spent: the
    run's ResultSink, or a Ray worker's staging writer."""

    @property
    def spend(self) -> Spend: ...

    def add_call(self, record: CallRecord) -> None: ...
