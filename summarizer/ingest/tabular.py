"""CSV and TSV files with a header row naming at least `title` and `abstract`.

A CSV's delimiter is read off its header row: the first of `,` `;` tab `|` that splits it
into `title` and `abstract` columns (else the most frequent of them); a TSV is tab-separated.
"""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterator

from summarizer.core.errors import InputError
from summarizer.ingest.records import ABSTRACT_KEYS, TITLE_KEYS, Sighting, read_record
from summarizer.ingest.source import NotPapers, Source, decoded_lines

_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
"""Abstracts can exceed csv's 128 KB default field limit; raised only while we parse."""


_DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(header: str) -> str:
    """The delimiter that makes ``header`` name a title and an abstract column."""
    for delimiter in _DELIMITERS:
        names = {name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter))}
        if all(any(key in names for key in keys) for keys in (TITLE_KEYS, ABSTRACT_KEYS)):
            return delimiter
    return max(_DELIMITERS, key=header.count)  # ties go to the first, ","


def _lines(source: Source, errors: list[InputError]) -> Iterator[str]:
    for _, text in decoded_lines(source):
        if isinstance(text, InputError):
            errors.append(text)
            continue
        yield text


def parse(source: Source, delimiter: str | None = None) -> Iterator[Sighting | InputError]:
    """Rows of a CSV (``delimiter`` None: sniffed from the header) or a TSV (tab)."""
    previous = csv.field_size_limit(_FIELD_LIMIT)
    try:
        yield from _parse(source, delimiter)
    finally:
        csv.field_size_limit(previous)


def _parse(src: Source, delimiter: str | None) -> Iterator[Sighting | InputError]:
    source = src.name
    errors: list[InputError] = []
    lines = _lines(src, errors)
    if delimiter is None:
        first = next(lines, None)
        if first is not None:
            delimiter = sniff_delimiter(first)
            lines = itertools.chain([first], lines)
    reader = csv.reader(lines, delimiter=delimiter or ",")
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        yield InputError(source, None, "file is empty; nothing to ingest")
        return
    except csv.Error as exc:
        yield InputError(source, "line 1", f"unreadable CSV header ({exc})")
        return
    missing = [
        keys[0] for keys in (TITLE_KEYS, ABSTRACT_KEYS) if not any(k in header for k in keys)
    ]
    if missing == ["abstract"] and "paper_id" in header:  # our own digest (export), not papers
        yield NotPapers(
            source,
            "line 1",
            "a summarizer digest (paper_id, title, … and no abstract), not papers to read",
        )
        return
    if missing:
        found = ", ".join(h for h in header if h) or "none"
        # neither column: a table of something else, not papers; one of them: broken papers
        error = NotPapers if len(missing) == 2 else InputError
        yield error(
            source,
            "line 1",
            f"no '{missing[0]}' column (found: {found}); rename the column "
            "or pass --input-format if this is not CSV",
        )
        return
    while True:
        yield from errors
        errors.clear()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield InputError(source, f"line {reader.line_num}", f"unreadable CSV row ({exc})")
            continue
        if not any(cell.strip() for cell in row):
            continue
        record = f"line {reader.line_num}"
        if len(row) != len(header):
            yield InputError(
                source, record, f"row has {len(row)} cells but the header has {len(header)}"
            )
            continue
        try:
            yield read_record(dict(zip(header, row, strict=True)), source=source, record=record)
        except InputError as error:
            yield error
    yield from errors
