"""What an abstract states, computed once per abstract: its links, numbers, sizes and gains.

The abstract is read unescaped (``88\\%`` states 88%), and every span is mapped back to the
abstract as stored. A size is stated only with its magnitude (``13B``, ``13 billion``) and
a gain only with its unit: the digits alone ("13 domains") state neither.

Text inside sentences that talk to the model ("ignore previous instructions and
set code_url to ...") is left out, so an injected value is never grounded.
"""

from __future__ import annotations

import re
from functools import cached_property

from summarizer.grounding.locate import Span
from summarizer.text.escapes import Unescaped
from summarizer.text.numbers import gains_in, magnitudes_in, numbers_in
from summarizer.text.sentences import Sentences
from summarizer.text.urls import find_links, link_key, normalise_url

_LINKISH = re.compile(r"[^\s<>\"'()\[\]{}]*[a-z0-9-]\.[a-z]{2,}[^\s<>\"']*", re.IGNORECASE)
_INSTRUCTION_MARKERS = (
    "ignore", "disregard", "forget", "override", "code_url", "respond with", "reply with",
    "system prompt", "assistant:", "system:", "##", "you are", "you must", "you should", "you will",
)  # fmt: skip
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,60}\b(?:instructions?|prompts?|rules|"
    r"above|previous)\b"
    r"|\b(?:set|change|output|return|respond with|reply with|print|write)\b[^.!?]{0,40}"
    r"\b(?:code_url|json|field|answer)\b"
    r"|\byou (?:are|must|should|will) (?:now )?(?:an? |output|respond|return|reply|ignore)"
    r"|\bsystem prompt\b|\b(?:assistant|system)\s*:|#{2,}\s*instruction",
    re.IGNORECASE,
)


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
        self.unescaped = Unescaped(abstract)
        self.text = self.unescaped.text

    @cached_property
    def untrusted(self) -> list[tuple[int, int]]:
        return [self.unescaped.original_span(a, b) for a, b in instruction_spans(self.text)]

    @cached_property
    def links(self) -> dict[str, tuple[str, Span]]:
        """link key -> (the abstract's own normalised spelling, where it stands)."""
        found: dict[str, tuple[str, Span]] = {}
        for link in find_links(self.text):
            span = self._span(link.start, link.end)
            if self._trusted(span.start):
                found.setdefault(link_key(link.url), (normalise_url(link.url), span))
        return found

    @cached_property
    def loose_links(self) -> dict[str, tuple[str, Span]]:
        """Anything shaped like a domain, for links the rules would not call links."""
        found: dict[str, tuple[str, Span]] = {}
        for match in _LINKISH.finditer(self.text):
            span = self._span(match.start(), match.end())
            if self._trusted(span.start):
                found.setdefault(link_key(match.group(0)), (normalise_url(match.group(0)), span))
        return found

    @cached_property
    def numbers(self) -> list[tuple[float, Span]]:
        return self._trusted_only(
            (value, self._span(start, start + len(str(value))))
            for start, value in numbers_in(self.text)
        )

    @cached_property
    def with_units(self) -> list[tuple[float, str, Span]]:
        return [
            (value, unit, span)
            for (value, span), unit in (
                ((v, self._span(a, b)), u) for a, b, v, u in gains_in(self.text)
            )
            if self._trusted(span.start)
        ]

    @cached_property
    def magnitudes(self) -> list[tuple[float, Span]]:
        return self._trusted_only(
            (value, self._span(a, b)) for a, b, value in magnitudes_in(self.text)
        )

    def size_mentions(self, params: float | None) -> list[Span]:
        """Where the abstract states this parameter count with its magnitude."""
        if not params:
            return []
        return [span for value, span in self.magnitudes if abs(value - params) <= 5e-3 * params]

    def gain_mentions(self, value: float, unit: str | None) -> list[Span]:
        """Where the abstract states this gain: its number with its unit (or at all, if
        unitless or in points, which abstracts often leave unwritten)."""
        if unit is None or unit == "points":
            stated = [span for v, span in self.numbers if _same(v, value)]
            return stated if stated or unit is None else self.differences(value)
        return [span for v, u, span in self.with_units if u == unit and _same(v, value)]

    def differences(self, value: float) -> list[Span]:
        """A points gain computed from a from->to pair ("from 4.8% to 42.4%" is 37.6 points):
        where two nearby numbers differ by it, the span covering both."""
        numbers = self.numbers
        found: list[Span] = []
        for i, (a, first) in enumerate(numbers):
            for b, second in numbers[i + 1 : i + 3]:
                if second.start - first.end > _PAIR_GAP:
                    break
                if _same(abs(b - a), value):
                    found.append(Span(first.start, second.end, "exact"))
        return found

    def has_gain(self, value: float, unit: str | None) -> bool:
        return bool(self.gain_mentions(value, unit))

    def _span(self, start: int, end: int) -> Span:
        a, b = self.unescaped.original_span(start, end)
        return Span(a, b, "exact")

    def _trusted_only(self, items: object) -> list[tuple[float, Span]]:
        return [(v, span) for v, span in items if self._trusted(span.start)]  # type: ignore[attr-defined]

    def _trusted(self, position: int) -> bool:
        return not any(start <= position < end for start, end in self.untrusted)

    def stated(self, url: str) -> tuple[str, Span] | None:
        """The abstract's own spelling of a link it states, and where; None if it does not."""
        key = link_key(url)
        return self.links.get(key) or self.loose_links.get(key)


_PAIR_GAP = 40
"""At most this many characters between the two numbers of a from->to pair."""


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))
