"""URLs in an abstract: finding, cleaning, normalising, classifying, and picking the code link.

Abstracts come from PDF/LaTeX scrapes, so links arrive glued to sentence
punctuation, wrapped in brackets, followed by template junk such as ``{here}``,
or without a scheme. Everything here is one pass of precompiled regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from summarizer.text.sentences import Sentences

LinkKind = Literal["code", "project", "hub", "other"]

_TLDS = (
    "com|org|net|io|ai|co|edu|gov|dev|app|info|me|xyz|cc|tech|site|page|science|"
    "uk|de|cn|jp|fr|ca|au|ch|nl|kr|in|eu|us|ru|it|es|se|sg|hk|tw|be|at|cz|pl|il"
)
_URL = re.compile(
    r"(?P<scheme>https?://|ftp://)[^\s<>\"'{}|\\^`]+"
    r"|(?<![\w@/.\-])(?P<bare>(?:[a-z0-9](?:[a-z0-9\-]{0,62})\.)+(?:" + _TLDS + r"))"
    r"(?P<path>/[^\s<>\"'{}|\\^`]*)?(?![\w\-])",
    re.IGNORECASE,
)
_HAS_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_TLD_HINT = re.compile(r"\.(?:" + _TLDS + r")\b", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>\"'*`"
_KNOWN_BARE_HOSTS = re.compile(
    r"^(?:www\.|(?:[\w\-]+\.)*(?:github\.(?:com|io)|gitlab\.com|bitbucket\.org|codeberg\.org|"
    r"huggingface\.co|hf\.co|zenodo\.org|kaggle\.com|sites\.google\.com|arxiv\.org|"
    r"sourceforge\.net|pypi\.org|colab\.research\.google\.com)$)",
    re.IGNORECASE,
)
_CODE_HOSTS = re.compile(
    r"^(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|sourceforge\.net)$"
)
_HUB_HOSTS = re.compile(r"^(?:www\.)?(?:huggingface\.co|hf\.co|zenodo\.org|kaggle\.com)$")
_PROJECT_HOSTS = re.compile(r"(?:\.github\.io|\.gitlab\.io|^sites\.google\.com|\.pages\.dev)$")
_OTHER_HOSTS = re.compile(r"(?:^|\.)(?:arxiv\.org|doi\.org|openreview\.net|aclanthology\.org)$")
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
# Words that introduce a link, so "available at swebench.com" is a link with no path.
_LINK_CUE = re.compile(r"(?:\b(?:at|via|visit|see)\s+|[:(]\s*)$", re.IGNORECASE)
_POINTER_BEFORE = re.compile(
    r"\b(?:instructions?|details?|information|documentation|docs|demos?|leaderboards?|blogs?|"
    r"blog\s+posts?|(?:web|home|project)\s?pages?|websites?|sites?|videos?|results|"
    r"guidelines?|tutorials?|steps|form)\b"
    r"(?:\s+(?:is|are|can\s+be|will\s+be|(?:publicly\s+)?available|found|provided|listed|given|"
    r"shown|hosted|at|in|on|via|here|from))*\s*:?\s*\(?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FoundLink:
    """A link as cleaned from the abstract, with where it sits (for evidence)."""

    url: str
    kind: LinkKind
    start: int
    end: int


def _clean(raw: str) -> str:
    url = raw.split("{", 1)[0]
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def normalise_url(url: str) -> str:
    """One canonical spelling per link, so gold, predictions and grounding compare equal.

    Scheme-less links get https, hosts are case-insensitive, and a trailing slash or
    a github ``.git`` suffix points at the same page.
    """
    url = _clean(url.strip())
    if not _HAS_SCHEME.match(url):
        url = "https://" + url
    parts = urlsplit(url)
    host = parts.netloc.lower()
    path = parts.path.rstrip("/")
    if _CODE_HOSTS.match(host) and path.lower().endswith(".git"):
        path = path[:-4]
    rest = ("?" + parts.query if parts.query else "") + (
        "#" + parts.fragment if parts.fragment else ""
    )
    return f"{parts.scheme.lower()}://{host}{path}{rest}"


def _host(url: str) -> str:
    if "://" not in url:
        url = "https://" + url
    return urlsplit(url).netloc.lower()


def classify_link(url: str) -> LinkKind:
    """Coarse kind from the host: what a reader would expect to find behind the link."""
    host = _host(url)
    if _CODE_HOSTS.match(host):
        return "code"
    if _HUB_HOSTS.match(host):
        return "hub"
    if _PROJECT_HOSTS.search(host):
        return "project"
    if _OTHER_HOSTS.search(host):
        return "other"
    return "other"


def find_links(text: str) -> list[FoundLink]:
    """Every link in the text, in order, deduplicated by normalised form.

    Scheme-less matches need a path, ``www.`` or a well-known host, so prose such as
    "sites like wikipedia.org" or a file name is not taken for a link.
    """
    found: list[FoundLink] = []
    if "://" not in text and not _TLD_HINT.search(text):
        return found
    seen: set[str] = set()
    for match in _URL.finditer(text):
        if match.group("scheme"):
            url = _clean(match.group(0))
            if len(url) <= len(match.group("scheme")) + 3:
                continue
        else:
            bare = match.group("bare")
            path = match.group("path") or ""
            cleaned_path = _clean(path)
            cued = _LINK_CUE.search(text, max(0, match.start() - 12), match.start()) is not None
            if not (cleaned_path.strip("/") or _KNOWN_BARE_HOSTS.match(bare) or cued):
                continue
            url = "https://" + bare + cleaned_path
        key = normalise_url(url)
        if key in seen:
            continue
        seen.add(key)
        start = match.start()
        raw_len = len(url) - (8 if not match.group("scheme") else 0)
        found.append(FoundLink(url, classify_link(url), start, start + raw_len))
    return found


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
