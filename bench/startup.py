"""CLI start-up against a yardstick L (issue 13), in one run.

Run: ``.venv/bin/python bench/startup.py [--n 20000] [--repeat 5]``

L is what plain Python takes to read a 20,000-abstract JSON Lines file (written by
``bench/synthetic.py`` into a temporary folder) and sha256 each title + abstract. Then
``summarizer --help``, ``summarizer sql "select 1"`` (on a database of those abstracts) and,
for reference, ``python -c "import typer"`` and ``python -c "import duckdb, typer"`` are
timed as subprocesses, wall clock from start to exit. After one warm-up run of each, L and
the commands are timed in ``--repeat`` rounds; a figure is the median over the rounds, in
milliseconds and as a multiple of the same round's L (target: each command ≤ 1 L).

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


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


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
    # as installed: Python keeps its bytecode (a checkout run with PYTHONDONTWRITEBYTECODE
    # would compile every module of ours again at each start, which no user's install does)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cli = summarizer_command()
    work = Path(tempfile.mkdtemp(prefix="summarizer-startup-"))
    try:
        jsonl = work / "abstracts.jsonl"
        write_jsonl(args.n, jsonl)
        assert read_and_hash(jsonl) == args.n
        db = work / "startup.duckdb"
        # a database to query: `sql` only reads, so one is made first
        subprocess.run([*cli, "ingest", str(jsonl), "--db", str(db)], env=env, check=True,
                       capture_output=True)  # fmt: skip
        commands = {
            '`python -c "import typer"` (floor for --help)':
                [sys.executable, "-c", "import typer"],
            '`python -c "import duckdb, typer"` (floor for sql)':
                [sys.executable, "-c", "import duckdb, typer"],
            "`summarizer --help`": [*cli, "--help"],
            '`summarizer sql "select 1"`': [*cli, "sql", "select 1", "--db", str(db)],
        }  # fmt: skip

        def run(command: list[str]) -> None:
            subprocess.run(command, env=env, check=True, capture_output=True)

        for command in commands.values():  # warm-up: file cache, .pyc files
            run(command)
        # Round robin: each round times L and then every command once, so a burst of load
        # on a shared machine lands on all of them alike; × L compares within a round.
        yardsticks: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            yardsticks.append(seconds(lambda: read_and_hash(jsonl)))
            for name, command in commands.items():
                times[name].append(seconds(lambda command=command: run(command)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    yardstick = statistics.median(yardsticks)
    print(f"L = {yardstick * 1000:.0f} ms (read {args.n:,} abstracts of JSONL + sha256 each; "
          f"median of {args.repeat} rounds)\n")  # fmt: skip
    print("| command | wall time | × L |")
    print("|---|---|---|")
    for name, taken in times.items():
        ratio = statistics.median(t / y for t, y in zip(taken, yardsticks, strict=True))
        print(f"| {name} | {statistics.median(taken) * 1000:.0f} ms | {ratio:.2f} |")


if __name__ == "__main__":
    main()
