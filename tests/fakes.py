"""In-memory fakes for tests: backends that count calls and can be told to fail, and a clock
that moves only when slept on."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from summarizer.backends import Backend, BackendSettings, Capabilities
from summarizer.core.identity import CacheIdentity
from summarizer.core.paper import Paper
from summarizer.core.schema import ModelSize, Result, Summary


@dataclass
class Ledger:
    """What fake backends of one test were asked for, and which papers they must fail."""

    calls: Counter[str] = field(default_factory=Counter)
    """Extraction requests per paper content hash."""
    fail_titles: set[str] = field(default_factory=set)
    """Papers with these titles raise instead of returning a summary."""


class CountingBackend(Backend):
    """Returns a small summary per paper and records every request in its ledger.

    Its model name comes from the settings, like a real backend's: built by name (the CLI,
    a worker process) that is ``SUMMARIZER_MODEL``, else ``count-1``.
    """

    name = "counting"
    capabilities = Capabilities()
    default_model = "count-1"

    def __init__(
        self, settings: BackendSettings | None = None, ledger: Ledger | None = None
    ) -> None:
        super().__init__(settings)
        model = (settings.model if settings else None) or self.default_model
        self.ledger = ledger if ledger is not None else Ledger()
        self._identity = CacheIdentity(backend=self.name, model=model)

    def with_model(self, model: str) -> Self:
        """The same fake, sharing this ledger, under another model name."""
        return type(self)(BackendSettings(model=model), self.ledger)

    @property
    def identity(self) -> CacheIdentity:
        return self._identity

    def extract(self, paper: Paper) -> Summary:
        self.ledger.calls[paper.content_hash] += 1
        if paper.title in self.ledger.fail_titles:
            raise ValueError(f"cannot summarise {paper.title}")
        summary = Summary.empty()
        summary.task = paper.title
        first_word = paper.abstract.split()[0]
        summary.model_sizes = [
            ModelSize(text="7B", params=7e9, vague=False, role="own", evidence=first_word)
        ]
        return summary


class ParallelCountingBackend(CountingBackend):
    """The same, but fanned out over worker processes like ``rules``. Each worker rebuilds it
    by name, with a ledger of its own: check the database, not the calls."""

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


def give_results(db: Path, results: Mapping[str, Sequence[Result]]) -> None:
    """Give the current extraction of each paper (by title) these results, stored as a backend
    that reports them would store them: grounded against the abstract, through ``Store.save``.
    (Tests choose the results; no run is logged.)"""
    from summarizer.core.identity import CacheIdentity
    from summarizer.core.results import Extraction
    from summarizer.grounding import ground
    from summarizer.store.columns import summary_of
    from summarizer.store.store import Store

    with Store(db) as store:
        with store.session() as con:
            cursor = con.execute(
                "SELECT e.*, p.abstract, p.title AS paper_title FROM extractions e "
                "JOIN paper_records p ON e.cache_key = p.current_key WHERE p.title IN "
                f"({', '.join('?' for _ in results)})",
                list(results),
            )
            names = [d[0] for d in cursor.description or []]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        assert {row["paper_title"] for row in rows} == set(results), "a title matched no paper"
        extractions = []
        for row in rows:
            summary = summary_of(row, row["abstract"]).model_copy(
                update={"results": list(results[row["paper_title"]])}
            )
            identity = CacheIdentity(
                row["backend"], row["model"], row["prompt_hash"] or "", row["schema_version"]
            )
            extractions.append(
                Extraction(
                    row["paper_id"], row["cache_key"], identity, ground(summary, row["abstract"])
                )
            )
        store.save(extractions, replace=True)


def rules_answerer_inventing_a_gain(abstract: str) -> dict[str, Any]:
    """The offline rules' answer plus, for an abstract that states a percentage, a gain of
    99.9% it never states: values for ``--strict-grounding`` to drop, however well the rules
    ground their own."""
    from summarizer.testing.fake_openai import rules_answerer

    answer = rules_answerer(abstract)
    if "%" in abstract:
        invented = {"metric": "accuracy", "value": 99.9, "unit": "%", "benchmark": None}
        invented |= {"baseline": None, "evidence": "improves accuracy by 99.9%"}
        answer["claimed_gains"] = [*answer["claimed_gains"], invented]
    return answer
