"""What each link in an abstract is (code, data, models, a demo, a project page, the paper)
and which one holds the paper's code: the clause around each link decides.

Finding and cleaning links is :mod:`summarizer.text.urls`, which also gives each a kind from
its host alone. Here the words of the link's own clause ("code at", "we release the
benchmark:", "checkpoints are on") override the host: a GitHub link the sentence presents as
a dataset is data, and a project page that the clause says holds code is code.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from summarizer.core.schema import LinkKind
from summarizer.text.sentences import Sentences
from summarizer.text.urls import FoundLink

_CODE_WORDS = re.compile(
    r"\b(?:codes?|implementations?|source|open[- ]?sourced?|github|repositor(?:y|ies)|repo|"
    r"toolkit|library|package|scripts?)\b",
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
_NEW_SUBJECT = re.compile(
    r"\s*(?:and|but|while|whereas)\s+(?:we|our|the|all|this)\b", re.IGNORECASE
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


def _clause(
    link: FoundLink, previous_end: int, next_start: int, sentences: Sentences
) -> tuple[str, str]:
    """The words that can say what a link holds: its own clause before the link (from the
    last comma, or from the previous link), and the rest of that clause after it, up to the
    next link.

    A comma followed by "is/are/will ..." does not end the clause: its subject sits
    before the comma ("Our code, data and models, are ..."); nor does a comma inside a list
    of released things, unless a new subject follows (", and we release ...").
    """
    start, end = sentences.span_at(link.start)
    text = sentences.text
    before = text[max(start, previous_end) : link.start]
    cut = _LAST_CLAUSE.search(before)
    if cut and (
        _NEW_SUBJECT.match(before, cut.end())
        or (
            not _LIST_BEFORE.search(before[: cut.start()])
            and not _BARE_PREDICATE.match(before[cut.end() :])
        )
    ):
        before = before[cut.end() :]
    after = text[link.end : min(end, next_start, link.end + _AFTER_WINDOW)]
    stop = _CLAUSE_END.search(after)
    return before, after[: stop.start()] if stop else after


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


# What a clause can say a link holds. Code wins within a clause ("code and models at X"),
# except on a model hub, which holds the models or data the clause also names; otherwise
# the first thing named decides. The words before the link speak first.
_CODE_NOUNS = re.compile(
    r"\b(?:codes?|code\s?bases?|implementations?|source\s+code|sources|toolkits?|"
    r"librar(?:y|ies)|packages?|scripts?|software|codebase|training\s+code)\b",
    re.IGNORECASE,
)
_WEAK_CODE = re.compile(
    r"\b(?:open[- ]?sourc\w*|github|repositor(?:y|ies)|repos?|source)\b", re.IGNORECASE
)
_RESOURCES = re.compile(
    r"\b(?:resources?|curated\s+(?:list|collection)|collection\s+of\s+(?:papers|works)|"
    r"papers|reading\s+list|paper\s+list)\b",
    re.IGNORECASE,
)
_RELEASED = {
    "data": re.compile(
        r"\b(?:data(?:sets?)?|benchmarks?|corpus|corpora|annotations?|leaderboards?|"
        r"test\s?sets?|splits|instances|samples|questions|votes|conversations|"
        r"measurements|logs|labels|judgments|trajectories|prompts|responses|recordings|"
        r"images|videos|documents|dialogues|problems|tasks)\b",
        re.IGNORECASE,
    ),
    "model": re.compile(
        r"\b(?:models?|checkpoints?|weights|(?:M|V)?LLMs?|LMs?|adapters?|embeddings)\b",
        re.IGNORECASE,
    ),
    "demo": re.compile(r"\b(?:demos?|demonstration\s+page|playground|spaces?)\b", re.IGNORECASE),
    "project": re.compile(
        r"\b(?:(?:project|home|web)\s?pages?|websites?|web\s?sites?|homepage)\b", re.IGNORECASE
    ),
}


def _host_kind(link: FoundLink) -> LinkKind:
    """What a link is when its clause says nothing: a repository holds code, a hub's
    Space is a demo, its documentation is a page like any other."""
    if link.kind == "code":
        return "code" if _is_repo(link.url) else "other"
    if link.kind == "hub":
        path = urlsplit(link.url if "://" in link.url else "https://" + link.url).path.lower()
        if path.startswith("/spaces/"):
            return "demo"
        if path.startswith(("/docs", "/blog", "/papers")):
            return "other"
        if path.startswith("/datasets/"):
            return "data"
        return "hub"
    if link.kind in ("project", "paper"):
        return link.kind
    return "other"


def _named(clause: str) -> LinkKind | None:
    """The first released thing the clause names, if any; a list of papers or resources
    (a survey's reading list) is ``other``."""
    best: tuple[int, LinkKind] | None = None
    for kind, pattern in (*_RELEASED.items(), ("other", _RESOURCES)):
        match = pattern.search(clause)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), kind)  # type: ignore[assignment]
    return best[1] if best else None


def _pointer_kind(link: FoundLink, sentences: Sentences) -> LinkKind:
    """ "Our project page: X", "the demo at X", "instructions at X": the noun before decides."""
    start = sentences.span_at(link.start)[0]
    before = sentences.text[max(start, link.start - 60) : link.start]
    pointer = _POINTER_BEFORE.search(before)
    named = _named(pointer.group(0)) if pointer else None
    return named or _host_kind(link)


def link_kinds(links: list[FoundLink], sentences: Sentences) -> list[LinkKind]:
    """Each link's kind, read from its clause, falling back to its host."""
    kinds: list[LinkKind] = []
    previous_end = 0
    for index, link in enumerate(links):
        next_start = links[index + 1].start if index + 1 < len(links) else len(sentences.text)
        before, after = _clause(link, previous_end, next_start, sentences)
        previous_end = link.end
        span = sentences.span_at(link.start)
        beside_code = any(
            other is not link and other.kind == "code" and span[0] <= other.start < span[1]
            for other in links
        )
        kinds.append(_kind(link, before, after, sentences, beside_code))
    return kinds


def _kind(
    link: FoundLink, before: str, after: str, sentences: Sentences, beside_code: bool
) -> LinkKind:
    """``beside_code``: a code-host link shares the sentence, so in "models and code are on
    our hub page X and GitHub Y" the hub page holds the models."""
    if link.kind == "paper":
        return "paper"
    if link.kind == "code" and _is_repo(link.url):
        return "code"  # a repository on a code host is code, whatever it holds (schema 3)
    if _points_elsewhere(link, sentences) and not _listed_with_code(link, sentences):
        return _pointer_kind(link, sentences)
    for part in (before, after):
        named = _named(part)
        if _CODE_NOUNS.search(part):
            if link.kind == "hub" and beside_code and named in ("model", "data"):
                return named
            return "code"
        if named is not None:
            return named
        if part is before and _WEAK_CODE.search(before) and link.kind != "hub":
            return "code"
    return _host_kind(link)


def pick_code_url(links: list[FoundLink], kinds: list[LinkKind]) -> FoundLink | None:
    """The paper's code: a repository on a code host that holds code, else the first code link."""
    code = [link for link, kind in zip(links, kinds, strict=True) if kind == "code"]
    for link in code:
        if link.kind == "code" and _is_repo(link.url):
            return link
    return code[0] if code else None
