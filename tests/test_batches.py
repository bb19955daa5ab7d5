"""Provider batch jobs against the fake server's Files and Batches API on a real port: nothing
lost, nothing bought twice, whatever moment a run is killed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.backends.base import BackendSettings
from summarizer.backends.openai.backend import OpenAIBackend
from summarizer.backends.openai.batch import BatchClient
from summarizer.cli import app
from summarizer.run import batches
from summarizer.store import batches as stored
from summarizer.store.store import Store
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

MODEL = "gpt-4o-mini"
RULES = "summarizer.testing.fake_openai:rules_answerer"


def papers_file(tmp_path: Path, count: int = 12) -> Path:
    path = tmp_path / "papers.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "title": f"Gizmo {i}: Fast Merging",
                    "abstract": f"We propose Gizmo {i}, a 7B model for merging. Code is at "
                    f"https://github.com/acme/gizmo{i}. It improves accuracy by {i + 1}.5%.",
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


def backend_for(server: FakeOpenAIServer) -> OpenAIBackend:
    return OpenAIBackend(
        BackendSettings(
            base_url=server.base_url, model=MODEL, api_key="sk-test", mode="json_schema"
        )
    )


def keys_of(path: Path, backend: OpenAIBackend) -> list[str]:
    """The cache keys (custom_ids) the papers of a file will be submitted under."""
    from summarizer.core.identity import cache_key
    from summarizer.core.paper import Paper
    from summarizer.ingest import read_papers

    digest = backend.identity.digest
    return [cache_key(p.content_hash, digest) for p in read_papers([path]) if isinstance(p, Paper)]


def billed(server: FakeOpenAIServer) -> dict[str, int]:
    return dict(server.stats()["batch_billed_per_custom_id"])


def ok_count(store: Store) -> int:
    return int(store.query("select count(*) from summaries where status = 'ok'")[0][0])


def test_submit_collect_and_collect_again_store_each_paper_once(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    source = papers_file(tmp_path)
    backend = backend_for(server)
    with Store(tmp_path / "db.duckdb") as store:
        report = batches.submit([source], store, backend)
        assert (report.submitted, len(report.batch_ids)) == (12, 1)
        assert store.query("select status from batches")[0][0] != "collected"
        again = batches.submit([source], store, backend)  # still open: not bought twice
        assert (again.submitted, again.waiting) == (0, 12)
        first = batches.collect(store, backend, wait=True, poll=0.0)
        assert (first.finished, first.stored, first.failed) == (1, 12, 0)
        second = batches.collect(store, backend)
        assert (second.finished, second.stored) == (0, 0)
        assert ok_count(store) == 12
        calls = store.query("select count(*), count(batch_id), sum(cost_usd) from llm_calls")[0]
        assert calls[0] == calls[1] == 12 and calls[2] > 0
        # stored exactly as a live result: grounded, with the schema-2 fields
        rows = store.query("select code_url, task_category from summaries")
        assert all(url and url.startswith("https://github.com/acme/") for url, _ in rows)
        assert all(category for _, category in rows)
        assert batches.submit([source], store, backend).cached == 12
    assert set(billed(server).values()) == {1} and len(billed(server)) == 12


def test_the_batch_price_is_half_the_live_price(tmp_path: Path, server: FakeOpenAIServer) -> None:
    from summarizer.backends.openai.pricing import batch_cost, cost

    backend = backend_for(server)
    assert batch_cost(backend.prices, MODEL, 1000, 0, 500) == pytest.approx(
        cost(backend.prices, MODEL, 1000, 0, 500) / 2
    )
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({f"{MODEL}@batch": [1.0, 1.0, 1.0]}))
    from summarizer.backends.openai.pricing import load_prices

    assert batch_cost(load_prices(prices), MODEL, 1000, 0, 0) == pytest.approx(0.001)


def test_requests_are_split_at_the_file_limit(tmp_path: Path, server: FakeOpenAIServer) -> None:
    backend = backend_for(server)
    with Store(tmp_path / "db.duckdb") as store:
        settings = batches.BatchSettings(max_requests=5)
        report = batches.submit([papers_file(tmp_path)], store, backend, settings=settings)
        assert len(report.batch_ids) == 3
        assert sorted(r["requests"] for r in batches.status(store)) == [2, 5, 5]
        batches.collect(store, backend, wait=True, poll=0.0)
        assert ok_count(store) == 12
    assert server.stats()["batches_created"] == 3


def test_a_kill_after_the_upload_is_finished_by_the_next_collect(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = backend_for(server)

    def killed(self: BatchClient, file_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        raise KeyboardInterrupt

    with Store(tmp_path / "db.duckdb") as store:
        with monkeypatch.context() as patch:
            patch.setattr(BatchClient, "create", killed)
            with pytest.raises(KeyboardInterrupt):
                batches.submit([papers_file(tmp_path)], store, backend)
        (job,) = stored.jobs(store)
        assert job["status"] == "uploaded" and job["batch_id"] is None
        report = batches.collect(store, backend, wait=True, poll=0.0)
        assert report.stored == 12 and ok_count(store) == 12
    assert server.stats()["batches_created"] == 1
    assert set(billed(server).values()) == {1}


def test_a_kill_after_the_batch_is_created_adopts_it_instead_of_buying_again(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = backend_for(server)
    create = BatchClient.create

    def created_then_killed(
        self: BatchClient, file_id: str, metadata: dict[str, str]
    ) -> dict[str, Any]:
        create(self, file_id, metadata)
        raise KeyboardInterrupt  # before its id was recorded

    with Store(tmp_path / "db.duckdb") as store:
        with monkeypatch.context() as patch:
            patch.setattr(BatchClient, "create", created_then_killed)
            with pytest.raises(KeyboardInterrupt):
                batches.submit([papers_file(tmp_path)], store, backend)
        report = batches.collect(store, backend, wait=True, poll=0.0)
        assert report.stored == 12 and ok_count(store) == 12
    assert server.stats()["batches_created"] == 1
    assert set(billed(server).values()) == {1}


def test_a_kill_during_collect_loses_nothing_and_stores_nothing_twice(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = backend_for(server)
    with Store(tmp_path / "db.duckdb") as store:
        batches.submit([papers_file(tmp_path)], store, backend)
        with monkeypatch.context() as patch:
            original = stored.mark

            def killed_after_storing(*args: Any, **kwargs: Any) -> None:
                if args[3] == "stored" and list(args[2]):
                    raise KeyboardInterrupt  # results committed, not yet marked
                original(*args, **kwargs)

            patch.setattr(stored, "mark", killed_after_storing)
            with pytest.raises(KeyboardInterrupt):
                batches.collect(store, backend, wait=True, poll=0.0)
        report = batches.collect(store, backend, wait=True, poll=0.0)
        assert report.finished == 1 and report.stored == 0  # found already stored
        assert ok_count(store) == 12
        assert store.query("select count(*) from extractions")[0][0] == 12
    assert set(billed(server).values()) == {1}


def test_an_expired_batch_keeps_what_finished_and_resubmits_the_rest_once(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    backend = backend_for(server)
    with Store(tmp_path / "db.duckdb") as store:
        server.configure(batch_expire_after=5)  # a batch keeps the settings it was made with
        batches.submit([papers_file(tmp_path)], store, backend)
        server.configure(batch_expire_after=None)
        first = batches.collect(store, backend, wait=False)
        assert first.stored == 5 and first.resubmitted == 7 and len(first.batch_ids) == 1
        second = batches.collect(store, backend, wait=True, poll=0.0)
        assert second.stored == 7 and ok_count(store) == 12
        assert [r["attempt"] for r in batches.status(store)] == [1, 2]
    assert set(billed(server).values()) == {1}


def test_what_fails_again_after_a_resubmission_is_a_failure_with_its_reason(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    backend = backend_for(server)
    with Store(tmp_path / "db.duckdb") as store:
        source = papers_file(tmp_path, 3)
        key = keys_of(source, backend)[0]
        server.configure(batch_errors={key: "invalid"})  # in the first batch and the second
        report = batches.submit([source], store, backend)
        batches.collect(store, backend, wait=True, poll=0.0)
        batches.collect(store, backend, wait=True, poll=0.0)
        assert ok_count(store) == 2 and report.submitted == 3
        (failure,) = store.query("select error_type, message from failures")
        assert failure[0] == "batch" and "invalid answer" in failure[1]


def test_live_retry_extracts_the_leftovers_live(tmp_path: Path, server: FakeOpenAIServer) -> None:
    backend = backend_for(server)
    with Store(tmp_path / "db.duckdb") as store:
        source = papers_file(tmp_path, 4)
        keys = keys_of(source, backend)
        server.configure(batch_errors={keys[0]: "server_error", keys[1]: "invalid"})
        batches.submit([source], store, backend)
        settings = batches.BatchSettings(live_retry=True)
        report = batches.collect(store, backend_for(server), settings=settings, wait=True, poll=0.0)
        assert (report.retried_live, report.resubmitted) == (2, 0)
        assert ok_count(store) == 4
        live = store.query("select count(*) from llm_calls where batch_id is null and status = 200")
        assert live[0][0] >= 2


def test_export_and_import_round_trip_through_the_run_batch_format(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    """What `vllm run-batch` does with an exported file, done against the fake's chat endpoint."""
    import httpx2

    backend = backend_for(server)
    requests_file = tmp_path / "requests.jsonl"
    with Store(tmp_path / "db.duckdb") as store:
        report = batches.export_requests([papers_file(tmp_path, 5)], store, backend, requests_file)
        assert report.submitted == 5
        lines = [json.loads(line) for line in requests_file.read_text().splitlines()]
        assert {line["url"] for line in lines} == {"/v1/chat/completions"}
        outputs = []
        for line in lines:
            answer = httpx2.post(
                server.base_url + "/chat/completions",
                json=line["body"],
                headers={"Authorization": "Bearer sk-test"},
            ).json()
            outputs.append(
                {
                    "id": f"vllm-{line['custom_id']}",
                    "custom_id": line["custom_id"],
                    "response": {"status_code": 200, "request_id": "r", "body": answer},
                    "error": None,
                }
            )
        results = tmp_path / "results.jsonl"
        results.write_text("".join(json.dumps(o) + "\n" for o in outputs))
        imported = batches.import_results(store, backend, results)
        assert imported.stored == 5 and ok_count(store) == 5
        assert batches.import_results(store, backend, results).stored == 0


