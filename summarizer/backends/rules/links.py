"""Which link in an abstract holds the paper's code: the clause around each link decides.

Finding and cleaning links is :mod:`summarizer.text.urls`; this module reads the words
around each one ("code at", "our project page:", "we release the benchmark") and picks.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from summarizer.text.sentences import Sentences
from summarizer.text.urls import FoundLink

_CODE_WORDS = re.compile(
    r"\b(?:codes?|implementations?|source|open[- ]?sourced?|github|repositor(?:y|ies)|repo|"
    r"toolkit|library|package|scripts?)\b",
    re.IGNORECASE,
)
_HOLDS_WORDS = re.compile(
    r"\b(?:codes?|implementations?|source|open[- ]?sourc\w*|github|repositor(?:y|ies)|repo|"
    r"toolkit|library|package|scripts?|software|data(?:sets?)?|benchmarks?|corpus|corpora|"
    r"checkpoints?|weights|models?|resources|artifacts|materials)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;(]|\.(?:\s|$)")
_LAST_CLAUSE = re.compile(r"[,;](?![^,;]*[,;])(?!\s*(?:is|are|was|were|will|can|has|have|may)\b)")
_AFTER_WINDOW = 60
# "Our code, data, and demos are at X": a comma inside a list of what is released does not
# end the clause that says what the link holds.
_LIST_BEFORE = re.compile(
    r"\b(?:codes?|data(?:sets?)?|models?|weights|checkpoints?|benchmarks?|implementations?)"
    r"(?:,\s*[\w\- ]{1,40})*,?\s*$",
    re.IGNORECASE,
)
# "..., at X" / "..., are available at X": nothing after the comma names a thing, so the
# subject of the clause sits before it.
_BARE_PREDICATE = re.compile(
    r"^(?:\s*(?:is|are|will|be|can|publicly|freely|openly|made|released|available|accessible|"
    r"found|hosted|at|on|via|from|in|here|both|all|:))*\s*$",
    re.IGNORECASE,
)
_LIST_JOIN = re.compile(r"(?:,|\band|&)\s*(?:the\s+|our\s+|a\s+)?$", re.IGNORECASE)
_POINTER_BEFORE = re.compile(
    r"\b(?:instructions?|details?|information|documentation|docs|demos?|leaderboards?|blogs?|"
    r"blog\s+posts?|(?:web|home|project)\s?pages?|websites?|sites?|videos?|results|"
    r"guidelines?|tutorials?|steps|form)\b"
    r"(?:\s+(?:is|are|can\s+be|will\s+be|(?:publicly\s+)?available|found|provided|listed|given|"
    r"shown|hosted|at|in|on|via|here|from))*\s*:?\s*\(?$",
    re.IGNORECASE,
)


def _is_repo(url: str) -> bool:
    return len([p for p in urlsplit(url).path.split("/") if p]) >= 1


def _clause(link: FoundLink, previous_end: int, sentences: Sentences) -> str:
    """The words that can say what a link holds: its own clause before the link (from the
    last comma, or from the previous link), plus the rest of that clause after it.

    A comma followed by "is/are/will ..." does not end the clause: its subject sits
    before the comma ("Our code, data and models, are ...").
    """
    start, end = sentences.span_at(link.start)
    text = sentences.text
    before = text[max(start, previous_end) : link.start]
    cut = _LAST_CLAUSE.search(before)
    if (
        cut
        and not _LIST_BEFORE.search(before[: cut.start()])
        and not _BARE_PREDICATE.match(before[cut.end() :])
    ):
        before = before[cut.end() :]
    after = text[link.end : min(end, link.end + _AFTER_WINDOW)]
    stop = _CLAUSE_END.search(after)
    return before + " " + (after[: stop.start()] if stop else after)


def _points_elsewhere(link: FoundLink, sentences: Sentences) -> bool:
    """The noun right before the link names what it holds: "the instructions at X",
    "our project page: X", "more details at X" point at documents, not code or data."""
    start = sentences.span_at(link.start)[0]
    return bool(_POINTER_BEFORE.search(sentences.text, max(start, link.start - 60), link.start))


def _listed_with_code(link: FoundLink, sentences: Sentences) -> bool:
    """ "Code, data, and demo are at X": the document noun ends a list that includes code."""
    start = sentences.span_at(link.start)[0]
    before = sentences.text[start : link.start]
    pointer = _POINTER_BEFORE.search(before)
    if pointer is None:
        return False
    head = before[: pointer.start()]
    return bool(_LIST_JOIN.search(head)) and _CODE_WORDS.search(head) is not None


def pick_code_url(links: list[FoundLink], sentences: Sentences) -> FoundLink | None:
    """The link holding the paper's code.

    A repository on a code host wins; otherwise the first link whose own clause says it
    holds code, data or models ("Code and data at X", "we release the benchmark: X").
    "Available at X" alone is not enough: a project page or hub link may hold anything.
    A model-hub link needs an explicit code mention, since hubs usually hold only weights.
    """
    for link in links:
        if link.kind == "code" and _is_repo(link.url):
            return link
    previous_end = 0
    for link in links:
        clause = _clause(link, previous_end, sentences)
        previous_end = link.end
        words = _CODE_WORDS if link.kind == "hub" else _HOLDS_WORDS
        if words.search(clause) and (
            not _points_elsewhere(link, sentences) or _listed_with_code(link, sentences)
        ):
            return link
    return None
