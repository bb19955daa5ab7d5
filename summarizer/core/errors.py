"""The error hierarchy: every failure a user can cause or fix is one of these.

The CLI prints ``str(error)`` as a single line and exits with ``exit_code``, so each
message names the file, record or setting involved and says what to do next.

``TransientError`` stands apart from ``BackendError`` on purpose: the first is worth
retrying and is the engine's business; the second means no paper can succeed (bad key,
unknown model) and stops the run.
"""

from __future__ import annotations


class SummarizerError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code = 1


class ConfigError(SummarizerError):
    """A setting is missing or wrong (backend, key, endpoint, flag value)."""

    exit_code = 2


class InputError(SummarizerError):
    """An input file or record cannot be read; names the file and record."""

    def __init__(self, source: str, record: str | None, message: str) -> None:
        self.source = source
        self.record = record
        self.reason = message
        where = f"{source}: {record}" if record else source
        super().__init__(f"{where}: {message}")


class BackendError(SummarizerError):
    """The backend refused for good (bad key, unknown model, endpoint unreachable): no paper
    can succeed until a setting changes."""

    exit_code = 2


class ExtractionError(SummarizerError):
    """One paper's extraction failed after every allowed attempt."""

    def __init__(self, message: str, *, error_type: str, attempts: int = 1) -> None:
        self.error_type = error_type
        self.attempts = attempts
        super().__init__(message)


class FetchError(SummarizerError):
    """A source (Hugging Face daily papers, the arXiv API, OAI-PMH) could not be fetched: the
    network, the server's answer, or a page that is not what it should be. Names the source,
    the window and the page; the pages fetched before are kept, and the next fetch resumes
    from this one."""


class StoreError(SummarizerError):
    """The database cannot be opened or written (busy, read-only, disk full)."""

    exit_code = 3


class TransientError(SummarizerError):
    """A fault worth retrying (429, 5xx, timeout, connection): the engine's one retry layer.

    Once retries run out it becomes that paper's failure; it never stops a run.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        error_type: str = "transient",
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.error_type = error_type
        super().__init__(message)


class RunStopped(SummarizerError):
    """Why a run stopped before reading all its input; finished work is stored."""


class BudgetExceeded(RunStopped):
    """A --max-cost or --max-tokens budget was reached."""


class Interrupted(RunStopped):
    """Ctrl-C (or SIGTERM) stopped the run; the next run resumes where it ended."""

    exit_code = 130
