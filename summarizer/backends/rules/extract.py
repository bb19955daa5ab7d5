"""Offline, deterministic rules that turn one abstract into a :class:`~summarizer.core.schema.Summary`.

Each concept lives in its own module (links, sizes, gains, method); this module
only splits the abstract once and assembles the schema objects. Every evidence
string is a slice of the abstract, so grounding always finds it verbatim.
"""

from __future__ import annotations

from summarizer.backends.rules.gains import extract_gains
from summarizer.backends.rules.links import pick_code_url
from summarizer.backends.rules.method import extract_method, extract_task
from summarizer.backends.rules.sizes import extract_sizes
from summarizer.core.schema import ClaimedGain, Link, Method, ModelSize, Summary
from summarizer.text.sentences import Sentences
from summarizer.text.urls import classify_link, find_links, normalise_url

RULES_VERSION = "rules-2"

__all__ = ["RULES_VERSION", "classify_link", "extract_summary", "normalise_url"]


def extract_summary(title: str, abstract: str) -> Summary:
    """Summarise one paper from its title and abstract alone."""
    abstract = abstract or ""
    sentences = Sentences(abstract)
    links = find_links(abstract)
    code = pick_code_url(links, sentences)
    method = extract_method(title, abstract, sentences)
    task = extract_task(title, sentences)
    return Summary(
        task=task.task,
        task_evidence=task.evidence,
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
            for g in extract_gains(abstract, sentences, method.name)
        ],
        model_sizes=[
            ModelSize(text=s.text, params=s.params, vague=s.vague, evidence=evidence)
            for s, evidence in extract_sizes(abstract, sentences)
        ],
        code_url=code.url if code else None,
        code_url_evidence=sentences.at(code.start) if code else None,
        links=[Link(url=link.url, kind=link.kind) for link in links],
    )
