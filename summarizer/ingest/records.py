"""Turning one raw record (a dict of fields) into a Paper, with the checks every format shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from summarizer.core.errors import InputError
from summarizer.core.paper import Paper, parse_arxiv_id

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


def clean_text(value: str) -> str:
    """Drop control and zero-width characters that break terminals, CSV cells and hashing."""
    if "\x1b" in value:
        value = _ANSI.sub(" ", value)  # an escape sequence goes whole, not just its ESC
    return value.translate(_CONTROL_TO_SPACE)


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


def build_paper(
    fields: Mapping[str, Any],
    *,
    source: str,
    record: str,
    listing_date: date | None = None,
) -> Paper:
    """Validate one record's fields and build its Paper, or raise InputError naming it."""
    lowered = {str(k).strip().lower(): v for k, v in fields.items()}
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
    raw_id = _pick(lowered, ID_KEYS)
    url = _pick(lowered, URL_KEYS)
    arxiv_id = parse_arxiv_id(str(raw_id)) if raw_id is not None else None
    if arxiv_id is None and isinstance(url, str) and "arxiv.org" in url:
        arxiv_id = parse_arxiv_id(url)
    return Paper(
        title=clean_text(title),
        abstract=clean_text(abstract),
        source=source,
        record=record,
        arxiv_id=arxiv_id,
        url=url if isinstance(url, str) else None,
        published=parse_date(_pick(lowered, DATE_KEYS)),
        listing_date=listing_date,
        authors=_authors(_pick(lowered, AUTHOR_KEYS)),
    )
