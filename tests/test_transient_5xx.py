"""Issue 22, row 1, through the CLI: a provider that answers 30 % of calls with OpenAI's
generic 500 body loses no paper, and its probe stores no refusal."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

pytestmark = pytest.mark.slow


def test_generic_server_errors_are_retried_and_lose_no_paper(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        "".join(
            json.dumps(
                {
                    "title": f"Gizmo {i}: Fast Merging",
                    "abstract": f"We propose Gizmo {i}, a 7B model for merging. "
                    f"It improves accuracy by {i + 1}.5% over TIES.",
                }
            )
            + "\n"
            for i in range(16)
        )
    )
    config = FakeConfig(
        model="m", answerer="rules", fault_rates={"500": 0.3}, seed=7, retry_after=0.0
    )
    with FakeOpenAIServer(config) as fake:
        flags = ["--base-url", fake.base_url, "--model", "m", "--max-retries", "10", "-q"]
        result = CliRunner().invoke(app, ["run", str(papers), *flags])
        served = fake.stats()
    assert result.exit_code == 0, result.output
    assert "failed 0" in result.stdout and "extracted 16" in result.stdout
    assert served["faults"].get("500", 0) > 0  # the faults really happened
    with duckdb.connect(str(db_path), read_only=True) as con:
        mode, refused = con.execute("select mode, refused from endpoints").fetchone() or ("", "")
        attempts = con.execute(
            "select count(*) from llm_calls where cache_key <> 'probe'"
        ).fetchone()
    assert mode == "json_schema" and json.loads(refused) == {}
    assert attempts is not None and attempts[0] > 16  # the retried calls are each counted
