"""JSON Lines (streamed line by line) and JSON arrays of paper records."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from summarizer.core.errors import InputError
from summarizer.core.paper import Paper
from summarizer.ingest.records import build_paper
from summarizer.ingest.source import Source, decoded_lines, read_text


def _record_to_paper(value: Any, source: str, record: str) -> Paper | InputError:
    if not isinstance(value, Mapping):
        return InputError(source, record, f"expected a JSON object, got {type(value).__name__}")
    try:
        return build_paper(value, source=source, record=record)
    except InputError as error:
        return error


def _loads(text: str, source: str, record: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, record, f"broken JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise InputError(source, record, "JSON nested too deeply to be a paper record") from None


def parse_lines(src: Source) -> Iterator[Paper | InputError]:
    source = src.name
    for number, text in decoded_lines(src):
        if isinstance(text, InputError):
            yield text
            continue
        if not text.strip():
            continue
        record = f"line {number}"
        try:
            value = _loads(text, source, record)
        except InputError as error:
            yield error
            continue
        yield _record_to_paper(value, source, record)


def parse_array(src: Source) -> Iterator[Paper | InputError]:
    source = src.name
    try:
        value = _loads(read_text(src), source, "")
    except InputError as error:
        yield error
        return
    if isinstance(value, Mapping):
        value = value.get("papers", value.get("data", [value]))
    if not isinstance(value, list):
        yield InputError(source, None, "expected a JSON array of paper objects")
        return
    for index, item in enumerate(value, start=1):
        yield _record_to_paper(item, source, f"record {index}")
