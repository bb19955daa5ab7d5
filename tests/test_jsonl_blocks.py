"""Issue 24, the cached path reads JSON Lines a block at a time: the C scanner on the usual line,
and a line with no backslash, DEL or double space hashed without rescanning its ASCII text.

The result must be what reading line by line gave: the same sightings (text, hash, record,
fields) and the same rejections at the same lines. The reference below is the loop as it was
before (json.loads on each decoded line, no ``plain`` shortcut); both read generated hostile
files with blocks small enough that lines straddle them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from summarizer.core.errors import InputError
from summarizer.ingest import jsonfile, source
from summarizer.ingest.records import Sighting, read_record, text_identity
from summarizer.ingest.source import NotPapers, Source, decoded_lines


def _reference(src: Source) -> Iterator[Sighting | InputError]:
    """parse_lines as it was: one decoded line at a time, json.loads, no shortcuts."""
    name = src.name
    held: tuple[Any, str] | None = None
    first = True
    for number, text in decoded_lines(src):
        if isinstance(text, InputError):
            yield text
            continue
        if not text.strip():
            continue
        if held is not None:
            yield from jsonfile._line_records(*held, name)
            held = None
        record = f"line {number}"
        is_first, first = first, False
        try:
            value = jsonfile._loads_line(text, name, record)
        except InputError as error:
            yield error
            continue
        if (
            type(value) is dict
            and "paper" not in value
            and ("abstract" in value or "summary" in value)
        ):
            try:
                yield read_record(value, source=name, record=record)
            except InputError as error:
                yield error
            continue
        if is_first and isinstance(value, Mapping) and jsonfile.records_in(value) is None:
            held = (value, record)
            continue
        yield from jsonfile._line_records(value, record, name)
    if held is not None:
        yield NotPapers(name, None, jsonfile._NOT_PAPERS)


def _shown(items: Iterator[Sighting | InputError]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for item in items:
        if isinstance(item, Sighting):
            out.append(("paper", item.title, item.abstract, item.content_hash, item.source,
                        item.record, item.published, dict(item.fields)))  # fmt: skip
        else:
            out.append((type(item).__name__, item.source, item.record, item.reason))
    return out


PIECES = [
    "plain words", "two  spaces", " leading", "trailing ", "tab\there", "new\nline", "cr\rx",
    "del\x7fchar", "esc\x1b[31mred", "nbsp\u00a0x", "line\u2028sep", "zw\u200bsp", "bom\ufeffx",
    "é accent", "ﬁ ligature", "ＦＵＬＬ", "ß straße", "İstanbul", "emoji 😀", "\u0085nel",
    "back\\slash", 'quote"d', "ctrl\x01", "  ", "", "x" * 300,
]  # fmt: skip


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))


WORDS = ["a", "Model", "x" * 40, "5%", "GPT-4", "(b)", "é", "ﬁ", "\x7f", "\t", "\x01", "\u2028"]


def _plainish(rng: random.Random) -> str:
    """Mostly clean ASCII words, sometimes with an edge space, a DEL, a control character or
    non-ASCII text among them."""
    words = [rng.choice(WORDS[:6]) if rng.random() < 0.85 else rng.choice(WORDS)
             for _ in range(rng.randint(1, 8))]  # fmt: skip
    text = " ".join(words)
    roll = rng.random()
    if roll < 0.1:
        text = " " + text
    elif roll < 0.2:
        text = text + " "
    elif roll < 0.25:
        text = text.replace(" ", "  ", 1)
    return text


def _line(rng: random.Random) -> bytes:
    roll = rng.random()
    words = _text if rng.random() < 0.5 else _plainish
    record: Any = {"title": words(rng), "abstract": words(rng)}
    if rng.random() < 0.3:
        record["published"] = rng.choice(["2024-01-02", "2024-01-02T10:00:00Z", "junk", ""])
    if rng.random() < 0.1:
        record = {
            "paper": {"title": _text(rng), "summary": _text(rng)},
            "publishedAt": "2024-03-01",
        }
    if roll < 0.05:
        return b""
    if roll < 0.08:
        return b"   \t"
    if roll < 0.11:
        return b'{"title": "cut short'
    if roll < 0.13:
        return b"[1, 2]"
    if roll < 0.15:
        return json.dumps([record, record]).encode()
    if roll < 0.17:
        return b'{"title": "x", "abstract": "bad \xff byte"}'
    if roll < 0.19:
        return b'{"a": 1} {"b": 2}'
    if roll < 0.21:
        return b'{"title": "t", "abstract": "a"}\x0c'
    if roll < 0.23:
        return b'  {"title": "indented", "abstract": "a b"}'
    if roll < 0.25:
        return json.dumps(record).encode() + b" \r"
    if roll < 0.27:
        return json.dumps({"title": 5, "abstract": "x"}).encode()
    text = json.dumps(record, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8")


@pytest.mark.parametrize("seed", range(12))
def test_blocks_read_as_lines_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    lines = [_line(rng) for _ in range(rng.randint(1, 120))]
    data = b"\n".join(lines) + rng.choice([b"", b"\n", b"\r\n"])
    if seed % 4 == 1:
        data = b"\xef\xbb\xbf" * (1 + seed % 3) + data  # a UTF-8 BOM, or two
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    monkeypatch.setattr(source, "LINE_BLOCK", rng.choice([1, 7, 64, 1000, 1 << 20]))
    assert _shown(jsonfile.parse_lines(Source(path))) == _shown(_reference(Source(path)))


def test_a_lone_header_line_is_still_no_papers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"name": "not a paper"}\n')
    assert _shown(jsonfile.parse_lines(Source(path))) == _shown(_reference(Source(path)))


def test_plain_text_hashes_as_the_full_cleaning_does() -> None:
    """The ``plain`` shortcut gives what cleaning gives, whenever its premise holds."""
    rng = random.Random(0)
    plain_seen = 0
    for _ in range(20_000):
        title, abstract = _plainish(rng), _plainish(rng)
        line = json.dumps({"title": title, "abstract": abstract}, ensure_ascii=rng.random() < 0.5)
        value = json.loads(line)
        plain = "\\" not in line and "\x7f" not in line and "  " not in line
        plain_seen += plain
        assert text_identity(value["title"], value["abstract"], plain=plain) == text_identity(
            value["title"], value["abstract"]
        ), line
    assert plain_seen > 5_000
