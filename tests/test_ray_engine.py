"""`--engine ray` on a local Ray (2 CPUs): the same job as a local run, retried tasks that
store every paper once, and one rate limit for all workers against the fake server."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import ray  # in the test extra: without it this module fails to import, loudly, not skipped

from summarizer.backends import BackendSettings, get_backend
from summarizer.core.errors import BudgetExceeded
from summarizer.run import pipeline, ray_engine
from summarizer.run.jobs import EngineSettings
from summarizer.run.ray_engine import RayOptions
from summarizer.store import staging
from summarizer.store.store import Store
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.conftest import SEEDS

pytestmark = [
    pytest.mark.slow,  # a local Ray cluster, shared by every test of this module
    pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\..*"),  # Ray's own, internal
]


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.ERROR,
        _node_ip_address="127.0.0.1",
    )
    yield
    ray.shutdown()


def rules() -> Any:
    return get_backend("rules", BackendSettings())


def run_ray(db: Path, inputs: list[Path], **options: Any) -> pipeline.RunReport:
    settings = options.pop("settings", None)
    backend = options.pop("backend", None) or rules()
    with Store(db, hold=False) as store:
        return ray_engine.run(
            inputs, store, backend, settings=settings, options=RayOptions(**options)
        )


def run_local(db: Path, inputs: list[Path]) -> pipeline.RunReport:
    with Store(db, hold=False) as store:
        return pipeline.run(inputs, store, rules())


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def counts(report: pipeline.RunReport) -> dict[str, int]:
    names = ("read", "distinct", "new", "cached", "extracted", "failed", "rejected", "calls")
    return {name: getattr(report, name) for name in names}


STORED = {
    "papers": "SELECT * EXCLUDE (ingested_at) FROM paper_records ORDER BY paper_id",
    "sightings": "SELECT * EXCLUDE (ingested_at) FROM sightings ORDER BY ALL",
    "results": "SELECT * EXCLUDE (extracted_at) FROM extractions ORDER BY cache_key",
    "summaries": "SELECT * EXCLUDE (extracted_at) FROM summaries ORDER BY paper_id",
    "failures": "SELECT source, record, stage, message FROM failures ORDER BY ALL",
}


def test_seed_listings_give_the_same_rows_and_cache_keys_as_a_local_run(tmp_path: Path) -> None:
    local = run_local(tmp_path / "local.duckdb", [SEEDS])
    distributed = run_ray(tmp_path / "ray.duckdb", [SEEDS])
    assert counts(distributed) == counts(local)
    assert local.extracted == local.distinct > 150
    for name, sql in STORED.items():
        assert rows(tmp_path / "ray.duckdb", sql) == rows(tmp_path / "local.duckdb", sql), name
    assert not staging.staging_root(tmp_path / "ray.duckdb").exists()  # loaded, then cleaned


def test_a_rerun_through_ray_is_fully_cached(tmp_path: Path) -> None:
    db = tmp_path / "ray.duckdb"
    first = run_ray(db, [SEEDS])
    again = run_ray(db, [SEEDS])
    assert again.calls == 0 and again.extracted == 0
    assert again.cached == again.distinct == first.distinct
    assert again.read == first.read and again.new == 0  # settled papers still counted
    assert rows(db, "SELECT count(*) FROM extractions") == [(first.distinct,)]


def test_a_worker_killed_mid_batch_is_retried_and_every_paper_stored_once(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ray.duckdb"
    marker = tmp_path / "crashed"
    report = run_ray(db, [SEEDS], crash_once=marker, batch_size=60)
    assert marker.exists()  # a worker really died after staging its first part
    assert report.extracted == report.distinct
    stored = rows(db, "SELECT count(*), count(DISTINCT cache_key) FROM extractions")
    assert stored == [(report.distinct, report.distinct)]
    assert rows(db, "SELECT count(*) FROM summaries WHERE status = 'ok'") == [(report.distinct,)]


def test_a_run_bigger_than_the_stores_memory_cap_is_planned_within_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver's plan (the run's distinct papers, written to Parquet for the workers) must
    not hold every abstract at once: grouped in memory, it failed with DuckDB's Out of
    Memory at 100,000 papers under the writer's default 96 MB cap. Here 8,000 abstracts
    (46 MB) under a 48 MB cap, cached first so that the Ray run only stores and plans."""
    source = tmp_path / "big.jsonl"
    filler = " ".join(["x" * 80] * 70)
    with source.open("w") as out:
        for i in range(8000):
            paper = {"title": f"Paper {i}", "abstract": f"We propose Net{i}. {filler}"}
            out.write(json.dumps(paper) + "\n")
    db = tmp_path / "ray.duckdb"
    run_local(db, [source])
    monkeypatch.setenv("SUMMARIZER_DUCKDB_MEMORY", "48MB")
    report = run_ray(db, [source])
    assert report.cached == report.distinct == 8000 and report.calls == 0


