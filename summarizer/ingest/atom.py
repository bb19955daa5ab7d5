"""arXiv API Atom feeds, parsed incrementally so large feeds never sit in memory whole.

A feed with no entries (a quiet day) is zero papers, not an error; XML whose root is not
``<feed>`` is not an Atom feed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from summarizer.core.errors import InputError
from summarizer.ingest.feeds import read_feed
from summarizer.ingest.records import Sighting
from summarizer.ingest.source import Source

_ATOM = "{http://www.w3.org/2005/Atom}"


def _text(entry: ET.Element, tag: str) -> str | None:
    node = entry.find(_ATOM + tag)
    if node is None:
        node = entry.find(tag)
    return node.text if node is not None and node.text else None


def _fields(element: ET.Element) -> dict[str, Any]:
    authors = [
        node.text for node in element.iter() if node.tag in (_ATOM + "name", "name") and node.text
    ]
    fields: dict[str, Any] = {
        "title": _text(element, "title"),
        "abstract": _text(element, "summary"),
        "id": _text(element, "id"),
        "published": _text(element, "published"),
        "authors": authors,
    }
    fields["url"] = fields["id"]
    return fields


def _wrong_root(root: str) -> str:
    hint = "; pass --input-format rss" if root in ("rss", "RDF") else ""
    return f"no <entry> elements and the root is <{root}>, not <feed>: not an arXiv Atom feed{hint}"


def parse(source: Source) -> Iterator[Sighting | InputError]:
    return read_feed(source, entry="entry", roots=("feed",), fields=_fields, wrong_root=_wrong_root)
