"""Runs at the floor (issue 13): `summarizer run` as a multiple of L, measured in the same run.

Run: ``.venv/bin/python bench/floor.py [--n 20000 100000] [--repeat 3] [--with-1m]``

L is the least any cached re-run must do on one core: plain Python reading the input JSON
Lines file and sha256-hashing each title + abstract (the yardstick of ``bench/startup.py``).
For each size the input is written by ``bench/synthetic.py`` (seed 0) into a temporary
folder, then, as subprocesses timed wall clock from start to exit (imports count):

- the first ``summarizer run FILE --backend rules`` into a fresh database;
- the fully cached re-run of the same command (``--repeat`` times, median);

each as seconds and as a multiple of L (the median of ``--repeat`` L measurements taken
between the runs, so load on a shared machine lands on both). Also reported:

- the extraction capacity of N worker processes (N = the run's worker count): forked
  processes running the rules extractor and grounding over the parsed papers (up to
  ``--sample`` of them), nothing else, measured before the first run and after the cached
  re-runs (the higher of the two counts); the workers' share = the first run's papers/s over
  that capacity; and the first run's CPU time (parent and workers, user + system);
- the database size per million papers (the file after the first run);
- with ``--with-1m``: a 1,000,000-paper JSONL streamed through ``run`` (rules): wall time,
  × L (L measured on that file) and peak memory of the process tree (summed PSS, polled
  from /proc as ``bench/scale.py stream-1m`` does).

``--code DIR`` runs the ``summarizer`` package found in DIR (another checkout, e.g. an
export of the branch start) instead of this one; the capacity step always uses this one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import write_jsonl  # noqa: E402


def read_and_hash(path: Path) -> int:
    """The yardstick L: read every record and sha256 its title and abstract."""
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


def log(message: str) -> None:
    print(f"[floor] {message}", file=sys.stderr, flush=True)


# -- extraction capacity of N workers ------------------------------------------------------------

_PAPERS: list[Any] = []


def _extract_slice(bounds: tuple[int, int]) -> int:
    from summarizer.backends.rules.backend import RulesBackend
    from summarizer.grounding import ground

    backend = RulesBackend()
    for paper in _PAPERS[bounds[0] : bounds[1]]:
        ground(backend.extract(paper), paper.abstract)
    return bounds[1] - bounds[0]


def capacity(path: Path, workers: int, sample: int) -> float:
    """Papers/s that ``workers`` forked processes extract and ground, with nothing else to do."""
    from summarizer.ingest import read_papers

    global _PAPERS
    _PAPERS = [p for p in read_papers([path], limit=sample) if not isinstance(p, Exception)]
    step = -(-len(_PAPERS) // (workers * 8))
    slices = [(i, min(i + step, len(_PAPERS))) for i in range(0, len(_PAPERS), step)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pool.map(_extract_slice, [(0, min(50, len(_PAPERS)))] * workers)  # warm the imports
        start = time.perf_counter()
        done = sum(pool.map(_extract_slice, slices, chunksize=1))
        taken = time.perf_counter() - start
    _PAPERS = []
    return done / taken


# -- the runs ------------------------------------------------------------------------------------


def summarizer_command() -> list[str]:
    """The ``summarizer`` script beside this Python; it imports the package from PYTHONPATH."""
    script = Path(sys.executable).with_name("summarizer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "summarizer"]


def measure(
    n: int, work: Path, env: dict[str, str], repeat: int, workers: int, sample: int
) -> dict[str, Any]:
    jsonl = work / f"abstracts-{n}.jsonl"
    log(f"writing {n:,} abstracts ...")
    write_jsonl(n, jsonl)
    db = work / f"floor-{n}.duckdb"
    cli = [*summarizer_command(), "run", str(jsonl), "--backend", "rules", "--db", str(db), "-q"]

    def run() -> None:
        done = subprocess.run(cli, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cli)} exited {done.returncode}:\n{done.stderr[-2000:]}")

    yardsticks = [seconds(lambda: read_and_hash(jsonl)) for _ in range(2)]  # warm the file
    yardsticks = [seconds(lambda: read_and_hash(jsonl))]
    log(f"n={n:,}: capacity of {workers} workers ...")
    caps = [capacity(jsonl, workers, min(n, sample))]
    log(f"n={n:,}: L = {yardsticks[0] * 1000:.0f} ms; first run ...")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    first = seconds(run)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    size = db.stat().st_size
    cached: list[float] = []
    for _ in range(repeat):
        yardsticks.append(seconds(lambda: read_and_hash(jsonl)))
        cached.append(seconds(run))
        log(f"n={n:,}: cached re-run {cached[-1]:.2f} s (L {yardsticks[-1] * 1000:.0f} ms)")
    yardstick = statistics.median(yardsticks)
    caps.append(capacity(jsonl, workers, min(n, sample)))
    cap = max(caps)  # the less disturbed of the two, before and after the runs
    log(f"n={n:,}: capacity {caps[0]:,.0f}/s, {caps[1]:,.0f}/s")
    return {
        "cpu": cpu,
        "n": n,
        "L": yardstick,
        "first": first,
        "cached": statistics.median(cached),
        "cached_all": cached,
        "db_per_million": size / n * 1e6,
        "capacity": cap,
        "share": (n / first) / cap,
        "file_mb": jsonl.stat().st_size / 1e6,
    }


def stream_1m(work: Path, env: dict[str, str], n: int) -> dict[str, Any]:
    from scale import run_measured

    jsonl = work / f"abstracts-{n}.jsonl"
    log(f"writing {n:,} abstracts ...")
    write_jsonl(n, jsonl)
    yardstick = min(seconds(lambda: read_and_hash(jsonl)) for _ in range(2))
    db = work / "floor-1m.duckdb"
    cli = [*summarizer_command(), "run", str(jsonl), "--backend", "rules", "--db", str(db), "-q"]
    log(f"n={n:,}: L = {yardstick:.1f} s; streaming (this takes a while) ...")
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)
    try:
        result = run_measured(cli, work / "stream.log")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if result["code"] != 0:
        raise SystemExit(f"1M run exited {result['code']}:\n{result['stderr'][-2000:]}")
    return {
        "n": n,
        "L": yardstick,
        "elapsed": result["elapsed"],
        "pss_mb": (result.get("pss_sum") or 0) * 1024 / 1e6,
        "rss_mb": (result.get("rss_sum") or 0) * 1024 / 1e6,
        "db_per_million": db.stat().st_size / n * 1e6,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="cached re-runs per size (median)")
    parser.add_argument("--with-1m", action="store_true", help="also stream 1,000,000 papers")
    parser.add_argument("--n-1m", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose package runs")
    parser.add_argument(
        "--sample", type=int, default=20_000, help="papers the capacity step extracts"
    )
    args = parser.parse_args(argv)

    from summarizer.backends.rules.backend import RulesBackend
    from summarizer.run.workers import worker_count

    workers = worker_count(RulesBackend())
    env = dict(os.environ)
    env["PYTHONPATH"] = str(args.code.resolve())
    env.pop("SUMMARIZER_DB", None)
    # as installed: Python keeps its bytecode (a checkout run with PYTHONDONTWRITEBYTECODE
    # would compile every module of ours again at each start, which no user's install does)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    work = Path(tempfile.mkdtemp(prefix="summarizer-floor-"))
    rows: list[dict[str, Any]] = []
    big: dict[str, Any] | None = None
    try:
        for n in args.n:
            rows.append(measure(n, work, env, args.repeat, workers, args.sample))
            for leftover in work.iterdir():
                leftover.unlink()
        if args.with_1m:
            big = stream_1m(work, env, args.n_1m)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\ncode: {args.code.resolve()}; {workers} workers; {os.cpu_count()} cores\n")
    print("| papers | L | first `run` (rules) | × L | its CPU time | cached re-run | × L | "
          f"capacity of {workers} workers | workers' share | DB per 1M papers |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n']:,} | {r['L'] * 1000:.0f} ms | {r['first']:.2f} s "
            f"({r['n'] / r['first']:,.0f}/s) | **{r['first'] / r['L']:.1f}** | {r['cpu']:.1f} s | "
            f"{r['cached']:.2f} s | **{r['cached'] / r['L']:.1f}** | "
            f"{r['capacity']:,.0f}/s | **{r['share']:.0%}** | "
            f"{r['db_per_million'] / 1e9:.2f} GB |"
        )
    if big is not None:
        print(
            f"\n{big['n']:,} streamed: L = {big['L']:.1f} s; run {big['elapsed']:.0f} s "
            f"({big['n'] / big['elapsed']:,.0f}/s, {big['elapsed'] / big['L']:.1f} L); peak "
            f"PSS {big['pss_mb']:,.0f} MB (summed RSS {big['rss_mb']:,.0f} MB); DB "
            f"{big['db_per_million'] / 1e9:.2f} GB per 1M"
        )


if __name__ == "__main__":
    main()
