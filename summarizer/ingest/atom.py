"""arXiv API Atom feeds, parsed incrementally so large feeds never sit in memory whole."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from summarizer.core.errors import InputError
from summarizer.core.paper import Paper
from summarizer.ingest.records import build_paper
from summarizer.ingest.source import NotPapers, Source

_ATOM = "{http://www.w3.org/2005/Atom}"


def _text(entry: ET.Element, tag: str) -> str | None:
    node = entry.find(_ATOM + tag)
    if node is None:
        node = entry.find(tag)
    return node.text if node is not None and node.text else None


def parse(src: Source) -> Iterator[Paper | InputError]:
    source = src.name
    index = 0
    try:
        with src.open() as stream:
            for _, element in ET.iterparse(stream, events=("end",)):
                if element.tag not in (_ATOM + "entry", "entry"):
                    continue
                index += 1
                authors = [
                    name.text
                    for name in element.iter()
                    if name.tag in (_ATOM + "name", "name") and name.text
                ]
                fields = {
                    "title": _text(element, "title"),
                    "abstract": _text(element, "summary"),
                    "id": _text(element, "id"),
                    "published": _text(element, "published"),
                    "authors": authors,
                }
                fields["url"] = fields["id"]
                try:
                    yield build_paper(fields, source=source, record=f"entry {index}")
                except InputError as error:
                    yield error
                element.clear()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else "?"
        yield InputError(source, f"line {line}", f"malformed XML ({exc}); fix or drop the entry")
    if index == 0:
        yield NotPapers(source, None, "no <entry> elements found; is this an arXiv Atom feed?")
