"""Reading input files safely: binary sniffing, per-line UTF-8 decoding, format detection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from summarizer.core.errors import InputError

FORMATS = ("listing", "jsonl", "json", "csv", "tsv", "atom")

_BY_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".xml": "atom",
    ".atom": "atom",
    ".txt": "listing",
    ".md": "listing",
}
SNIFF_BYTES = 8192


def head_bytes(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def check_readable(path: Path, head: bytes) -> None:
    """Reject files that are not text at all, before any parser sees them."""
    source = str(path)
    if not head.strip():
        raise InputError(source, None, "file is empty; nothing to ingest")
    if b"\x00" in head:
        raise InputError(source, None, "file looks binary (contains NUL bytes); expected text")


def detect_format(path: Path, head: bytes) -> str:
    """Pick a parser by extension, then by the first non-blank character."""
    by_suffix = _BY_SUFFIX.get(path.suffix.lower())
    if by_suffix == "json":
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        return "json" if first == b"[" else "jsonl"
    if by_suffix:
        return by_suffix
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "atom"
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"
    first_line = text.split(b"\n", 1)[0].lower()
    if b"title" in first_line and b"abstract" in first_line:
        return "tsv" if b"\t" in first_line else "csv"
    return "listing"


def decoded_lines(path: Path) -> Iterator[tuple[int, str | InputError]]:
    """Yield (line number, text) without loading the file; a bad line becomes an InputError."""
    source = str(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield (
                    number,
                    InputError(
                        source,
                        f"line {number}",
                        f"not valid UTF-8 (byte {exc.start + 1} of the line); "
                        "re-save the file as UTF-8",
                    ),
                )
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            yield number, text


def read_text(path: Path) -> str:
    """Read a whole (small, structured) file as UTF-8, naming the offending line on failure."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            str(path), f"line {line}", "not valid UTF-8; re-save the file as UTF-8"
        ) from None
