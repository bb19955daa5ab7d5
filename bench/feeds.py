"""Daily feeds (issue 25): a 10,000-record OAI-PMH harvest from the fake, extracted by the Ray
engine and by the local engine, each timed as a multiple of L.

Run (from the repository root; the venv needs ``summarizer[ray]`` for ``--engine ray``):

    .venv/bin/python bench/feeds.py [--n 10000] [--page 1000] [--engines ray local]

The fake sources (``summarizer/testing/fake_feeds.py``) serve ``--n`` synthetic abstracts
(``bench/synthetic.py``, seed 0) as yesterday's records of the OAI-PMH set ``cs``, ``--page``
records a page, from a thread of this process. Every ``summarizer`` command runs as a
subprocess pointed at it (``SUMMARIZER_OAI_URL``; ``SUMMARIZER_FETCH_INTERVAL=0``: the fake
needs no 3 s pause, arXiv would), timed from start to exit, imports included:

1. ``summarizer fetch oai:cs@yesterday`` into a fresh database: the harvest alone;
2. ``summarizer run oai:cs@yesterday --engine ENGINE`` into a fresh database: harvest, then
   ingest and extract the kept pages (``rules`` backend);
3. the same command again: the day is closed, so nothing is fetched; everything is cached.

L = plain Python reading the same records as JSON Lines and sha256-hashing each title +
abstract (``bench/floor.py``'s yardstick), the median of 3, measured before the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from floor import read_and_hash, seconds, summarizer_command  # noqa: E402
from synthetic import generate  # noqa: E402

from summarizer.testing.fake_feeds import FakeFeeds, FeedPaper  # noqa: E402


def log(message: str) -> None:
    print(f"[feeds] {message}", file=sys.stderr, flush=True)


def papers(n: int, day: date) -> list[FeedPaper]:
    return [
        FeedPaper(f"2612.{i:05d}", record["title"], record["abstract"], day, categories=["cs.CL"])
        for i, record in enumerate(generate(n, seed=0))
    ]


def timed(cli: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cli, env=env, capture_output=True, text=True)
    taken = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cli)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return taken, done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--engines", nargs="+", default=["ray", "local"])
    args = parser.parse_args()
    day = date.today() - timedelta(days=1)
    listed = papers(args.n, day)
    source = f"oai:cs@{day.isoformat()}"
    with (
        tempfile.TemporaryDirectory(prefix="bench-feeds-") as folder,
        FakeFeeds(oai=listed, oai_page=args.page) as fake,
    ):
        fake.warm()  # the fake renders its records once, before anything is timed
        work = Path(folder)
        jsonl = work / "records.jsonl"
        with jsonl.open("w", encoding="utf-8") as out:
            for p in listed:
                out.write(json.dumps({"title": p.title, "abstract": p.abstract}) + "\n")
        yardstick = statistics.median(seconds(lambda: read_and_hash(jsonl)) for _ in range(3))
        log(f"L = {yardstick * 1000:.0f} ms ({args.n:,} records read and hashed)")
        env = {**os.environ, **fake.env(), "PYTHONPATH": str(ROOT)}
        env.pop("SUMMARIZER_DB", None)
        rows: list[tuple[str, float, str]] = []
        db = work / "fetch-only.duckdb"
        taken, line = timed([*summarizer_command(), "fetch", source, "--db", str(db)], env)
        rows.append(("fetch only (the harvest)", taken, line))
        for engine in args.engines:
            db = work / f"{engine}.duckdb"
            cli = [*summarizer_command(), "run", source, "--engine", engine, "--db", str(db), "-q"]
            cli += ["--backend", "rules"]
            before = len(fake.requests)
            taken, line = timed(cli, env)
            rows.append((f"run --engine {engine}: harvest + extract", taken, line))
            log(f"{engine}: {len(fake.requests) - before} requests")
            before = len(fake.requests)
            taken, line = timed(cli, env)
            assert len(fake.requests) == before, "a closed day was fetched again"
            rows.append((f"run --engine {engine}, again (cached, nothing fetched)", taken, line))
    print(f"\n{args.n:,} records, {args.page} a page, L = {yardstick * 1000:.0f} ms\n")
    print("| command | seconds | × L | summary line |")
    print("|---|---|---|---|")
    for name, taken, line in rows:
        print(f"| {name} | {taken:.2f} | {taken / yardstick:.0f} L | {line} |")


if __name__ == "__main__":
    main()
