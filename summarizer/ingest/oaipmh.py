"""OAI-PMH ``ListRecords`` responses, as arXiv serves them for bulk harvesting.

Each ``<record>`` is a paper, its metadata in one of arXiv's two formats:

- ``arXiv`` (``http://arxiv.org/OAI/arXiv/``): ``id``, ``created`` (the first version's date),
  ``authors/author`` with ``keyname`` and ``forenames``, ``title``, ``abstract``;
- ``arXivRaw`` (``http://arxiv.org/OAI/arXivRaw/``): ``id``, one ``version`` per version
  (``<version version="v1"><date>Mon, 2 Apr 2007 19:18:42 GMT</date>``), ``authors`` as one
  comma-separated line, ``title``, ``abstract``.

A record of a deleted item (``<header status="deleted">``, no metadata) is passed over. A
response with no records (``<error code="noRecordsMatch">``, a quiet day) is zero papers; the
``resumptionToken`` is the fetcher's business (:mod:`summarizer.ingest.remote.oai`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

from summarizer.core.errors import InputError
from summarizer.ingest.feeds import local_name, read_feed
from summarizer.ingest.records import Sighting
from summarizer.ingest.source import Source

METADATA_FORMATS = ("arXiv", "arXivRaw")
"""The ``metadataPrefix`` values this parser reads."""


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    for child in parent:
        if local_name(child.tag) == name:
            return child
    return None


def _text(parent: ET.Element, name: str) -> str | None:
    node = _child(parent, name)
    if node is None or node.text is None or not node.text.strip():
        return None
    return node.text


def _author_names(authors: ET.Element) -> list[str]:
    """``arXiv``: each ``author`` as "forenames keyname suffix" (a collaboration has only a
    keyname)."""
    names = []
    for author in authors:
        if local_name(author.tag) != "author":
            continue
        parts = [_text(author, part) for part in ("forenames", "keyname", "suffix")]
        name = " ".join(" ".join(p.split()) for p in parts if p)
        if name:
            names.append(name)
    return names


def _first_version_date(metadata: ET.Element) -> date | None:
    """``arXivRaw``: the date of ``v1`` (an RFC 2822 date)."""
    for version in metadata:
        if local_name(version.tag) != "version":
            continue
        when = _text(version, "date")
        if version.get("version", "v1") == "v1" and when:
            try:
                return parsedate_to_datetime(when).date()
            except (TypeError, ValueError):
                return None
    return None


def _fields(record: ET.Element) -> dict[str, Any] | None:
    header = _child(record, "header")
    wrapper = _child(record, "metadata")
    if wrapper is None or (header is not None and header.get("status") == "deleted"):
        return None
    metadata = next(iter(wrapper), None)
    if metadata is None:
        return None
    arxiv_id = _text(metadata, "id")
    fields: dict[str, Any] = {
        "title": _text(metadata, "title"),
        "abstract": _text(metadata, "abstract"),
        "arxiv_id": arxiv_id,
        "url": f"https://arxiv.org/abs/{arxiv_id.strip()}" if arxiv_id else None,
    }
    if local_name(metadata.tag) == "arXivRaw":
        fields["authors"] = _text(metadata, "authors")
        fields["published"] = _first_version_date(metadata)
    else:
        authors = _child(metadata, "authors")
        fields["authors"] = _author_names(authors) if authors is not None else []
        fields["published"] = _text(metadata, "created")
    return fields


def _wrong_root(root: str) -> str:
    return f"no <record> elements and the root is <{root}>, not <OAI-PMH>: not an OAI-PMH response"


def parse(source: Source) -> Iterator[Sighting | InputError]:
    return read_feed(
        source, entry="record", roots=("OAI-PMH",), fields=_fields, wrong_root=_wrong_root
    )
