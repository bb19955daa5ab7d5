"""The declared contracts: what the engine may use of a backend, how errors are typed, what
importing the package does, and how a run that dies is recorded."""

from __future__ import annotations

import csv
import logging
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from summarizer.backends import (
    AsyncBackend,
    Backend,
    BackendSettings,
    Capabilities,
    get_backend,
    register_backend,
)
from summarizer.cli import app
from summarizer.core.calls import CallRecord, current_call
from summarizer.core.errors import (
    BackendError,
    ConfigError,
    Interrupted,
    RunStopped,
    TransientError,
)
from summarizer.core.identity import CacheIdentity
from summarizer.core.paper import Paper
from summarizer.core.schema import Summary
from summarizer.run import pipeline
from summarizer.run.jobs import EngineSettings
from summarizer.store.store import Store

LISTING_LINE = '{"title": "T%d", "abstract": "We train a 7B model on code. Abstract %d."}\n'


def _jsonl(path: Path, count: int) -> Path:
    path.write_text("".join(LISTING_LINE % (i, i) for i in range(count)))
    return path


class MinimalAsync(AsyncBackend):
    """Implements only what AsyncBackend declares: if the engine needed anything else, a run
    with it would fail."""

    name = "minimal-async"
    capabilities = Capabilities(billable=True)

    def __init__(self, settings: BackendSettings | None = None) -> None:
        super().__init__(settings)
        self.checked = self.closed = False
        self.notes.append("minimal backend in use")

    @property
    def identity(self) -> CacheIdentity:
        return CacheIdentity(backend=self.name, model=self.settings.model or "m0")

    def estimate_tokens(self, paper: Paper) -> int:
        return 10

    async def check_endpoint(self) -> None:
        self.checked = True

    async def aclose(self) -> None:
        self.closed = True

    async def extract(self, paper: Paper) -> Summary:
        key, attempt = current_call.get()
        self.emit_call(CallRecord(key, "m0", attempt, 200, 1.0, prompt_tokens=7))
        self.emit_headers(200, {"x-ratelimit-limit-requests": "600"})
        return Summary.empty()


def test_an_async_backend_needs_only_its_declared_members(db_path: Path) -> None:
    backend = MinimalAsync()
    with Store(db_path) as store:
        report = pipeline.run([_jsonl(db_path.parent.parent / "p.jsonl", 3)], store, backend)
        calls = store.query("SELECT count(*), sum(prompt_tokens) FROM llm_calls")
    assert (report.extracted, report.failed) == (3, 0)
    assert backend.checked and backend.closed
    assert report.notes == ["minimal backend in use"]
    assert calls == [(3, 21)]


class SettingsSensitive(Backend):
    """A parallel backend whose result depends on its settings: worker processes must be
    handed the settings, not just the name."""

    name = "settings-sensitive"
    capabilities = Capabilities(parallel=True)
    closed: ClassVar[list[str]] = []

    @property
    def identity(self) -> CacheIdentity:
        return CacheIdentity(backend=self.name, model=self.settings.model or "default")

    def extract(self, paper: Paper) -> Summary:
        summary = Summary.empty()
        summary.task = f"model={self.settings.model}"
        return summary

    def close(self) -> None:
        SettingsSensitive.closed.append(self.settings.model or "")


