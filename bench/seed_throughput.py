"""Throughput on the real seed listings: ingest, rules extraction, and a fully cached re-run.

Run: .venv/bin/python bench/seed_throughput.py [--repeat 5]
Each figure is the median of --repeat runs, each into a fresh database.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from summarizer import Store, ingest
from summarizer.backends.rules.backend import RulesBackend
from summarizer.core.paper import Paper
from summarizer.ingest import read_papers
from summarizer.run.pipeline import run

SEEDS = Path(__file__).resolve().parents[1] / "tests" / "data" / "listings"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    backend = RulesBackend()
    papers = [p for p in read_papers([SEEDS]) if isinstance(p, Paper)]
    distinct = {p.content_hash: p for p in papers}
    ingest_s, run_s, cached_s, extract_s = [], [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            with Store(Path(folder) / "a.duckdb") as store:
                start = time.perf_counter()
                ingest([SEEDS], store)
                ingest_s.append(time.perf_counter() - start)
            with Store(Path(folder) / "b.duckdb") as store:
                start = time.perf_counter()
                first = run([SEEDS], store, backend)
                run_s.append(time.perf_counter() - start)
                start = time.perf_counter()
                again = run([SEEDS], store, backend)
                cached_s.append(time.perf_counter() - start)
                assert first.extracted == len(distinct) and again.calls == 0
        start = time.perf_counter()
        for paper in distinct.values():
            backend.extract(paper)
        extract_s.append(time.perf_counter() - start)
    n, d = len(papers), len(distinct)
    print(f"seed listings: {n} entries, {d} distinct papers; median of {args.repeat}")
    print(f"ingest only (parse + store):       {n / statistics.median(ingest_s):8.0f} papers/s")
    print(f"run, rules, fresh db (end to end): {n / statistics.median(run_s):8.0f} papers/s")
    print(f"rules extraction alone:            {d / statistics.median(extract_s):8.0f} papers/s")
    print(f"fully cached re-run:               {statistics.median(cached_s) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
