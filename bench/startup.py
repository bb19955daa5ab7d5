"""CLI start-up against a yardstick L (issue 13), in one run.

Run: ``.venv/bin/python bench/startup.py [--n 20000] [--repeat 5]``

L is what plain Python takes to read a 20,000-abstract JSON Lines file (written by
``bench/synthetic.py`` into a temporary folder) and sha256 each title + abstract. Then
``summarizer --help``, ``summarizer sql "select 1"`` (on a fresh database) and, for
reference, ``python -c "import duckdb, typer"`` are timed as subprocesses, wall clock from
start to exit. Every figure is the median of ``--repeat`` runs after one warm-up, and is
printed in seconds and as a multiple of L (target: each command ≤ 1 L).

The commands run the ``summarizer`` script beside this Python (``python -m summarizer``
when there is none) with this checkout first on ``PYTHONPATH``, so a worktree measures its
own code. The benchmark imports nothing from the package itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import write_jsonl  # noqa: E402


def read_and_hash(path: Path) -> int:
    """The yardstick: read every record and sha256 its title and abstract."""
    count = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            hashlib.sha256((record["title"] + record["abstract"]).encode()).hexdigest()
            count += 1
    return count


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up: file cache, .pyc files
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def summarizer_command() -> list[str]:
    script = Path(sys.executable).with_name("summarizer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "summarizer"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="abstracts in the yardstick file")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.pop("SUMMARIZER_DB", None)
    cli = summarizer_command()
    work = Path(tempfile.mkdtemp(prefix="summarizer-startup-"))
    try:
        jsonl = work / "abstracts.jsonl"
        write_jsonl(args.n, jsonl)
        assert read_and_hash(jsonl) == args.n
        yardstick = median_seconds(lambda: read_and_hash(jsonl), args.repeat)

        db = work / "startup.duckdb"
        # a database to query: `sql` only reads, so one is made first
        subprocess.run([*cli, "ingest", str(jsonl), "--db", str(db)], env=env, check=True,
                       capture_output=True)  # fmt: skip

        def timed(command: list[str]) -> float:
            def once() -> None:
                subprocess.run(command, env=env, check=True, capture_output=True)

            return median_seconds(once, args.repeat)

        rows = [
            ("`python -c \"import duckdb, typer\"` (floor)",
             timed([sys.executable, "-c", "import duckdb, typer"])),
            ("`summarizer --help`", timed([*cli, "--help"])),
            ("`summarizer sql \"select 1\"`", timed([*cli, "sql", "select 1", "--db", str(db)])),
        ]  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"L = {yardstick * 1000:.0f} ms (read {args.n:,} abstracts of JSONL + sha256 each; "
          f"median of {args.repeat})\n")  # fmt: skip
    print("| command | wall time | × L |")
    print("|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.0f} ms | {seconds / yardstick:.2f} |")


if __name__ == "__main__":
    main()
