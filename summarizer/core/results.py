"""What one extraction produced, ready to be written: the grounded summary plus its provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from summarizer.backends.base import CacheIdentity
from summarizer.grounding.ground import GroundedSummary


@dataclass(slots=True)
class Usage:
    """Tokens and estimated cost of the calls that produced one result."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens
        self.cost_usd += other.cost_usd

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(slots=True)
class Extraction:
    paper_id: str
    cache_key: str
    identity: CacheIdentity
    grounded: GroundedSummary
    usage: Usage | None = None
    status: str = "ok"
    extracted_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(slots=True)
class Failure:
    paper_id: str | None
    cache_key: str | None
    stage: str
    error_type: str
    message: str
    attempts: int = 1
    tokens: int = 0
    source: str | None = None
    record: str | None = None
    failed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
