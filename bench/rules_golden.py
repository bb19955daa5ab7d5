"""Write the rules extractor's output over a fixed corpus, one JSON line per paper, so a speed
change can be checked to leave every summary byte-identical.

Run: ``.venv/bin/python bench/rules_golden.py --out /tmp/rules_golden.jsonl [--synthetic 20000]``
then ``cmp`` two outputs. The corpus, in this order: every distinct (title, abstract) of
tests/data/listings/*.txt (read with :func:`summarizer.ingest.read_papers`), every row with an
``abstract`` in tests/data/*.jsonl, and ``--synthetic`` abstracts of ``bench/synthetic.py``
(``generate(n, seed=0)``).

``--variants`` instead writes a stress corpus for the edge cases the prefilters of a speed
change could miss: each real paper (listings and jsonl rows) upper-cased, lower-cased, with its
sentences in reverse order under its first sentence as title, with LaTeX escapes (``\\%``,
``\\_``) and with line breaks and non-ASCII spaces; plus every abstract cut at a few lengths.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import generate  # noqa: E402

from summarizer.backends.rules.extract import extract_summary  # noqa: E402
from summarizer.core.paper import Paper  # noqa: E402
from summarizer.ingest import read_papers  # noqa: E402

DATA = ROOT / "tests" / "data"


def corpus(synthetic: int = 20_000) -> Iterator[tuple[str, str, str]]:
    """(source, title, abstract) of every paper in the golden corpus, in a fixed order."""
    seen: set[tuple[str, str]] = set()
    for listing in sorted((DATA / "listings").glob("*.txt")):
        for item in read_papers([listing]):
            if isinstance(item, Paper) and (item.title, item.abstract) not in seen:
                seen.add((item.title, item.abstract))
                yield listing.name, item.title, item.abstract
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            try:
                row = json.loads(line)
            except ValueError:  # blank, or a journal's deliberately cut-off line
                continue
            if isinstance(row, dict) and row.get("abstract") is not None:
                yield path.name, str(row.get("title") or ""), str(row["abstract"])
    for paper in generate(synthetic, seed=0):
        yield "synthetic", paper["title"], paper["abstract"]


def variants() -> Iterator[tuple[str, str, str]]:
    """(source, title, abstract) of the stress corpus (see the module docstring)."""
    real = [(t, a) for source, t, a in corpus(0)]
    for title, abstract in real:
        yield "upper", title.upper(), abstract.upper()
        yield "lower", title.lower(), abstract.lower()
        parts = abstract.split(". ")
        yield "reversed", parts[0], ". ".join(reversed(parts))
        yield "escaped", title, abstract.replace("%", "\\%").replace("_", "\\_")
        yield "spaced", title, abstract.replace(". ", ".\n").replace(" of ", " of\u00a0")
        for cut in (60, 200, 500):
            yield "cut", abstract[:cut], abstract[cut : cut * 3]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--synthetic", type=int, default=20_000)
    parser.add_argument("--variants", action="store_true", help="write the stress corpus instead")
    args = parser.parse_args(argv)
    papers = variants() if args.variants else corpus(args.synthetic)
    counts: dict[str, int] = {}
    with args.out.open("w", encoding="utf-8") as handle:
        for source, title, abstract in papers:
            counts[source] = counts.get(source, 0) + 1
            handle.write(extract_summary(title, abstract).model_dump_json() + "\n")
    print(f"{sum(counts.values())} papers to {args.out}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
