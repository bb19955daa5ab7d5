"""User-trial fixes (issue rows 3-19): each test drives the command line as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.cli import app

runner = CliRunner()


def invoke(*args: str, **kwargs: object) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), **kwargs)  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def filled(seeds: Path, db_path: Path) -> Path:
    code, out, err = invoke("run", str(seeds), "-q")
    assert code == 0, out + err
    return db_path


# row 10 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["links", "gains", "model_sizes", "recall_warnings"])
def test_every_per_value_view_carries_title_and_paper_id(filled: Path, view: str) -> None:
    code, out, err = invoke("sql", f"select title, paper_id from {view} limit 1", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == "title,paper_id"


def test_links_with_their_titles(filled: Path) -> None:
    code, out, err = invoke("sql", "select title, url, kind from links", "--format", "csv")
    assert code == 0, err
    assert len(out.splitlines()) > 2


# row 11 ------------------------------------------------------------------------------------


def test_sql_error_keeps_the_engine_hint(filled: Path) -> None:
    code, _, err = invoke("sql", "select * from paper")
    assert code == 2
    assert 'Did you mean "papers"' in err
    assert len(err.strip().splitlines()) == 1


# row 8 -------------------------------------------------------------------------------------


def test_report_format_follows_the_extension(filled: Path, tmp_path: Path) -> None:
    code, _, err = invoke("report", "--out", str(tmp_path / "rep.md"))
    assert code == 0, err
    text = (tmp_path / "rep.md").read_text()
    assert not text.lstrip().startswith("<") and "<html" not in text.lower()
    code, _, err = invoke("report", "--out", str(tmp_path / "rep.htm"))
    assert code == 0, err
    assert "<html" in (tmp_path / "rep.htm").read_text().lower()
    # an explicit --format still wins
    code, _, err = invoke("report", "--out", str(tmp_path / "forced.md"), "--format", "html")
    assert code == 0, err
    assert "<html" in (tmp_path / "forced.md").read_text().lower()


# row 9 -------------------------------------------------------------------------------------


def test_export_refuses_an_unknown_extension(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "d.xlsx"
    code, _, err = invoke("export", "--out", str(target))
    assert code == 2
    assert "--out" in err and ".xlsx" in err and "csv" in err and "parquet" in err
    assert not target.exists()
    code, out, err = invoke("export", "--out", "-")
    assert code == 0, err
    assert out.startswith("paper_id,title")
    code, _, err = invoke("export", "--out", str(tmp_path / "digest"))  # no extension: CSV
    assert code == 0, err
    code, _, err = invoke("export", "--out", str(target), "--format", "csv")  # asked for
    assert code == 0, err


# rows 3, 4, 14: merge -----------------------------------------------------------------------


def _shards(seeds: Path, tmp_path: Path) -> list[Path]:
    shards = []
    for index in (1, 2):
        db = tmp_path / f"sh{index}.duckdb"
        code, out, err = invoke("run", str(seeds), "--db", str(db), "--shard", f"{index}/2", "-q")
        assert code == 0, out + err
        shards.append(db)
    return shards


def _papers(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select count(*) from papers").fetchone()
    assert row is not None
    return int(row[0])


def test_merge_checks_every_shard_before_writing(
    seeds: Path, tmp_path: Path, db_path: Path
) -> None:
    sh1, sh2 = _shards(seeds, tmp_path)
    # forgot --db: the last argument is not a shard, and the default database is untouched
    code, _, err = invoke("merge", str(sh1), str(sh2), str(tmp_path / "out.duckdb"))
    assert code == 3
    assert "no shard database at" in err and "--db" in err and "nothing was merged" in err
    assert not db_path.exists()
    # a missing shard in the middle: the target gets nothing from sh1 either
    target = tmp_path / "t.duckdb"
    code, _, err = invoke("merge", str(sh1), "missing.duckdb", str(sh2), "--db", str(target))
    assert code == 3 and "missing.duckdb" in err
    assert not target.exists()
    code, _, _ = invoke("merge", str(sh1), "--db", str(target))
    assert code == 0
    before = _papers(target)
    code, _, err = invoke("merge", str(sh2), str(target), "--db", str(target))
    assert code == 2 and "is the merge target" in err
    assert _papers(target) == before
    code, _, err = invoke("merge", str(sh1), str(sh2), "--db", str(target))
    assert code == 0, err
    assert _papers(target) == 182


def test_merge_names_the_wrong_shard_argument(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("title,abstract\n")
    code, _, err = invoke("merge", "d.csv", "--db", str(tmp_path / "all.duckdb"))
    assert code == 2
    assert err.startswith("error: SHARD d.csv names a .csv file")
    assert "--db d.csv" not in err
    assert not (tmp_path / "all.duckdb").exists()
    import duckdb

    duckdb.connect(str(tmp_path / "other.duckdb")).execute("create table t (x int)").close()
    code, _, err = invoke("merge", str(tmp_path / "other.duckdb"), "--db", "all.duckdb")
    assert code == 2 and "SHARD" in err and "not a summarizer" in err


def test_no_lock_file_outlives_a_run_or_a_merge(seeds: Path, tmp_path: Path) -> None:
    sh1, sh2 = _shards(seeds, tmp_path)
    target = tmp_path / "all.duckdb"
    code, _, err = invoke("merge", str(sh1), str(sh2), "--db", str(target))
    assert code == 0, err
    assert sorted(tmp_path.rglob("*.lock")) == []


def test_merge_never_writes_beside_a_shard(seeds: Path, tmp_path: Path) -> None:
    """Shards are opened read-only: no lock file, no WAL, the file itself unchanged."""
    (sh1,) = _shards(seeds, tmp_path)[:1]
    folder = tmp_path / "ro"
    folder.mkdir()
    shard = folder / sh1.name
    shard.write_bytes(sh1.read_bytes())
    before = sorted(p.name for p in folder.iterdir())
    stamp = shard.stat().st_mtime_ns
    code, _, err = invoke("merge", str(shard), "--db", str(tmp_path / "all.duckdb"))
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == before
    assert shard.stat().st_mtime_ns == stamp


def test_a_lock_on_a_deleted_file_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race of deleting a locked file: B opens the lock file, A closes (and deletes it),
    B locks the deleted file. B must notice and lock the file the path names now."""
    import fcntl
    import os

    from summarizer.store import store as store_mod

    path = tmp_path / "x.duckdb.lock"
    first = store_mod._WriterLock(path)
    first.acquire()
    second = store_mod._WriterLock(path)
    real = fcntl.flock
    calls: list[int] = []

    def flock(fd: int, op: int) -> None:
        if not calls:
            first.close()  # the holder lets go between B's open and B's flock
        calls.append(op)
        real(fd, op)

    monkeypatch.setattr(store_mod.fcntl, "flock", flock)
    second.acquire()
    assert len(calls) == 2  # locked the deleted file once, then the new one
    assert second._handle is not None
    assert os.fstat(second._handle.fileno()).st_ino == os.stat(path).st_ino
    third = store_mod._WriterLock(path)
    monkeypatch.setattr(store_mod._WriterLock, "RETRY_WAIT", 0.0)
    with pytest.raises(store_mod.StoreError, match="busy"):
        third.acquire()
    second.close()
    assert not path.exists()


