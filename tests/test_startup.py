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
NOT_FOR_SQL = (*LLM_CLIENT, "pyarrow", "pydantic", "pydantic_core", "rich")
# Typer (0.2x) would pass every parameter it parses through a pydantic TypeAdapter; the
# CLI converts its plain values itself (cli._PlainValue), so a command line loads pydantic
# only where our code validates a Summary.

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


HELP_MAY_LOAD = frozenset(
    {
        "__future__",
        "summarizer",
        "summarizer.cli",
        "summarizer.core",
        "summarizer.core.errors",
        "summarizer.core.formats",
        "summarizer.outputs",
        "summarizer.outputs.export",
        "summarizer.store",
        "summarizer.store.paths",
    }
)
"""All that `summarizer --help` loads beyond typer itself (and typer's and the codecs'
own submodules)."""
SQL_MAY_LOAD = HELP_MAY_LOAD | {
    "summarizer.core.endpoint",
    "summarizer.core.paper",
    "summarizer.outputs.query",
    "summarizer.store.store",
    "unicodedata",
}
"""All that `summarizer sql` loads beyond typer and DuckDB."""


def _floor(code: str) -> set[str]:
    """The modules a fresh interpreter has after ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _beyond(modules: set[str], floor: set[str]) -> set[str]:
    return {m for m in modules - floor if not m.startswith(("typer.", "encodings.", "_frozen_"))}


def test_help_loads_only_the_pinned_modules_beyond_typer(tmp_path: Path) -> None:
    """`summarizer --help` is typer's help and little else: each module it loads beyond
    `import typer` is pinned here (issue 24). Adding an import on its path fails this test;
    pin the module only if --help really needs it."""
    _, modules = _run_cli(tmp_path, "--help")
    extra = _beyond(modules, _floor("import typer")) - HELP_MAY_LOAD
    assert extra == set(), f"--help loads {sorted(extra)} beyond the pinned set"


def test_sql_loads_only_the_pinned_modules_beyond_typer_and_duckdb(tmp_path: Path) -> None:
    """The same for `summarizer sql`, beyond `import typer, duckdb`: no pydantic (typer's
    parameter adapters are replaced), no pyarrow, no rich for CSV output, no run side."""
    db = tmp_path / "s.duckdb"
    Store(db).close()
    result, modules = _run_cli(tmp_path, "sql", "select 1 AS one", "--db", str(db))
    assert result.stdout.splitlines() == ["one", "1"]
    extra = _beyond(modules, _floor("import typer, duckdb")) - SQL_MAY_LOAD
    assert extra == set(), f"sql loads {sorted(extra)} beyond the pinned set"


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
