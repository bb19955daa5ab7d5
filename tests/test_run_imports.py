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

pytestmark = pytest.mark.slow  # a subprocess


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