def test_a_shard_of_an_older_schema_merges_and_stays_as_it_was(seeds: Path, tmp_path: Path) -> None:
    import duckdb

    (sh1,) = _shards(seeds, tmp_path)[:1]
    with duckdb.connect(str(sh1)) as con:  # back to schema 8: undo migrations 9 to 12
        con.execute("delete from schema_migrations where version >= 9")
        views = con.execute("select view_name from duckdb_views() where not internal")
        for (view,) in views.fetchall():
            con.execute(f"drop view {view}")
        con.execute("alter table extractions drop column results")
        con.execute("alter table paper_records drop column upvotes")
        con.execute("alter table paper_records drop column repo_url")
        con.execute("drop table fetches")
        con.execute("drop table staged_parts")
        con.execute("drop view if exists batches")
        con.execute("alter table batch_jobs drop column backend")
        con.execute("alter table batch_jobs drop column params")
        con.execute(  # the papers view as schema 8 had it
            "create view papers as select paper_id, title, abstract, first_seen, sources, "
            "arxiv_id, url, published, authors from paper_records"
        )
    content = sh1.read_bytes()
    code, _, err = invoke("merge", str(sh1), "--db", str(tmp_path / "all.duckdb"))
    assert code == 0, err
    assert sh1.read_bytes() == content
    assert _papers(tmp_path / "all.duckdb") == _papers(sh1)


