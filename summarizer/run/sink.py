"""Where finished work goes: journal first (for paid results), then DuckDB in batches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa

from summarizer.core.calls import CallRecord
from summarizer.core.results import Extraction, Failure
from summarizer.run.journal import Journal
from summarizer.store.store import Store
from summarizer.store.tables import extractions_table


@dataclass
class Spend:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ResultSink:
    """Buffers results, failures and call records; ``flush`` commits them in one transaction."""

    store: Store
    journal: Journal | None = None
    flush_every: int = 500
    flush_seconds: float = 2.0
    spend: Spend = field(default_factory=Spend)
    results: list[Extraction] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    current: list[tuple[str, str]] = field(default_factory=list)
    repoint: set[str] = field(default_factory=set)
    tables: list[pa.Table] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)

    def recover(self) -> int:
        """Commit what a killed run journaled but never stored; returns the results recovered."""
        if self.journal is None:
            return 0
        pending = self.journal.pending()
        recovered = [item for item in pending if isinstance(item, Extraction)]
        self.store.save(
            recovered,
            [item for item in pending if isinstance(item, Failure)],
            [(r.paper_id, r.cache_key) for r in recovered],
            [item for item in pending if isinstance(item, CallRecord)],
        )
        self.journal.clear()
        return len(recovered)

    def add_result(self, result: Extraction) -> None:
        if self.journal is not None:
            self.journal.append("result", result)
        self.results.append(result)
        self._repoint_if_waiting(result.paper_id, result.cache_key)
        self._maybe_flush()

    def add_table(self, table: pa.Table) -> None:
        """Results already laid out as an extractions table (from worker processes)."""
        self.tables.append(table)
        if self.repoint:
            for paper_id, key in zip(
                table.column("paper_id").to_pylist(),
                table.column("cache_key").to_pylist(),
                strict=True,
            ):
                self._repoint_if_waiting(paper_id, key)
        self._maybe_flush()

    def add_failure(self, failure: Failure) -> None:
        if failure.stage == "extract":
            self.repoint.discard(failure.paper_id or "")
            if self.journal is not None:
                self.journal.append("failure", failure)
        self.failures.append(failure)
        self._maybe_flush()

    def add_call(self, record: CallRecord) -> None:
        if self.journal is not None:
            self.journal.append("call", record)
        self.calls.append(record)
        self.spend.calls += 1
        self.spend.prompt_tokens += record.prompt_tokens
        self.spend.completion_tokens += record.completion_tokens
        self.spend.cached_tokens += record.cached_tokens
        self.spend.cost_usd += record.cost_usd

    def point_current(self, pairs: list[tuple[str, str]]) -> None:
        """Make these (paper_id, cache_key) results current at the next flush."""
        self.current.extend(pairs)

    def point_on_success(self, paper_ids: set[str]) -> None:
        """These stored papers point at another result; repoint each once its new one lands.

        Papers stored by this run already point at the result it is producing, so they need
        no update at all; that keeps a long run from rewriting a growing table.
        """
        self.repoint |= paper_ids

    def _repoint_if_waiting(self, paper_id: str, cache_key: str) -> None:
        if paper_id in self.repoint:
            self.repoint.discard(paper_id)
            self.current.append((paper_id, cache_key))

    def _maybe_flush(self) -> None:
        due = time.monotonic() - self._last_flush >= self.flush_seconds
        buffered = len(self.results) + len(self.failures) + sum(t.num_rows for t in self.tables)
        if buffered >= self.flush_every or due:
            self.flush()

    def flush(self) -> None:
        if self.results or self.failures or self.calls or self.current or self.tables:
            tables = self.tables + ([extractions_table(self.results)] if self.results else [])
            combined = pa.concat_tables(tables) if tables else ()
            self.store.save(combined, self.failures, self.current, self.calls)
            self.results, self.failures, self.calls, self.current = [], [], [], []
            self.tables = []
        if self.journal is not None:
            self.journal.clear()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        self.flush()
        if self.journal is not None:
            self.journal.close()
