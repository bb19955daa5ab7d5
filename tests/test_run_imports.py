"""A cached re-run buys nothing, so it loads no provider: after a first `rules` run of the seed
listings, the second identical `summarizer run` imports no LLM client, no Ray and no module of
the openai backend.

The second run happens in a fresh interpreter that reports ``sys.modules`` once the command
has finished (test_startup's probe), so a provider import added anywhere on the cached path
fails here. No timings: bench/floor.py measures those.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from tests.test_startup import _loaded, _run_cli

PROVIDERS = (
    "openai",
    "instructor",
    "httpx2",
    "httpx",
    "anthropic",
    "ray",
    "summarizer.backends.openai",
)
"""Only a run that calls an LLM (or runs on Ray) needs these."""
EXTRACTION = ("pyarrow", "summarizer.backends.rules.extract")
"""Only a run that extracts or writes results needs these: the rules compile their patterns
on import, and pyarrow loads with the first write."""

pytestmark = pytest.mark.slow  # subprocesses


def test_a_cached_rules_rerun_imports_no_provider_package(tmp_path: Path, seeds: Path) -> None:
    db = tmp_path / "cached.duckdb"
    first = CliRunner().invoke(
        app, ["run", str(seeds), "--backend", "rules", "-q", "--db", str(db)]
    )
    assert first.exit_code == 0, first.output
    result, modules = _run_cli(
        tmp_path, "run", str(seeds), "--backend", "rules", "-q", "--db", str(db)
    )
    assert "extracted 0" in result.stdout and "cached 182" in result.stdout, result.stdout
    assert "summarizer.store.store" in modules  # the probe sees what the run really loaded
    loaded = _loaded(modules, PROVIDERS)
    assert loaded == [], f"a cached re-run imported {loaded}"
    extraction = _loaded(modules, EXTRACTION)
    assert extraction == [], f"a cached re-run loaded the extraction side: {extraction}"


def test_a_cached_rerun_with_the_default_backend_imports_no_provider_package(
    tmp_path: Path, seeds: Path
) -> None:
    """The same without naming a backend: the default (rules) must not load a provider to
    decide that it is the default."""
    db = tmp_path / "cached.duckdb"
    first = CliRunner().invoke(app, ["run", str(seeds), "-q", "--db", str(db)])
    assert first.exit_code == 0, first.output
    result, modules = _run_cli(tmp_path, "run", str(seeds), "-q", "--db", str(db))
    assert "extracted 0" in result.stdout, result.stdout
    loaded = _loaded(modules, PROVIDERS)
    assert loaded == [], f"a cached re-run imported {loaded}"


def test_a_cached_rerun_loads_no_validation_and_no_console_library(
    tmp_path: Path, seeds: Path
) -> None:
    """Issue 24: a cached re-run converts its flags without pydantic (cli._PlainValue) and
    prints its plain summary lines without rich; nothing it reads needs either."""
    db = tmp_path / "cached.duckdb"
    first = CliRunner().invoke(app, ["run", str(seeds), "-q", "--db", str(db)])
    assert first.exit_code == 0, first.output
    result, modules = _run_cli(tmp_path, "run", str(seeds), "-q", "--db", str(db))
    assert "extracted 0" in result.stdout, result.stdout
    loaded = _loaded(modules, ("pydantic", "pydantic_core", "rich", "logging"))
    assert loaded == [], f"a cached re-run loaded {loaded}"


def test_a_cached_rerun_opens_the_database_once(
    tmp_path: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store lingers across a run's first steps and its cached chunks (Store linger):
    one connection for the whole re-run, where there used to be about six."""
    import duckdb

    from summarizer.run import request

    db = tmp_path / "cached.duckdb"
    first = CliRunner().invoke(app, ["run", str(seeds), "-q", "--db", str(db)])
    assert first.exit_code == 0, first.output
    opened: list[str] = []
    connect = duckdb.connect

    def counted(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        opened.append(str(args[0]) if args else "")
        return connect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(duckdb, "connect", counted)
    monkeypatch.setattr(request, "LINGER", 600.0)  # however slow the machine
    again = CliRunner().invoke(app, ["run", str(seeds), "-q", "--db", str(db)])
    assert again.exit_code == 0, again.output
    assert "extracted 0" in again.output
    assert opened == [str(db)]


def test_a_lingering_store_lets_go_when_told(tmp_path: Path) -> None:
    """Store(linger=...) keeps one connection across sessions until let_go(); from then on
    each session lets go of the file, so readers get in while the run extracts."""
    from summarizer.store.store import Store

    db = tmp_path / "s.duckdb"
    with Store(db, hold=False, linger=600.0) as store:
        first = store._con
        assert first is not None  # opened by the constructor, kept
        store.query("SELECT 1")
        assert store._con is first
        store.let_go()
        assert store._con is None
        store.query("SELECT 1")
        assert store._con is None
    with Store(db, hold=False) as store:  # no linger: as before
        assert store._con is None