def test_worker_processes_rebuild_the_backend_from_its_full_settings(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_backend("settings-sensitive", f"{__name__}:SettingsSensitive")
    monkeypatch.setattr(pipeline, "MIN_PARALLEL", 10)
    backend = get_backend("settings-sensitive", BackendSettings(model="custom-7"))
    assert isinstance(backend, Backend)
    with Store(db_path) as store:
        report = pipeline.run([_jsonl(db_path.parent.parent / "p.jsonl", 40)], store, backend)
        tasks = store.query("SELECT DISTINCT task FROM summaries")
    assert report.extracted == 40
    assert tasks == [("model=custom-7",)]
    assert "custom-7" in SettingsSensitive.closed  # the parent's backend is closed at the end


class Refusing(MinimalAsync):
    name = "refusing"

    async def extract(self, paper: Paper) -> Summary:
        raise BackendError("the server rejected the API key (401); set a valid OPENAI_API_KEY")


def test_a_run_that_dies_is_recorded_as_failed(db_path: Path) -> None:
    with Store(db_path) as store:
        with pytest.raises(BackendError):
            pipeline.run([_jsonl(db_path.parent.parent / "p.jsonl", 2)], store, Refusing())
        (status,) = store.query("SELECT status FROM runs")[0]
    assert status.startswith("failed: the server rejected the API key")


class Flaky(MinimalAsync):
    name = "flaky"

    async def extract(self, paper: Paper) -> Summary:
        raise TransientError("server error 503", status=503, retry_after=0.0, error_type="http_503")


def test_retries_that_run_out_fail_the_paper_not_the_run(db_path: Path) -> None:
    settings = EngineSettings(max_attempts=2, max_wait=0.0)
    with Store(db_path) as store:
        report = pipeline.run(
            [_jsonl(db_path.parent.parent / "p.jsonl", 2)], store, Flaky(), settings=settings
        )
        (status,) = store.query("SELECT status FROM runs")[0]
    assert (report.extracted, report.failed, status) == (0, 2, "partial")


def test_error_types() -> None:
    assert not issubclass(TransientError, BackendError)
    assert issubclass(Interrupted, RunStopped) and Interrupted.exit_code == 130
    assert ConfigError.exit_code == 2


def test_an_unknown_format_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", str(_jsonl(tmp_path / "p.jsonl", 1)), "--format", "yaml"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown --input-format 'yaml'; choose one of listing, jsonl, json, csv, tsv, atom, rss, "
        "parquet, oai"
    ]
    assert not (tmp_path / "db").exists() or "Traceback" not in result.stderr


def test_a_class_implementing_neither_contract_is_refused() -> None:
    register_backend("not-a-backend", "pathlib:Path")
    with pytest.raises(ConfigError, match="implements neither Backend nor AsyncBackend"):
        get_backend("not-a-backend", BackendSettings())


def test_importing_the_package_changes_nothing_global() -> None:
    script = (
        "import csv, logging; limit = csv.field_size_limit(); "
        "logger = logging.getLogger('instructor'); state = (logger.level, logger.propagate, "
        "len(logger.handlers)); import summarizer, summarizer.cli, summarizer.backends.openai."
        "backend; print(csv.field_size_limit() == limit, (logger.level, logger.propagate, "
        "len(logger.handlers)) == state)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_parsing_a_csv_restores_the_field_limit(tmp_path: Path) -> None:
    from summarizer.ingest import read_papers

    before = csv.field_size_limit()
    path = tmp_path / "p.csv"
    path.write_text("title,abstract\nT," + "word " * 40_000 + "\n")
    (rejected,) = list(read_papers([path]))  # a 200 KB field: past csv's default limit
    assert "abstract is 200,000 characters" in str(rejected)  # read, then judged by length
    assert csv.field_size_limit() == before


def test_headers_reach_every_observer() -> None:
    seen: list[tuple[int, Mapping[str, str]]] = []
    backend = MinimalAsync()
    backend.on_headers(lambda status, headers: seen.append((status, headers)))
    backend.on_headers(lambda status, headers: seen.append((status, headers)))
    backend.emit_headers(429, {"retry-after": "1"})
    assert seen == [(429, {"retry-after": "1"})] * 2
    assert logging.getLogger("summarizer").handlers == []


class FreezeWatching(MinimalAsync):
    """Records whether the objects that outlive the run were set aside from the collector."""

    frozen_during: ClassVar[list[int]] = []

    async def extract(self, paper: Paper) -> Summary:
        import gc

        FreezeWatching.frozen_during.append(gc.get_freeze_count())
        return await super().extract(paper)


def test_the_engine_keeps_long_lived_objects_out_of_full_collections(db_path: Path) -> None:
    """A full collection walking the whole heap held the event loop for 0.1-0.2 s at a time
    (BENCHMARKS.md, issue 13); the engine freezes what exists at its start and thaws it after."""
    import gc

    with Store(db_path) as store:
        pipeline.run([_jsonl(db_path.parent.parent / "p.jsonl", 3)], store, FreezeWatching())
    assert FreezeWatching.frozen_during and min(FreezeWatching.frozen_during) > 1000
    assert gc.get_freeze_count() == 0
