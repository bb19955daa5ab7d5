"""The row specs are the one definition of a stored row: DDL, Arrow, journal and inserts
all follow them, and which result is current is decided in one place."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from summarizer.backends.rules import extract_summary
from summarizer.core.calls import CallRecord
from summarizer.core.identity import CacheIdentity
from summarizer.core.results import Extraction, Failure, Usage
from summarizer.grounding import ground
from summarizer.run.journal import Journal, journal_path
from summarizer.run.sink import ResultSink
from summarizer.store.columns import (
    CALLS,
    EXTRACTIONS,
    FAILURES,
    TableSpec,
    duck_type,
    summary_of,
)
from summarizer.store.current import Repointing
from summarizer.store.store import Store

DATA = Path(__file__).resolve().parent / "data"
ABSTRACT = (
    "We present SoupMix, merging 7B models. It improves accuracy by 2.5%. "
    "Code: https://github.com/soup-lab/soupmix"
)


def extraction(key: str = "k1", paper_id: str = "p1") -> Extraction:
    grounded = ground(extract_summary("SoupMix", ABSTRACT), ABSTRACT)
    identity = CacheIdentity(backend="openai", model="m", prompt_hash="abc", params={"t": 0})
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    return Extraction(paper_id, key, identity, grounded, Usage(900, 120, 0, 0.0002), "ok", moment)


@pytest.mark.parametrize("spec", [EXTRACTIONS, FAILURES, CALLS], ids=lambda s: s.table)
def test_the_migrated_tables_are_exactly_the_specs(db_path: Path, spec: TableSpec[Any]) -> None:
    Store(db_path).close()
    con = duckdb.connect(str(db_path), read_only=True)
    stored = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
        "ORDER BY column_index",
        [spec.table],
    ).fetchall()
    unquoted = [(name, kind.replace('"', "")) for name, kind in stored]  # DuckDB quotes "text"
    assert unquoted == [(c.name, duck_type(c.arrow)) for c in spec.columns]


def test_a_journal_row_replays_to_the_same_arrow_row() -> None:
    item = extraction()
    replayed = EXTRACTIONS.from_rows([EXTRACTIONS.row(item)])
    assert replayed.equals(EXTRACTIONS.arrow([item]))


def test_a_stored_row_reads_back_as_the_summary_it_came_from(db_path: Path) -> None:
    item = extraction()
    with Store(db_path) as store:
        store.save([item])
        cursor = store.con.execute("SELECT * FROM extractions")
        names = [d[0] for d in cursor.description or []]
        row = dict(zip(names, cursor.fetchone() or (), strict=True))
    assert summary_of(row, ABSTRACT) == item.grounded.summary
    assert row["task_evidence"] is None  # kept as a span of the abstract


def test_inserts_match_columns_by_name_not_position(db_path: Path) -> None:
    table = EXTRACTIONS.arrow([extraction()])
    shuffled = table.select(list(reversed(table.column_names)))
    with Store(db_path) as store:
        store.save(shuffled)
        assert store.query("SELECT cache_key, paper_id, backend, model FROM extractions") == [
            ("k1", "p1", "openai", "m")
        ]


def test_a_journal_written_by_version_0_1_still_replays(db_path: Path) -> None:
    """A run killed before an upgrade leaves an old-format journal: nothing in it is lost;
    a line cut short by the kill is skipped."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "journal_v0_1.jsonl", journal_path(db_path))
    with Store(db_path) as store:
        sink = ResultSink(store, Journal(journal_path(db_path)))
        assert sink.recover() == 1
        assert store.query("SELECT paper_id, code_url, prompt_tokens FROM extractions") == [
            ("hf3498ee8b07eebc17cbf", "https://github.com/soup-lab/soupmix", 900)
        ]
        assert store.query("SELECT error_type FROM failure_log") == [("refusal",)]
        assert store.query("SELECT status, prompt_tokens FROM llm_calls") == [(200, 900)]
    assert not journal_path(db_path).exists()


def test_the_journal_replays_every_kind(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "x.journal")
    moment = datetime(2026, 11, 30, tzinfo=UTC)
    journal.append("result", extraction())
    journal.append("failure", Failure("p2", "k2", "extract", "refusal", "no", failed_at=moment))
    journal.append("call", CallRecord("k1", "m", 1, 200, 12.5, 10, 5, called_at=moment))
    pending = journal.pending()
    journal.close()
    assert (pending.results.num_rows, pending.failures.num_rows, pending.calls.num_rows) == (
        1,
        1,
        1,
    )
    assert pending.failures.column("failed_at").type == pa.timestamp("us")
    assert pending.calls.column("latency_ms").to_pylist() == [12.5]


def test_repointing_waits_for_success_and_forgets_failures() -> None:
    pointers = Repointing()
    pointers.point([("a", "ka")])
    pointers.on_success(["b", "c"])
    pointers.landed("b", "kb")
    pointers.failed("c")
    pointers.landed("c", "kc-late")  # no longer waited for: the old result stays current
    pointers.landed("d", "kd")  # never asked for: a new paper already points at its result
    assert pointers.drain() == [("a", "ka"), ("b", "kb")]
    assert not pointers and pointers.drain() == []
