"""In-memory fakes for tests: backends that count calls and can be told to fail, and a clock
that moves only when slept on."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import ClassVar

from summarizer.backends.base import Backend, BackendSettings, CacheIdentity, Capabilities
from summarizer.core.paper import Paper
from summarizer.core.schema import ModelSize, Summary


class CountingBackend(Backend):
    """Returns a small summary per paper and remembers how often each paper was asked for."""

    name = "counting"
    capabilities = Capabilities()
    calls: ClassVar[Counter[str]] = Counter()
    fail_titles: ClassVar[set[str]] = set()
    model_name: ClassVar[str] = "count-1"

    def __init__(self, settings: BackendSettings | None = None) -> None:
        self._identity = CacheIdentity(backend=self.name, model=self.model_name)

    @property
    def identity(self) -> CacheIdentity:
        return self._identity

    def extract(self, paper: Paper) -> Summary:
        CountingBackend.calls[paper.content_hash] += 1
        if paper.title in self.fail_titles:
            raise ValueError(f"cannot summarise {paper.title}")
        summary = Summary.empty()
        summary.task = paper.title
        first_word = paper.abstract.split()[0]
        summary.model_sizes = [ModelSize(text="7B", params=7e9, vague=False, evidence=first_word)]
        return summary

    @classmethod
    def reset(cls) -> None:
        cls.calls = Counter()
        cls.fail_titles = set()
        cls.model_name = "count-1"


class ParallelCountingBackend(CountingBackend):
    """The same, but fanned out over worker processes like ``rules`` (calls are not counted
    across processes; check the database instead)."""

    name = "counting-parallel"
    capabilities = Capabilities(parallel=True)


class FakeClock:
    """Time that moves only when advanced or slept on, so timing tests are exact and instant.

    Call it for the time; pass ``clock.sleep`` wherever an ``asyncio.sleep`` is expected.
    Like a real clock, every sleep moves time on by at least one tick (a nanosecond), so a
    loop that re-checks after a rounding-sized wait always makes progress.
    """

    TICK = 1e-9

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, self.TICK)
        await asyncio.sleep(0)  # still yield to other tasks, as a real sleep does
