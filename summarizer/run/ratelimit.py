"""Client-side request and token budgets, so a run goes at the provider's limit, not into it.

Two token buckets (requests/minute, tokens/minute) refill continuously. A
request goes as soon as neither bucket is in debt, and pays its full amount
(which may leave the bucket owing): the first request of a run goes at once,
and the ones after it follow at exactly the limit's pace, with no warm-up and
no opening burst. A bucket banks at most ``CATCH_UP_SECONDS`` of unused rate,
enough to make up for a late wake-up of the event loop, never enough to pass a
provider that counts its limit per second (as OpenAI does: "60,000 RPM may be
enforced as 1,000 requests per second").

The provider's own view, from ``x-ratelimit-*`` headers and ``Retry-After``,
corrects ours on the fly: the buckets never hold more than the provider says
remains, limits we were not told are learned from the headers, and a 429
pauses every request until the provider's retry time, with nothing banked
while paused (a burst when the pause ends would only be refused again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

Clock = Callable[[], float]
"""Seconds on a monotonic scale; ``time.monotonic`` unless a test drives time itself."""
Sleep = Callable[[float], Awaitable[None]]
"""Waits that many seconds of the clock; ``asyncio.sleep`` unless a test drives time itself."""

SAFETY = 0.98
"""Aim slightly under the limit: clocks and windows never line up exactly."""
CATCH_UP_SECONDS = 1.0 - SAFETY
"""Unused rate a bucket may bank, in seconds of its rate. A request sent late (the event
loop was busy) lets the next ones make up for it, by at most this much: within a
one-second window, ``SAFETY`` of the limit plus this catch-up stays under the limit."""


class TokenBucket:
    """A continuously refilling budget of ``per_minute`` units.

    ``level`` is what may be spent now: a request goes when it is not negative and pays
    its whole amount, so a fresh bucket lets the first request through at once and
    paces the rest at the rate. It never banks more than ``capacity``.
    """

    def __init__(self, per_minute: float | None, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self.per_minute: float | None = None
        self.level = 0.0
        self.updated = clock()
        self.last = 1.0
        """The last amount paid: what the next request will likely cost."""
        self.set_rate(per_minute)

    def set_rate(self, per_minute: float | None) -> None:
        self._refill()
        self.per_minute = per_minute * SAFETY if per_minute else None
        self.level = min(self.level, self.capacity)

    @property
    def rate(self) -> float:
        return (self.per_minute or 0.0) / 60.0

    @property
    def capacity(self) -> float:
        return self.rate * CATCH_UP_SECONDS

    def _refill(self) -> None:
        now = self._clock()
        if now <= self.updated:
            return  # held (see hold_until): nothing accrues before then
        if self.per_minute:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, amount: float = 1.0) -> float:
        """Seconds until a request may go: until the bucket is out of debt (and held no more).

        ``amount`` does not change the wait; the request pays it when it goes."""
        if not self.per_minute:
            return 0.0
        self._refill()
        held = max(0.0, self.updated - self._clock())
        return held + max(0.0, -self.level / self.rate)

    def take(self, amount: float) -> None:
        if self.per_minute:
            self._refill()
            self.level -= amount
            self.last = amount

    def hold_until(self, until: float) -> None:
        """Bank nothing before ``until``: the provider said its window is full till then.
        A debt is still paid off meanwhile; no surplus builds up for a burst after it."""
        if self.per_minute and until > self.updated:
            self._refill()
            self.level = min(0.0, self.level + (until - self.updated) * self.rate)
            self.updated = until

    def cap(self, remaining: float) -> None:
        """Trust the provider: we bank no more than it says is left. At ``remaining`` 0 the
        next request still goes at our own pace rather than a whole interval later: in a
        provider's rolling window a slot frees every 1/rate, and waiting out one more
        interval on every such answer cost 3 % of the limit. A provider that is truly full
        answers 429, which pauses everything (:meth:`RateLimiter.pause`)."""
        if self.per_minute:
            self._refill()
            self.level = min(self.level, remaining)


class Limiter(Protocol):
    """What the engine asks of a rate limiter: this process's :class:`RateLimiter`, or a
    proxy to the one a whole cluster shares (``summarizer.run.ray_tasks.RemoteLimiter``)."""

    def request_rate(self) -> float | None: ...

    async def acquire(self, tokens: float) -> None: ...

    def pause(self, seconds: float) -> None: ...

    def observe(self, headers: Mapping[str, str]) -> None: ...


class _Budgets:
    """A request bucket and a token bucket, corrected by what the provider says."""

    def __init__(self, rpm: float | None, tpm: float | None, clock: Clock) -> None:
        self._clock = clock
        self.requests = TokenBucket(rpm, clock=clock)
        self.tokens = TokenBucket(tpm, clock=clock)
        self._configured = (rpm is not None, tpm is not None)
        self._paused_until = 0.0

    def request_rate(self) -> float | None:
        """Requests per second the budgets allow at the last request's size, if any is known."""
        rates = [self.requests.rate] if self.requests.per_minute else []
        if self.tokens.per_minute:
            rates.append(self.tokens.rate / max(1.0, self.tokens.last))
        return min(rates) if rates else None

    def pause(self, seconds: float) -> None:
        """A 429 said to wait: hold every request, not just the one that was refused, and
        bank no budget meanwhile (the provider's window was full, not idle)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self.requests.hold_until(self._paused_until)
        self.tokens.hold_until(self._paused_until)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn limits and remaining budget from ``x-ratelimit-*`` response headers."""
        for bucket, kind, configured in (
            (self.requests, "requests", self._configured[0]),
            (self.tokens, "tokens", self._configured[1]),
        ):
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            if limit and not configured and bucket.per_minute != limit * SAFETY:
                bucket.set_rate(limit)
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if remaining is not None:
                bucket.cap(remaining)

    def _delay(self, tokens: float) -> float:
        return max(
            self._paused_until - self._clock(),
            self.requests.wait_time(1),
            self.tokens.wait_time(tokens),
        )


