"""The LLM path tried offline in one command, as the README shows it (issue 22, row 16): the
fake server answers with realistic fields, and a fake model has no price."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def test_the_fake_server_runs_a_command_against_itself(tmp_path: Path) -> None:
    db = tmp_path / "try.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZER_"))}
    summarizer = str(Path(sys.executable).parent / "summarizer")
    run = [summarizer, "run", str(EXAMPLES), "--backend", "openai", "--db", str(db), "-q"]
    result = subprocess.run(
        [sys.executable, "-m", "summarizer.testing.fake_openai", "--", *run],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "fake-model" in result.stdout
    assert "cost not tracked" in result.stdout and "est. cost $" not in result.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        (papers, categorised, with_code, other) = con.execute(
            "select count(*), count(task_category), count(code_url),"
            " count(*) filter (where task_category = 'other') from summaries"
        ).fetchone() or (0, 0, 0, 0)
        (cost,) = con.execute("select coalesce(sum(cost_usd), 0) from llm_calls").fetchone() or (0,)
    assert papers > 50
    assert with_code > 5  # realistic fields, not every paper `other` with nothing filled
    assert other < papers / 2
    assert categorised == papers
    assert cost == 0
