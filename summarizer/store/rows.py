"""Typed rows for the small tables a run writes one row at a time (no pyarrow needed).

The bulk tables (extractions, failures, calls) are specified in :mod:`summarizer.store.columns`;
these are the run's own bookkeeping rows. Each is a dataclass whose fields are exactly the
table's columns, so the INSERT is derived from it and a misspelt or missing column fails at
the call, not in a query later.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any


def utc_now() -> datetime:
    """DuckDB TIMESTAMP is zone-less; everything is stored in UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, kw_only=True)
class RunRow:
    """One row of ``run_log`` (the ``runs`` view): how one run, or one batch collect, ended."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    backend: str
    model: str
    papers_read: int = 0
    papers_new: int = 0
    cached: int = 0
    extracted: int = 0
    failed: int = 0
    rejected: int = 0
    backend_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    status: str = "ok"
    probe: str | None = None

    @classmethod
    def new(cls, *, started_at: datetime, **values: Any) -> RunRow:
        """A row for a run that started at ``started_at`` and ends now."""
        return cls(run_id=uuid.uuid4().hex, started_at=started_at, finished_at=utc_now(), **values)

    @classmethod
    def columns(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def values(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(kw_only=True)
class BatchJobRow:
    """One row of ``batch_jobs``: a submitted (or exported) request file and its fate."""

    submission_id: str
    batch_id: str | None = None
    base_url: str | None = None
    model: str
    mode: str | None = None
    prompt_hash: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    requests: int
    status: str
    completed: int | None = None
    failed: int | None = None
    estimated_cost_usd: float | None = None
    cost_usd: float | None = None
    attempt: int
    created_at: datetime | None = None
    updated_at: datetime | None = None
    collected_at: datetime | None = None
    backend: str | None = None
    """The backend that submitted it (migration 10; older rows: openai)."""
    params: str | None = None
    """The settings it was built with, as JSON (migration 10)."""

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def check(cls, names: Any) -> None:
        """Refuse, at the call, a column the table does not have."""
        unknown = set(names) - set(cls.columns())
        if unknown:
            raise TypeError(f"batch_jobs has no column {', '.join(sorted(unknown))}")

    def values(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class EndpointRow:
    """One row of ``endpoints``: what a probe found about an endpoint and model."""

    base_url: str
    model: str
    mode: str
    probed_at: datetime
    refused: str | None = None
    """The modes refused, with the server's words, as JSON."""
    context_tokens: int | None = None

    def values(self) -> dict[str, Any]:
        return asdict(self)
