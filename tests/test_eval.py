"""`summarizer eval` on the real gold files: per-field table, per backend, stored in eval_runs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from summarizer.cli import app

runner = CliRunner()
DATA = Path(__file__).resolve().parent / "data"


def test_eval_prints_per_field_table_and_records_it(seeds: Path, db_path: Path) -> None:
    assert runner.invoke(app, ["run", str(seeds), "-q"]).exit_code == 0
    result = runner.invoke(app, ["eval", "--gold", str(DATA / "gold_a.jsonl")])
    assert result.exit_code == 0, result.output
    assert "rules · rules-" in result.stdout and "65 of 65 gold papers" in result.stdout
    fields = [
        "code_url", "links", "model_sizes", "gains", "method_name",
        "own_sizes", "gain_metrics", "link_kinds", "task_category", "results",
    ]  # fmt: skip
    for field in fields:
        assert field in result.stdout
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            "select field, precision, recall, gold_papers, backend, extra from eval_runs "
            "order by field"
        ).fetchall()
    assert [r[0] for r in rows] == sorted(fields)
    by_field = {r[0]: r for r in rows}
    assert by_field["code_url"][1:5] == (1.0, 1.0, 65, "rules")
    # per-field extras are stored as JSON
    assert "exact_share" in json.loads(by_field["links"][5])
    assert "role_accuracy" in json.loads(by_field["own_sizes"][5])


def test_gold_file_that_is_itself_an_input(tmp_path: Path) -> None:
    gold = DATA / "unseen.jsonl"
    assert runner.invoke(app, ["run", str(gold), "-q"]).exit_code == 0
    result = runner.invoke(app, ["eval", "--gold", str(gold)])
    assert result.exit_code == 0 and "80 of 80 gold papers" in result.stdout


def test_bad_gold_file_is_one_line(tmp_path: Path, seeds: Path) -> None:
    runner.invoke(app, ["run", str(seeds / "daily_papers_a.txt"), "-q"])
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"title": "x"}\n{broken\n')
    result = runner.invoke(app, ["eval", "--gold", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(f"error: {bad}: line 2: broken JSON")
    result = runner.invoke(app, ["eval", "--gold", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2 and "no such gold file" in result.stderr


def test_eval_with_no_matching_papers_says_what_to_do(tmp_path: Path, seeds: Path) -> None:
    runner.invoke(app, ["run", str(seeds / "daily_papers_a.txt"), "-q"])
    result = runner.invoke(app, ["eval", "--gold", str(DATA / "unseen.jsonl")])
    assert result.exit_code == 1
    assert "run `summarizer run` on those papers first" in result.stderr
