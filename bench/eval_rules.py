"""Score the rules extractor on the gold sets and measure its single-process throughput.

Run: ``.venv/bin/python bench/eval_rules.py [--seeds DIR] [--gold-dir DIR] [--sets a,b]``.

The development sets (tuned on: ``gold_a``, ``gold_c``, ``unseen``, ``unseen2``) and the
held-out sets (``gold_b``, ``unseen3`` for schema 2 and ``heldout4`` for schema 3: written
blind, never tuned on; see tests/data/GOLD.md) are reported separately, so a gain on the development
sets alone shows up as a gap. Gold rows with an ``abstract`` are scored on it; the others
are matched by title to the seed listings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.backends.rules.extract import RULES_VERSION, extract_summary  # noqa: E402
from summarizer.core.paper import Paper, normalise_text  # noqa: E402
from summarizer.core.schema import Summary  # noqa: E402
from summarizer.eval.score import format_table, gold_record, score  # noqa: E402
from summarizer.ingest import read_papers  # noqa: E402

DEVELOPMENT = ("gold_a", "gold_c", "unseen", "unseen2")
HELD_OUT = ("gold_b", "unseen3", "heldout4")


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


def scored_set(path: Path, listed: dict[str, Paper]) -> tuple[dict[str, Summary], list]:  # type: ignore[type-arg]
    predictions: dict[str, Summary] = {}
    gold = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        record = gold_record(row)
        gold.append(record)
        abstract = row.get("abstract")
        if abstract is None and record.key in listed:
            abstract = listed[record.key].abstract
        if abstract is not None:
            predictions[row["title"]] = extract_summary(row["title"], abstract)
    return predictions, gold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default=str(ROOT / "tests" / "data" / "listings"))
    parser.add_argument("--gold-dir", default=str(ROOT / "tests" / "data"))
    parser.add_argument("--sets", default="development", help="development, held-out or a,b")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()

    papers = distinct_papers(args.seeds)
    listed = {normalise_text(p.title): p for p in papers}
    groups = {"development": DEVELOPMENT, "held-out": HELD_OUT}
    names = groups.get(args.sets) or tuple(args.sets.split(","))
    print(f"rules {RULES_VERSION}")
    all_predictions: dict[str, Summary] = {}
    all_gold = []
    for name in names:
        path = Path(args.gold_dir) / f"{name}.jsonl"
        if not path.exists():
            continue
        predictions, gold = scored_set(path, listed)
        all_predictions.update(predictions)
        all_gold.extend(gold)
        print(f"\n== {name}: {len(gold)} papers")
        print(format_table(score(predictions, gold)))
    if len(names) > 1:
        print(f"\n== {args.sets} together: {len(all_gold)} papers")
        print(format_table(score(all_predictions, all_gold)))
    if not args.no_throughput:
        rate = throughput(papers)
        print(
            f"\nthroughput: {rate:,.0f} papers/s (median of 5 passes over {len(papers)} papers, 1 process)"
        )


if __name__ == "__main__":
    main()
