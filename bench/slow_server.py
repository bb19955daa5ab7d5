"""A run against a server that answers one request at a time, as a CPU-bound local server does.

Run: .venv/bin/python bench/slow_server.py [--papers 20] [--service 5] [--concurrency 16]

The fake serves requests strictly in order, `--service` seconds each, and keeps working on
requests whose client gave up. The floor is the server's own serial time: (papers + the one
probe request) x service. Reported: elapsed as a multiple of that floor, calls that timed
out, requests the server worked on for a client that had gone, the deepest queue, and
papers stored. The issue's target: every paper stored, at most 1 timed-out call, at most
1.2x the serial time.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from summarizer import Store
from summarizer.backends import BackendSettings
from summarizer.backends.openai.backend import OpenAIBackend
from summarizer.run import pipeline
from summarizer.run.jobs import EngineSettings
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

LISTINGS = Path(__file__).resolve().parents[1] / "tests" / "data" / "listings"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--service", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--dialect", default=None, help="a refusal dialect of the fake")
    parser.add_argument("--context-tokens", type=int, default=None)
    args = parser.parse_args()
    logging.getLogger("instructor").setLevel(logging.CRITICAL)  # as the CLI does
    folder = Path(tempfile.mkdtemp(prefix="summarizer-slow-"))
    source = folder / "papers.jsonl"
    with source.open("w") as handle:
        for index in range(args.papers):
            abstract = (
                f"We study problem {index} with a 7B model and release code at "
                f"https://github.com/example/p{index}. It improves accuracy by {index}.5%."
            )
            handle.write(json.dumps({"title": f"Paper {index}", "abstract": abstract}) + "\n")
    config = FakeConfig(
        serial=True,
        service_time=args.service,
        dialect=args.dialect,
        context_tokens=args.context_tokens,
    )
    with FakeOpenAIServer(config) as server, Store(folder / "db.duckdb") as store:
        backend = OpenAIBackend(
            BackendSettings(model="fake-model", base_url=server.base_url, api_key="x")
        )
        started = time.perf_counter()
        report = pipeline.run(
            [source], store, backend, settings=EngineSettings(concurrency=args.concurrency)
        )
        elapsed = time.perf_counter() - started
        stats = server.stats()
        stored = store.query("select count(*) from summaries where status = 'ok'")[0][0]
    floor = (args.papers + 1) * args.service
    print(
        f"papers {args.papers} · service {args.service:g} s · --concurrency {args.concurrency}"
        f" · dialect {args.dialect} · context {args.context_tokens}"
    )
    print(f"probe: {report.probe}")
    print(f"elapsed {elapsed:.1f} s = {elapsed / floor:.2f}x the serial floor ({floor:.0f} s)")
    print(
        f"stored {stored}/{args.papers} · failed {report.failed} · requests {stats['requests']}"
        f" · timed-out calls {report.timeouts}"
    )
    print(
        f"abandoned by the client {stats.get('abandoned', 0)} · deepest queue "
        f"{stats.get('peak_queue', 0)}"
    )


if __name__ == "__main__":
    main()
