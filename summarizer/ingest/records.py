"""Turning one raw record (a dict of fields) into a Paper, with the checks every format shares."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from summarizer.core.errors import InputError
from summarizer.core.paper import Paper, content_hash, parse_arxiv_id

MAX_ABSTRACT_CHARS = 20_000
MAX_TITLE_CHARS = 1_000

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_CONTROL_TO_SPACE = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x200B, 0x2028, 0x2029, 0xFEFF],
    " ",
)

TITLE_KEYS = ("title",)
ABSTRACT_KEYS = ("abstract", "summary")
ID_KEYS = ("arxiv_id", "id", "arxiv")
URL_KEYS = ("url", "link", "abs_url")
DATE_KEYS = ("published", "date", "published_date", "publishedat")
AUTHOR_KEYS = ("authors", "author")
UPVOTE_KEYS = ("upvotes",)
REPO_KEYS = ("repo_url", "githubrepo", "github_repo")
"""A code repository the source lists for the paper (Hugging Face: ``githubRepo``)."""


_CONTROL = re.compile("[" + "".join(map(chr, _CONTROL_TO_SPACE)) + "]")
_ASCII_SPACES = bytes(  # control characters and ASCII whitespace, each to one space
    0x20 if byte in _CONTROL_TO_SPACE or chr(byte).isspace() else byte for byte in range(128)
) + bytes(range(128, 256))


def clean_text(value: str) -> str:
    """Drop control and zero-width characters that break terminals, CSV cells and hashing."""
    if "\x1b" in value:
        value = _ANSI.sub(" ", value)  # an escape sequence goes whole, not just its ESC
    if _CONTROL.search(value) is None:  # the usual case: nothing to replace, no copy
        return value
    return value.translate(_CONTROL_TO_SPACE)


def clean_words(value: str) -> str:
    """``clean_text``, then runs of whitespace as one space and none at the ends, as
    :class:`Paper` stores a title and an abstract: ``" ".join(clean_text(value).split())``.

    Printable text (``str.isprintable``) holds no control or zero-width character and no
    whitespace but the ASCII space, so it only needs its spaces checked.
    """
    if value.isprintable():
        if "  " not in value and value[:1] != " " and value[-1:] != " ":
            return value
        return " ".join(value.split())
    if value.isascii() and "\x1b" not in value:  # one pass over bytes
        return " ".join(value.encode("ascii").translate(_ASCII_SPACES).decode("ascii").split())
    return " ".join(clean_text(value).split())


def text_identity(title: str, abstract: str, *, plain: bool = False) -> tuple[str, str, str]:
    """The stored title and abstract (cleaned and spaces joined, as :class:`Paper` keeps them)
    and their content hash: exactly ``Paper(clean_text(title), clean_text(abstract))``'s
    title, abstract and content_hash, faster.

    Text whose spaces are joined is what ``normalise_text`` makes of it once NFKC leaves it
    as it is and case is folded: case folding never makes, drops or changes whitespace (true
    of every code point; ``tests/test_floor.py`` checks it). For ASCII, NFKC changes
    nothing and case folding is lower-casing.

    ``plain``: the caller knows that neither text holds a control character (0x00-0x1F,
    DEL) or two spaces in a row (a JSON line with no backslash, no DEL and no two spaces:
    JSON allows no raw control character in a string). ASCII text like that is clean once
    neither end is a space, and is not scanned again.
    """
    if (
        plain
        and title.isascii()
        and abstract.isascii()
        and title[:1] != " " != title[-1:]
        and abstract[:1] != " " != abstract[-1:]
    ):
        payload = title.lower() + "\n" + abstract.lower()
        return title, abstract, hashlib.sha256(payload.encode("ascii")).hexdigest()
    title = clean_words(title)
    abstract = clean_words(abstract)
    if title.isascii() and abstract.isascii():
        payload = title.lower() + "\n" + abstract.lower()
        return title, abstract, hashlib.sha256(payload.encode("ascii")).hexdigest()
    if unicodedata.is_normalized("NFKC", title) and unicodedata.is_normalized("NFKC", abstract):
        payload = title.casefold() + "\n" + abstract.casefold()
        return title, abstract, hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return title, abstract, content_hash(title, abstract)


def parse_date(value: Any) -> date | None:
    """Best-effort date from ISO strings; an unparseable date is dropped, not fatal."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def _pick(fields: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = fields.get(key)
        if value not in (None, ""):
            return value
    return None


