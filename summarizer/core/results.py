"""What one extraction produced, ready to be written: the grounded summary plus its provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

from summarizer.core.identity import CacheIdentity
from summarizer.core.vocabulary import GainUnit, LinkKind, SizeRole

if TYPE_CHECKING:
    from summarizer.core.schema import Summary


class GroundedLink(TypedDict):
    """A link as stored: the abstract's own spelling, where it stands, whether it is there."""

    url: str
    kind: LinkKind
    start_char: int | None
    end_char: int | None
    grounded: bool


class GroundedSize(TypedDict):
    text: str
    params: float | None
    vague: bool
    evidence: str
    start_char: int | None
    end_char: int | None
    grounded: bool
    role: SizeRole | None
    """Last, so schema v2 appends it to the v1 struct (None on v1 rows)."""
    evidence_start: int | None
    evidence_end: int | None
    """Where ``evidence`` stands in the abstract when it is an exact slice of it; the stored
    row then keeps the span instead of the text (appended by migration 8)."""


class GroundedGain(TypedDict):
    metric: str | None
    value: float
    unit: GainUnit | None
    benchmark: str | None
    baseline: str | None
    evidence: str
    start_char: int | None
    end_char: int | None
    grounded: bool
    evidence_start: int | None
    evidence_end: int | None


class GroundedResult(TypedDict):
    """An absolute score of the paper's own method, grounded like a gain: by its number."""

    benchmark: str | None
    metric: str | None
    value: float
    unit: str | None
    setting: str | None
    evidence: str
    start_char: int | None
    end_char: int | None
    grounded: bool
    evidence_start: int | None
    evidence_end: int | None


@dataclass
class GroundedSummary:
    """A Summary plus, per value, where it sits in the abstract and whether it is grounded.

    The value lists are plain dicts (typed above) because they go to Arrow as they are:
    building a struct column from dicts is the fast path, from objects it is not.
    """

    summary: Summary
    links: list[GroundedLink] = field(default_factory=list)
    model_sizes: list[GroundedSize] = field(default_factory=list)
    gains: list[GroundedGain] = field(default_factory=list)
    results: list[GroundedResult] = field(default_factory=list)
    code_url: str | None = None
    code_url_grounded: bool | None = None
    evidence_spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    """task/method/code_url evidence that is an exact slice of the abstract: where it stands."""
    recall_warnings: list[str] = field(default_factory=list)

    def values(self, name: str) -> list[Any]:
        """The grounded values of one field of :data:`summarizer.core.fields.FIELDS`."""
        return getattr(self, name)

    @property
    def checked(self) -> int:
        from summarizer.core.fields import FIELDS  # fields names these shapes: import late

        code = 0 if self.code_url is None else 1
        return sum(len(self.values(f.name)) for f in FIELDS) + code

    @property
    def ungrounded(self) -> int:
        from summarizer.core.fields import FIELDS

        missing = sum(1 for f in FIELDS for v in self.values(f.name) if not v["grounded"])
        return missing + (1 if self.code_url is not None and not self.code_url_grounded else 0)

    @property
    def grounded_ratio(self) -> float | None:
        return None if self.checked == 0 else 1 - self.ungrounded / self.checked


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
    backend: str | None = None
    model: str | None = None
    """The backend and model that failed (extraction failures), for --retry-failed."""
