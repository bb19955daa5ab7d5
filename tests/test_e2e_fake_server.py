"""The real CLI, as a subprocess, against the local fake OpenAI-compatible server on a real port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from summarizer.backends.openai.endpoint import PROBE_ABSTRACT
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer, paper_key

pytestmark = pytest.mark.slow  # each runs the CLI as subprocesses over all the listings

LISTINGS = Path(__file__).resolve().parent / "data" / "listings"
DISTINCT = 182
PROBE = paper_key(PROBE_ABSTRACT)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(FakeConfig(latency=0.01)) as fake:
        yield fake


def cli(db: Path, base_url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "summarizer",
        "run",
        str(LISTINGS),
        "--backend",
        "openai",
        "--base-url",
        base_url,
        "--model",
        "fake-model",
        "--db",
        str(db),
        "--quiet",
        *extra,
    ]


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    clean["OPENAI_API_KEY"] = "sk-dummy-e2e-key-0000"
    return clean


def stored(db: Path) -> tuple[int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        ok = con.execute("select count(*) from summaries where status = 'ok'").fetchone()
        rows = con.execute("select count(*) from extractions").fetchone()
    assert ok is not None and rows is not None
    return ok[0], rows[0]


def test_cli_run_against_fake_server_then_fully_cached(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    db = tmp_path / "e2e.duckdb"
    first = subprocess.run(
        cli(db, server.base_url), capture_output=True, text=True, env=env(), timeout=120
    )
    assert first.returncode == 0, first.stderr
    assert (
        f"new {DISTINCT} · cached 0 · extracted {DISTINCT} · failed 0 · rejected 0" in first.stdout
    )
    assert "cost not tracked (no price for fake-model" in first.stdout  # not "$0.0000"
    stats = server.stats()
    papers = {k: n for k, n in stats["per_paper"].items() if k != PROBE}
    assert stats["per_paper"][PROBE] == 1  # one probe request settles the mode
    assert len(papers) == DISTINCT
    assert set(papers.values()) == {1}
    second = subprocess.run(
        cli(db, server.base_url), capture_output=True, text=True, env=env(), timeout=120
    )
    assert second.returncode == 0, second.stderr
    assert f"cached {DISTINCT} · extracted 0" in second.stdout
    assert server.stats()["requests"] == stats["requests"]
    assert stored(db) == (DISTINCT, DISTINCT)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_resumes_without_buying_twice(tmp_path: Path, how: signal.Signals) -> None:
    concurrency = 4
    with FakeOpenAIServer(FakeConfig(latency=0.05)) as fake:
        db = tmp_path / "kill.duckdb"
        args = cli(db, fake.base_url, "--concurrency", str(concurrency))
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
        deadline = time.monotonic() + 60
        while sum(fake.stats()["ok_per_paper"].values()) < DISTINCT // 3 + 1:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        # From now on every request hangs for an hour, so the run can only end by abandoning
        # the calls in flight: Ctrl-C must not wait for them (the timeout is a hang guard).
        fake.configure(fault_rates={"timeout": 1.0}, hang_seconds=3600)
        process.send_signal(how)
        process.communicate(timeout=30)
        if how == signal.SIGINT:
            assert process.returncode == 130
        bought_before = sum(fake.stats()["ok_per_paper"].values()) - 1  # less the probe
        assert bought_before < DISTINCT
        fake.configure(fault_rates={})
        again = subprocess.run(args, capture_output=True, text=True, env=env(), timeout=120)
        assert again.returncode == 0, again.stderr
        per_paper = {k: n for k, n in fake.stats()["per_paper"].items() if k != PROBE}
        assert fake.stats()["per_paper"][PROBE] == 1  # probed once; the resumed run reads it
        assert len(per_paper) == DISTINCT
        bought_twice = sum(count - 1 for count in per_paper.values())
        assert bought_twice <= concurrency  # only the calls in flight at the kill
        assert stored(db) == (DISTINCT, DISTINCT)


def test_an_llm_answer_with_the_schema_2_fields_is_stored_grounded_and_cross_checked(
    tmp_path: Path,
) -> None:
    """The fake model answers what the rules extract: link kinds, size roles and the category
    travel the whole LLM path, are grounded, and agree with the rules' cross-check."""
    db = tmp_path / "db.duckdb"
    config = FakeConfig(answerer="summarizer.testing.fake_openai:rules_answerer")
    with FakeOpenAIServer(config) as fake:
        done = subprocess.run(cli(db, fake.base_url), env=env(), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    with duckdb.connect(str(db), read_only=True) as con:
        categories = con.execute(
            "select count(distinct task_category), count(*) filter (task_category is null) "
            "from summaries"
        ).fetchone()
        roles = dict(con.execute("select role, count(*) from model_sizes group by 1").fetchall())
        kinds = dict(con.execute("select kind, count(*) from links group by 1").fetchall())
        ungrounded = con.execute("select count(*) from model_sizes where not grounded").fetchone()
        disagreements = con.execute(
            "select count(*) from recall_warnings where warning like '%(rules:%'"
        ).fetchone()
    assert categories is not None and categories[0] > 10 and categories[1] == 0
    assert set(roles) >= {"own", "baseline"} and set(kinds) >= {"code", "model"}
    assert ungrounded == (0,)
    assert disagreements == (0,)  # the model said what the rules say, field for field
