"""arXiv API Atom feeds, parsed incrementally so large feeds never sit in memory whole.

A feed with no entries (a quiet day) is zero papers, not an error; XML whose root is not
``<feed>`` is not an Atom feed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from summarizer.core.errors import InputError
from summarizer.core.paper import Paper
from summarizer.ingest.records import build_paper
from summarizer.ingest.source import NotPapers, Source

_ATOM = "{http://www.w3.org/2005/Atom}"


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def _text(entry: ET.Element, tag: str) -> str | None:
    node = entry.find(_ATOM + tag)
    if node is None:
        node = entry.find(tag)
    return node.text if node is not None and node.text else None


def malformed(source: str, exc: ET.ParseError, what: str) -> InputError:
    line = exc.position[0] if exc.position else "?"
    return InputError(source, f"line {line}", f"malformed XML ({exc}); fix or drop the {what}")


def parse(source: Source) -> Iterator[Paper | InputError]:
    name = source.name
    index = 0
    root = ""
    with source.open() as stream:
        try:
            for event, element in ET.iterparse(stream, events=("start", "end")):
                if not root:
                    root = local_name(element.tag)
                if event != "end" or element.tag not in (_ATOM + "entry", "entry"):
                    continue
                index += 1
                authors = [
                    node.text
                    for node in element.iter()
                    if node.tag in (_ATOM + "name", "name") and node.text
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
                    yield build_paper(fields, source=name, record=f"entry {index}")
                except InputError as error:
                    yield error
                element.clear()
        except ET.ParseError as exc:
            yield malformed(name, exc, "entry")
            return
    if index == 0 and root != "feed":
        hint = "; pass --format rss" if root in ("rss", "RDF") else ""
        yield NotPapers(
            name,
            None,
            f"no <entry> elements and the root is <{root}>, not <feed>: "
            f"not an arXiv Atom feed{hint}",
        )
