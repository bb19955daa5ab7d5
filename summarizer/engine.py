"""Driving a backend over many papers: where errors become failures, not crashes.

Synchronous backends (``rules``) run in-process in a plain loop: they are
CPU-bound and free, so concurrency would only add overhead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .backends.base import Backend
from .cache import cache_key
from .errors import ExtractionError
from .grounding import ground
from .paper import Paper
from .results import Extraction, Failure


@dataclass(slots=True)
class Job:
    paper: Paper
    cache_key: str


def failure_for(job: Job, exc: BaseException, attempts: int = 1, tokens: int = 0) -> Failure:
    if isinstance(exc, ExtractionError):
        error_type, attempts = exc.error_type, exc.attempts
    else:
        error_type = type(exc).__name__
    message = " ".join(str(exc).split())[:500] or error_type
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


def make_jobs(papers: Sequence[Paper], backend: Backend) -> list[Job]:
    digest = backend.identity.digest
    return [Job(p, cache_key(p.content_hash, digest)) for p in papers]


def run_sync(
    backend: Backend,
    jobs: Sequence[Job],
    *,
    strict_grounding: bool = False,
    on_done: Callable[[int], None] | None = None,
) -> tuple[list[Extraction], list[Failure]]:
    """Extract each job in turn; any exception becomes that paper's Failure."""
    identity = backend.identity
    results: list[Extraction] = []
    failures: list[Failure] = []
    for job in jobs:
        try:
            summary = backend.extract(job.paper)
            grounded = ground(summary, job.paper.abstract, strict=strict_grounding)
        except Exception as exc:  # a bug in one paper must not cost the batch
            failures.append(failure_for(job, exc))
        else:
            results.append(Extraction(job.paper.paper_id, job.cache_key, identity, grounded))
        if on_done is not None:
            on_done(1)
    return results, failures
