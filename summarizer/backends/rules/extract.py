"""Offline, deterministic rules that turn one abstract into a :class:`~summarizer.core.schema.Summary`.

Each concept lives in its own module (links, sizes, gains, method, task); this module
unescapes and splits the abstract once and assembles the schema objects. Every evidence
string is a slice of the abstract as stored, so grounding always finds it verbatim: the rules
read the unescaped text (``88\\%`` as ``88%``) and their evidence is mapped back.
"""

from __future__ import annotations

from summarizer.backends.rules.category import choose_category
from summarizer.backends.rules.gains import extract_claims
from summarizer.backends.rules.links import link_kinds, pick_code_url
from summarizer.backends.rules.method import extract_method
from summarizer.backends.rules.sizes import extract_sizes
from summarizer.backends.rules.task import extract_task
from summarizer.backends.rules.version import RULES_VERSION
from summarizer.core.fields import FIELDS
from summarizer.core.schema import ClaimedGain, Link, Method, ModelSize, Result, Summary
from summarizer.text.escapes import Unescaped
from summarizer.text.sentences import Sentences
from summarizer.text.urls import classify_link, find_links, normalise_url

__all__ = ["RULES_VERSION", "classify_link", "extract_summary", "normalise_url"]


def extract_summary(title: str, abstract: str) -> Summary:
    """Summarise one paper from its title and abstract alone."""
    text = Unescaped(abstract or "")
    summary = _extract(Unescaped(title or "").text, text.text)
    return _restore_evidence(summary, text) if text.changed else summary


def _extract(title: str, abstract: str) -> Summary:
    sentences = Sentences(abstract)
    links = find_links(abstract)
    kinds = link_kinds(links, sentences)
    code = pick_code_url(links, kinds)
    method = extract_method(title, abstract, sentences)
    task = extract_task(title, sentences)
    gains, results = extract_claims(abstract, sentences, method.name)
    return Summary(
        task=task.task,
        task_evidence=task.evidence,
        task_category=choose_category(title, abstract, sentences),
        method=Method(name=method.name, description=method.description, evidence=method.evidence),
        claimed_gains=[
            ClaimedGain(
                metric=g.metric,
                value=g.value,
                unit=g.unit,
                benchmark=g.benchmark,
                baseline=g.baseline,
                evidence=g.evidence,
            )
            for g in gains
        ],
        results=[
            Result(
                benchmark=r.benchmark,
                metric=r.metric,
                value=r.value,
                unit=r.unit,
                setting=r.setting,
                evidence=r.evidence,
            )
            for r in results
        ],
        model_sizes=[
            ModelSize(text=s.text, params=s.params, vague=s.vague, role=s.role, evidence=evidence)
            for s, evidence in extract_sizes(abstract, sentences, method.name, title)
        ],
        code_url=code.url if code else None,
        code_url_evidence=sentences.at(code.start) if code else None,
        links=[Link(url=link.url, kind=kind) for link, kind in zip(links, kinds, strict=True)],
    )


def _restore_evidence(summary: Summary, text: Unescaped) -> Summary:
    """Evidence read from the unescaped text, as the stored abstract writes it."""

    def back(span: str | None) -> str | None:
        return text.original_slice(span) if span else span

    return summary.model_copy(
        update={
            "task_evidence": back(summary.task_evidence),
            "code_url_evidence": back(summary.code_url_evidence),
            "method": summary.method.model_copy(update={"evidence": back(summary.method.evidence)}),
            **{
                field.attribute: [
                    v.model_copy(update={"evidence": back(v.evidence)})
                    for v in getattr(summary, field.attribute)
                ]
                for field in FIELDS
                if "evidence" in field.item.model_fields
            },
        }
    )
