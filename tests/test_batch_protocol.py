"""Provider batch jobs from the command line, through the backend's declared batch protocol:
collect by each batch's stored identity, --wait through resubmissions, export and import
without a key, the checks before anything changes, failures and costs that add up, and a
plain run that loads no provider package when no batch is open."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.backends.base import BackendSettings
from summarizer.cli import app
from summarizer.store.store import Store
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

MODEL = "gpt-4o-mini"
OTHER = "llama-3-8b-batch"
RULES = "summarizer.testing.fake_openai:rules_answerer"
NOWHERE = "http://127.0.0.1:9/v1"
"""An endpoint for commands that must send nothing (writing and reading files)."""


def papers_file(tmp_path: Path, count: int = 6, name: str = "papers.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "".join(
            json.dumps(
                {
                    "title": f"Widget {i}: Quick Sorting",
                    "abstract": f"We propose Widget {i}, a 3B model for sorting. Code is at "
                    f"https://github.com/acme/widget{i}. It improves accuracy by {i + 2}.5%.",
                }
            )
            + "\n"
            for i in range(count)
        )
    )
    return path


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(FakeConfig(model=MODEL, answerer=RULES, batch_seconds=0.0)) as fake:
        yield fake


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with Store(db) as store:
        return store.query(sql)


def ok_count(db: Path) -> int:
    return int(query(db, "select count(*) from summaries where status = 'ok'")[0][0])


def keys_of(path: Path, model: str, mode: str = "json_schema") -> list[str]:
    """The cache keys (custom_ids) the papers of a file are submitted under."""
    from summarizer.backends.openai.backend import OpenAIBackend
    from summarizer.core.identity import cache_key
    from summarizer.core.paper import Paper
    from summarizer.ingest import read_papers

    backend = OpenAIBackend(BackendSettings(model=model, mode=mode, api_key="sk-test"))
    digest = backend.identity.digest
    return [cache_key(p.content_hash, digest) for p in read_papers([path]) if isinstance(p, Paper)]


def answer_requests(server: FakeOpenAIServer, requests_file: Path, results: Path) -> None:
    """What `vllm run-batch` does with a request file, done against the fake's chat endpoint."""
    import httpx2

    outputs = []
    for raw in requests_file.read_text().splitlines():
        line = json.loads(raw)
        answer = httpx2.post(server.base_url + "/chat/completions", json=line["body"]).json()
        outputs.append(
            {
                "id": f"vllm-{line['custom_id']}",
                "custom_id": line["custom_id"],
                "response": {"status_code": 200, "request_id": "r", "body": answer},
                "error": None,
            }
        )
    results.write_text("".join(json.dumps(o) + "\n" for o in outputs))


def cost_printed(output: str) -> float:
    found = re.search(r"cost \$([0-9.]+)", output)
    assert found, output
    return float(found.group(1))


# --- 3. collect uses each batch's stored identity, not the flags ---------------------------


def test_collect_without_flags_collects_batches_of_another_model_and_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = tmp_path / "db.duckdb"
    config = FakeConfig(model=OTHER, answerer=RULES, batch_seconds=0.0, require_api_key="sk-test")
    with FakeOpenAIServer(config) as fake:
        submitted = invoke(
            "run", str(papers_file(tmp_path)), "--batch", "--model", OTHER,
            "--base-url", fake.base_url, "--mode", "json_schema", "--db", str(db),
        )  # fmt: skip
        assert submitted.exit_code == 0, submitted.output
        # no --model, no --base-url: the batch says where it went and what it asked
        collected = invoke("batch", "collect", "--db", str(db))
        assert collected.exit_code == 0, collected.output
        assert "batches collected 1 · still open 0 · stored 6" in collected.stdout
        assert ok_count(db) == 6
        assert set(query(db, "select model from summaries")) == {(OTHER,)}
        status = json.loads(invoke("batch", "status", "--format", "json", "--db", str(db)).stdout)
        assert [row["status"] for row in status] == ["collected"]


