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

from summarizer.backends import BackendSettings, get_backend
from summarizer.run import pipeline, ray_engine
from summarizer.run.jobs import EngineSettings
from summarizer.run.ray_engine import RayOptions
from summarizer.store import staging
from summarizer.store.store import Store
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.conftest import SEEDS

ray = pytest.importorskip("ray", reason="the Ray engine tests need summarizer[ray]")
# .ci/run installs summarizer[ray]; the CI check below fails when it did not.

pytestmark = [
    pytest.mark.slow,  # a local Ray cluster, shared by every test of this module
    pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\..*"),  # Ray's own, internal
]


def test_ci_installs_ray() -> None:
    """A skip would hide a broken engine: CI installs the extra, so Ray is always here."""
    assert ray.__version__


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
    (folder / "notes.csv").write_text("name,value\nx,1\n")  # a table of something else
    (folder / "figure.png").write_bytes(b"\x89PNG")


def test_bad_input_records_are_reported_as_in_a_local_run(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    write_bad_inputs(inputs)
    missing = tmp_path / "nope.jsonl"
    local = run_local(tmp_path / "local.duckdb", [inputs])
    distributed = run_ray(tmp_path / "ray.duckdb", [inputs])
    assert local.rejected == 3
    assert distributed.rejections == local.rejections
    assert distributed.notes == local.notes and len(local.notes) == 2
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
    rpm = 600
    with FakeOpenAIServer(FakeConfig(rpm=rpm, window_seconds=5.0, latency=0.05)) as fake:
        settings = BackendSettings(base_url=fake.base_url, model="fake-model", api_key="sk-x")
        backend = get_backend("openai", settings)
        db = tmp_path / "ray.duckdb"
        report = run_ray(
            db,
            [SEEDS],
            backend=backend,
            workers=2,
            settings=EngineSettings(concurrency=8, rpm=rpm),
        )
        stats = fake.stats()
    answered = stats["requests"]
    refused = stats["by_status"].get(429, 0) + stats["by_status"].get("429", 0)
    assert report.extracted == report.distinct and report.failed == 0  # none lost
    assert refused / answered < 0.01, stats["by_status"]
    assert rows(db, "SELECT count(DISTINCT cache_key) FROM llm_calls") == [(report.distinct + 0,)]
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
