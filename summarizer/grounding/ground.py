"""Tracing every extracted value back to the abstract it came from.

A model can invent a plausible link, size or percentage. Here each value is
checked against the abstract on its own terms (a link must occur in it; a size must
be stated with its magnitude, "13B" or "13 billion"; a gain with its unit) and given
the character offsets of where it is stated: its mention inside the backend's quoted
evidence, or, when the quote does not contain it, its mention elsewhere. Values that fail
are flagged, never silently trusted.
"""

from __future__ import annotations

from typing import TypedDict

from summarizer.core.fields import FIELDS
from summarizer.core.results import (
    GroundedGain,
    GroundedLink,
    GroundedResult,
    GroundedSize,
    GroundedSummary,
)
from summarizer.core.schema import Summary
from summarizer.grounding.facts import AbstractFacts
from summarizer.grounding.locate import Span, locate
from summarizer.text.numbers import size_value
from summarizer.text.urls import link_key, normalise_url, plain_url


def _exact(evidence: str | None, abstract: str) -> tuple[int, int] | None:
    """Where the evidence stands when it is an exact slice of the abstract (then a stored row
    can keep the span instead of repeating the text)."""
    if not evidence:
        return None
    start = abstract.find(evidence)
    return (start, start + len(evidence)) if start >= 0 else None


class _Located(TypedDict):
    start_char: int | None
    end_char: int | None
    grounded: bool
    evidence_start: int | None
    evidence_end: int | None


def _located(evidence: str | None, abstract: str, span: Span | None) -> _Located:
    """Where a value and its quoted evidence stand: the fields every grounded value shares."""
    exact = _exact(evidence, abstract)
    return {
        "start_char": span.start if span else None,
        "end_char": span.end if span else None,
        "grounded": span is not None,
        "evidence_start": exact and exact[0],
        "evidence_end": exact and exact[1],
    }


def _value_span(evidence: str | None, abstract: str, mentions: list[Span]) -> Span | None:
    """Where the value is stated: its mention inside the quoted evidence, else its first
    mention anywhere (the quote was wrong, the value was not); None when the abstract never
    states it. The span is the value itself, so a viewer can highlight exactly it."""
    if not mentions:
        return None
    quoted = locate(evidence, abstract)
    if quoted is not None:
        for mention in mentions:
            if quoted.start <= mention.start and mention.end <= quoted.end:
                return mention
    return mentions[0]


def cross_check(summary: Summary, reference: Summary) -> list[str]:
    """What a ``reference`` extraction (the offline rules) found that ``summary`` lacks or
    labels differently: a cheap recall and consistency check on an LLM's answer.

    Missing links and sizes read ``link URL`` and ``size 7B``; a disagreement reads
    ``link kind URL: data (rules: code)``, ``size role 7B: own (rules: baseline)`` or
    ``task_category: quantization (rules: pruning-sparsity)``.
    """
    kinds = {link_key(link.url): link.kind for link in summary.links}
    have_links = set(kinds)
    if summary.code_url:
        have_links.add(link_key(summary.code_url))
    warnings: list[str] = []
    for link in {link_key(link.url): link for link in reference.links}.values():
        key = link_key(link.url)
        if key not in have_links:
            warnings.append(f"link {normalise_url(link.url)}")
        elif key in kinds and kinds[key] != link.kind:
            warnings.append(
                f"link kind {normalise_url(link.url)}: {kinds[key]} (rules: {link.kind})"
            )
    have_sizes = [s for s in summary.model_sizes if s.params]
    for size in reference.model_sizes:
        if not size.params:
            continue
        same = [s for s in have_sizes if abs(size.params - s.params) <= 0.01 * size.params]  # type: ignore[operator]
        if not same:
            warnings.append(f"size {size.text}")
        elif all(s.role != size.role for s in same):
            warnings.append(f"size role {size.text}: {same[0].role} (rules: {size.role})")
    if summary.task_category != reference.task_category:
        warnings.append(
            f"task_category: {summary.task_category} (rules: {reference.task_category})"
        )
    return warnings


def ground(
    summary: Summary, abstract: str, *, strict: bool = False, reference: Summary | None = None
) -> GroundedSummary:
    """Give each value its evidence offsets and grounded flag; ``strict`` drops the ungrounded.

    With a ``reference`` summary, also list what it found but this summary missed.
    """
    facts = AbstractFacts(abstract)
    result = GroundedSummary(summary=summary)
    for link in summary.links:
        stated = facts.stated(link.url)
        url, span = stated if stated else (plain_url(link.url), locate(link.url, abstract))
        result.links.append(
            GroundedLink(
                url=url,
                kind=link.kind,
                start_char=span.start if span else None,
                end_char=span.end if span else None,
                grounded=stated is not None,
            )
        )
    for size in summary.model_sizes:
        params = size.params or size_value(size.text)
        span = _value_span(size.evidence, abstract, facts.size_mentions(params))
        result.model_sizes.append(
            GroundedSize(
                text=size.text,
                params=size.params,
                vague=size.vague,
                evidence=size.evidence,
                role=size.role,
                **_located(size.evidence, abstract, span),
            )
        )
    for gain in summary.claimed_gains:
        span = _value_span(gain.evidence, abstract, facts.gain_mentions(gain.value, gain.unit))
        result.gains.append(
            GroundedGain(
                metric=gain.metric,
                value=gain.value,
                unit=gain.unit,
                benchmark=gain.benchmark,
                baseline=gain.baseline,
                evidence=gain.evidence,
                **_located(gain.evidence, abstract, span),
            )
        )
    for score in summary.results:
        unit = score.unit if score.unit in ("%", "x") else None  # other units: the number
        span = _value_span(score.evidence, abstract, facts.gain_mentions(score.value, unit))
        result.results.append(
            GroundedResult(
                benchmark=score.benchmark,
                metric=score.metric,
                value=score.value,
                unit=score.unit,
                setting=score.setting,
                evidence=score.evidence,
                **_located(score.evidence, abstract, span),
            )
        )
    for name, evidence in (
        ("task", summary.task_evidence),
        ("method", summary.method.evidence),
        ("code_url", summary.code_url_evidence),
    ):
        if (exact := _exact(evidence, abstract)) is not None:
            result.evidence_spans[name] = exact
    if summary.code_url:
        stated = facts.stated(summary.code_url)
        result.code_url = stated[0] if stated else plain_url(summary.code_url)
        result.code_url_grounded = stated is not None
    if reference is not None:
        result.recall_warnings = cross_check(summary, reference)
    if strict:
        for field in FIELDS:
            setattr(result, field.name, [v for v in result.values(field.name) if v["grounded"]])
        if not result.code_url_grounded:
            result.code_url, result.code_url_grounded = None, None
    return result