def write_bad_inputs(folder: Path) -> None:
    folder.mkdir()
    good = {"title": "A good paper", "abstract": "We propose FooNet, which improves BLEU by 2.1."}
    lines = [
        json.dumps(good),
        '{"title": "cut short", "abstract": "This line ends',
        json.dumps({"title": "No abstract here"}),
        json.dumps({"title": "Second good", "abstract": "We study BarLM with 7B parameters."}),
    ]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "b.csv").write_text(
        'title,abstract\n"Row paper","We present BazGAN."\n"only one cell"\n'
    )
    import pyarrow as pa
    import pyarrow.parquet as pq

    papers = {
        "Title": ["From Parquet", "No abstract"],
        "Abstract": ["We scale QuxNet to 13B.", None],
    }
    pq.write_table(pa.table(papers), folder / "c.parquet")
    (folder / "notes.csv").write_text("name,value\nx,1\n")  # a table of something else
    (folder / "figure.png").write_bytes(b"\x89PNG")


def test_bad_input_records_are_reported_as_in_a_local_run(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    write_bad_inputs(inputs)
    missing = tmp_path / "nope.jsonl"
    (tmp_path / "empty").mkdir()
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "pictures" / "b.csv").write_text("name,value\nx,1\n")
    (tmp_path / "last.jsonl").write_text('{"title": "t"}\n')
    given = [inputs, tmp_path / "empty", tmp_path / "pictures", tmp_path / "last.jsonl"]
    local = run_local(tmp_path / "local.duckdb", given)
    distributed = run_ray(tmp_path / "ray.duckdb", given)
    assert local.rejected == 7
    assert distributed.rejections == local.rejections  # the same lines, in the same order
    assert distributed.notes == local.notes and len(local.notes) == 4
    assert counts(distributed) == counts(local)
    sql = STORED["failures"]
    assert rows(tmp_path / "ray.duckdb", sql) == rows(tmp_path / "local.duckdb", sql)
    with pytest.raises(Exception, match="no such file"):
        pipeline.check_inputs([missing])


def test_staging_left_by_a_dead_run_is_loaded_by_the_next_run_once(tmp_path: Path) -> None:
    source = tmp_path / "first.duckdb"
    run_ray(source, [SEEDS])
    db = tmp_path / "ray.duckdb"
    run_local(db, [SEEDS / "daily_papers_a.txt"])  # papers stored, as a dead run leaves them
    from summarizer.store.columns import EXTRACTIONS

    with duckdb.connect(str(source), read_only=True) as con:
        table = con.sql("SELECT * FROM extractions").to_arrow_table()
    folder = staging.staging_root(db) / "dead-run"
    staging.write_part(folder, "results", "batch-00000", table.select(EXTRACTIONS.names))
    with Store(db, hold=False) as store:
        before = rows(db, "SELECT count(*) FROM extractions")[0][0]
        loaded = staging.load(store, folder.parent, folder)
        again = staging.load(store, folder.parent, folder)  # a load cut short, done again
    assert loaded.results == table.num_rows and again.results == 0
    assert again.already == 1
    report = run_ray(db, [SEEDS])
    assert report.recovered == 0  # the parts were loaded already: recorded, not reloaded
    assert not folder.exists()
    assert rows(db, "SELECT count(*) FROM extractions") == [(table.num_rows,)]
    assert before < table.num_rows


def test_a_dead_runs_staging_is_recovered_at_the_start_of_the_next(tmp_path: Path) -> None:
    source = tmp_path / "first.duckdb"
    run_ray(source, [SEEDS])
    from summarizer.store.columns import EXTRACTIONS

    with duckdb.connect(str(source), read_only=True) as con:
        table = con.sql("SELECT * FROM extractions").to_arrow_table()
    db = tmp_path / "ray.duckdb"
    run_local(db, [SEEDS / "daily_papers_b.txt"])
    folder = staging.staging_root(db) / "dead-run"
    staging.write_part(folder, "results", "batch-00000", table.select(EXTRACTIONS.names))
    with Store(db, hold=False) as store:
        report = pipeline.run([SEEDS], store, rules())
    assert report.recovered == table.num_rows
    assert report.extracted == 0 and report.cached == report.distinct  # nothing bought again
    assert not folder.exists()


