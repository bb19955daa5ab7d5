"""A polite HTTP client for the sources: one request at a time, a minimum interval between
two requests, a User-Agent that names the tool, timeouts, and retries that honour the
server's ``Retry-After``.

Standard library only (``urllib``): fetching a day of papers needs no HTTP stack of its own,
and ``summarizer --help`` loads none. Time comes from a :class:`Clock`, so tests and the fake
servers of :mod:`summarizer.testing.fake_feeds` run on a clock that moves only when slept
on: no test waits for real.

What the client retries, up to ``attempts`` tries in all: 429 and 503 (after the
``Retry-After`` the server asks for, or a backoff), other 5xx, timeouts, dropped connections,
a body cut short, and a page its ``check`` finds malformed (a cut-off transfer looks like
that). What it does not: any other 4xx, and a page the source refuses in its own words (an
arXiv API error entry, an OAI-PMH error other than "no records"). Either way the failure is
one :class:`~summarizer.core.errors.FetchError` line naming the page.
"""

from __future__ import annotations

import gzip
import http.client
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

from summarizer.core.errors import FetchError

T = TypeVar("T")

USER_AGENT = "summarizer/{version} (paper-abstract digests; daily feeds)"
MAX_RETRY_AFTER = 900.0
"""Seconds a server may ask to be left alone before the fetch gives up for now."""


class Clock(Protocol):
    """Where the client's time comes from."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime:
        """The current UTC time (aware): a Retry-After date is read against it."""
        ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


class Malformed(Exception):
    """A page that is not what its source sends (truncated, not JSON, not the XML expected):
    retried, as a cut-off transfer would be, then reported."""


class Refused(Exception):
    """The source answered, in its own words, that it will not serve this request."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


Opener = Callable[[urllib.request.Request, float], Response]


def _open(request: urllib.request.Request, timeout: float) -> Response:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            headers = {k.lower(): v for k, v in answer.headers.items()}
            return Response(answer.status, headers, answer.read())
    except urllib.error.HTTPError as error:
        headers = {k.lower(): v for k, v in (error.headers or {}).items()}
        try:
            body = error.read()
        except (OSError, http.client.HTTPException):
            body = b""
        return Response(error.code, headers, body)


_TRANSIENT = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)
"""A request that never got a whole answer: unreachable, timed out, dropped, cut short."""


@dataclass
class HttpClient:
    """Fetches pages one at a time, ``interval`` seconds apart at least."""

    user_agent: str
    interval: float = 3.0
    timeout: float = 60.0
    attempts: int = 5
    backoff: float = 2.0
    """Seconds before the second try when the server says nothing; doubled each try, up to
    a minute."""
    clock: Clock = field(default_factory=RealClock)
    opener: Opener = _open
    waits: list[float] = field(default_factory=list)
    """Every pause taken, in order: intervals, Retry-After and backoff (for the report)."""
    requests: int = 0
    _next_at: float | None = None

    def get(self, url: str, *, where: str, check: Callable[[bytes], T]) -> tuple[bytes, T]:
        """The body at ``url`` and what ``check`` makes of it; ``where`` names the page in
        the one line a failure gives (source, window, page)."""
        problem = ""
        for attempt in range(1, self.attempts + 1):
            self._wait_turn()
            self.requests += 1
            request = urllib.request.Request(
                url, headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip"}
            )
            pause: float | None = None
            try:
                response = self.opener(request, self.timeout)
            except _TRANSIENT as exc:
                problem = f"could not reach {url} ({_reason(exc)})"
            else:
                if response.status == 200:
                    try:
                        body = _decoded(response)
                        return body, check(body)
                    except Malformed as exc:
                        problem = f"the page is malformed ({exc})"
                    except Refused as exc:
                        raise FetchError(f"{where}: {exc}") from None
                elif response.status in (429, 503) or response.status >= 500:
                    problem = f"{url} answered HTTP {response.status}"
                    pause = self._retry_after(response, where)
                else:
                    raise FetchError(
                        f"{where}: {url} answered HTTP {response.status}"
                        f"{_said(response.body)}; check the source's spelling and its endpoint"
                    )
            if attempt < self.attempts:
                self._pause(pause if pause is not None else self._backoff(attempt))
        raise FetchError(
            f"{where}: {problem} (tried {self.attempts} times); nothing of this page was "
            "stored, the pages before it are kept: run again to resume from it"
        )

    def _wait_turn(self) -> None:
        now = self.clock.monotonic()
        if self._next_at is not None and now < self._next_at:
            self._sleep(self._next_at - now)
        self._next_at = self.clock.monotonic() + self.interval

    def _pause(self, seconds: float) -> None:
        """Wait at least ``seconds`` before the next request (and never less than the
        interval after the last one)."""
        self._next_at = max(self._next_at or 0.0, self.clock.monotonic() + seconds)

    def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        return min(60.0, self.backoff * 2 ** (attempt - 1))

    def _retry_after(self, response: Response, where: str) -> float | None:
        value = response.headers.get("retry-after")
        if value is None:
            return None
        seconds = retry_after_seconds(value, self.clock.now())
        if seconds is None:
            return None
        if seconds > MAX_RETRY_AFTER:
            raise FetchError(
                f"{where}: the server asks to wait {seconds:.0f} s (HTTP {response.status} "
                "Retry-After); nothing of this page was stored: run again later to resume"
            )
        return seconds


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """A Retry-After header in seconds: a number of seconds or an HTTP date."""
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _decoded(response: Response) -> bytes:
    if response.headers.get("content-encoding", "").lower() == "gzip":
        try:
            return gzip.decompress(response.body)
        except (OSError, EOFError, zlib.error) as exc:
            raise Malformed(f"its gzip body is cut short ({exc})") from None
    return response.body


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc) or type(exc).__name__


def _said(body: bytes) -> str:
    text = " ".join(body[:300].decode("utf-8", "replace").split())
    return f": {text}" if text else ""