# row 13 ------------------------------------------------------------------------------------


def test_stats_during_a_run_counts_what_is_committed(filled: Path) -> None:
    import duckdb

    from summarizer.store.store import Store

    with duckdb.connect(str(filled)) as con:
        con.execute("delete from run_log")  # a run still going has no runs row yet
    code, out, err = invoke("stats")
    assert code == 0, err
    assert "papers 182" in out and "runs 0" in out and "extracted 182" in out
    assert "a run is writing" not in out
    with Store(filled, hold=False):  # holds the writer lock, as `summarizer run` does
        code, out, err = invoke("stats")
        assert code == 0, err
        assert "a run is writing this database" in out and "extracted 182" in out
        code, out, err = invoke("stats", "--format", "json")
        assert code == 0, err
        assert json.loads(out)["writing"] is True
    assert not filled.with_name(filled.name + ".lock").exists()


# row 17 ------------------------------------------------------------------------------------


def test_global_db_before_the_command(seeds: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.duckdb"
    code, _, err = invoke("--db", str(target), "run", str(seeds), "-q")
    assert code == 0, err
    assert target.exists()
    code, out, err = invoke("--db", str(target), "sql", "select count(*) as n from papers")
    assert code == 0, err
    assert out == "n\n182\n"
    # the command's own --db wins over the one before it
    code, _, err = invoke("--db", str(target), "sql", "select 1", "--db", "nope.duckdb")
    assert code == 3 and "nope.duckdb" in err


def test_stats_format_json_and_json_alias(filled: Path) -> None:
    new = json.loads(invoke("stats", "--format", "json")[1])
    old = json.loads(invoke("stats", "--json")[1])
    assert new == old and new["papers"] == 182
    code, _, err = invoke("stats", "--format", "yaml")
    assert code == 2 and "--format" in err


def test_runs_limit_zero_means_all(seeds: Path, filled: Path) -> None:
    for _ in range(2):
        assert invoke("run", str(seeds), "-q")[0] == 0
    code, out, err = invoke("runs", "--limit", "0", "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)) == 3
    assert len(json.loads(invoke("runs", "--limit", "1", "--format", "json")[1])) == 1


# row 7 -------------------------------------------------------------------------------------


def _sql_at(width: int, db: Path, query: str) -> list[str]:
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": str(width), "SUMMARIZER_DB": str(db)}
    done = subprocess.run(
        [sys.executable, "-m", "summarizer", "sql", "--format", "table", "--", query],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_wide_result_prints_one_record_per_block(filled: Path) -> None:
    lines = _sql_at(80, filled, "select * from summaries limit 1")
    assert lines[0].startswith("-[ RECORD 1 ]")
    assert len(lines) < 80
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("task_category ") for line in lines)
    # the same query on a wide terminal is still a table
    wide = _sql_at(1000, filled, "select paper_id, title from summaries limit 1")
    assert wide[0].startswith("┏")


def test_readme_sql_examples_fit_80_columns(filled: Path) -> None:
    from tests.test_views_contract import _example_queries

    for query in _example_queries():
        lines = _sql_at(80, filled, query)
        assert all(len(line.rstrip()) <= 80 for line in lines), (query, lines)
