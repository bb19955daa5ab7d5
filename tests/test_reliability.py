"""Reliability: fault storms, concurrent use, disk and permission failures, secrets."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from summarizer.backends.base import BackendSettings
from summarizer.backends.openai.backend import OpenAIBackend
from summarizer.core.errors import ConfigError, StoreError
from summarizer.run import pipeline
from summarizer.run.jobs import EngineSettings
from summarizer.run.journal import journal_path
from summarizer.store.store import Store, _store_error
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

LISTINGS = Path(__file__).resolve().parent / "data" / "listings"
ABSTRACT = "We propose a method for merging models with many tasks and languages. " * 3


def write_papers(path: Path, count: int) -> Path:
    rows = ({"title": f"Paper {i}", "abstract": f"{ABSTRACT} Variant {i}."} for i in range(count))
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def backend_for(server: FakeOpenAIServer, **settings: object) -> OpenAIBackend:
    config = BackendSettings(base_url=server.base_url, model="fake-model", api_key="sk-test-0000")
    for key, value in settings.items():
        setattr(config, key, value)
    return OpenAIBackend(config)


@pytest.mark.slow
def test_fault_storm_every_paper_ends_extracted_or_recorded(tmp_path: Path) -> None:
    count, attempts, reasks = 120, 6, 1
    faults = {
        "429": 0.2,
        "500": 0.1,
        "timeout": 0.05,
        "malformed": 0.05,
        "length": 0.02,
        "refusal": 0.02,
    }
    config = FakeConfig(fault_rates=faults, seed=7, retry_after=0.05, hang_seconds=3)
    path = write_papers(tmp_path / "p.jsonl", count)
    with FakeOpenAIServer(config) as server, Store(tmp_path / "db.duckdb") as store:
        backend = backend_for(server, timeout=1.0, max_reasks=reasks)
        settings = EngineSettings(concurrency=16, max_attempts=attempts, max_wait=0.5)
        report = pipeline.run([path], store, backend, settings=settings)
        stats = server.stats()
        statuses = dict(store.query("select status, count(*) from summaries group by 1"))
        reasons = dict(store.query("select error_type, count(*) from failures group by 1"))
    assert report.extracted + report.failed == count
    assert statuses.get("ok", 0) + statuses.get("failed", 0) == count
    assert set(reasons) <= {
        "truncated",
        "refusal",
        "malformed_json",
        "invalid_output",
        "rate_limited",
        "http_500",
        "timeout",
    }
    assert statuses.get("failed", 0) == sum(reasons.values())
    bound = attempts * (1 + reasks)
    assert max(stats["per_paper"].values()) <= bound
    assert stats["requests"] <= count * bound
    assert stats["faults"].get("429", 0) > 0 and stats["faults"].get("timeout", 0) > 0


@pytest.mark.slow
def test_reads_during_a_run_answer_and_a_second_writer_is_told_busy(tmp_path: Path) -> None:
    """While a long LLM run writes, sql, stats, export and show answer from the last commit;
    a second run stops at once with 'busy'; nothing is corrupted and the run finishes."""
    db = tmp_path / "busy.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    with FakeOpenAIServer(FakeConfig(latency=0.1)) as server:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "summarizer",
                "run",
                str(LISTINGS),
                "--backend",
                "openai",
                "--base-url",
                server.base_url,
                "--model",
                "fake-model",
                "--db",
                str(db),
                "--concurrency",
                "2",
                "-q",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 30
        while server.stats()["requests"] < 5:
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.05)

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "summarizer", *args, "--db", str(db)],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )

        second = cli("run", str(LISTINGS), "--backend", "rules")
        assert second.returncode == 3, second.stderr
        assert "is busy (another summarizer process is writing it); retry" in second.stderr
        assert "Traceback" not in second.stderr
        assert run.poll() is None, "the run must still be going for the reads below to count"
        counts = cli("sql", "select count(*) as n from papers")
        assert counts.returncode == 0 and counts.stdout == "n\n182\n", counts.stderr
        stats = cli("stats", "--json")
        assert stats.returncode == 0 and json.loads(stats.stdout)["papers"] == 182
        export = cli("export", "--out", str(tmp_path / "d.csv"))
        assert export.returncode == 0, export.stderr
        show = cli("show", "Model Merging", "--format", "json")
        assert show.returncode in (0, 2) and "Traceback" not in show.stderr
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from summaries where status = 'ok'").fetchone() == (
            182,
        )


def test_disk_full_keeps_paid_results_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_papers(tmp_path / "p.jsonl", 40)
    db = tmp_path / "db.duckdb"
    real_save = Store.save
    calls = {"n": 0}

    def failing_save(self: Store, *args: object, **kwargs: object) -> None:
        if args and len(args[0]):  # type: ignore[arg-type]
            calls["n"] += 1  # count writes that carry results
        if calls["n"] > 1:
            raise _store_error(self.path, duckdb.IOException("No space left on device"))
        real_save(self, *args, **kwargs)  # type: ignore[arg-type]

    with FakeOpenAIServer(FakeConfig()) as server:
        monkeypatch.setattr(Store, "save", failing_save)
        with Store(db) as store, pytest.raises(StoreError, match="disk full while writing"):
            pipeline.run(
                [path],
                store,
                backend_for(server),
                settings=EngineSettings(concurrency=4),
                chunk_size=10,
            )
        journaled = journal_path(db).read_text().count('"kind": "result"')
        assert journaled > 0
        bought = sum(server.stats()["ok_per_paper"].values())
        monkeypatch.setattr(Store, "save", real_save)
        with Store(db) as store:
            report = pipeline.run([path], store, backend_for(server))
            assert report.recovered == journaled
            assert store.query("select count(*) from summaries where status = 'ok'")[0][0] == 40
        assert bought < 40  # the failure really happened halfway
        assert max(server.stats()["per_paper"].values()) == 1  # nothing bought twice


def test_unwritable_database_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=r"not writable|cannot create"):
        Store(blocker / "db.duckdb")
    folder_as_db = tmp_path / "folder.duckdb"
    folder_as_db.mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        Store(folder_as_db)


def _without_root_write_override() -> None:
    """In a child process: drop CAP_DAC_OVERRIDE, so file modes bind even root (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override = 24, 1
    if libc.prctl(pr_capbset_drop, cap_dac_override, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE) failed")


def test_read_only_database_keeps_stored_data(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "db.duckdb"
    with Store(db) as store:
        pipeline.ingest([LISTINGS / "daily_papers_a.txt"], store)
    # Read-only by file mode; root, which writes through modes, runs the CLI without that power.
    as_user = _without_root_write_override if os.geteuid() == 0 else None
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "summarizer", "run", str(LISTINGS), "--db", str(db), "-q"],
            capture_output=True,
            text=True,
            preexec_fn=as_user,
        )
        assert result.returncode == 3, result.stderr
        assert result.stderr.count("\n") == 1 and "not writable" in result.stderr
        query = subprocess.run(
            [
                sys.executable,
                "-m",
                "summarizer",
                "sql",
                "select count(*) from papers",
                "--db",
                str(db),
                "--format",
                "csv",
            ],
            capture_output=True,
            text=True,
            preexec_fn=as_user,
        )
        assert query.stdout.splitlines()[-1] == "65"
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


