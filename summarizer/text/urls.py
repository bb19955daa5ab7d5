"""Links in text: finding them, cleaning scrape junk off them, one canonical spelling each.

Abstracts come from PDF/LaTeX scrapes, so links arrive glued to sentence
punctuation, wrapped in brackets, followed by template junk such as ``{here}``,
or without a scheme. Grounding and the rules both read links through here, so a
link one of them finds is a link the other recognises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from summarizer.core.schema import LinkKind

_TLDS = (
    "com|org|net|io|ai|co|edu|gov|dev|app|info|me|xyz|cc|tech|site|page|science|"
    "uk|de|cn|jp|fr|ca|au|ch|nl|kr|in|eu|us|ru|it|es|se|sg|hk|tw|be|at|cz|pl|il"
)

_INVISIBLE = "\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
"""Zero-width and bidirectional control characters: never part of a link (a right-to-left
override inside a link would make it show as another)."""
_URL = re.compile(
    r"(?P<scheme>https?://|ftp://)[^\s<>\"'{}|\\^`" + _INVISIBLE + r"]+"
    r"|(?<![\w@/.\-])(?P<bare>(?:[a-z0-9](?:[a-z0-9\-]{0,62})\.)+(?:" + _TLDS + r"))"
    r"(?P<path>/[^\s<>\"'{}|\\^`" + _INVISIBLE + r"]*)?(?![\w\-])",
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
    r"^(?:www\.)?(?:github\.com|gitlab\.com|gitlab\.[a-z0-9.\-]+|bitbucket\.org|codeberg\.org|"
    r"gitee\.com|sourceforge\.net)$"
)

_HUB_HOSTS = re.compile(r"^(?:www\.)?(?:huggingface\.co|hf\.co|zenodo\.org|kaggle\.com)$")

_PROJECT_HOSTS = re.compile(r"(?:\.github\.io|\.gitlab\.io|^sites\.google\.com|\.pages\.dev)$")

_PAPER_HOSTS = re.compile(
    r"(?:^|\.)(?:arxiv\.org|doi\.org|openreview\.net|aclanthology\.org|semanticscholar\.org|"
    r"proceedings\.(?:mlr\.press|neurips\.cc)|papers\.nips\.cc|dl\.acm\.org|ieeexplore\.ieee\.org)$"
)

# Words that introduce a link, so "available at swebench.com" is a link with no path.
_LINK_CUE = re.compile(r"(?:\b(?:at|via|visit|see)\s+|[:(]\s*)$", re.IGNORECASE)


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


def host_of(url: str) -> str:
    if "://" not in url:
        url = "https://" + url
    return urlsplit(url).netloc.lower()


def classify_link(url: str) -> LinkKind:
    """Coarse kind from the host alone: what a reader would expect to find behind the link.

    The rules refine it from the link's sentence (:mod:`summarizer.backends.rules.links`).
    """
    host = host_of(url)
    if _CODE_HOSTS.match(host):
        return "code"
    if _HUB_HOSTS.match(host):
        return "hub"
    if _PROJECT_HOSTS.search(host):
        return "project"
    if _PAPER_HOSTS.search(host):
        return "paper"
    return "other"


def _earliest_link(text: str) -> int:
    """No link can start before this offset, so :data:`_URL` need not scan there.

    A link with a scheme starts at most 5 characters before its ``://``; a bare one holds a
    ``.tld`` (:data:`_TLD_HINT`) and runs back from it over letters, digits, dots and
    hyphens only, so it starts no earlier than that run before the first hint.
    """
    bounds = []
    scheme = text.find("://")
    if scheme >= 0:
        bounds.append(max(0, scheme - 5))
    hint = _TLD_HINT.search(text)
    if hint is not None:
        start = hint.start()
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-."):
            start -= 1
        bounds.append(start)
    return min(bounds, default=0)


def find_links(text: str) -> list[FoundLink]:
    """Every link in the text, in order, deduplicated by normalised form.

    Scheme-less matches need a path, ``www.`` or a well-known host, so prose such as
    "sites like wikipedia.org" or a file name is not taken for a link.
    """
    found: list[FoundLink] = []
    if "://" not in text and not _TLD_HINT.search(text):
        return found
    seen: set[str] = set()
    for match in _URL.finditer(text, _earliest_link(text)):
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


def link_key(url: str) -> str:
    """Compare links the way a reader would: scheme, wrapping brackets and case of host aside."""
    return normalise_url(url.strip().lstrip("(<[{\"'")).split("://", 1)[-1]


def plain_url(url: str) -> str:
    """A link as a model might write it, reduced to the canonical spelling."""
    return normalise_url(url.strip().lstrip("(<[{\"'"))
