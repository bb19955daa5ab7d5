"""The batch engine against the fake server's RPM/TPM/latency limits, beside a naive baseline.

Run: .venv/bin/python bench/engine_throughput.py [--papers 2000] [--same-process] [--probe]

Both clients face the same server: a 1-second rate window holding `--rpm/60`
requests and `--tpm/60` tokens, `--latency` seconds per answer. Reported per
client: achieved throughput as a share of the theoretical limit
min(RPM, TPM / tokens per request, concurrency / latency), the share of requests
answered 429, papers lost (neither stored nor recorded as failed), and cost.

By default the structured-output mode is forced (no probe). With ``--probe`` the engine
probes the fresh endpoint first; the probe's requests count against the same limit, so
the engine's throughput counts them too: (papers + probe requests) / elapsed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import instructor
import openai

from summarizer import Store
from summarizer.backends.base import BackendSettings
from summarizer.backends.openai.backend import OpenAIBackend
from summarizer.backends.openai.prompts import load_prompt
from summarizer.core.paper import Paper
from summarizer.core.schema import Summary
from summarizer.ingest import read_papers
from summarizer.run import pipeline
from summarizer.run.jobs import EngineSettings
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

LISTINGS = Path(__file__).resolve().parents[1] / "tests" / "data" / "listings"
MODEL = "gpt-4o-mini"  # priced in the default table, so the cost column means something


def synthetic_papers(count: int) -> list[Paper]:
    seeds = {p.content_hash: p for p in read_papers([LISTINGS]) if isinstance(p, Paper)}
    base = list(seeds.values())
    papers = []
    for index in range(count):
        seed = base[index % len(base)]
        papers.append(
            Paper(
                title=f"{seed.title} (batch {index})",
                abstract=f"{seed.abstract} We release split {index} of our evaluation suite.",
                source="bench",
                record=str(index),
            )
        )
    return papers


def theoretical(args: argparse.Namespace, tokens_per_request: float) -> float:
    return min(args.rpm / 60, args.tpm / 60 / tokens_per_request, args.concurrency / args.latency)


def server_config(args: argparse.Namespace) -> FakeConfig:
    return FakeConfig(
        model=MODEL,
        latency=args.latency,
        rpm=int(args.rpm / 60),
        tpm=int(args.tpm / 60),
        window_seconds=1.0,
        seed=1,
    )


class ServerProcess:
    """The fake server in its own process, as a provider would be: the client under test
    then does not share an interpreter (and its GIL) with the server it is measured against.
    Same surface as FakeOpenAIServer for what the bench uses: base_url, stats(), reset()."""

    def __init__(self, config: FakeConfig) -> None:
        flags = [
            "--model", config.model, "--latency", str(config.latency), "--rpm", str(config.rpm),
            "--tpm", str(config.tpm), "--window-seconds", str(config.window_seconds),
            "--seed", str(config.seed),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            [sys.executable, "-m", "summarizer.testing.fake_openai", *flags],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        self.base_url = line.strip().removeprefix("listening on ")

    def _call(self, method: str, path: str) -> dict[str, Any]:
        root = self.base_url.removesuffix("/v1")
        request = urllib.request.Request(root + path, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            result: dict[str, Any] = json.loads(response.read())
        return result

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_stats")

    def reset(self) -> None:
        self._call("POST", "/_reset")

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


Server = FakeOpenAIServer | ServerProcess


def run_ours(
    args: argparse.Namespace, server: Server, papers: list[Paper], folder: Path
) -> dict[str, Any]:
    path = folder / "papers.jsonl"
    path.write_text(
        "\n".join(json.dumps({"title": p.title, "abstract": p.abstract}) for p in papers)
    )
    settings = BackendSettings(
        model=MODEL,
        base_url=server.base_url,
        api_key="sk-bench",
        mode=None if args.probe else "json_schema",
    )
    backend = OpenAIBackend(settings)
    engine = EngineSettings(concurrency=args.concurrency, rpm=args.rpm, tpm=args.tpm)
    with Store(folder / "bench.duckdb") as store:
        started = time.perf_counter()
        report = pipeline.run([path], store, backend, settings=engine)
        elapsed = time.perf_counter() - started
        done = store.query(
            "select count(*) filter (where status = 'ok'), count(*) filter (where status = 'failed') from summaries"
        )[0]
        prompt = store.query(
            "select avg(prompt_tokens) from llm_calls where status = 200 and cache_key <> 'probe'"
        )[0][0]
        probe = store.query("select count(*) from llm_calls where cache_key = 'probe'")[0][0]
    return {
        "probe": probe,
        "elapsed": elapsed,
        "ok": done[0],
        "failed": done[1],
        "lost": len(papers) - done[0] - done[1],
        "cost": report.cost_usd,
        "tokens_per_request": float(prompt) + settings.max_tokens,
    }


async def _naive(args: argparse.Namespace, server: Server, papers: list[Paper]) -> dict[str, Any]:
    client = instructor.from_openai(
        openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-bench"),
        mode=instructor.Mode.JSON_SCHEMA,
    )
    prompt = load_prompt()
    semaphore = asyncio.Semaphore(args.concurrency)

    async def one(paper: Paper) -> Any:
        async with semaphore:
            return await client.create(
                model=MODEL,
                messages=prompt.messages(paper.title, paper.abstract),
                response_model=Summary,
                max_tokens=1024,
                max_retries=1,
            )

    outcomes = await asyncio.gather(*(one(p) for p in papers), return_exceptions=True)
    ok = sum(1 for o in outcomes if isinstance(o, Summary))
    return {"ok": ok, "failed": 0, "lost": len(papers) - ok, "cost": None}


def run_naive(args: argparse.Namespace, server: Server, papers: list[Paper]) -> dict[str, Any]:
    started = time.perf_counter()
    result = asyncio.run(_naive(args, server, papers))
    result["elapsed"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--rpm", type=float, default=6000)
    parser.add_argument("--tpm", type=float, default=9_000_000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--probe", action="store_true", help="probe the mode (counted)")
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="run the fake server in this process (shares the GIL with the client under test)",
    )
    args = parser.parse_args()
    logging.getLogger("instructor").setLevel(logging.CRITICAL)  # the naive client's 429s
    papers = synthetic_papers(args.papers)
    rows = []
    config = server_config(args)
    server_kind: Any = FakeOpenAIServer if args.same_process else ServerProcess
    with tempfile.TemporaryDirectory() as tmp, server_kind(config) as server:
        ours = run_ours(args, server, papers, Path(tmp))
        stats = server.stats()
        ours["requests"], ours["429"] = stats["requests"], stats["by_status"].get("429", 0)
        server.reset()
        naive = run_naive(args, server, papers)
        stats = server.stats()
        naive["requests"], naive["429"] = stats["requests"], stats["by_status"].get("429", 0)
        limit = theoretical(args, ours["tokens_per_request"])
        for name, row in (("summarizer engine", ours), ("naive gather+semaphore", naive)):
            rate = (row["ok"] + row["failed"] + row.get("probe", 0)) / row["elapsed"]
            rows.append((name, row, rate))
    print(
        f"{args.papers} papers; server: rpm {args.rpm:g}, tpm {args.tpm:g}, latency {args.latency}s; "
        f"concurrency {args.concurrency}; ~{ours['tokens_per_request']:.0f} tokens/request; "
        f"probe requests {ours['probe']}; engine elapsed {ours['elapsed']:.2f}s; server "
        f"{'in this process' if args.same_process else 'in its own process'}"
    )
    print(f"theoretical limit: {limit:.1f} papers/s")
    print("| client | papers/s | share of limit | requests | 429 share | lost | cost |")
    print("|---|---|---|---|---|---|---|")
    for name, row, rate in rows:
        cost = f"${row['cost']:.4f}" if row["cost"] is not None else "not tracked"
        print(
            f"| {name} | {rate:.1f} | {rate / limit:.1%} | {row['requests']} | "
            f"{row['429'] / max(1, row['requests']):.1%} | {row['lost']} | {cost} |"
        )


if __name__ == "__main__":
    main()
