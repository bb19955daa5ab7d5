"""Issue 24, database size: after a run that wrote, the database is rewritten without the free
blocks its commits left (summarizer/store/compact.py), with no risk to what it stores."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.store import compact
from summarizer.store.store import Store

runner = CliRunner()


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()]  # fmt: skip
        views = con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
        found = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
        found["views"] = views
        return found


def _free(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return compact.space(con).free_blocks


@pytest.fixture
def always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compact whatever the free space: the seed listings leave only a little."""
    monkeypatch.setattr(compact, "MIN_FREE_BYTES", 0)
    monkeypatch.setattr(compact, "MIN_FREE_SHARE", 0.0)


def test_a_run_that_wrote_leaves_a_compacted_database(
    tmp_path: Path, seeds: Path, always: None
) -> None:
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["run", str(seeds), "-q", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "not compacted" not in result.output
    assert _free(db) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb"]  # no copy, no lock left
    again = runner.invoke(app, ["run", str(seeds), "-q", "--db", str(db)])
    assert "cached 182" in again.output and "extracted 0" in again.output


def test_compaction_keeps_every_row_view_and_column(
    tmp_path: Path, seeds: Path, always: None
) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db, hold=False) as store:  # a run without compaction, then one by hand
        from summarizer.backends import get_backend
        from summarizer.run.pipeline import run

        run([seeds], store, get_backend("rules"))
    before = _rows(db)
    with Store(db, hold=False) as store:
        assert store.compact()
        assert store.query("SELECT count(*) FROM papers")[0][0] == len(before["paper_records"])
    assert _rows(db) == before


def test_a_compaction_that_dies_leaves_the_database_as_it_was(
    tmp_path: Path, seeds: Path, always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["run", str(seeds), "-q", "--db", str(db)]).exit_code == 0
    before, content = _rows(db), db.read_bytes()

    def killed(*_: object) -> None:
        assert compact.scratch_path(db).exists()  # the copy was written, not yet swapped in
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with Store(db, hold=False) as store, pytest.raises(KeyboardInterrupt):
        store.compact()
    assert db.read_bytes() == content and _rows(db) == before
    assert not compact.scratch_path(db).exists()


def test_a_copy_left_by_a_killed_compaction_is_removed_by_the_next_writer(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store(db).close()
    scratch = compact.scratch_path(db)
    scratch.write_bytes(b"half a copy")
    with Store(db, read_only=True):
        assert scratch.exists()  # a reader leaves it: a writer may be compacting
    Store(db).close()
    assert not scratch.exists()


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM summaries").fetchone()[0], flush=True)
sys.stdin.readline()  # the writer compacts meanwhile
print(con.execute("SELECT count(*) FROM summaries").fetchone()[0], flush=True)
"""


def test_a_reader_open_across_the_swap_reads_the_same_rows(
    tmp_path: Path, seeds: Path, always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB keeps readers and the writer apart, but one may open the old file between the
    writer letting go and the swap: it goes on reading the old file (still on disk while
    open); a reader that opens afterwards reads the new one. Both see the same rows."""
    import subprocess
    import sys

    db = tmp_path / "s.duckdb"
    with Store(db, hold=False) as store:
        from summarizer.backends import get_backend
        from summarizer.run.pipeline import run

        run([seeds], store, get_backend("rules"))
    seen: list[str] = []
    readers: list[subprocess.Popen[str]] = []
    real_replace = os.replace

    def replace_while_read(source: str, target: str) -> None:
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None
        seen.append(reader.stdout.readline().strip())  # the old file is open
        readers.append(reader)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace_while_read)
    with Store(db, hold=False) as store:
        assert store.compact()
    (reader,) = readers
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdin.write("go\n")
    reader.stdin.flush()
    seen.append(reader.stdout.readline().strip())
    reader.stdin.close()
    reader.stdout.close()
    assert reader.wait(timeout=60) == 0
    with duckdb.connect(str(db), read_only=True) as fresh:
        (count,) = fresh.execute("SELECT count(*) FROM summaries").fetchone() or (None,)
        seen.append(str(count))
    assert len(set(seen)) == 1 and seen[0].isdigit() and int(seen[0]) > 100


def test_little_free_space_is_left_alone(tmp_path: Path, seeds: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["run", str(seeds), "-q", "--db", str(db)]).exit_code == 0
    with Store(db, hold=False) as store:
        assert not store.compact()  # the seed listings free far less than MIN_FREE_BYTES
