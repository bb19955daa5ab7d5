"""`--engine ray` from a folder that holds Python files named like packages (issue 22, row 15):
Ray puts the driver's folder on every worker's path, so a `click.py` there used to shadow the
real package in the workers (a 300-line traceback). The workers never import from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def test_a_ray_run_ignores_python_files_in_the_current_folder(tmp_path: Path) -> None:
    for name in ("click", "pyarrow", "json"):
        (tmp_path / f"{name}.py").write_text(
            f"raise ImportError('the workers imported {name}.py from the user folder')\n"
        )
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        "".join(
            json.dumps({"title": f"Paper {i}", "abstract": f"We propose method {i} for merging."})
            + "\n"
            for i in range(3)
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RAY_"))}
    env["SUMMARIZER_DB"] = str(tmp_path / "db.duckdb")
    # the console script: `python -m` would put the folder on the driver's own path
    command = str(Path(sys.executable).parent / "summarizer")
    result = subprocess.run(
        [command, "run", "papers.jsonl", "--engine", "ray", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "papers read 3" in result.stdout
    with duckdb.connect(env["SUMMARIZER_DB"], read_only=True) as con:
        sources = {row[0] for row in con.execute("select source from sightings").fetchall()}
    assert sources == {"papers.jsonl"}  # recorded as given, as a local run records it
