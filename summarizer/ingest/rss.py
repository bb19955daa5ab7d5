"""RSS feeds, as arXiv publishes its daily listings, parsed incrementally like Atom.

Each ``<item>`` is a paper: ``title``, ``description`` (arXiv prefixes it with
``arXiv:2412.00001v1 Announce Type: new Abstract:``, which is dropped), ``link``, ``guid``
(``oai:arXiv.org:2412.00001v1``), ``dc:creator`` (comma-separated names) and ``pubDate``.
A feed with no items (a quiet day) is zero papers, not an error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

from summarizer.core.errors import InputError
from summarizer.ingest.feeds import local_name, read_feed
from summarizer.ingest.records import Sighting
from summarizer.ingest.source import Source

_ANNOUNCE = re.compile(r"^\s*arXiv:\S+\s+Announce\s+Type:\s*\S+\s*(?:Abstract:\s*)?", re.IGNORECASE)
_FEED_ROOTS = ("rss", "RDF")


def _children(item: ET.Element, name: str) -> list[str]:
    return [
        child.text.strip()
        for child in item
        if local_name(child.tag) == name and child.text and child.text.strip()
    ]


def _first(item: ET.Element, name: str) -> str | None:
    found = _children(item, name)
    return found[0] if found else None


def _published(item: ET.Element) -> date | str | None:
    text = _first(item, "pubDate")
    if text:
        try:
            return parsedate_to_datetime(text).date()
        except (TypeError, ValueError):
            pass
    return _first(item, "date")  # RSS 1.0 dc:date, ISO


def abstract_of(description: str | None) -> str | None:
    """The abstract in an arXiv RSS description, without its announcement prefix."""
    return _ANNOUNCE.sub("", description, count=1) if description else description


def _fields(item: ET.Element) -> dict[str, Any]:
    link = _first(item, "link")
    guid = _first(item, "guid")
    creators = _children(item, "creator")
    return {
        "title": _first(item, "title"),
        "abstract": abstract_of(_first(item, "description")),
        "id": guid if guid and "arxiv" in guid.lower() else None,
        "url": link or guid,
        "published": _published(item),
        "authors": creators[0] if len(creators) == 1 else creators,
    }


def _wrong_root(root: str) -> str:
    hint = "; pass --input-format atom" if root == "feed" else ""
    return f"no <item> elements and the root is <{root}>, not <rss>: not an RSS feed{hint}"


def parse(source: Source) -> Iterator[Sighting | InputError]:
    return read_feed(
        source, entry="item", roots=_FEED_ROOTS, fields=_fields, wrong_root=_wrong_root
    )
