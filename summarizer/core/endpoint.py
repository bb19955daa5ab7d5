"""What a run learned about an LLM endpoint, kept so the next run need not learn it again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class EndpointProfile:
    """The structured-output mode that works for one (base URL, model), found by a probe.

    ``refused`` holds, for each mode the server turned down, its own words (shortened);
    ``context_tokens`` is the server's context window when it told us one.
    """

    base_url: str
    model: str
    mode: str
    refused: dict[str, str] = field(default_factory=dict)
    context_tokens: int | None = None
    probed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    requests: int = 0
    """Requests the probe sent."""
    origin: str = "probed"
    """probed (now), stored (by an earlier run's probe) or forced (by --mode)."""

    def describe(self) -> str:
        """One line for the run summary and the runs view."""
        refused = "; ".join(f"{mode} refused: {why}" for mode, why in self.refused.items())
        context = f"; context {self.context_tokens:,} tokens" if self.context_tokens else ""
        how = {
            "probed": f"probed with {self.requests} request(s)",
            "stored": f"as probed {self.probed_at:%Y-%m-%d %H:%M}",
            "forced": "forced by --mode",
        }[self.origin]
        return f"mode {self.mode} ({how}{'; ' + refused if refused else ''}{context})"
