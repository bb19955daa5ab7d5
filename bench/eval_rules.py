"""Score the rules extractor on the seed gold and measure its single-process throughput.

Run: ``.venv/bin/python bench/eval_rules.py [--seeds DIR] [--gold-dir DIR]``.
gold_a is the development set, gold_c the held-out set; both are reported
separately and together so a dev-only improvement shows up as a gap.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.backends.rules.extract import RULES_VERSION, extract_summary  # noqa: E402
from summarizer.core.paper import Paper, normalise_text  # noqa: E402
from summarizer.core.schema import Summary  # noqa: E402
from summarizer.eval.score import format_table, load_gold, score  # noqa: E402
from summarizer.ingest import read_papers  # noqa: E402


def distinct_papers(seeds: str) -> list[Paper]:
    """One paper per normalised title, first sighting wins."""
    papers: dict[str, Paper] = {}
    for item in read_papers([seeds]):
        if isinstance(item, Paper):
            papers.setdefault(normalise_text(item.title), item)
    return list(papers.values())


def throughput(papers: list[Paper], passes: int = 5) -> float:
    """Median papers/second over full passes."""
    rates = []
    for _ in range(passes):
        start = time.perf_counter()
        for paper in papers:
            extract_summary(paper.title, paper.abstract)
        rates.append(len(papers) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--seeds", default=str(Path(__file__).resolve().parents[1] / "tests" / "data" / "listings")
    )
    parser.add_argument("--gold-dir", default=str(ROOT / "tests" / "data"))
    args = parser.parse_args()

    papers = distinct_papers(args.seeds)
    predictions: dict[str, Summary] = {
        p.title: extract_summary(p.title, p.abstract) for p in papers
    }
    dev = load_gold(Path(args.gold_dir) / "gold_a.jsonl")
    held_out = load_gold(Path(args.gold_dir) / "gold_c.jsonl")
    print(f"rules {RULES_VERSION}: {len(papers)} distinct papers")
    for label, gold in (
        ("gold_a (dev)", dev),
        ("gold_c (held out)", held_out),
        ("both", dev + held_out),
    ):
        print(f"\n== {label}: {len(gold)} papers")
        print(format_table(score(predictions, gold)))
    print(f"\nthroughput: {throughput(papers):,.0f} papers/s (median of 5 passes, 1 process)")


if __name__ == "__main__":
    main()