def _count(value: Any) -> int | None:
    """A non-negative count such as upvotes; anything else is no value."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _repository(value: Any) -> str | None:
    """A repository link a source lists: an http(s) URL without spaces, else no value."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if url.lower().startswith(("https://", "http://")) and len(url) <= 2000 and " " not in url:
        return clean_text(url)
    return None


def _authors(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = re.split(r";|,| and ", value) if value else []
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list):
        names = []
        for item in value:
            if isinstance(item, Mapping):
                item = item.get("name")
            if isinstance(item, str) and item.strip():
                names.append(clean_text(item).strip())
        return names
    return []


@dataclass(slots=True)
class Sighting:
    """One record read, checked and hashed, not yet a :class:`Paper`: enough for a run to ask
    the store whether it needs any work (``content_hash``, ``source``, ``record``,
    ``seen_on``); :meth:`paper` builds the Paper only for the records that do."""

    title: str
    abstract: str
    content_hash: str
    source: str
    record: str
    listing_date: date | None
    published: date | None
    fields: Mapping[str, Any]
    """The record's fields, keys lowered."""

    @property
    def seen_on(self) -> date | None:
        """The date this sighting is of (None: today), as first_seen counts it."""
        return self.listing_date or self.published

    def paper(self) -> Paper:
        fields = self.fields
        raw_id = _pick(fields, ID_KEYS)
        url = _pick(fields, URL_KEYS)
        arxiv_id = parse_arxiv_id(str(raw_id)) if raw_id is not None else None
        if arxiv_id is None and isinstance(url, str) and "arxiv.org" in url:
            arxiv_id = parse_arxiv_id(url)
        # Every field set here, as Paper.__post_init__ would leave it: the title and abstract
        # are joined and hashed already, and joining them again is most of a Paper's cost.
        # (tests/test_floor.py compares the result with a Paper built the ordinary way.)
        paper = Paper.__new__(Paper)
        paper.title = self.title
        paper.abstract = self.abstract
        paper.source = self.source
        paper.record = self.record
        paper.arxiv_id = arxiv_id
        paper.url = url if isinstance(url, str) else None
        paper.published = self.published
        paper.listing_date = self.listing_date
        paper.authors = _authors(_pick(fields, AUTHOR_KEYS))
        paper.content_hash = self.content_hash
        paper.paper_id = arxiv_id or "h" + self.content_hash[:20]
        paper.upvotes = _count(_pick(fields, UPVOTE_KEYS))
        paper.repo_url = _repository(_pick(fields, REPO_KEYS))
        return paper


def _lowered(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    """The fields with keys stripped and lower-cased; a record whose keys already are (the
    usual JSON record) is used as it is, without a copy."""
    try:
        joined = "".join(fields)
    except TypeError:  # a key that is not a string
        joined = ""
    if joined and joined.isprintable() and " " not in joined and joined == joined.lower():
        return fields
    return {str(k).strip().lower(): v for k, v in fields.items()}


def build_paper(
    fields: Mapping[str, Any],
    *,
    source: str,
    record: str,
    listing_date: date | None = None,
) -> Paper:
    """Validate one record's fields and build its Paper, or raise InputError naming it."""
    return read_record(fields, source=source, record=record, listing_date=listing_date).paper()


def read_record(
    fields: Mapping[str, Any],
    *,
    source: str,
    record: str,
    listing_date: date | None = None,
    plain: bool = False,
) -> Sighting:
    """Validate one record's fields and hash its text, or raise InputError naming it;
    ``plain`` as :func:`text_identity` has it."""
    lowered = _lowered(fields)
    title = _pick(lowered, TITLE_KEYS)
    abstract = _pick(lowered, ABSTRACT_KEYS)
    if not isinstance(title, str) or not title.strip():
        raise InputError(source, record, "record has no title; add a 'title' field")
    if not isinstance(abstract, str) or not abstract.strip():
        raise InputError(
            source, record, "record has no abstract; add an 'abstract' (or 'summary') field"
        )
    if len(abstract) > MAX_ABSTRACT_CHARS:
        raise InputError(
            source,
            record,
            f"abstract is {len(abstract):,} characters (limit {MAX_ABSTRACT_CHARS:,}); "
            "pass the abstract, not the full paper",
        )
    if len(title) > MAX_TITLE_CHARS:
        raise InputError(
            source, record, f"title is {len(title):,} characters (limit {MAX_TITLE_CHARS:,})"
        )
    title, abstract, digest = text_identity(title, abstract, plain=plain)
    return Sighting(
        title=title,
        abstract=abstract,
        content_hash=digest,
        source=source,
        record=record,
        listing_date=listing_date,
        published=parse_date(_pick(lowered, DATE_KEYS)),
        fields=lowered,
    )
