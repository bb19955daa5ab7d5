"""Client-side request and token budgets, so a run goes at the provider's limit, not into it.

Two token buckets (requests/minute, tokens/minute) refill continuously. A
request waits until both can pay for it. The provider's own view, from
``x-ratelimit-*`` headers and ``Retry-After``, corrects ours on the fly: the
buckets never hold more than the provider says remains, limits we were not
told are learned from the headers, and a 429 pauses every request until the
provider's retry time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

Clock = Callable[[], float]
"""Seconds on a monotonic scale; ``time.monotonic`` unless a test drives time itself."""
Sleep = Callable[[float], Awaitable[None]]
"""Waits that many seconds of the clock; ``asyncio.sleep`` unless a test drives time itself."""

SAFETY = 0.98
"""Aim slightly under the limit: clocks and windows never line up exactly."""
BURST_SECONDS = 0.5


class TokenBucket:
    """A continuously refilling budget of ``per_minute`` units, with a one-second burst."""

    def __init__(self, per_minute: float | None, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self.per_minute: float | None = None
        self.level = 0.0
        self.updated = clock()
        self.set_rate(per_minute)

    def set_rate(self, per_minute: float | None) -> None:
        self._refill()
        self.per_minute = per_minute * SAFETY if per_minute else None
        self.level = min(self.level, self.capacity)  # start empty: no opening burst

    @property
    def rate(self) -> float:
        return (self.per_minute or 0.0) / 60.0

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate * BURST_SECONDS)

    def _refill(self) -> None:
        now = self._clock()
        if self.per_minute:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` can be paid (an amount over capacity waits for a full bucket)."""
        if not self.per_minute:
            return 0.0
        self._refill()
        needed = min(amount, self.capacity) - self.level
        return max(0.0, needed / self.rate)

    def take(self, amount: float) -> None:
        if self.per_minute:
            self._refill()
            self.level -= amount

    def cap(self, remaining: float) -> None:
        """Trust the provider: we cannot hold more than it says is left."""
        if self.per_minute:
            self._refill()
            self.level = min(self.level, remaining)


class RateLimiter:
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
        self._clock = clock
        self._sleep = sleep
        self.requests = TokenBucket(rpm, clock=clock)
        self.tokens = TokenBucket(tpm, clock=clock)
        self._configured = (rpm is not None, tpm is not None)
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0

    async def acquire(self, tokens: float) -> None:
        """Wait until one request of about ``tokens`` tokens fits both budgets, then pay."""
        async with self._lock:
            while True:
                now = self._clock()
                delay = max(
                    self._paused_until - now,
                    self.requests.wait_time(1),
                    self.tokens.wait_time(tokens),
                )
                if delay <= 0:
                    self.requests.take(1)
                    self.tokens.take(tokens)
                    return
                self.waited += delay
                await self._sleep(delay)

    def pause(self, seconds: float) -> None:
        """A 429 said to wait: hold every request, not just the one that was refused."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

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


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
