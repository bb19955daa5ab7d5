"""Ctrl-C that lands while DuckDB runs a query is a stop, not a crash (issue 22, row 2): exit
130, the usual summary, the run logged as interrupted, and what was committed kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.store.store import Store


@pytest.mark.parametrize(
    "error",
    [duckdb.InterruptException("INTERRUPT Error: Interrupted!"), RuntimeError("Query interrupted")],
    ids=["InterruptException", "RuntimeError"],
)
def test_sigint_inside_a_duckdb_query_stops_the_run_cleanly(
    seeds: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    real_save = Store.save
    calls = {"n": 0}

    def save(self: Store, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the run's first write: the query DuckDB was running
            with self.session():
                raise error
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(Store, "save", save)
    result = CliRunner().invoke(app, ["run", str(seeds), "-q"])
    assert result.exit_code == 130, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "papers read" in result.stdout
    assert "Traceback" not in result.output
    with duckdb.connect(str(db_path), read_only=True) as con:
        (status,) = con.execute("select status from runs").fetchone() or ("",)
    assert str(status).startswith("interrupted")
