"""Token buckets and header adaptation: the pace a run keeps against a provider."""

from __future__ import annotations

import asyncio
import time

import pytest

from summarizer.run.ratelimit import SAFETY, RateLimiter, TokenBucket
from summarizer.text.numbers import parse_duration


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


def test_bucket_refills_at_the_configured_rate() -> None:
    bucket = TokenBucket(600)  # 10 per second, under SAFETY
    assert bucket.wait_time(1) == pytest.approx(1 / (10 * SAFETY), rel=0.05)
    bucket.level = bucket.capacity
    bucket.take(bucket.capacity)
    assert bucket.wait_time(2) == pytest.approx(2 / (10 * SAFETY), rel=0.05)


def test_unlimited_bucket_never_waits() -> None:
    assert TokenBucket(None).wait_time(10**9) == 0.0


def test_acquire_paces_requests() -> None:
    limiter = RateLimiter(rpm=1200)  # ~20/s

    async def burst() -> float:
        started = time.perf_counter()
        for _ in range(10):
            await limiter.acquire(1)
        return time.perf_counter() - started

    elapsed = asyncio.run(burst())
    assert 0.4 <= elapsed <= 1.0


def test_headers_teach_the_limit_and_cap_the_budget() -> None:
    limiter = RateLimiter()
    limiter.observe({"x-ratelimit-limit-requests": "600", "x-ratelimit-limit-tokens": "60000"})
    assert limiter.requests.per_minute == pytest.approx(600 * SAFETY)
    assert limiter.tokens.per_minute == pytest.approx(60000 * SAFETY)
    limiter.requests.level = limiter.requests.capacity
    limiter.observe({"x-ratelimit-remaining-requests": "0"})
    assert limiter.requests.wait_time(1) > 0


def test_configured_limit_is_not_overridden_by_headers() -> None:
    limiter = RateLimiter(rpm=60)
    limiter.observe({"x-ratelimit-limit-requests": "100000"})
    assert limiter.requests.per_minute == pytest.approx(60 * SAFETY)


def test_pause_holds_every_request() -> None:
    limiter = RateLimiter()
    limiter.pause(0.3)

    async def one() -> float:
        started = time.perf_counter()
        await limiter.acquire(1)
        return time.perf_counter() - started

    assert asyncio.run(one()) >= 0.29
