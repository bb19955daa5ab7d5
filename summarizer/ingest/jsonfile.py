"""JSON Lines (streamed line by line) and JSON documents (an array, a wrapper object holding
the list, or one record; pretty-printed or not) of paper records.

A record may nest the paper under ``paper`` (the Hugging Face daily-papers API shape:
``{"paper": {"id", "title", "summary", "authors": [{"name"}], ...}, "publishedAt", ...}``);
the inner fields win over the outer ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from summarizer.core.errors import InputError
from summarizer.ingest.records import Sighting, read_record
from summarizer.ingest.source import NotPapers, Source, decoded_line_blocks, read_text

WRAPPER_KEYS = ("papers", "data", "results", "entries")
"""Keys of a wrapper object whose list holds the records: ``{"data": [...]}``."""
_RECORD_KEYS = frozenset(("abstract", "summary", "paper"))
_NOT_PAPERS = (
    "a JSON object with no paper fields (title, abstract) and no list of papers under "
    + ", ".join(f"'{key}'" for key in WRAPPER_KEYS)
)


def _keys(value: Mapping[Any, Any]) -> set[str]:
    return {str(key).strip().lower() for key in value}


def records_in(value: Any) -> list[Any] | None:
    """The records a JSON value holds: an array, the list in a wrapper object, or the object
    itself when it is a record; None for an object that is neither."""
    if isinstance(value, list):
        return value
    if not isinstance(value, Mapping):
        return None
    if "abstract" in value or "summary" in value:  # the common case, without lowering keys
        return [value]
    keys = _keys(value)
    if keys & _RECORD_KEYS:
        return [value]
    for key in WRAPPER_KEYS:
        inner = value.get(key)
        if isinstance(inner, list):
            return inner
    return [value] if "title" in keys else None


def _flatten(value: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = value.get("paper")
    if not isinstance(inner, Mapping):
        return value
    merged = {key: item for key, item in value.items() if key != "paper"}
    merged.update(inner)
    return merged


def _record_to_paper(value: Any, source: str, record: str) -> Sighting | InputError:
    if not isinstance(value, Mapping):
        return InputError(source, record, f"expected a JSON object, got {type(value).__name__}")
    try:
        return read_record(_flatten(value), source=source, record=record)
    except InputError as error:
        return error


def _loads_line(text: str, source: str, record: str) -> Any:
    line = text.rstrip("\r\n")
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        message = f"broken JSON at column {exc.pos + 1} ({exc.msg})"
        if exc.msg.startswith("Unterminated string") or not line[exc.pos :].strip():
            message += ": the line ends too early; is it cut short? Fix or drop it"
        else:
            message += "; fix or drop the line"
        raise InputError(source, record, message) from None
    except RecursionError:
        raise InputError(source, record, "JSON nested too deeply to be a paper record") from None


def _line_records(value: Any, record: str, source: str) -> Iterator[Sighting | InputError]:
    records = records_in(value)
    if records is None or (len(records) == 1 and records[0] is value):
        yield _record_to_paper(value, source, record)
        return
    for index, item in enumerate(records, start=1):
        yield _record_to_paper(item, source, f"{record} record {index}")


_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""The C scanner behind ``json.loads``, called on a line directly: what ``json.loads`` does
for a line that starts with its value, without the three Python calls around it."""
_TRAILING = " \t\r"
"""JSON whitespace that may end a line (its ``\n`` is already cut off)."""


def _scanned(text: str) -> Any:
    """``json.loads(text)`` for a line that starts with ``{`` and holds one whole value;
    ``_SLOW`` for any other (the caller then reads it the usual way, errors and all)."""
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return _SLOW
    if end != len(text) and text[end:].strip(_TRAILING):
        return _SLOW
    return value


_SLOW = object()


def parse_lines(source: Source) -> Iterator[Sighting | InputError]:
    """One record per line; a line may also hold an array or a wrapper object of records.

    A file whose only line is an object with no paper fields is not papers at all.

    The usual line, one flat object, takes a shorter way with the same outcome: the C
    scanner reads it, and a line with no backslash, no DEL and no two spaces in a row tells
    :func:`read_record` that its strings hold no control character and no run of spaces
    (JSON allows neither raw in a string; only an escape makes one).
    """
    name = source.name
    held: tuple[Any, str] | None = None  # a first line that is no record; the only one?
    first = True
    for start, lines in decoded_line_blocks(source):
        for number, text in enumerate(lines, start):
            if not isinstance(text, str):
                yield text
                continue
            value = _scanned(text) if text[:1] == "{" else _SLOW
            if value is _SLOW and not text.strip():
                continue
            if held is not None:
                yield from _line_records(*held, name)
                held = None
            record = f"line {number}"
            is_first, first = first, False
            if value is _SLOW:
                try:
                    value = _loads_line(text, name, record)
                except InputError as error:
                    yield error
                    continue
            if (
                type(value) is dict
                and "paper" not in value
                and ("abstract" in value or "summary" in value)
            ):
                plain = "\\" not in text and "\x7f" not in text and "  " not in text
                try:  # the usual line: one flat record
                    yield read_record(value, source=name, record=record, plain=plain)
                except InputError as error:
                    yield error
                continue
            if is_first and isinstance(value, Mapping) and records_in(value) is None:
                held = (value, record)
                continue
            yield from _line_records(value, record, name)
    if held is not None:
        yield NotPapers(name, None, _NOT_PAPERS)


def parse_document(source: Source) -> Iterator[Sighting | InputError]:
    """A whole JSON document: an array, a wrapper object holding the list, or one record."""
    name = source.name
    try:
        value = json.loads(read_text(source))
    except InputError as error:
        yield error
        return
    except json.JSONDecodeError as exc:
        yield InputError(
            name,
            f"line {exc.lineno}",
            f"broken JSON at column {exc.colno} ({exc.msg}); fix the file or export it again",
        )
        return
    except RecursionError:
        yield InputError(name, None, "JSON nested too deeply to be a list of paper records")
        return
    records = records_in(value)
    if records is None:
        yield NotPapers(name, None, _NOT_PAPERS)
        return
    for index, item in enumerate(records, start=1):
        yield _record_to_paper(item, name, f"record {index}")
