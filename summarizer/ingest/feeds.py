"""The loop both XML feed formats share: stream the document, turn each entry element into a
paper as soon as it closes, and tell an empty feed (zero papers) from XML that is no feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

from summarizer.core.errors import InputError
from summarizer.ingest.records import Sighting, read_record
from summarizer.ingest.source import NotPapers, Source


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def read_feed(
    source: Source,
    *,
    entry: str,
    roots: tuple[str, ...],
    fields: Callable[[ET.Element], dict[str, Any] | None],
    wrong_root: Callable[[str], str],
) -> Iterator[Sighting | InputError]:
    """Papers from each ``<entry>`` element (by local name) of a feed whose root is one of
    ``roots``; ``wrong_root(root)`` explains a document with no entries and another root.
    ``fields`` returns None for an entry that is no paper and no mistake (an OAI-PMH record
    of a deleted item): it is passed over, and the entries after it keep their numbers."""
    name = source.name
    index = 0
    root = ""
    with source.open() as stream:
        try:
            for event, element in ET.iterparse(stream, events=("start", "end")):
                if not root:
                    root = local_name(element.tag)
                if event != "end" or local_name(element.tag) != entry:
                    continue
                index += 1
                found = fields(element)
                if found is not None:
                    try:
                        yield read_record(found, source=name, record=f"{entry} {index}")
                    except InputError as error:
                        yield error
                element.clear()
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else "?"
            yield InputError(
                name, f"line {line}", f"malformed XML ({exc}); fix or drop the {entry}"
            )
            return
    if index == 0 and root not in roots:
        yield NotPapers(name, None, wrong_root(root))