class SharedBudget(_Budgets):
    """The budgets of a whole cluster, held in one place (a Ray actor) and handed out by
    reservation: each request is given its own slot, ``reserve`` returns how long to wait
    for it, and the caller sleeps on its side. Slots follow one another at the limit's
    pace whichever worker asks, so n workers together send what one would.

    Synchronous on purpose: an actor runs one call at a time, so no lock is needed.
    """

    def __init__(
        self, rpm: float | None = None, tpm: float | None = None, *, clock: Clock = time.monotonic
    ) -> None:
        super().__init__(rpm, tpm, clock)
        self.reserved = 0

    def reserve(self, tokens: float) -> tuple[float, float | None]:
        """Book the next slot for a request of about ``tokens``: (seconds until it, the
        request rate now known, for the caller's flight control)."""
        delay = max(0.0, self._delay(tokens))
        self.requests.take(1)
        self.tokens.take(tokens)
        self.reserved += 1
        return delay, self.request_rate()

    def held(self) -> float:
        """Seconds a 429 still holds everyone (asked once a booked slot comes up)."""
        return max(0.0, self._paused_until - self._clock())


class RateLimiter(_Budgets):
    """Shared by every request of a run; all methods are called from one event loop.

    ``clock`` and ``sleep`` must agree (sleeping ``s`` advances the clock by ``s``); the
    defaults are the real monotonic clock and ``asyncio.sleep``.
    """

    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(rpm, tpm, clock)
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self.waited = 0.0

    async def acquire(self, tokens: float) -> None:
        """Wait until one request of about ``tokens`` tokens fits both budgets, then pay."""
        async with self._lock:
            while True:
                delay = self._delay(tokens)
                if delay <= 0:
                    self.requests.take(1)
                    self.tokens.take(tokens)
                    return
                self.waited += delay
                await self._sleep(delay)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
