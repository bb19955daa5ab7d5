"""The per-call log (the ``llm_calls`` table) and the redaction every logged text goes through.

The engine sets :data:`current_call` before each attempt, so a backend can
tag what it records with the paper's cache key without knowing about caching.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

current_call: ContextVar[tuple[str, int]] = ContextVar("current_call", default=("", 0))
"""(cache key, engine attempt number) of the extraction running in this task."""

_SECRET = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{8,}|Bearer\s+\S+")
_registered_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` removes it wherever it shows up."""
    if value and len(value) >= 4:
        _registered_secrets.add(value)


def redact(text: str) -> str:
    for secret in _registered_secrets:
        text = text.replace(secret, "***")
    return _SECRET.sub("***", text)


@dataclass(slots=True)
class CallRecord:
    cache_key: str
    model: str
    attempt: int
    status: int | None
    latency_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    mode: str = ""
    error: str | None = None
    called_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    batch_id: str | None = None
    """The provider batch job that answered it; None for a live call."""


CallSink = Callable[[CallRecord], None]
