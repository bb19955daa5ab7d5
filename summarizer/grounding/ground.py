"""Tracing every extracted value back to the abstract it came from.

A model can invent a plausible link, size or percentage. Here each value is
checked against the abstract on its own terms (a link must occur in it, a
size's or gain's number must be stated in it) and given the character offsets
of its evidence: exact match first, then a case- and space-insensitive match,
then a fuzzy one. Values that fail are flagged, never silently trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property
from typing import Any

from summarizer.backends.rules.links import find_links, normalise_url
from summarizer.core.schema import Summary
from summarizer.text.sentences import Sentences

_NUMBER = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?")
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000,
}  # fmt: skip
_WORD = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", re.IGNORECASE)
_LINKISH = re.compile(r"[^\s<>\"'()\[\]{}]*[a-z0-9-]\.[a-z]{2,}[^\s<>\"']*", re.IGNORECASE)
_SCALES = (1.0, 1e3, 1e6, 1e9, 1e12)
_WITH_UNIT = re.compile(
    r"(?<![\d.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(%|percent\b|pp\b|percentage points?\b|points?\b|pts\b|[x×](?![a-z])|times\b|-?fold\b)",
    re.IGNORECASE,
)


def _unit(raw: str) -> str:
    raw = raw.lower()
    if raw in ("%", "percent"):
        return "%"
    if raw.startswith(("point", "pt", "pp", "percentage")):
        return "points"
    return "x"


FUZZY_THRESHOLD = 0.9
MIN_FUZZY_CHARS = 12
_INSTRUCTION_MARKERS = (
    "ignore", "disregard", "forget", "override", "code_url", "respond with", "reply with",
    "system prompt", "assistant:", "system:", "##", "you are", "you must", "you should", "you will",
)  # fmt: skip
_SCALE_WORDS = ("hundred", "thousand", "million", "billion", "trillion")
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,60}\b(?:instructions?|prompts?|rules|"
    r"above|previous)\b"
    r"|\b(?:set|change|output|return|respond with|reply with|print|write)\b[^.!?]{0,40}"
    r"\b(?:code_url|json|field|answer)\b"
    r"|\byou (?:are|must|should|will) (?:now )?(?:an? |output|respond|return|reply|ignore)"
    r"|\bsystem prompt\b|\b(?:assistant|system)\s*:|#{2,}\s*instruction",
    re.IGNORECASE,
)


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


def link_key(url: str) -> str:
    """Compare links the way a reader would: scheme, wrapping brackets and case of host aside."""
    return normalise_url(url.strip().lstrip("(<[{\"'")).split("://", 1)[-1]


def instruction_spans(abstract: str) -> list[tuple[int, int]]:
    """Sentences that talk to the model ("ignore previous instructions ...") rather than
    about the paper: nothing stated inside them counts as evidence."""
    lowered = abstract.lower()
    if not any(marker in lowered for marker in _INSTRUCTION_MARKERS):
        return []
    if not _INSTRUCTION.search(abstract):
        return []
    sentences = Sentences(abstract)
    return sorted({sentences.span_at(m.start()) for m in _INSTRUCTION.finditer(abstract)})


class AbstractFacts:
    """The links and numbers an abstract states; each kind is computed once, when first asked."""

    def __init__(self, abstract: str) -> None:
        self.abstract = abstract

    @cached_property
    def untrusted(self) -> list[tuple[int, int]]:
        return instruction_spans(self.abstract)

    @cached_property
    def links(self) -> dict[str, tuple[str, Span]]:
        """link key -> (the abstract's own normalised spelling, where it stands)."""
        found: dict[str, tuple[str, Span]] = {}
        for link in find_links(self.abstract):
            if self._trusted(link.start):
                span = Span(link.start, link.end, "exact")
                found.setdefault(link_key(link.url), (normalise_url(link.url), span))
        return found

    @cached_property
    def loose_links(self) -> dict[str, tuple[str, Span]]:
        """Anything shaped like a domain, for links the rules would not call links."""
        found: dict[str, tuple[str, Span]] = {}
        for match in _LINKISH.finditer(self.abstract):
            if self._trusted(match.start()):
                span = Span(match.start(), match.end(), "exact")
                found.setdefault(link_key(match.group(0)), (normalise_url(match.group(0)), span))
        return found

    @cached_property
    def numbers(self) -> set[float]:
        trusted = self._trusted
        numbers = {
            float(m.group(0).replace(",", ""))
            for m in _NUMBER.finditer(self.abstract)
            if trusted(m.start())
        }
        lowered = self.abstract.lower()
        if any(word in lowered for word in _SCALE_WORDS):  # "ten billion", "a hundred"
            numbers.update(
                float(_WORD_NUMBERS[m.group(1).lower()])
                for m in _WORD.finditer(self.abstract)
                if trusted(m.start())
            )
        return numbers

    @cached_property
    def with_units(self) -> set[tuple[float, str]]:
        return {
            (float(m.group(1).replace(",", "")), _unit(m.group(2)))
            for m in _WITH_UNIT.finditer(self.abstract)
            if self._trusted(m.start())
        }

    def has_gain(self, value: float, unit: str | None) -> bool:
        """A gain is stated when its number appears with its unit (or at all, if unitless)."""
        if unit is None or unit == "points":
            return self.has_number(value)
        return any(
            u == unit and abs(v - value) <= 1e-6 * max(1.0, abs(value)) for v, u in self.with_units
        )

    def _trusted(self, position: int) -> bool:
        return not any(start <= position < end for start, end in self.untrusted)

    def stated(self, url: str) -> tuple[str, Span] | None:
        """The abstract's own spelling of a link it states, and where; None if it does not."""
        key = link_key(url)
        return self.links.get(key) or self.loose_links.get(key)

    def has_link(self, url: str | None) -> bool:
        return bool(url) and self.stated(url or "") is not None

    def has_number(self, value: float | None, scales: tuple[float, ...] = (1.0,)) -> bool:
        if value is None:
            return False
        for scale in scales:
            wanted = value / scale
            if any(abs(n - wanted) <= 1e-6 * max(1.0, abs(wanted)) for n in self.numbers):
                return True
        return False


def _plain_url(url: str) -> str:
    return normalise_url(url.strip().lstrip("(<[{\"'"))


def _span_fields(span: Span | None) -> dict[str, Any]:
    return {"start_char": span.start if span else None, "end_char": span.end if span else None}


@dataclass
class GroundedSummary:
    """A Summary plus, per value, where it sits in the abstract and whether it is grounded."""

    summary: Summary
    links: list[dict[str, Any]] = field(default_factory=list)
    model_sizes: list[dict[str, Any]] = field(default_factory=list)
    gains: list[dict[str, Any]] = field(default_factory=list)
    code_url: str | None = None
    code_url_grounded: bool | None = None
    recall_warnings: list[str] = field(default_factory=list)

    @property
    def checked(self) -> int:
        code = 0 if self.code_url is None else 1
        return len(self.links) + len(self.model_sizes) + len(self.gains) + code

    @property
    def ungrounded(self) -> int:
        values = [*self.links, *self.model_sizes, *self.gains]
        missing = sum(1 for v in values if not v["grounded"])
        return missing + (1 if self.code_url is not None and not self.code_url_grounded else 0)

    @property
    def grounded_ratio(self) -> float | None:
        return None if self.checked == 0 else 1 - self.ungrounded / self.checked


def cross_check(summary: Summary, abstract: str) -> list[str]:
    """Links and sizes the offline rules find in the abstract but the summary lacks."""
    from summarizer.backends.rules.extract import extract_summary

    found = extract_summary("", abstract)
    have_links = {link_key(link.url) for link in summary.links}
    if summary.code_url:
        have_links.add(link_key(summary.code_url))
    warnings = [
        f"link {normalise_url(url)}"
        for url in dict.fromkeys(link.url for link in found.links)
        if link_key(url) not in have_links
    ]
    have_sizes = [s.params for s in summary.model_sizes if s.params]
    for size in found.model_sizes:
        if size.params and not any(abs(size.params - p) <= 0.01 * size.params for p in have_sizes):
            warnings.append(f"size {size.text}")
    return warnings


def ground(
    summary: Summary, abstract: str, *, strict: bool = False, check_recall: bool = False
) -> GroundedSummary:
    """Give each value its evidence offsets and grounded flag; ``strict`` drops the ungrounded.

    ``check_recall`` also lists what the offline rules find but this summary missed.
    """
    facts = AbstractFacts(abstract)
    result = GroundedSummary(summary=summary)
    for link in summary.links:
        stated = facts.stated(link.url)
        url, span = stated if stated else (_plain_url(link.url), locate(link.url, abstract))
        entry = {"url": url, "kind": link.kind, "grounded": stated is not None}
        result.links.append(entry | _span_fields(span))
    for size in summary.model_sizes:
        span = locate_any([size.text, size.evidence], abstract)
        grounded = span is not None and facts.has_number(size.params, _SCALES)
        entry = size.model_dump() | {"grounded": grounded}
        result.model_sizes.append(entry | _span_fields(span))
    for gain in summary.claimed_gains:
        span = locate(gain.evidence, abstract)
        entry = gain.model_dump() | {"grounded": facts.has_gain(gain.value, gain.unit)}
        result.gains.append(entry | _span_fields(span))
    if summary.code_url:
        stated = facts.stated(summary.code_url)
        result.code_url = stated[0] if stated else _plain_url(summary.code_url)
        result.code_url_grounded = stated is not None
    if check_recall:
        result.recall_warnings = cross_check(summary, abstract)
    if strict:
        result.links = [v for v in result.links if v["grounded"]]
        result.model_sizes = [v for v in result.model_sizes if v["grounded"]]
        result.gains = [v for v in result.gains if v["grounded"]]
        if not result.code_url_grounded:
            result.code_url, result.code_url_grounded = None, None
    return result
