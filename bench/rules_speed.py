"""Rules extraction speed alone: ``extract_summary`` over synthetic abstracts, one process.

Run: ``.venv/bin/python bench/rules_speed.py [--n 20000] [--passes 3] [--tree DIR ...]``.

The abstracts (``bench/synthetic.py``, ``generate(n, seed=0)``) are generated first and held
in memory, so only extraction is timed. Each ``--tree`` is a checkout whose ``summarizer``
package is measured (default: this one); every tree runs in its own process with
``PYTHONPATH`` set to it, and the passes alternate between trees so that a machine's drift
hits them alike. Prints papers/s (median of the passes) per tree and the ratio to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _worker(n: int) -> None:
    """One timed pass over ``n`` synthetic papers with the ``summarizer`` on ``sys.path``."""
    sys.path.append(str(BENCH))
    from synthetic import generate

    from summarizer.backends.rules.extract import extract_summary

    papers = [(p["title"], p["abstract"]) for p in generate(n, seed=0)]
    for title, abstract in papers[:50]:  # warm caches and lazy compiles
        extract_summary(title, abstract)
    start = time.perf_counter()
    for title, abstract in papers:
        extract_summary(title, abstract)
    elapsed = time.perf_counter() - start
    print(json.dumps({"rate": n / elapsed}))


def _pass(tree: Path, n: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", "--n", str(n)],
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["rate"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--tree", type=Path, action="append", help="checkout to measure")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.n)
        return
    trees = [t.resolve() for t in (args.tree or [ROOT])]
    rates: dict[Path, list[float]] = {t: [] for t in trees}
    for _ in range(args.passes):
        for tree in trees:
            rates[tree].append(_pass(tree, args.n))
    first = statistics.median(rates[trees[0]])
    for tree in trees:
        rate = statistics.median(rates[tree])
        passes = ", ".join(f"{r:,.0f}" for r in rates[tree])
        print(
            f"{tree}: {rate:,.0f} papers/s ({rate / first:.2f}x the first; median of "
            f"{args.passes} passes over {args.n:,} synthetic papers: {passes})"
        )


if __name__ == "__main__":
    main()
