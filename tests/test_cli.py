"""The CLI through its real entry point: summaries, exit codes, one-line errors, read-only SQL."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from summarizer.cli import app

runner = CliRunner()
ABSTRACT = "We propose a method for merging models with many tasks and languages. " * 3


pytestmark = pytest.mark.usefixtures("counting_backend")  # `--backend counting` resolves


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_prints_summary_and_rerun_is_cached(seeds: Path, db_path: Path) -> None:
    code, out, _ = invoke("run", str(seeds), "--backend", "counting")
    assert code == 0, out
    assert (
        "papers read 213 (182 distinct) · new 182 · cached 0 · extracted 182 · failed 0 · "
        "rejected 0" in out
    )
    assert f"database: {db_path}" in out
    code, out, _ = invoke("run", str(seeds), "--backend", "counting")
    assert code == 0
    assert "new 0 · cached 182 · extracted 0" in out
    assert "0 extraction calls" in out


def test_db_flag_overrides_env(seeds: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.duckdb"
    code, out, _ = invoke(
        "run", str(seeds / "daily_papers_a.txt"), "--backend", "counting", "--db", str(target)
    )
    assert code == 0 and target.exists()
    assert f"database: {target}" in out


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.jsonl", b"", "empty.jsonl: file is empty; nothing to ingest"),
        (
            "blob.txt",
            b"\x00\x01\x02binary",
            "blob.txt: file looks binary (contains NUL bytes); expected text",
        ),
        ("latin.jsonl", b'{"title": "Caf\xe9"}\n', "latin.jsonl: line 1: not valid UTF-8"),
        (
            "papers.csv",
            b"title,body\nA,B\n",
            "papers.csv: line 1: no 'abstract' column (found: title, body)",
        ),
        ("broken.jsonl", b'{"title": ', "broken.jsonl: line 1: broken JSON"),
        ("missing.jsonl", b'{"title": "A"}\n', "missing.jsonl: line 1: record has no abstract"),
        (
            "huge.jsonl",
            json.dumps({"title": "A", "abstract": "x " * 3_000_000}).encode(),
            "huge.jsonl: line 1: abstract is 6,000,000 characters (limit 20,000)",
        ),
    ],
)
def test_bad_file_gives_one_line_error_and_good_records_still_go_through(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"title": "Good", "abstract": ABSTRACT}) + "\n")
    code, out, err = invoke("run", str(bad), str(good), "--backend", "counting")
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert "Traceback" not in out + err
    assert "extracted 1 · failed 0 · rejected 1" in out


def test_sql_formats_and_read_only(seeds: Path, db_path: Path) -> None:
    invoke("run", str(seeds / "daily_papers_a.txt"), "--backend", "counting")
    code, out, _ = invoke("sql", "select count(*) as n from summaries", "--format", "csv")
    assert (code, out) == (0, "n\n65\n")
    code, out, _ = invoke("sql", "select count(*) as n from papers", "--format", "json")
    assert json.loads(out) == [{"n": 65}]
    code, out, _ = invoke("sql", "select 1 as a", "--format", "markdown")
    assert out.splitlines()[:3] == ["| a |", "|---|", "| 1 |"]
    many = "select 'row' || i as label from range(250) t(i)"
    code, out, err = invoke("sql", many, "--format", "table")
    assert code == 0 and "row99" in out and "row100" not in out
    assert "250 rows; showing the first 100" in err
    code, out, _ = invoke("sql", many, "--max-rows", "0")
    assert "row249" in out
    code, out, _ = invoke("sql", many, "--format", "csv")
    assert len(out.splitlines()) == 251
    for statement in (
        "DROP TABLE paper_records",
        "DELETE FROM paper_records",
        "INSERT INTO runs (run_id, started_at) VALUES ('x', now())",
        f"ATTACH '{db_path.parent / 'other.duckdb'}' AS other",
        "select 1; drop view papers",
    ):
        code, _, err = invoke("sql", statement)
        assert code == 2, statement
        assert "is not allowed: `summarizer sql` is read-only" in err
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("select count(*) from paper_records").fetchone() == (65,)


def test_export_csv_digest_is_one_row_per_paper_and_formula_safe(
    tmp_path: Path, db_path: Path
) -> None:
    path = tmp_path / "p.jsonl"
    rows = [
        {"title": '=HYPERLINK("http://evil")', "abstract": ABSTRACT},
        {"title": "+1 trick", "abstract": ABSTRACT + " Two."},
        {"title": "@SUM(A1)", "abstract": ABSTRACT + " Three."},
        {"title": "-2 offset", "abstract": ABSTRACT + " Four."},
        {"title": "\ttabbed", "abstract": ABSTRACT + " Five."},
        {"title": "Plain — ünïcode", "abstract": ABSTRACT + " Six."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    invoke("run", str(path), "--backend", "counting")
    out_file = tmp_path / "digest.csv"
    code, out, _ = invoke("export", "--out", str(out_file))
    assert code == 0 and "wrote 6 rows" in out
    with out_file.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == 6
    assert list(records[0])[:5] == ["paper_id", "title", "task", "method", "code_url"]
    titles = {r["title"] for r in records}
    assert titles == {
        '\'=HYPERLINK("http://evil")',
        "'+1 trick",
        "'@SUM(A1)",
        "'-2 offset",
        "tabbed",
        "Plain — ünïcode",
    }
    assert all(not r["title"].startswith(("=", "+", "-", "@", "\t", "\r")) for r in records)
    # the fake states 7B, which no abstract here says: the digest must flag it
    assert {r["model_sizes"] for r in records} == {"7B [ungrounded]"}


def test_export_where_since_and_other_formats(seeds: Path, tmp_path: Path) -> None:
    invoke("run", str(seeds), "--backend", "counting")
    code, out, _ = invoke(
        "export",
        "--out",
        str(tmp_path / "d.jsonl"),
        "--format",
        "jsonl",
        "--where",
        "title ilike '%merging%'",
    )
    assert code == 0
    lines = (tmp_path / "d.jsonl").read_text().splitlines()
    assert lines and all("erging" in json.loads(line)["title"] for line in lines)
    code, out, _ = invoke(
        "export",
        "--out",
        str(tmp_path / "d.parquet"),
        "--format",
        "parquet",
        "--since",
        "2999-01-01",
    )
    assert code == 0 and "wrote 0 rows" in out
    code, _, err = invoke("export", "--out", str(tmp_path / "x.csv"), "--since", "yesterday")
    assert code == 2 and "use YYYY-MM-DD" in err


def test_stats_and_missing_database(seeds: Path, tmp_path: Path) -> None:
    code, _, err = invoke("stats", "--db", str(tmp_path / "none.duckdb"))
    assert code == 3 and "no database at" in err
    invoke("run", str(seeds / "daily_papers_b.txt"), "--backend", "counting")
    code, out, _ = invoke("stats", "--json")
    data = json.loads(out)
    assert data["papers"] == 64
    assert data["by_status"] == [{"status": "ok", "papers": 64}]


def test_unknown_backend_is_a_config_error(seeds: Path) -> None:
    code, _, err = invoke("run", str(seeds), "--backend", "nope")
    assert code == 2
    assert "unknown backend 'nope'; choose one of: auto," in err


def test_openai_without_key_or_endpoint_says_what_to_set(seeds: Path) -> None:
    code, _, err = invoke("run", str(seeds), "--backend", "openai")
    assert code == 2
    assert err.strip() == (
        "error: no API key: set OPENAI_API_KEY, or pass --base-url (or OPENAI_BASE_URL) for a "
        "local OpenAI-compatible server"
    )
    code, _, err = invoke(
        "run", str(seeds), "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"
    )
    assert code == 2
    assert err.count("\n") == 1 and "cannot reach http://127.0.0.1:9/v1" in err
    assert "check --base-url / OPENAI_BASE_URL" in err


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "summarizer", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "run" in result.stdout and "export" in result.stdout


def test_ingest_reports_what_it_stored_and_nothing_it_did_not_do(seeds: Path) -> None:
    code, out, _ = invoke("ingest", str(seeds / "daily_papers_a.txt"))
    assert code == 0
    assert out.splitlines()[0] == "papers read 65 · new 65 · rejected 0"
