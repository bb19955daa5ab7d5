"""The batch contract: what a backend supplies so that the run can buy its answers as a
provider batch job (half the price, within a day) instead of calling live.

Only abstract types live here. A backend that can batch returns a :class:`BatchProtocol`
from :attr:`~summarizer.backends.base.AsyncBackend.batch` (and declares
``Capabilities(batch=True)``); :mod:`summarizer.run.batches` drives any such protocol
without knowing the provider: it builds request lines, splits them at the protocol's file
limits, hands them to a :class:`BatchClient` (the provider's API, or a local file for
``batch export``/``batch import``), and parses what comes back into :class:`BatchAnswer`.

A submission is stored with its :class:`Submission` identity, so a collect rebuilds the very
backend that submitted it (``registry.batch_protocol``) whatever the flags of the collect.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from summarizer.backends.base import AsyncBackend
    from summarizer.core.endpoint import EndpointProfile
    from summarizer.core.paper import Paper
    from summarizer.core.results import Usage
    from summarizer.core.schema import Summary


@dataclass
class BatchAnswer:
    """One line of a batch output or error file, parsed."""

    custom_id: str
    summary: Summary | None
    usage: Usage | None
    error: str | None
    """Why there is no summary: the provider's error, or why the answer did not validate."""
    status: int | None


@dataclass(frozen=True)
class Submission:
    """What a submission was made with, stored with its job (``batch_jobs``): enough to rebuild
    the backend that parses its answers exactly as it built its requests."""

    backend: str
    """The registry name (``openai``)."""
    model: str
    base_url: str | None
    mode: str | None
    prompt_hash: str | None
    params: dict[str, Any] = field(default_factory=dict, compare=False)
    """Anything else the provider needs back (JSON-able: temperature, max_tokens, prompt)."""


class BatchClient(ABC):
    """A provider's files and batches API, or a stand-in for it (a local request or output
    file). Batch objects are plain dicts in the OpenAI Batch shape: ``id``, ``status``,
    ``request_counts``, ``output_file_id``, ``error_file_id``, ``metadata``."""

    @abstractmethod
    def upload(self, name: str, content: bytes) -> str:
        """Store a request file; returns its file id."""

    @abstractmethod
    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        """Start a batch on an uploaded file, tagged with ``metadata``."""

    @abstractmethod
    def retrieve(self, batch_id: str) -> dict[str, Any]:
        """The batch as it stands now."""

    @abstractmethod
    def find(self, submission_id: str) -> dict[str, Any] | None:
        """The batch created for one of our submissions (by its metadata), if any: a kill may
        have come between creating it and recording its id."""

    @abstractmethod
    def content(self, file_id: str) -> str:
        """The text of an output or error file."""

    @abstractmethod
    def cancel(self, batch_id: str) -> dict[str, Any]:
        """Ask the provider to stop a batch."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (nothing, for a local file)."""


class BatchProtocol(ABC):
    """What a backend supplies for batch jobs. Requests are exactly the live call's; answers
    are parsed as a live answer would be, so a collected result cannot be told from a live
    one."""

    max_requests: int
    """Requests a batch file may hold."""
    max_bytes: int
    """Bytes a batch file may hold."""
    terminal: frozenset[str]
    """Batch states after which nothing more will be answered."""

    @property
    @abstractmethod
    def backend(self) -> AsyncBackend:
        """The backend this protocol speaks for (its identity keys the results; a live retry
        of what a batch left over runs through it)."""

    @property
    @abstractmethod
    def submission(self) -> Submission:
        """The identity to store with a job submitted now."""

    @abstractmethod
    def restore(self, submission: Submission) -> None:
        """Take back what a stored submission settled (its mode, a learned context size), so
        answers parse as the requests were built."""

    @abstractmethod
    def settle(self, known: EndpointProfile | None) -> None:
        """Settle how requests are built before a submission, from what a probe stored for this
        endpoint (no request is sent); a forced mode wins."""

    @property
    def endpoint(self) -> tuple[str, str] | None:
        """(base URL, model) that a stored probe outcome is looked up by."""
        return self.backend.endpoint

    @abstractmethod
    def request_line(self, paper: Paper, custom_id: str) -> str:
        """One line of a batch input file for this paper."""

    @abstractmethod
    def parse_line(self, raw: str) -> BatchAnswer | None:
        """A line of an output or error file; None for a line that is not one (blank, cut off,
        or a request line)."""

    @abstractmethod
    def estimate_cost(self, paper: Paper) -> float:
        """Estimated USD of this paper's request at batch prices (0 when unknown)."""

    @abstractmethod
    def client(self) -> BatchClient:
        """A client for the provider's API; raises ConfigError when it cannot be built (no
        API key). Building requests and parsing answers never need one."""