def test_the_cli_submits_reports_ids_and_a_plain_run_collects_first(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = str(tmp_path / "db.duckdb")
    source = str(papers_file(tmp_path, 6))
    flags = ["--base-url", server.base_url, "--model", MODEL, "--db", db]
    runner = CliRunner()
    submitted = runner.invoke(app, ["run", source, "--batch", "--batch-size", "4", *flags])
    assert submitted.exit_code == 0, submitted.output
    assert "submitted 6" in submitted.stdout and submitted.stdout.count("batch_") == 2
    status = runner.invoke(app, ["batch", "status", "--format", "json", "--db", db])
    assert [row["requests"] for row in json.loads(status.stdout)] == [4, 2]
    plain = runner.invoke(app, ["run", source, "-q", "--mode", "json_schema", *flags])
    assert plain.exit_code == 0, plain.output
    assert "batches collected 2" in plain.stdout and "cached 6" in plain.stdout
    refused = runner.invoke(app, ["run", source, "--batch", "--db", db])
    assert refused.exit_code == 2 and "--backend openai" in refused.stderr


def test_stats_show_batch_spend_apart_from_live_spend(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    from summarizer.outputs.stats import collect as collect_stats

    backend = backend_for(server)
    with Store(tmp_path / "db.duckdb") as store:
        batches.submit([papers_file(tmp_path, 3)], store, backend)
        batches.collect(store, backend, wait=True, poll=0.0)
        result = collect_stats(store)
    assert result.batch_cost_usd == pytest.approx(result.cost_usd) and result.batch_cost_usd > 0
    assert result.batch_tokens == result.tokens > 0
    with Store(tmp_path / "db.duckdb") as store:
        runs = store.query("select backend, extracted, cost_usd from runs")
    assert [(b, n) for b, n, _ in runs] == [("openai-batch", 3)] and runs[0][2] > 0
