"""Where finished work goes: journal first (for paid results), then DuckDB in batches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from summarizer.store.current import Repointing
from summarizer.store.store import Store

if TYPE_CHECKING:
    import pyarrow as pa

    from summarizer.core.calls import CallRecord
    from summarizer.core.results import Extraction, Failure
    from summarizer.run.journal import Journal

# pyarrow and the row specs load with the first flush that writes: a cached re-run has none.


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

    def add(self, record: CallRecord) -> None:
        """Count one call's tokens and cost."""
        self.calls += 1
        self.prompt_tokens += record.prompt_tokens
        self.completion_tokens += record.completion_tokens
        self.cached_tokens += record.cached_tokens
        self.cost_usd += record.cost_usd


@dataclass
class ResultSink:
    """Buffers results, failures and call records; ``flush`` commits them in one transaction,
    together with the pointer changes (:class:`~summarizer.store.current.Repointing`) that
    make the new results current."""

    store: Store
    journal: Journal | None = None
    flush_every: int = 500
    flush_seconds: float = 2.0
    spend: Spend = field(default_factory=Spend)
    results: list[Extraction] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    pointers: Repointing = field(default_factory=Repointing)
    tables: list[pa.Table] = field(default_factory=list)
    replace: bool = False
    """A --refresh run: new results overwrite stored ones with the same cache key."""
    extracted: int = 0
    failed: int = 0
    """Papers this run extracted or failed to: counted as they arrive, so a run stopped by
    Ctrl-C reports exactly what it stored."""
    _last_flush: float = field(default_factory=time.monotonic)

    def recover(self) -> int:
        """Commit what a killed run journaled but never stored; returns the results recovered."""
        if self.journal is None:
            return 0
        pending = self.journal.pending()
        if pending:
            results = pending.results
            pairs = zip(
                results.column("paper_id").to_pylist(),
                results.column("cache_key").to_pylist(),
                strict=True,
            )
            self.store.save(results, pending.failures, list(pairs), pending.calls)
        self.journal.clear()
        return pending.results.num_rows

    def add_result(self, result: Extraction) -> None:
        if self.journal is not None:
            self.journal.append("result", result)
        self.results.append(result)
        self.extracted += 1
        self.pointers.landed(result.paper_id, result.cache_key)
        self._maybe_flush()

    def add_table(self, table: pa.Table) -> None:
        """Results already laid out as an extractions table (from worker processes)."""
        self.tables.append(table)
        self.extracted += table.num_rows
        if self.pointers.waiting:
            for paper_id, key in zip(
                table.column("paper_id").to_pylist(),
                table.column("cache_key").to_pylist(),
                strict=True,
            ):
                self.pointers.landed(paper_id, key)
        self._maybe_flush()

    def add_failure(self, failure: Failure) -> None:
        if failure.stage == "extract":
            self.failed += 1
            self.pointers.failed(failure.paper_id)
            if self.journal is not None:
                self.journal.append("failure", failure)
        self.failures.append(failure)
        self._maybe_flush()

    def add_call(self, record: CallRecord) -> None:
        if self.journal is not None:
            self.journal.append("call", record)
        self.calls.append(record)
        self.spend.add(record)

    def _maybe_flush(self) -> None:
        due = time.monotonic() - self._last_flush >= self.flush_seconds
        buffered = len(self.results) + len(self.failures) + sum(t.num_rows for t in self.tables)
        if buffered >= self.flush_every or due:
            self.flush()

    def flush(self) -> None:
        if self.results or self.failures or self.calls or self.pointers or self.tables:
            import pyarrow as pa

            from summarizer.store.columns import EXTRACTIONS

            tables = self.tables + ([EXTRACTIONS.arrow(self.results)] if self.results else [])
            combined = pa.concat_tables(tables) if tables else ()
            self.store.save(
                combined, self.failures, self.pointers.drain(), self.calls, replace=self.replace
            )
            self.results, self.failures, self.calls = [], [], []
            self.tables = []
        if self.journal is not None:
            self.journal.clear()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        try:
            self.flush()
        finally:  # a failed flush leaves the journal on disk for the next run, closed
            if self.journal is not None:
                self.journal.close()
