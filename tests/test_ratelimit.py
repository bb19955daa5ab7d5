"""Token buckets and header adaptation: the pace a run keeps against a provider.

Every limiter here runs on a :class:`~tests.fakes.FakeClock`, so waits are exact and instant.
"""

from __future__ import annotations

import asyncio

import pytest

from summarizer.run.ratelimit import CATCH_UP_SECONDS, SAFETY, RateLimiter, TokenBucket
from summarizer.text.numbers import parse_duration
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def limiter_on(clock: FakeClock, rpm: float | None = None, tpm: float | None = None) -> RateLimiter:
    return RateLimiter(rpm, tpm, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("250ms", 0.25),
        ("1h2m3s", 3723.0),
        ("0.5", 0.5),
        ("bad", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_bucket_lets_the_first_request_through_at_once_then_paces(clock: FakeClock) -> None:
    bucket = TokenBucket(600, clock=clock)  # 10 per second, under SAFETY
    rate = 10 * SAFETY
    assert bucket.wait_time() == 0  # no warm-up: the first request goes at once
    bucket.take(1)
    assert bucket.wait_time() == pytest.approx(1 / rate)  # ...and the next one interval on
    clock.advance(0.05)
    assert bucket.wait_time() == pytest.approx(1 / rate - 0.05)
    clock.advance(3600)  # an idle hour banks only the catch-up allowance: no burst
    assert bucket.wait_time() == 0
    assert bucket.level == pytest.approx(rate * CATCH_UP_SECONDS)
    bucket.take(2)
    assert bucket.wait_time() == pytest.approx((2 - rate * CATCH_UP_SECONDS) / rate)


def test_a_large_request_goes_when_the_bucket_is_out_of_debt_and_owes_the_rest(
    clock: FakeClock,
) -> None:
    bucket = TokenBucket(600, clock=clock)
    assert bucket.wait_time(100) == 0
    bucket.take(100)
    assert bucket.wait_time(1) == pytest.approx(100 / bucket.rate)


def test_unlimited_bucket_never_waits(clock: FakeClock) -> None:
    assert TokenBucket(None, clock=clock).wait_time(10**9) == 0.0


def test_acquire_paces_requests(clock: FakeClock) -> None:
    limiter = limiter_on(clock, rpm=1200)  # 19.6 per second under SAFETY
    start = clock()

    async def burst() -> list[float]:
        granted = []
        for _ in range(10):
            await limiter.acquire(1)
            granted.append(clock() - start)
        return granted

    interval = 60 / (1200 * SAFETY)
    # the first at once, then one interval apart: full rate from the start, no burst
    assert asyncio.run(burst()) == pytest.approx([interval * i for i in range(10)])
    assert limiter.waited == pytest.approx(9 * interval)


def test_acquire_waits_for_both_budgets(clock: FakeClock) -> None:
    limiter = limiter_on(clock, rpm=60_000, tpm=6000)  # requests plentiful, 98 tokens/s

    async def two() -> list[float]:
        granted = []
        for tokens in (49, 98):
            await limiter.acquire(tokens)
            granted.append(clock())
        return granted

    start = clock()
    first, second = asyncio.run(two())
    tokens_per_second = 6000 * SAFETY / 60
    assert first == start
    # requests are plentiful; the second waits until the first's 49 tokens are earned
    assert second - first == pytest.approx(49 / tokens_per_second)
    assert limiter.tokens.level == pytest.approx(-98)


def test_concurrent_requests_are_served_one_interval_apart(clock: FakeClock) -> None:
    limiter = limiter_on(clock, rpm=600)
    start = clock()
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire(1)
        granted.append(clock() - start)

    async def many() -> None:
        await asyncio.gather(*(one() for _ in range(5)))

    asyncio.run(many())
    interval = 60 / (600 * SAFETY)
    assert granted == pytest.approx([interval * i for i in range(5)])


def test_headers_teach_the_limit_and_cap_the_budget(clock: FakeClock) -> None:
    limiter = limiter_on(clock)
    limiter.observe({"x-ratelimit-limit-requests": "600", "x-ratelimit-limit-tokens": "60000"})
    assert limiter.requests.per_minute == pytest.approx(600 * SAFETY)
    assert limiter.tokens.per_minute == pytest.approx(60000 * SAFETY)
    assert limiter.requests.wait_time(1) == 0
    clock.advance(0.02)  # a little unused rate banked...
    assert limiter.requests.wait_time(1) == 0 and limiter.requests.level > 0
    limiter.observe({"x-ratelimit-remaining-requests": "0"})  # ...but the provider has no room
    assert limiter.requests.level == 0 and limiter.requests.wait_time(1) == 0
    limiter.requests.take(1)
    limiter.observe({"x-ratelimit-remaining-requests": "5"})  # room: our own pace again
    assert limiter.requests.wait_time(1) == pytest.approx(1 / (10 * SAFETY))


def test_configured_limit_is_not_overridden_by_headers(clock: FakeClock) -> None:
    limiter = limiter_on(clock, rpm=60)
    limiter.observe({"x-ratelimit-limit-requests": "100000"})
    assert limiter.requests.per_minute == pytest.approx(60 * SAFETY)


def test_pause_holds_every_request(clock: FakeClock) -> None:
    limiter = limiter_on(clock)
    start = clock()
    limiter.pause(0.3)
    limiter.pause(0.1)  # a shorter pause never cuts a longer one short
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire(1)
        granted.append(clock() - start)

    async def three() -> None:
        await asyncio.gather(one(), one(), one())

    asyncio.run(three())
    assert granted == pytest.approx([0.3, 0.3, 0.3])
    assert limiter.waited == pytest.approx(0.3)


def test_unpaused_unlimited_acquire_does_not_sleep(clock: FakeClock) -> None:
    limiter = limiter_on(clock)
    asyncio.run(limiter.acquire(10**6))
    assert clock.sleeps == [] and limiter.waited == 0


def test_default_clock_is_real_time() -> None:
    limiter = RateLimiter()
    limiter.pause(0.01)
    asyncio.run(limiter.acquire(1))  # sleeps on asyncio's clock; returns once it has passed
    assert limiter.waited > 0


def test_a_pause_banks_nothing_so_no_burst_follows_it(clock: FakeClock) -> None:
    limiter = limiter_on(clock, rpm=1200)  # 19.6 per second
    interval = 60 / (1200 * SAFETY)
    start = clock()
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire(1)
        granted.append(clock() - start)

    async def run() -> None:
        await one()
        limiter.pause(2.0)  # a 429: the provider's window is full for two seconds
        await asyncio.gather(*(one() for _ in range(4)))

    asyncio.run(run())
    # after the pause the pace resumes from an empty bucket: one interval apart, no burst
    assert granted == pytest.approx(
        [0, 2.0, 2.0 + interval, 2.0 + 2 * interval, 2.0 + 3 * interval]
    )


def test_request_rate_follows_the_binding_budget(clock: FakeClock) -> None:
    assert limiter_on(clock).request_rate() is None
    limiter = limiter_on(clock, rpm=6000, tpm=9_000_000)
    assert limiter.request_rate() == pytest.approx(100 * SAFETY)  # before any request: RPM
    asyncio.run(limiter.acquire(3000))
    assert limiter.request_rate() == pytest.approx(150_000 * SAFETY / 3000)  # TPM binds
