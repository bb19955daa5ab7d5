"""The two backend contracts the engine drives, and the settings a backend is built from.

A backend turns one Paper into one Summary. Everything else a run needs (caching,
concurrency, retries, storage) lives in :mod:`summarizer.run`, so a backend is one
``extract`` method plus a few declared facts about itself. A synchronous backend
(:class:`Backend`) is CPU-bound and free; an asynchronous one (:class:`AsyncBackend`)
does network I/O, is driven many requests at once under rate limits, and declares every
member the engine uses: token estimates, an endpoint check, call and header hooks,
notes for the user, and ``aclose``.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from summarizer.core.calls import CallRecord, CallSink
from summarizer.core.endpoint import EndpointProfile
from summarizer.core.identity import CacheIdentity
from summarizer.core.paper import Paper

if TYPE_CHECKING:
    from summarizer.backends.batch import BatchProtocol
    from summarizer.core.schema import Summary

HeaderObserver = Callable[[int, Mapping[str, str]], None]
"""Called with (HTTP status, response headers) for every response a backend receives."""


@dataclass(frozen=True)
class Capabilities:
    """What the engine must know to drive a backend well."""

    billable: bool = False
    """Each result costs money: journal it durably the moment it arrives."""
    parallel: bool = False
    """CPU-bound and rebuildable from its settings: large batches fan out over processes."""
    batch: bool = False
    """Can submit provider batch jobs: ``AsyncBackend.batch`` returns its protocol."""


@dataclass
class BackendSettings:
    """User-facing knobs, from flags or the environment; each backend reads what it needs.

    Worker processes rebuild a backend from its name and these settings, so everything a
    backend's behaviour depends on must be here (and picklable).
    """

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    mode: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1024
    timeout: float | None = None
    """Seconds per request; None: the engine follows the observed latency."""
    max_reasks: int = 1
    offline: bool = False
    """Build only what needs no service: batch request lines and answer parsing (``batch
    export``/``batch import``); no API key is asked for, and no network client is made."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> BackendSettings:
        settings = cls(
            model=os.environ.get("SUMMARIZER_MODEL"),
            base_url=os.environ.get("OPENAI_BASE_URL"),
            api_key=os.environ.get("OPENAI_API_KEY"),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(settings, key, value)
        return settings


class _Described(ABC):
    """What both contracts share: a registry name, capabilities, settings and identity."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, settings: BackendSettings | None = None) -> None:
        self.settings = settings if settings is not None else BackendSettings()

    @property
    @abstractmethod
    def identity(self) -> CacheIdentity:
        """What, besides the text, the result depends on (feeds the cache key)."""


class Backend(_Described):
    """A synchronous, CPU-bound backend (``rules``): called in a loop or in worker processes."""

    @abstractmethod
    def extract(self, paper: Paper) -> Summary:
        """Extract one paper; any exception becomes that paper's failure."""

    def close(self) -> None:
        """Release what the backend holds; the pipeline calls it once at the end of a run."""


class AsyncBackend(_Described):
    """A backend that calls a service: run many at once, under the run's rate limiter.

    ``extract`` raises :class:`~summarizer.core.errors.TransientError` for faults worth
    retrying (the engine is the one retry layer), ``ExtractionError`` for one paper's
    definite failure, and ``BackendError`` when no paper can succeed (bad key, no model).
    """

    def __init__(self, settings: BackendSettings | None = None) -> None:
        super().__init__(settings)
        self._call_sink: CallSink | None = None
        self._header_observers: list[HeaderObserver] = []
        self.notes: list[str] = []
        """Things the user should know about how the run went (e.g. a mode fallback)."""

    @abstractmethod
    async def extract(self, paper: Paper) -> Summary:
        """Extract one paper with one logical attempt (re-asks on invalid output included)."""

    @abstractmethod
    def estimate_tokens(self, paper: Paper) -> int:
        """Tokens this paper's request will count against a tokens-per-minute limit."""

    def estimate_usage(self, paper: Paper) -> tuple[int, int]:
        """Expected (prompt, completion) tokens of this paper's call, for a cost estimate."""
        return self.estimate_tokens(paper), 0

    def estimate_cost(self, paper: Paper) -> float | None:
        """Estimated USD for this paper's call; None when the model's price is unknown."""
        return None

    async def check_endpoint(self) -> None:
        """Fail fast, with one clear line, when no request can succeed."""

    @property
    def local(self) -> bool:
        """The service runs on this machine or network, so our own requests are its load:
        the engine starts with few in flight and backs off when latency climbs."""
        return False

    @property
    def endpoint(self) -> tuple[str, str] | None:
        """(base URL, model) that probe outcomes are stored under; None: nothing to probe."""
        return None

    async def prepare(
        self, known: EndpointProfile | None, *, reprobe: bool = False
    ) -> EndpointProfile | None:
        """Settle how to talk to the endpoint before the batch, from what an earlier run
        stored (``known``) or by probing; returns the profile in use (a probed one is new
        and for the caller to store), or None when there is nothing to settle."""
        return None

    async def aclose(self) -> None:
        """Close connections; the pipeline awaits it once at the end of a run."""

    @property
    def batch(self) -> BatchProtocol | None:
        """How to submit this backend's requests as provider batch jobs
        (:mod:`summarizer.backends.batch`); None: it cannot (``capabilities.batch`` is False)."""
        return None

    def on_call(self, sink: CallSink | None) -> None:
        """Route a :class:`CallRecord` for every HTTP call to ``sink`` (the ``llm_calls`` log)."""
        self._call_sink = sink

    def on_headers(self, observer: HeaderObserver) -> None:
        """Also show every response's status and headers to ``observer`` (rate limits)."""
        self._header_observers.append(observer)

    def emit_call(self, record: CallRecord) -> None:
        if self._call_sink is not None:
            self._call_sink(record)

    def emit_headers(self, status: int, headers: Mapping[str, str]) -> None:
        for observer in self._header_observers:
            observer(status, headers)


AnyBackend = Backend | AsyncBackend
