"""The Ray engine's parts that need no cluster: the shared budget (on a fake clock), the
staging a retried task finds, the idempotent load, and what `--engine` refuses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from summarizer.backends import BackendSettings
from summarizer.cli import app
from summarizer.core.identity import cache_key
from summarizer.run.ratelimit import SAFETY, SharedBudget
from summarizer.store import staging
from summarizer.store.columns import EXTRACTIONS
from summarizer.store.store import Store
from tests.fakes import FakeClock

runner = CliRunner()


def test_reservations_from_many_workers_follow_one_pace() -> None:
    clock = FakeClock()
    budget = SharedBudget(rpm=600, clock=clock)  # 10 per second, under SAFETY
    delays = [budget.reserve(100)[0] for _ in range(6)]  # two workers, three each, interleaved
    gap = 60 / (600 * SAFETY)
    assert delays == pytest.approx([i * gap for i in range(6)])
    _, rate = budget.reserve(100)
    assert rate == pytest.approx(600 * SAFETY / 60)


def test_a_429_holds_every_booked_slot_and_the_next_ones() -> None:
    clock = FakeClock()
    budget = SharedBudget(rpm=6000, clock=clock)
    budget.reserve(1)
    budget.pause(2.0)
    delay, _ = budget.reserve(1)
    assert delay >= 2.0
    assert budget.held() == pytest.approx(2.0)
    clock.advance(2.5)
    assert budget.held() == 0.0


def test_the_shared_budget_learns_the_limit_from_headers() -> None:
    clock = FakeClock()
    budget = SharedBudget(clock=clock)
    assert budget.reserve(1)[0] == 0.0 and budget.request_rate() is None
    budget.observe({"x-ratelimit-limit-requests": "120", "x-ratelimit-remaining-requests": "0"})
    assert budget.request_rate() == pytest.approx(120 * SAFETY / 60)
    # the provider's window is full: slots go at the learned pace, none banked
    first, second = budget.reserve(1)[0], budget.reserve(1)[0]
    assert first == 0.0 and second == pytest.approx(60 / (120 * SAFETY))


def test_tokens_are_booked_too() -> None:
    clock = FakeClock()
    budget = SharedBudget(tpm=60_000, clock=clock)  # 980 tokens a second
    first, _ = budget.reserve(980)
    second, _ = budget.reserve(980)
    assert first == 0.0 and second == pytest.approx(1.0)


def batch_of(count: int) -> pa.Table:
    from summarizer.run.ray_tasks import PAPER_COLUMNS

    rows = []
    for i in range(count):
        title, abstract = f"Paper {i}", f"We propose Net{i}, which improves accuracy by {i}.5%."
        from summarizer.core.paper import Paper

        paper = Paper(title=title, abstract=abstract, source="s.jsonl", record=f"line {i}")
        rows.append(
            {
                "paper_id": paper.paper_id,
                "title": paper.title,
                "abstract": paper.abstract,
                "source": paper.source,
                "record": paper.record,
                "content_hash": paper.content_hash,
                "cache_key": cache_key(paper.content_hash, "digest"),
            }
        )
    return pa.Table.from_pylist(rows).select(PAPER_COLUMNS)


def staged(folder: Path) -> list[str]:
    import pyarrow.parquet as pq

    keys: list[str] = []
    for part in sorted((folder / "results").glob("*.parquet")):
        keys += pq.read_table(part).column("cache_key").to_pylist()
    return keys


def test_a_retried_task_extracts_only_what_its_first_attempt_did_not_stage(
    tmp_path: Path,
) -> None:
    from summarizer.run import ray_tasks

    batch = batch_of(300)
    settings = BackendSettings()
    kwargs: dict[str, Any] = {
        "backend": "rules",
        "settings": settings,
        "strict": False,
        "folder": str(tmp_path),
    }
    name = ray_tasks.batch_name(batch.column("cache_key").to_pylist())
    first = ray_tasks.extract_batch(batch.slice(0, 120), **kwargs)  # as if it died after these
    assert first.column("extracted").to_pylist() == [120]
    # the real batch's first part, staged under its own name before the worker died
    done = staged(tmp_path)
    part = next((tmp_path / "results").glob("*.parquet"))
    part.rename(part.with_name(f"{name}-00000.parquet"))
    again = ray_tasks.extract_batch(batch, **kwargs)
    assert again.column("already").to_pylist() == [120]
    assert again.column("extracted").to_pylist() == [180]
    keys = staged(tmp_path)
    assert sorted(keys) == sorted(batch.column("cache_key").to_pylist())
    assert len(keys) == len(set(keys)) and set(done) <= set(keys)
    third = ray_tasks.extract_batch(batch, **kwargs)  # retried once more: nothing left
    assert third.column("extracted").to_pylist() == [0] and len(staged(tmp_path)) == 300


def test_a_part_is_loaded_once_however_often_the_load_runs(tmp_path: Path) -> None:
    from summarizer.run import ray_tasks

    folder = tmp_path / "staging" / "run-1"
    ray_tasks.extract_batch(
        batch_of(10), backend="rules", settings=BackendSettings(), strict=False, folder=str(folder)
    )
    with Store(tmp_path / "db.duckdb") as store:
        first = staging.load(store, folder.parent, folder)
        second = staging.load(store, folder.parent, folder)
        stored = store.query("SELECT count(*), count(DISTINCT cache_key) FROM extractions")
        recorded = store.query("SELECT kind, rows_loaded FROM staged_parts")
    assert (first.results, second.results, second.already) == (10, 0, 1)
    assert stored == [(10, 10)] and recorded == [("results", 10)]


def test_a_half_written_part_is_never_seen(tmp_path: Path) -> None:
    """A part is written under a hidden temporary name and renamed whole."""
    table = EXTRACTIONS.arrow([])
    path = staging.write_part(tmp_path, "results", "b-00000", table)
    assert path.name == "b-00000.parquet" and not list(tmp_path.rglob(".*partial"))


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--engine", "ray", "--batch", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"],
         "--engine ray cannot be combined with --batch"),
        (["--engine", "spark"], "unknown --engine 'spark'; choose local or ray"),
        (["--staging", "somewhere"], "--staging need --engine ray"),
        (["--engine", "ray", "--shard", "1/2"], "cannot be combined with --shard"),
    ],
)  # fmt: skip
def test_engine_flags_that_do_not_go_together_are_one_line(
    seeds: Path, flags: list[str], says: str
) -> None:
    code, err = invoke("run", str(seeds), *flags)
    assert code == 2
    assert says in err and len(err.strip().splitlines()) == 1


def test_engine_ray_refuses_stdin(seeds: Path) -> None:
    code, err = invoke("run", "-", "--engine", "ray")
    assert code == 2 and "reads files, not stdin" in err


def test_engine_ray_without_ray_installed_says_how_to_install(
    seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as if not installed
    code, err = invoke("run", str(seeds), "--engine", "ray")
    assert code == 2
    assert err.strip() == "error: --engine ray needs Ray, which is not installed: " \
        "pip install 'summarizer[ray]'"  # fmt: skip


def test_a_paid_answer_is_journaled_the_moment_it_lands_and_healed_into_a_part(
    tmp_path: Path,
) -> None:
    from summarizer.core.identity import CacheIdentity
    from summarizer.core.results import Extraction
    from summarizer.grounding import ground
    from summarizer.run import ray_tasks
    from summarizer.run.journal import heal_staged

    batch = batch_of(3)
    jobs = ray_tasks.papers_of(batch)
    name = ray_tasks.batch_name(batch.column("cache_key").to_pylist())
    sink = ray_tasks.StagingSink(tmp_path, name, journal=True)
    identity = CacheIdentity(backend="openai", model="m", prompt_hash="p", schema_version=2)
    for job in jobs[:2]:
        summary = ray_tasks._rules_backend("rules", BackendSettings()).extract(job.paper)
        grounded = ground(summary, job.paper.abstract)
        sink.add_result(Extraction(job.paper.paper_id, job.cache_key, identity, grounded))
    # the worker dies here, before its part is written: only the journal holds the answers
    assert sink._journal is not None
    sink._journal.close()  # as a dead process's files are
    assert not (tmp_path / "results").exists()
    done, following = ray_tasks.staged_keys(tmp_path, name)  # the retried batch looks first
    assert done == {j.cache_key for j in jobs[:2]} and following == 1
    assert not list((tmp_path / "journal").glob("*.jsonl"))  # became the part it gathered
    assert heal_staged(tmp_path) == 0


def test_a_cluster_address_nothing_answers_at_is_one_line_at_once() -> None:
    import socket

    from summarizer.core.errors import ConfigError
    from summarizer.run.ray_engine import check_address

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        check_address(f"127.0.0.1:{port}")  # something answers: left to Ray
        check_address(f"ray://127.0.0.1:{port}")
        check_address("auto")
        check_address(None)
    finally:
        listener.close()
    with pytest.raises(ConfigError, match=r"no Ray cluster answers at 127\.0\.0\.1:"):
        check_address(f"127.0.0.1:{port}", timeout=1)
    with pytest.raises(ConfigError, match="is not host:port"):
        check_address("headnode")


def test_a_staging_folder_that_cannot_be_one_is_one_line(tmp_path: Path) -> None:
    from summarizer.core.errors import ConfigError
    from summarizer.run.ray_engine import check_staging

    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        check_staging(tmp_path / "file")
    with pytest.raises(ConfigError, match="cannot write the staging folder"):
        check_staging(tmp_path / "file" / "below")
    check_staging(tmp_path / "new" / "staging")
    assert (tmp_path / "new" / "staging").is_dir()
