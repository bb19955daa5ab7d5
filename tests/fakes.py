"""In-memory backends for pipeline tests: they count calls and can be told to fail."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from summarizer.backends import Backend, BackendSettings, Capabilities
from summarizer.core.identity import CacheIdentity
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
        super().__init__(settings)
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
