"""Provider batch jobs end to end against the fake server's Files and Batches API.

Run: ``.venv/bin/python bench/batch_jobs.py [--papers 2000] [--batch-size 50000]``

Submits ``--papers`` synthetic abstracts (bench/synthetic.py) with ``run --batch``'s library
path, collects them, and reports: papers stored, papers billed more than once (must be 0),
batches created, and the collected cost beside the live estimate for the same papers. A kill
is injected once during submission and once during collection, as a user's Ctrl-C would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import generate

from summarizer.backends.base import BackendSettings
from summarizer.backends.openai.backend import OpenAIBackend
from summarizer.backends.openai.batch import BatchClient
from summarizer.backends.openai.pricing import cost
from summarizer.core.paper import Paper
from summarizer.ingest import read_papers
from summarizer.run import batches
from summarizer.store import batches as stored
from summarizer.store.store import Store
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

MODEL = "gpt-4o-mini"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args()
    config = FakeConfig(
        model=MODEL, answerer="summarizer.testing.fake_openai:rules_answerer", batch_seconds=0.0
    )
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer(config) as server:
        source = Path(tmp) / "papers.jsonl"
        source.write_text(
            "".join(json.dumps(r) + "\n" for r in generate(args.papers, seed=0)), "utf-8"
        )
        backend = OpenAIBackend(
            BackendSettings(base_url=server.base_url, model=MODEL, api_key="sk-bench")
        )
        backend.mode = "json_schema"
        settings = batches.BatchSettings(max_requests=args.batch_size)
        live = 0.0
        for paper in read_papers([source]):
            if isinstance(paper, Paper):
                prompt, completion = backend.estimate_usage(paper)
                live += cost(backend.prices, MODEL, prompt, 0, completion)
        started = time.perf_counter()
        with Store(Path(tmp) / "db.duckdb") as store:
            create = BatchClient.create
            killed = {"done": False}

            def create_then_kill(self: BatchClient, *a: Any, **k: Any) -> dict[str, Any]:
                result = create(self, *a, **k)
                if not killed["done"]:
                    killed["done"] = True
                    raise KeyboardInterrupt  # the batch exists, its id is not recorded yet
                return result

            BatchClient.create = create_then_kill  # type: ignore[method-assign]
            with contextlib.suppress(KeyboardInterrupt):
                batches.submit([source], store, backend, settings=settings)
            BatchClient.create = create  # type: ignore[method-assign]
            report = batches.submit([source], store, backend, settings=settings)
            mark = stored.mark
            interrupted = {"done": False}

            def mark_then_kill(*a: Any, **k: Any) -> None:
                if a[3] == "stored" and list(a[2]) and not interrupted["done"]:
                    interrupted["done"] = True
                    raise KeyboardInterrupt  # answers committed, not yet marked
                mark(*a, **k)

            stored.mark = mark_then_kill  # type: ignore[assignment]
            with contextlib.suppress(KeyboardInterrupt):
                batches.collect(store, backend, settings=settings, wait=True, poll=0.0)
            stored.mark = mark  # type: ignore[assignment]
            collected = batches.collect(store, backend, settings=settings, wait=True, poll=0.0)
            ok = store.query("select count(*) from summaries where status = 'ok'")[0][0]
            spent = store.query("select sum(cost_usd) from llm_calls where batch_id is not null")[
                0
            ][0]
            tokens = store.query(
                "select prompt_tokens, cached_tokens, completion_tokens from llm_calls "
                "where batch_id is not null"
            )
            same_live = sum(cost(backend.prices, MODEL, p, c, o) for p, c, o in tokens)
            jobs = len(batches.status(store))
        elapsed = time.perf_counter() - started
        billed = server.stats()["batch_billed_per_custom_id"]
    twice = sum(1 for n in billed.values() if n > 1)
    print(f"{args.papers} synthetic papers; batch size {args.batch_size}; elapsed {elapsed:.1f}s")
    print(
        "| papers | stored | billed more than once | batches | batch cost | same tokens live "
        "| live estimate before the run |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.papers} | {ok} | {twice} | {jobs} | ${spent:.4f} | ${same_live:.4f} "
        f"({spent / same_live:.2f}x) | ${live:.4f} |"
    )
    print(
        f"(second submit found {report.waiting} already waiting; last collect stored "
        f"{collected.stored}, resubmitted {collected.resubmitted})"
    )


if __name__ == "__main__":
    main()