def test_two_workers_share_one_limit_against_the_fake_server(tmp_path: Path) -> None:
    """60 requests per rolling 6 s (600 a minute): two workers with 8 calls in flight each
    could send 300 a second; together, through the one budget actor, they stay under it."""
    window, per_window = 6.0, 60
    rpm = per_window * 60 / window
    config = FakeConfig(rpm=per_window, window_seconds=window, latency=0.05)
    with FakeOpenAIServer(config) as fake:
        settings = BackendSettings(
            base_url=fake.base_url, model="fake-model", api_key="sk-x", mode="tools"
        )
        db = tmp_path / "ray.duckdb"
        report = run_ray(
            db,
            [SEEDS],
            backend=get_backend("openai", settings),
            workers=2,
            batch_size=16,
            settings=EngineSettings(concurrency=8, rpm=rpm),
        )
        stats = fake.stats()
    refused = stats["by_status"].get(429, 0) + stats["by_status"].get("429", 0)
    assert report.extracted == report.distinct and report.failed == 0  # none lost
    assert refused / stats["requests"] < 0.01, stats["by_status"]
    assert rows(
        db, "SELECT count(*), count(DISTINCT cache_key) FROM llm_calls WHERE status = 200"
    ) == [(report.distinct, report.distinct)]
    assert rows(db, "SELECT count(*) FROM extractions") == [(report.distinct,)]


def test_cli_engine_ray_prints_the_local_summary(tmp_path: Path) -> None:
    def summary(*extra: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "summarizer", "run", str(SEEDS), "--quiet", *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        return [line for line in done.stdout.splitlines() if line.startswith("papers read")]

    local = summary("--db", str(tmp_path / "local.duckdb"))
    distributed = summary("--db", str(tmp_path / "ray.duckdb"), "--engine", "ray")
    assert distributed == local and local


def test_max_cost_holds_for_the_whole_cluster(tmp_path: Path) -> None:
    cap = 0.01
    with FakeOpenAIServer(FakeConfig(model="gpt-4o-mini", latency=0.02)) as fake:
        settings = BackendSettings(base_url=fake.base_url, model="gpt-4o-mini", api_key="sk-x")
        db = tmp_path / "ray.duckdb"
        report = run_ray(
            db,
            [SEEDS],
            backend=get_backend("openai", settings),
            workers=2,
            settings=EngineSettings(concurrency=4, max_cost=cap),
        )
    assert isinstance(report.stopped, BudgetExceeded)
    assert 0 < report.extracted < report.distinct
    spent = rows(db, "SELECT sum(cost_usd), count(*) FROM llm_calls")[0]
    assert spent[0] <= cap and spent[1] == report.calls
    assert report.cost_usd == pytest.approx(spent[0])


def test_ctrl_c_stores_what_was_answered_and_the_rerun_buys_only_the_rest(
    tmp_path: Path,
) -> None:
    import os
    import signal
    import time

    from summarizer.backends.openai.endpoint import PROBE_ABSTRACT
    from summarizer.testing.fake_openai import paper_key

    workers, concurrency = 2, 4
    with FakeOpenAIServer(FakeConfig(latency=0.05)) as fake:
        db = tmp_path / "kill.duckdb"
        args = [
            sys.executable, "-m", "summarizer", "run", str(SEEDS), "--engine", "ray",
            "--base-url", fake.base_url, "--model", "fake-model", "--db", str(db), "--quiet",
            "--workers", str(workers), "--concurrency", str(concurrency),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env["OPENAI_API_KEY"] = "sk-dummy-ray-key-0000"
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 120
        while sum(fake.stats()["ok_per_paper"].values()) < 60:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        # every request from now on hangs: the run can only end by abandoning them
        fake.configure(fault_rates={"timeout": 1.0}, hang_seconds=3600)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        answered = sum(fake.stats()["ok_per_paper"].values()) - 1  # less the probe
        with duckdb.connect(str(db), read_only=True) as con:
            kept = con.execute("SELECT count(*) FROM extractions").fetchone()
        # every answer that reached a worker is stored; only those on the wire at the stop
        # (at most one per call in flight) may not have
        assert kept is not None and answered - workers * concurrency <= kept[0] <= answered
        fake.configure(fault_rates={})
        again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=180)
        assert again.returncode == 0, again.stderr
        per_paper = {
            k: n for k, n in fake.stats()["per_paper"].items() if k != paper_key(PROBE_ABSTRACT)
        }
    bought_twice = sum(count - 1 for count in per_paper.values())
    assert bought_twice <= workers * concurrency  # only the calls in flight at the stop
    distinct = rows(db, "SELECT count(*) FROM paper_records")[0][0]
    assert rows(db, "SELECT count(*), count(DISTINCT cache_key) FROM extractions") == [
        (distinct, distinct)
    ]
    assert not staging.staging_root(db).exists()
