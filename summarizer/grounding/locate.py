"""Where a piece of evidence sits in an abstract: exact, then case- and space-folded, then fuzzy.

Models quote evidence loosely (case, spacing, a word dropped), so a strict
``find`` alone would call good evidence missing; the fuzzy step has a floor so
that a short or unrelated quote is not matched anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

FUZZY_THRESHOLD = 0.9
MIN_FUZZY_CHARS = 12


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    how: str  # "exact", "normalised" or "fuzzy"


def _folded(text: str) -> tuple[str, list[int]]:
    """Case- and space-folded text plus, per folded char, its offset in the original."""
    chars: list[str] = []
    offsets: list[int] = []
    previous_space = True
    for index, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            char, previous_space = " ", True
        else:
            previous_space = False
        chars.append(char.casefold()[:1] or char)
        offsets.append(index)
    return "".join(chars), offsets


def locate(evidence: str | None, abstract: str) -> Span | None:
    """Find evidence in the abstract: exact, then normalised, then fuzzy (ratio >= 0.9)."""
    return locate_any([evidence], abstract)


def locate_any(candidates: list[str | None], abstract: str) -> Span | None:
    """The first candidate found exactly; failing that, the first found loosely."""
    wanted = [c for c in candidates if c and c.strip()]
    for evidence in wanted:
        start = abstract.find(evidence)
        if start >= 0:
            return Span(start, start + len(evidence), "exact")
    for evidence in wanted:
        span = _locate_loosely(evidence, abstract)
        if span is not None:
            return span
    return None


def _locate_loosely(evidence: str, abstract: str) -> Span | None:
    folded_text, offsets = _folded(abstract)
    folded_evidence = _folded(evidence.strip())[0]
    start = folded_text.find(folded_evidence)
    if start >= 0 and folded_evidence:
        return Span(offsets[start], offsets[start + len(folded_evidence) - 1] + 1, "normalised")
    if len(folded_evidence) < MIN_FUZZY_CHARS:
        return None
    matcher = SequenceMatcher(None, folded_text, folded_evidence, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not blocks:
        return None
    first, last = blocks[0], blocks[-1]
    window = folded_text[first.a : last.a + last.size]
    if SequenceMatcher(None, window, folded_evidence).ratio() < FUZZY_THRESHOLD:
        return None
    return Span(offsets[first.a], offsets[last.a + last.size - 1] + 1, "fuzzy")
