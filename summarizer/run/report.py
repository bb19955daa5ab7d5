"""What a run reports: counts for the end-of-run summary and the ``runs`` row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.core.errors import InputError, RunStopped

if TYPE_CHECKING:
    from summarizer.core.results import Failure
    from summarizer.ingest import Skipped

MAX_REPORTED_REJECTIONS = 200
MAX_SKIPPED_NOTES = 20


@dataclass
class RunReport:
    """Counts for the end-of-run summary; ``distinct`` = cached + extracted + failed + skipped.

    A copy of a paper more than a chunk away from its first sighting is counted as cached
    (it is, by then), so ``distinct`` is exact for batches of up to one chunk.
    """

    db_path: Path
    backend: str = ""
    model: str = ""
    read: int = 0
    distinct: int = 0
    new: int = 0
    cached: int = 0
    extracted: int = 0
    failed: int = 0
    skipped_failed: int = 0
    rejected: int = 0
    rejections: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    stopped: RunStopped | None = None
    """Why the run ended early (Interrupted, BudgetExceeded); finished work is stored."""
    recovered: int = 0
    notes: list[str] = field(default_factory=list)
    expected: int | None = None
    """Papers the input holds, estimated before reading it (None when it cannot be)."""
    timeouts: int = 0
    """Calls that got no answer in time (LLM runs)."""
    probe: str | None = None
    cost_known: bool = True
    """Whether the model's price is known (else the cost is not tracked, not zero)."""
    """How the LLM endpoint's structured-output mode was settled (probed, stored, forced)."""

    @property
    def pending(self) -> int:
        """Papers read and stored that still wait for extraction (after a stop)."""
        done = self.cached + self.skipped_failed + self.extracted + self.failed
        return max(0, self.distinct - done)

    skipped_files: int = 0
    """Files in input folders that hold no papers: each is a note, not a rejection."""

    @property
    def clean(self) -> bool:
        """No paper failed or was rejected and the run was not cut short."""
        return not (self.failed or self.rejected or self.stopped)

    def skip(self, item: Skipped) -> None:
        """A file in a folder that holds no papers: a note (the first MAX_SKIPPED_NOTES)."""
        self.skipped_files += 1
        if self.skipped_files <= MAX_SKIPPED_NOTES:
            self.notes.append(str(item))

    def finish_reading(self) -> None:
        """Count the skipped files that got no note of their own."""
        more = self.skipped_files - MAX_SKIPPED_NOTES
        if more > 0:
            self.notes.append(f"... and {more} more files skipped")

    def reject(self, error: InputError | Failure) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REPORTED_REJECTIONS:
            if isinstance(error, InputError):
                self.rejections.append(str(error))
            else:
                self.rejections.append(f"{error.source}: {error.record}: {error.message}")
