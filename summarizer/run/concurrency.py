"""How many calls to keep in flight, and how long to wait for each: learned from the server.

Some servers answer one request at a time, so every extra request in flight only waits in
their queue, and a client that times out and resends keeps the queue full for ever. The
limit here follows additive increase, multiplicative decrease: it halves on a timeout, and
(on a local server, where our own requests are the load) when latency climbs well above
the best seen; while latency holds it doubles each round of answers until the first
back-off (slow start), then grows by one per round. When a rate limit is known, slow
start does not have to find the number by doubling: a run at the limit keeps
rate × latency calls in flight (Little's law), so once an answer shows the latency
holding with more than one call in flight (or on a hosted server, at once) the limit
rises to that number with headroom, within the ceiling. The timeout
follows the observed latency (a multiple of the recent 95th percentile, within bounds)
unless the user fixed it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

TIMEOUT_FLOOR = 30.0
TIMEOUT_CEILING = 600.0
FIRST_TIMEOUT = 120.0
"""Before any answer is seen: generous, since a local server may be loading its model."""
TIMEOUT_MULTIPLE = 4.0
QUEUE_SHARE = 0.6
"""A call that started with k in flight and took longer than the best seen times
1 + QUEUE_SHARE * (k - 1) waited in a queue: a server that answers one at a time makes
latency grow in step with the calls in flight, one that works in parallel does not."""
STEADY = 1.25
"""Latency within this multiple of the best seen holds: the limit may grow."""
WINDOW = 50
PACE_HEADROOM = 1.5
"""Calls in flight allowed per call the rate limit needs (rate × latency): latency varies."""

Pace = Callable[[], float | None]
"""Requests per second the rate limits allow, or None when no limit is known."""


class FlightControl:
    """Shared by every request of a run; all methods are called from one event loop."""

    def __init__(
        self,
        ceiling: int,
        *,
        local: bool,
        timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        pace: Pace | None = None,
    ) -> None:
        self.ceiling = max(1, ceiling)
        self.local = local
        self.limit = float(min(self.ceiling, 2) if local else self.ceiling)
        self.in_flight = 0
        self.fixed_timeout = timeout
        self.timeouts = 0
        self._clock = clock
        self._pace = pace
        self._latencies: deque[float] = deque(maxlen=WINDOW)
        self._best: float | None = None
        self._last_decrease = float("-inf")
        self._slow_start = True
        self._changed = asyncio.Condition()

    @property
    def allowed(self) -> int:
        return max(1, int(self.limit))

    @property
    def timeout(self) -> float:
        if self.fixed_timeout is not None:
            return self.fixed_timeout
        if len(self._latencies) < 3:
            return FIRST_TIMEOUT
        ordered = sorted(self._latencies)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return min(TIMEOUT_CEILING, max(TIMEOUT_FLOOR, TIMEOUT_MULTIPLE * p95))

    async def acquire(self) -> int:
        """Wait for room under the limit; returns the calls in flight, this one included."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.allowed)
            self.in_flight += 1
            return self.in_flight

    async def release(self) -> None:
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

    async def settle_after_timeout(self, level: int) -> None:
        """A timed-out call is resent only once fewer calls are in flight than when it was
        abandoned: the server is still working on the abandoned copy."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < max(1, level - 1))

    def answered(self, latency: float, level: int) -> None:
        """A call that started with ``level`` calls in flight was answered after ``latency`` s."""
        self._latencies.append(latency)
        best = self._best = latency if self._best is None else min(self._best, latency)
        queued = best * (1 + QUEUE_SHARE * (level - 1))
        if self.local and level > 1 and latency > queued:
            self._decrease()
        elif latency <= max(queued, STEADY * best):
            step = 1.0 if self._slow_start else 1.0 / self.limit
            self.limit = min(float(self.ceiling), self.limit + step)
            if self._slow_start and (level > 1 or not self.local):
                self._match_pace(latency)

    def _match_pace(self, latency: float) -> None:
        """Rise at once to the calls in flight a known rate limit needs at this latency."""
        rate = self._pace() if self._pace is not None else None
        if rate:
            needed = math.ceil(rate * latency * PACE_HEADROOM) + 1
            self.limit = max(self.limit, float(min(self.ceiling, needed)))

    def timed_out(self) -> None:
        self.timeouts += 1
        self._decrease(force=True)

    def _decrease(self, *, force: bool = False) -> None:
        """Halve the limit, at most once per typical answer time (one round of replies)."""
        now = self._clock()
        spacing = self._best or 0.0
        if force or now - self._last_decrease >= spacing:
            self.limit = max(1.0, self.limit / 2)
            self._last_decrease = now
            self._slow_start = False
