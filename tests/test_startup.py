"""A CLI that starts at once (issue 13): what `summarizer --help` and `summarizer sql` import.

Each command runs in a fresh interpreter that reports ``sys.modules`` once the command has
finished, so a heavy import added at the top of any module on their path fails here. No
timings: bench/startup.py measures those.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import summarizer
from summarizer.store.store import Store

ROOT = Path(__file__).resolve().parent.parent

LLM_CLIENT = ("openai", "instructor", "httpx", "tenacity")
"""Only an LLM run needs these."""
NOT_FOR_COMMAND_HELP = (*LLM_CLIENT, "pyarrow", "duckdb")
NOT_FOR_HELP = (*NOT_FOR_COMMAND_HELP, "pydantic", "pydantic_core")
NOT_FOR_SQL = (*LLM_CLIENT, "pyarrow")
# Our code loads pydantic only where it validates a Summary, but typer (0.29) passes every
# parameter it parses through a pydantic TypeAdapter, its own --help and completion options
# included; so every command line but the bare `summarizer --help` loads pydantic.

PROBE = """
import json, os, sys
sys.argv = ["summarizer", *sys.argv[1:]]
from summarizer.cli import main
try:
    main()
except SystemExit as stop:
    code = stop.code or 0
else:
    code = 0
with open(os.environ["STARTUP_PROBE_OUT"], "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""


def _run_cli(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the CLI's main in a fresh interpreter; its output and the modules it loaded."""
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMARIZER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["STARTUP_PROBE_OUT"] = str(report)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(report.read_text())
    assert probe["code"] == 0, result.stderr
    return result, set(probe["modules"])


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The packages (or any of their submodules) that were imported."""
    return sorted({p for p in packages for m in modules if m == p or m.startswith(p + ".")})


def test_help_loads_no_database_no_validation_and_no_llm_client(tmp_path: Path) -> None:
    result, modules = _run_cli(tmp_path, "--help")
    assert "Usage: summarizer" in result.stdout
    assert _loaded(modules, NOT_FOR_HELP) == []


@pytest.mark.parametrize("command", ["run", "sql", "export", "eval"])
def test_command_help_loads_no_database_and_no_llm_client(tmp_path: Path, command: str) -> None:
    result, modules = _run_cli(tmp_path, command, "--help")
    assert f"Usage: summarizer {command}" in result.stdout
    assert _loaded(modules, NOT_FOR_COMMAND_HELP) == []


def test_sql_loads_neither_pyarrow_nor_the_llm_client(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store(db).close()
    result, modules = _run_cli(tmp_path, "sql", "select 1 AS one", "--db", str(db))
    assert result.stdout.splitlines() == ["one", "1"]
    assert "duckdb" in modules  # the probe sees what the command really loaded
    assert _loaded(modules, NOT_FOR_SQL) == []


def test_the_public_names_still_import_from_the_package() -> None:
    """summarizer/__init__ loads its names lazily; each is still there, and run and ingest
    are still the functions, not the subpackages of the same name."""
    for name in summarizer.__all__:
        assert getattr(summarizer, name) is not None, name
    from summarizer import RunReport, Store, export, get_backend, ingest, run

    pipeline = sys.modules["summarizer.run.pipeline"]
    assert run is sys.modules["summarizer.run.request"].run and ingest is pipeline.ingest
    assert RunReport is pipeline.RunReport
    assert summarizer.run is run and summarizer.ingest is ingest
    assert Store is sys.modules["summarizer.store.store"].Store
    assert callable(export) and callable(get_backend)
    assert set(summarizer.__all__) <= set(dir(summarizer))
    with pytest.raises(AttributeError):
        summarizer.no_such_name  # noqa: B018