@pytest.mark.slow
def test_api_key_is_never_stored_logged_or_echoed(tmp_path: Path) -> None:
    key = "sk-secret-DUMMY-0123456789abcdef"
    config = FakeConfig(
        fault_rates={"500": 0.2, "refusal": 0.1, "malformed": 0.1}, seed=3, require_api_key=key
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_API_KEY"] = key
    db = tmp_path / "secret.duckdb"
    texts = []
    with FakeOpenAIServer(config) as server:
        for base in (server.base_url, "http://127.0.0.1:9/v1"):
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "summarizer",
                    "run",
                    str(LISTINGS / "daily_papers_b.txt"),
                    "--backend",
                    "openai",
                    "--base-url",
                    base,
                    "--model",
                    "fake-model",
                    "--db",
                    str(db),
                    "--max-retries",
                    "1",
                    "-q",
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
            texts += [result.stdout, result.stderr]
        wrong = dict(env, OPENAI_API_KEY=key[::-1])
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "summarizer",
                "run",
                str(LISTINGS / "daily_papers_c.txt"),
                "--backend",
                "openai",
                "--base-url",
                server.base_url,
                "--db",
                str(tmp_path / "w.duckdb"),
                "-q",
            ],
            capture_output=True,
            text=True,
            env=wrong,
            timeout=120,
        )
        texts += [result.stdout, result.stderr]
        assert "rejected the API key" in result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from failures").fetchone()[0] > 0  # type: ignore[index]
        texts += [str(row) for row in con.execute("select * from failure_log").fetchall()]
        texts += [str(row) for row in con.execute("select * from llm_calls").fetchall()]
    for file in tmp_path.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert key.encode() not in data and key[::-1].encode() not in data, file
    for text in texts:
        assert key not in text and key[::-1] not in text


def test_out_of_memory_is_named_and_not_taken_for_a_lock(tmp_path: Path) -> None:
    """DuckDB's "could not allocate block" holds "lock": it was reported as a busy database."""
    from summarizer.store.store import _store_error

    oom = duckdb.OutOfMemoryException(
        "Out of Memory Error: could not allocate block of size 256.0 KiB (45.6 MiB/45.7 MiB used)"
    )
    message = str(_store_error(tmp_path / "x.duckdb", oom))
    assert "ran out of memory" in message and "SUMMARIZER_DUCKDB_MEMORY" in message
    assert "busy" not in message
    held = duckdb.IOException('Could not set lock on file "x.duckdb": Conflicting lock')
    assert "is busy" in str(_store_error(tmp_path / "x.duckdb", held))
