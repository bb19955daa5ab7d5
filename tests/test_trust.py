"""User-trial fixes (issue rows 3-19): each test drives the command line as a user would."""

from __future__ import annotations

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