def test_collect_flags_never_choose_which_batches_are_collected(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = str(tmp_path / "db.duckdb")
    source = str(papers_file(tmp_path, 4))
    flags = ["--base-url", server.base_url, "--mode", "json_schema", "--db", db]
    assert invoke("run", source, "--batch", "--model", MODEL, *flags).exit_code == 0
    collected = invoke(
        "batch", "collect", "--model", "some-other-model", "--mode", "tools", "--db", db
    )
    assert collected.exit_code == 0, collected.output
    assert "batches collected 1 · still open 0 · stored 4" in collected.stdout
    modes = query(Path(db), "select distinct mode from llm_calls")
    assert modes == [("json_schema",)]


# --- 4. collect --wait waits for the batches it resubmits ----------------------------------


def test_run_batch_wait_ends_with_every_paper_stored_after_a_resubmission(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = tmp_path / "db.duckdb"
    server.configure(batch_expire_after=3)  # the first batch of 6 answers 3; the resubmission all
    nightly = invoke(
        "run", str(papers_file(tmp_path)), "--batch", "--wait", "--poll", "0",
        "--model", MODEL, "--base-url", server.base_url, "--mode", "json_schema", "--db", str(db),
    )  # fmt: skip
    assert nightly.exit_code == 0, nightly.output
    assert "resubmitted 3" in nightly.stdout and "still open 0" in nightly.stdout
    assert ok_count(db) == 6
    status = json.loads(invoke("batch", "status", "--format", "json", "--db", str(db)).stdout)
    assert [(row["attempt"], row["status"]) for row in status] == [
        (1, "collected"),
        (2, "collected"),
    ]


def test_batch_collect_wait_waits_for_its_resubmissions(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = str(tmp_path / "db.duckdb")
    server.configure(batch_expire_after=2)
    flags = ["--base-url", server.base_url, "--mode", "json_schema", "--db", db]
    assert invoke("run", str(papers_file(tmp_path, 5)), "--batch", "--model", MODEL, *flags)
    server.configure(batch_expire_after=None)
    collected = invoke("batch", "collect", "--wait", "--poll", "0", *flags, "--model", MODEL)
    assert collected.exit_code == 0, collected.output
    assert "still open 0 · stored 5" in collected.stdout
    assert ok_count(Path(db)) == 5


# --- 2, 5. export and import: no key, no endpoint; twice; never someone else's file ---------


def test_export_and_import_need_no_key_and_no_base_url(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    db = str(tmp_path / "db.duckdb")
    requests_file = tmp_path / "requests.jsonl"
    exported = invoke(
        "batch", "export", str(papers_file(tmp_path, 4)), "--out", str(requests_file),
        "--model", MODEL, "--mode", "json_schema", "--db", db,
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert "wrote 4 requests" in exported.stdout
    results = tmp_path / "results.jsonl"
    answer_requests(server, requests_file, results)
    imported = invoke("batch", "import", str(results), "--db", db)
    assert imported.exit_code == 0, imported.output
    assert "stored 4" in imported.stdout and ok_count(Path(db)) == 4
    status = invoke("batch", "status", "--format", "json", "--db", db)
    (job,) = json.loads(status.stdout)
    assert (job["status"], job["completed"], job["failed"]) == ("collected", 4, 0)


def test_exporting_twice_writes_the_same_requests_again_where_asked(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    db = str(tmp_path / "db.duckdb")
    source = str(papers_file(tmp_path, 5))
    first, second, elsewhere = (tmp_path / n for n in ("a.jsonl", "a.jsonl", "b.jsonl"))
    flags = ["--model", MODEL, "--mode", "json_schema", "--base-url", NOWHERE, "--db", db]
    assert invoke("batch", "export", source, "--out", str(first), *flags).exit_code == 0
    written = first.read_text()
    assert len(written.splitlines()) == 5
    again = invoke("batch", "export", source, "--out", str(second), *flags)
    assert again.exit_code == 0, again.output
    assert "wrote 5 requests" in again.stdout and second.read_text() == written
    other = invoke("batch", "export", source, "--out", str(elsewhere), *flags)
    assert other.exit_code == 0 and elsewhere.read_text() == written
    # whichever file vllm ran, its answers are stored once
    results = tmp_path / "results.jsonl"
    answer_requests(server, first, results)
    imported = invoke("batch", "import", str(results), "--base-url", NOWHERE, "--db", db)
    assert imported.exit_code == 0 and "stored 5" in imported.stdout
    assert ok_count(Path(db)) == 5
    assert query(Path(db), "select count(*) from extractions") == [(5,)]
    assert invoke("batch", "import", str(results), "--base-url", NOWHERE, "--db", db).exit_code == 0
    assert query(Path(db), "select count(*) from llm_calls") == [(5,)]


def test_export_never_replaces_a_file_no_export_wrote(tmp_path: Path) -> None:
    db = str(tmp_path / "db.duckdb")
    precious = tmp_path / "notes.jsonl"
    precious.write_text('{"mine": true}\n')
    refused = invoke(
        "batch", "export", str(papers_file(tmp_path, 3)), "--out", str(precious),
        "--model", MODEL, "--base-url", NOWHERE, "--db", db,
    )  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and str(precious) in refused.stderr
    assert "no `batch export` wrote it" in refused.stderr
    assert precious.read_text() == '{"mine": true}\n'


# --- 6. import checks the file first ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["requests", "garbage", "empty"])
def test_import_of_a_file_that_is_not_an_output_file_changes_nothing(
    tmp_path: Path, kind: str
) -> None:
    db = str(tmp_path / "db.duckdb")
    requests_file = tmp_path / "requests.jsonl"
    exported = invoke(
        "batch", "export", str(papers_file(tmp_path, 3)), "--out", str(requests_file),
        "--model", MODEL, "--mode", "json_schema", "--base-url", NOWHERE, "--db", db,
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    given = {
        "requests": requests_file,
        "garbage": tmp_path / "garbage.jsonl",
        "empty": tmp_path / "empty.jsonl",
    }[kind]
    if kind == "garbage":
        given.write_text('this is not json\n{"custom_id": 3\n')
    elif kind == "empty":
        given.write_text("")
    before = query(Path(db), "select status from batch_jobs")
    refused = invoke("batch", "import", str(given), "--base-url", NOWHERE, "--db", db)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.count("\n") == 1
    assert str(given) in refused.stderr and "not a batch output file" in refused.stderr
    assert query(Path(db), "select count(*) from failure_log") == [(0,)]
    assert query(Path(db), "select count(*) from llm_calls") == [(0,)]
    assert query(Path(db), "select status from batch_jobs") == before == [("exported",)]


# --- 7. every failure a batch records is visible -------------------------------------------


def test_a_batch_failure_shows_in_failures_and_stats_over_an_older_rules_result(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = str(tmp_path / "db.duckdb")
    source = papers_file(tmp_path, 3)
    assert invoke("run", str(source), "-q", "--db", db).exit_code == 0  # rules: all current
    bad = keys_of(source, MODEL)[0]
    server.configure(batch_errors={bad: "invalid"})  # in the batch and in its resubmission
    nightly = invoke(
        "run", str(source), "--batch", "--wait", "--poll", "0", "--model", MODEL,
        "--base-url", server.base_url, "--mode", "json_schema", "--db", db,
    )  # fmt: skip
    assert nightly.exit_code == 0, nightly.output
    assert "failed 1" in nightly.stdout
    failures = query(Path(db), "select stage, error_type, message from failures")
    assert len(failures) == 1 and failures[0][:2] == ("extract", "batch")
    assert "invalid answer" in failures[0][2]
    stats = json.loads(invoke("stats", "--json", "--db", db).stdout)
    assert stats["failures_by_reason"] == [{"stage": "extract", "error_type": "batch", "count": 1}]
    # fixed later (a live run extracts it): the failure closes
    server.configure(batch_errors={})
    fixed = invoke(
        "run", str(source), "-q", "--retry-failed", "--model", MODEL, "--base-url",
        server.base_url, "--mode", "json_schema", "--db", db,
    )  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    assert query(Path(db), "select count(*) from failures") == [(0,)]


# --- 8. batch cost is the logged calls' cost ------------------------------------------------


def test_collect_cost_and_batch_costs_are_the_logged_calls(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = tmp_path / "db.duckdb"
    server.configure(batch_expire_after=4)  # two batches: the first and its resubmission
    flags = ["--base-url", server.base_url, "--mode", "json_schema", "--db", str(db)]
    assert invoke("run", str(papers_file(tmp_path, 7)), "--batch", "--model", MODEL, *flags)
    server.configure(batch_expire_after=None)
    collected = invoke("batch", "collect", "--wait", "--poll", "0", *flags, "--model", MODEL)
    assert collected.exit_code == 0, collected.output
    logged = query(db, "select sum(cost_usd), count(*) from llm_calls where batch_id is not null")
    assert logged[0][1] == 7 and logged[0][0] > 0
    assert cost_printed(collected.stdout) == pytest.approx(logged[0][0], abs=1e-4)
    status = json.loads(invoke("batch", "status", "--format", "json", "--db", str(db)).stdout)
    assert len(status) == 2
    assert sum(row["cost_usd"] for row in status) == pytest.approx(logged[0][0])
    stats = json.loads(invoke("stats", "--json", "--db", str(db)).stdout)
    assert stats["batch_cost_usd"] == pytest.approx(logged[0][0])


def test_an_imported_file_costs_what_its_logged_calls_cost(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    db = tmp_path / "db.duckdb"
    requests_file, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    exported = invoke(
        "batch", "export", str(papers_file(tmp_path, 3)), "--out", str(requests_file),
        "--model", MODEL, "--mode", "json_schema", "--base-url", NOWHERE, "--db", str(db),
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    answer_requests(server, requests_file, results)
    imported = invoke("batch", "import", str(results), "--base-url", NOWHERE, "--db", str(db))
    assert imported.exit_code == 0, imported.output
    logged = query(db, "select sum(cost_usd), count(*) from llm_calls")[0]
    assert logged[1] == 3 and logged[0] > 0
    assert cost_printed(imported.stdout) == pytest.approx(logged[0], abs=1e-4)
    status = json.loads(invoke("batch", "status", "--format", "json", "--db", str(db)).stdout)
    assert [row["cost_usd"] for row in status] == [pytest.approx(logged[0])]
    stats = json.loads(invoke("stats", "--json", "--db", str(db)).stdout)
    assert stats["batch_cost_usd"] == pytest.approx(logged[0])


# --- 1, 9. the run layer loads providers only through the registry --------------------------


def _without_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any import of the openai package, or of our openai backend, fail."""
    for name in list(sys.modules):
        if name == "openai" or name.startswith(("openai.", "summarizer.backends.openai")):
            monkeypatch.delitem(sys.modules, name)
    for name in ("openai", "summarizer.backends.openai", "summarizer.backends.openai.backend"):
        monkeypatch.setitem(sys.modules, name, None)


def test_a_plain_rules_run_with_no_batch_open_never_imports_openai(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_openai(monkeypatch)
    db = str(tmp_path / "db.duckdb")
    done = invoke("run", str(papers_file(tmp_path, 3)), "-q", "--db", db)
    assert done.exit_code == 0, done.output
    assert "papers read 3" in done.stdout


def test_a_rules_run_with_batches_open_leaves_them_with_a_note_and_loads_no_provider(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = str(tmp_path / "db.duckdb")
    source = str(papers_file(tmp_path, 3))
    flags = ["--base-url", server.base_url, "--mode", "json_schema", "--db", db]
    assert invoke("run", source, "--batch", "--model", MODEL, *flags).exit_code == 0
    with monkeypatch.context() as patch:
        _without_openai(patch)
        plain = invoke("run", source, "-q", "--backend", "rules", "--db", db)
    assert plain.exit_code == 0, plain.output
    assert "1 provider batch job(s) open" in plain.stderr
    assert "summarizer batch collect" in plain.stderr


def test_the_batch_protocol_is_declared_by_the_backend() -> None:
    from summarizer.backends import get_backend
    from summarizer.backends.base import AsyncBackend
    from summarizer.backends.batch import BatchProtocol

    rules = get_backend("rules", BackendSettings())
    assert not rules.capabilities.batch
    openai = get_backend("openai", BackendSettings(model=MODEL, offline=True))
    assert isinstance(openai, AsyncBackend) and openai.capabilities.batch
    protocol = openai.batch
    assert isinstance(protocol, BatchProtocol)
    assert protocol.submission.backend == "openai" and protocol.submission.model == MODEL
    assert {"completed", "expired"} <= protocol.terminal
    with pytest.raises(Exception, match="no API key"):
        protocol.client()


def test_a_batch_recorded_before_migration_10_is_collected_as_an_openai_batch(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = tmp_path / "db.duckdb"
    flags = ["--base-url", server.base_url, "--mode", "json_schema", "--db", str(db)]
    assert invoke("run", str(papers_file(tmp_path, 2)), "--batch", "--model", MODEL, *flags)
    with Store(db) as store, store.transaction() as con:
        # what migration 10 leaves on a row written before it: the default backend, no params
        con.execute("UPDATE batch_jobs SET backend = DEFAULT, params = NULL")
    assert query(db, "select backend, params from batch_jobs") == [("openai", None)]
    collected = invoke("batch", "collect", "--db", str(db))
    assert collected.exit_code == 0, collected.output
    assert "batches collected 1 · still open 0 · stored 2" in collected.stdout
