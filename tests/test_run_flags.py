"""`summarizer run` flags from a new user's week (issue 22): `--pending` extracts what is stored
and has no result yet (row 6); an endpoint without its scheme says add http:// (row 12)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from summarizer.cli import app


def _status_counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("select status, count(*) from summaries group by 1").fetchall())


def test_ingest_then_run_pending_extracts_every_stored_paper(seeds: Path, db_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(seeds)]).exit_code == 0
    assert _status_counts(db_path) == {"pending": 182}
    result = runner.invoke(app, ["run", "--pending", "-q"])
    assert result.exit_code == 0, result.output
    assert "extracted 182" in result.stdout
    assert _status_counts(db_path) == {"ok": 182}
    again = runner.invoke(app, ["run", "--pending", "-q"])
    assert again.exit_code == 0, again.output
    assert "extracted 0" in again.stdout


def test_a_stdin_run_cut_short_is_finished_by_run_pending(
    seeds: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarizer.run import workers

    text = (seeds / "daily_papers_a.txt").read_text(encoding="utf-8")
    real = workers.run_sync

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(workers, "run_sync", interrupted)
    runner = CliRunner()
    cut = runner.invoke(app, ["run", "-", "--format", "listing", "-q"], input=text)
    assert cut.exit_code == 130, cut.output
    assert "0 extraction calls" in cut.stdout  # none made: the rules never ran
    stored = _status_counts(db_path)
    assert stored.get("pending", 0) > 0 and "ok" not in stored
    monkeypatch.setattr(workers, "run_sync", real)
    done = runner.invoke(app, ["run", "--pending", "-q"])
    assert done.exit_code == 0, done.output
    assert _status_counts(db_path) == {"ok": sum(stored.values())}


def test_pending_takes_no_input(seeds: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(seeds), "--pending"])
    assert result.exit_code == 2
    assert "--pending" in result.output and "INPUT" in result.output


@pytest.mark.parametrize("flag", ["localhost:8000", "localhost:8000/v1", "ftp://host/v1"])
def test_a_base_url_without_its_scheme_says_add_http(seeds: Path, flag: str) -> None:
    """Issue 22, row 12: not "cannot reach localhost:8000"."""
    result = CliRunner().invoke(app, ["run", str(seeds), "--base-url", flag])
    assert result.exit_code == 2, result.output
    assert "add http://" in result.output


def test_input_format_has_its_own_name_and_the_old_spelling_still_works(
    seeds: Path, tmp_path: Path
) -> None:
    """Issue 22, row 17: `--format` names an output format everywhere; the input format is
    `--input-format`, and `run --format` (the old spelling) still works, hidden."""
    listing = str(seeds / "daily_papers_a.txt")
    runner = CliRunner()
    new = runner.invoke(app, ["run", listing, "--input-format", "listing", "-q"])
    assert new.exit_code == 0, new.output
    old = runner.invoke(app, ["ingest", listing, "--format", "listing"])
    assert old.exit_code == 0, old.output
    help_text = runner.invoke(app, ["run", "--help"]).output
    assert "--input-format" in help_text
    assert re.search(r"(?<![\w-])--format\b", help_text) is None  # the old spelling is hidden
    clash = runner.invoke(app, ["run", listing, "--input-format", "listing", "--format", "csv"])
    assert clash.exit_code == 2 and "disagree" in clash.output


def test_limit_zero_means_no_limit(seeds: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(seeds), "--limit", "0", "-q"])
    assert result.exit_code == 0, result.output
    assert "papers read 213" in result.stdout


def test_one_env_var_notation_in_every_help() -> None:
    runner = CliRunner()
    for command in (["run"], ["batch", "collect"], ["batch", "export"]):
        text = runner.invoke(app, [*command, "--help"]).output
        assert "[env:" not in text, command
