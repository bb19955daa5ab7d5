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
