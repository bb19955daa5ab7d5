"""The flight limit adapts to the server (AIMD) and the timeout follows observed latency."""

from __future__ import annotations

import asyncio

from summarizer.run.concurrency import (
    FIRST_TIMEOUT,
    TIMEOUT_CEILING,
    TIMEOUT_FLOOR,
    FlightControl,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_local_server_starts_low_and_a_hosted_one_at_the_requested_concurrency() -> None:
    assert FlightControl(16, local=True).allowed == 2
    assert FlightControl(16, local=False).allowed == 16
    assert FlightControl(1, local=True).allowed == 1


def test_latency_that_climbs_with_concurrency_halves_the_limit_on_a_local_server() -> None:
    clock = Clock()
    flight = FlightControl(16, local=True, clock=clock)
    flight.limit = 8.0
    flight.answered(5.0, level=1)  # the best seen: one call, five seconds
    clock.now = 10.0
    flight.answered(10.0, level=2)  # waited behind another: queueing
    assert flight.allowed == 4
    flight.answered(10.5, level=2)  # the same round of answers: no second halving
    assert flight.allowed == 4
    clock.now = 20.0
    flight.answered(15.0, level=3)
    assert flight.allowed == 2


def test_latency_that_holds_doubles_the_limit_until_the_first_back_off() -> None:
    flight = FlightControl(64, local=True)
    for _ in range(2):  # a round at limit 2 is two answers: slow start doubles it
        flight.answered(1.0, level=2)
    assert flight.allowed == 4
    for _ in range(4):
        flight.answered(1.0, level=4)
    assert flight.allowed == 8
    flight.timed_out()
    assert flight.allowed == 4


def test_after_a_back_off_the_limit_grows_by_one_per_round() -> None:
    flight = FlightControl(16, local=True)
    flight.timed_out()  # ends slow start (2 -> 1)
    answers = 0
    while flight.allowed == 1:
        flight.answered(1.0, level=1)
        answers += 1
    assert (flight.allowed, answers) == (2, 1)
    while flight.allowed == 2:  # each answer adds 1/limit: about one per round of answers
        flight.answered(1.0, level=2)
        answers += 1
    assert (flight.allowed, answers) == (3, 4)
    for _ in range(1000):
        flight.answered(1.0, level=3)
    assert flight.allowed == 16  # never past the ceiling


def test_a_hosted_server_backs_off_only_on_timeouts() -> None:
    flight = FlightControl(16, local=False)
    flight.answered(1.0, level=16)
    flight.answered(9.0, level=16)  # slow answers from a big provider are not our load
    assert flight.allowed == 16
    flight.timed_out()
    assert flight.allowed == 8 and flight.timeouts == 1


def test_the_timeout_follows_the_recent_p95_within_bounds() -> None:
    flight = FlightControl(4, local=True)
    assert flight.timeout == FIRST_TIMEOUT
    for latency in [2.0] * 19 + [20.0]:
        flight.answered(latency, level=1)
    assert flight.timeout == 4 * 20.0
    quick = FlightControl(4, local=True)
    for _ in range(10):
        quick.answered(0.1, level=1)
    assert quick.timeout == TIMEOUT_FLOOR
    slow = FlightControl(4, local=True)
    for _ in range(10):
        slow.answered(400.0, level=1)
    assert slow.timeout == TIMEOUT_CEILING
    assert FlightControl(4, local=True, timeout=7.0).timeout == 7.0  # --timeout wins


def test_calls_wait_for_room_and_a_timed_out_call_waits_for_the_flight_to_drop() -> None:
    async def scenario() -> list[str]:
        flight = FlightControl(2, local=True)
        events: list[str] = []
        assert await flight.acquire() == 1
        assert await flight.acquire() == 2

        async def third() -> None:
            await flight.acquire()
            events.append("third started")

        waiting = asyncio.create_task(third())
        await asyncio.sleep(0)
        assert events == []  # no room: two in flight, limit two
        await flight.release()  # the first call answered
        await asyncio.sleep(0)
        assert events == ["third started"]

        # the second call times out with two in flight; its retry must wait until the
        # number in flight has dropped below what it was
        await flight.release()
        flight.timed_out()

        async def retry() -> None:
            await flight.settle_after_timeout(level=2)
            events.append("retry may go")

        resend = asyncio.create_task(retry())
        await asyncio.sleep(0)
        assert events[-1] == "third started"
        await flight.release()  # the third call answers: nothing is in flight now
        await asyncio.sleep(0)
        await asyncio.gather(waiting, resend)
        return events

    assert asyncio.run(scenario())[-1] == "retry may go"


def test_a_known_rate_limit_sets_the_flight_to_rate_times_latency_at_once() -> None:
    # 20 requests/s at 0.3 s each needs 6 in flight; with headroom 10, within the ceiling
    flight = FlightControl(32, local=True, pace=lambda: 20.0)
    flight.answered(0.3, level=1)  # one call alone proves nothing about parallel service
    assert flight.allowed == 3
    flight.answered(0.3, level=2)  # two at once, latency held: the server works in parallel
    assert flight.allowed == 10
    hosted = FlightControl(32, local=False, pace=lambda: 200.0)
    assert hosted.allowed == 32
    hosted.answered(1.0, level=1)
    assert hosted.allowed == 32  # never above the ceiling


def test_a_serial_server_is_not_flooded_by_a_known_rate_limit() -> None:
    flight = FlightControl(16, local=True, pace=lambda: 20.0)
    flight.answered(5.0, level=1)
    flight.answered(10.0, level=2)  # queued behind the first: no jump, a back-off
    assert flight.allowed == 1


def test_without_a_known_rate_slow_start_doubles_as_before() -> None:
    flight = FlightControl(64, local=True, pace=lambda: None)
    for _ in range(2):
        flight.answered(1.0, level=2)
    assert flight.allowed == 4
