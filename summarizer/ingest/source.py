"""Opening inputs safely: files, stdin and .gz, decoded by their BOM; binary sniffing; format
detection; per-line UTF-8 decoding.

Every parser reads a :class:`Source` and sees plain UTF-8 bytes: gzip is undone by its magic
bytes, UTF-16 and UTF-32 are transcoded by their BOM and a UTF-8 BOM is dropped, all while
streaming, so a large input never sits in memory whole.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from summarizer.core.errors import InputError
from summarizer.core.formats import INPUT_FORMATS

FORMATS = INPUT_FORMATS
"""Input format names (:mod:`summarizer.core.formats`), a public contract."""

STDIN = "-"
STDIN_NAME = "<stdin>"

_BY_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".xml": "xml",
    ".atom": "atom",
    ".rss": "rss",
    ".txt": "listing",
    ".md": "listing",
    ".parquet": "parquet",
}
BINARY_FORMATS = frozenset(("parquet",))
"""Formats read from the file itself, not as text: no NUL-byte check, no stdin."""
SNIFF_BYTES = 8192
_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf_32_le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf_32_be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf_16_le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf_16_be", "UTF-16"),
    (codecs.BOM_UTF8, "", "UTF-8"),
)
READ_ERRORS = (OSError, EOFError, zlib.error)
"""What reading a file can raise besides InputError: I/O, and a damaged or cut-off .gz."""


class NotPapers(InputError):
    """The file as a whole is not in the format it was read as, and held no papers.

    A parser yields it only as its last item, after no paper. Named on the command line it
    is an error like any other; found in a folder, the file is skipped with a note instead.
    """


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file in a folder that holds no papers: a note for the run report, not an error."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.source}: {self.reason}"


def format_suffix(name: str) -> str:
    """The extension that names the format: ``x.jsonl.gz`` -> ``.jsonl``."""
    lowered = name.lower()
    if lowered.endswith(".gz"):
        lowered = lowered[: -len(".gz")]
    return Path(lowered).suffix


def read_failure(name: str, exc: BaseException) -> InputError:
    """One line for a file that could not be read or decompressed."""
    if isinstance(exc, EOFError | zlib.error | gzip.BadGzipFile):
        return InputError(name, None, f"cannot decompress ({exc}); is the .gz file complete?")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return InputError(name, None, f"cannot read file ({reason})")


class Source:
    """One input, a file or stdin (``-``), opened as UTF-8 bytes however it is stored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_stdin = str(path) == STDIN
        # the resolved path: the same file named two ways is one source, not two
        self.name = STDIN_NAME if self.is_stdin else str(path.resolve())
        self.suffix = "" if self.is_stdin else format_suffix(path.name)
        self._head: bytes | None = None
        self._rest: BinaryIO | None = None

    def head(self) -> bytes:
        """The first bytes of the decoded text, for the readability check and format detection."""
        if not self.is_stdin:
            with self.open() as stream:
                return _read_up_to(stream, SNIFF_BYTES, head=True)
        if self._head is None:
            stdin = sys.stdin
            if stdin is None or stdin.isatty():
                raise InputError(
                    self.name,
                    None,
                    "stdin is a terminal; pipe the papers in (`… | summarizer run -`)",
                )
            stream = _decoded(stdin.buffer, self.name, rewindable=False)
            self._head = _read_up_to(stream, SNIFF_BYTES, head=True)
            self._rest = stream
        return self._head

    def open(self) -> BinaryIO:
        """A fresh stream for a file; stdin can be opened once, after its head was read."""
        if not self.is_stdin:
            return _decoded(self.path.open("rb"), self.name, rewindable=True)
        head = self.head()
        rest, self._rest = self._rest, None
        if rest is None:
            raise InputError(self.name, None, "stdin can be read only once; pass `-` once")
        return _prefixed(head, rest)

    def reference_date(self) -> date:
        """The date a listing's year-less dates are read against: the file's, or today."""
        if self.is_stdin:
            return date.today()
        return datetime.fromtimestamp(self.path.stat().st_mtime).date()


def _read_up_to(stream: BinaryIO, size: int, *, head: bool = False) -> bytes:
    """Up to ``size`` bytes; for a ``head``, a decoding error ends it early (the parser meets
    the same error again at its place and names the line)."""
    parts: list[bytes] = []
    read = getattr(stream, "read1", stream.read)  # read1 keeps what came before an error
    while size > 0:
        try:
            data = read(size)
        except InputError:
            if not head:
                raise
            break
        if not data:
            break
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


class _Prefixed(io.RawIOBase):
    """Bytes already read from a stream that cannot seek, then the rest of that stream."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        read = getattr(self._stream, "read1", self._stream.read)  # pass on what has arrived
        data = read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


def _prefixed(prefix: bytes, stream: BinaryIO) -> BinaryIO:
    return io.BufferedReader(_Prefixed(prefix, stream), _CHUNK)


class _GzipOwner(gzip.GzipFile):
    """A GzipFile that closes the stream it reads from."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__(fileobj=stream, mode="rb")
        self._owned = stream

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()


class _Transcoded(io.RawIOBase):
    """UTF-16 or UTF-32 text re-encoded as UTF-8 while streaming; a bad unit names its line."""

    def __init__(self, stream: BinaryIO, codec: str, label: str, name: str) -> None:
        self._stream = stream
        self._decode: Callable[[bytes, str, bool], tuple[str, int]] = getattr(
            codecs, f"{codec}_decode"
        )
        self._label = label
        self._name = name
        self._leftover = b""
        self._pending = b""
        self._line = 1
        self._eof = False
        self._error: InputError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending and not self._eof:
            chunk = self._stream.read(_CHUNK)
            self._eof = not chunk
            data = self._leftover + chunk
            try:
                text, used = self._decode(data, "strict", self._eof)
            except UnicodeDecodeError as exc:
                text, used = self._decode(data[: exc.start], "strict", True)
                self._error = InputError(
                    self._name,
                    f"line {self._line + text.count(chr(10))}",
                    f"not valid {self._label} ({exc.reason}); re-save the file as UTF-8",
                )
                self._eof = True  # what came before the bad unit is read first
            self._leftover = data[used:]
            self._line += text.count("\n")
            self._pending = text.encode("utf-8")
        if not self._pending and self._error is not None:
            raise self._error
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


def _peek(stream: BinaryIO, size: int, rewindable: bool) -> tuple[bytes, BinaryIO]:
    """The first ``size`` bytes, and a stream that still starts with them."""
    data = _read_up_to(stream, size)
    if rewindable:
        stream.seek(0)
        return data, stream
    return data, _prefixed(data, stream)


def _decoded(raw: BinaryIO, name: str, *, rewindable: bool) -> BinaryIO:
    """Layer gzip and BOM decoding over ``raw`` as its first bytes call for."""
    stream = raw
    try:
        magic, stream = _peek(stream, 2, rewindable)
        if magic == _GZIP_MAGIC:
            stream = _GzipOwner(stream)  # type: ignore[assignment]
        start, stream = _peek(stream, 4, rewindable)
    except BaseException:
        stream.close()
        raise
    for bom, codec, label in _BOMS:
        if start.startswith(bom):
            stream.read(len(bom))
            if not codec:
                return stream
            transcoded = _Transcoded(stream, codec, label, name)
            return io.BufferedReader(transcoded, _CHUNK)
    return stream


def check_readable(name: str, head: bytes, fmt: str | None = None) -> None:
    """Reject inputs that are not text at all, before a text parser sees them; a binary
    format (``fmt`` in BINARY_FORMATS) is checked only for being empty."""
    if not head.strip():
        raise InputError(name, None, "file is empty; nothing to ingest")
    if fmt in BINARY_FORMATS:
        return
    if head.startswith(PARQUET_MAGIC) and b"\x00" in head:
        raise InputError(
            name, None, f"file looks like Parquet, not {fmt or 'text'}; pass --input-format parquet"
        )
    if b"\x00" in head:
        raise InputError(name, None, "file looks binary (contains NUL bytes); expected text")


_ROOT_TAG = re.compile(rb"<(?![?!])([A-Za-z_][\w:.-]*)")


def _xml_format(head: bytes) -> str:
    """`rss` for an <rss> or <rdf:RDF> root, `oai` for an <OAI-PMH> root, else `atom`."""
    match = _ROOT_TAG.search(head)
    root = match.group(1).rsplit(b":", 1)[-1].lower() if match else b""
    if root == b"oai-pmh":
        return "oai"
    return "rss" if root in (b"rss", b"rdf") else "atom"


def _json_format(text: bytes) -> str:
    """`jsonl` when each line holds a record, `json` for one (pretty-printed) document.

    An object that spans lines is a document; a first line that is a whole object, or a
    broken one with nothing or another object after it, starts JSON Lines. An array is a
    document unless its first line is whole and more lines follow.
    """
    raw = text.split(b"\n")
    lines = [line.strip() for line in raw]
    first, rest = lines[0], [line for line in lines[1:] if line]
    indented = any(line[:1] in (b" ", b"\t") for line in raw[1:] if line.strip())
    if len(lines) == 1:  # one line, or a first line longer than the head
        return "json" if first.startswith(b"[") else "jsonl"
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        if first.startswith(b"[") or first.endswith((b"[", b"{", b",")) or indented:
            return "json"  # a document opened on the first line and continued below
        return "jsonl" if not rest or rest[0].startswith(b"{") else "json"
    return "json" if first.startswith(b"[") and not rest else "jsonl"


def detect_format(suffix: str, head: bytes) -> str:
    """Pick a parser by extension, then by the first non-blank bytes."""
    by_suffix = _BY_SUFFIX.get(suffix)
    text = head.lstrip(b" \t\r\n")
    if by_suffix in ("json", "jsonl") and text.startswith((b"[", b"{")):
        return _json_format(text)
    if by_suffix == "xml":
        return _xml_format(text)
    if by_suffix:
        return by_suffix
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if text.startswith(b"<"):
        return _xml_format(text)
    if text.startswith((b"[", b"{")):
        return _json_format(text)
    first_line = text.split(b"\n", 1)[0].lower()
    if b"title" in first_line and (b"abstract" in first_line or b"summary" in first_line):
        return "tsv" if b"\t" in first_line else "csv"
    return "listing"


def decoded_lines(source: Source) -> Iterator[tuple[int, str | InputError]]:
    """Yield (line number, text) without loading the input; a bad line becomes an InputError."""
    with source.open() as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield (
                    number,
                    InputError(
                        source.name,
                        f"line {number}",
                        f"not valid UTF-8 (byte {exc.start + 1} of the line); "
                        "re-save the file as UTF-8",
                    ),
                )
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            yield number, text


LINE_BLOCK = 1 << 20
"""Bytes :func:`decoded_line_blocks` reads and decodes at a time."""


def decoded_line_blocks(source: Source) -> Iterator[tuple[int, list[str | InputError]]]:
    """:func:`decoded_lines` a block at a time: (the first line's number, the lines without
    their ``\n``), read in one call and cut at ``\n`` only, as a file's lines are. A line
    that is not valid UTF-8 is the same InputError :func:`decoded_lines` gives, and the
    good lines around it are kept."""
    number = 1
    rest: list[bytes] = []  # the start of a line that goes on in the next read
    with source.open() as handle:
        read = getattr(handle, "read1", handle.read)  # whatever came before a read error
        while data := read(LINE_BLOCK):
            cut = data.rfind(b"\n") + 1
            if not cut:
                rest.append(data)
                continue
            block = b"".join([*rest, data[: cut - 1]]) if rest else data[: cut - 1]
            rest = [data[cut:]] if cut < len(data) else []
            lines = _block_lines(block, number, source.name)
            yield number, lines
            number += len(lines)
        if rest:
            yield number, _block_lines(b"".join(rest), number, source.name)


def _block_lines(block: bytes, number: int, name: str) -> list[str | InputError]:
    """The lines of ``block`` (whole lines, the last one's ``\n`` taken off) as text. Each
    line is decoded on its own: cutting one decoded block would make every line as wide as
    the widest character of the block, and cost more than decoding."""
    raws = block.split(b"\n")
    lines: list[str | InputError]
    try:
        lines = [raw.decode("utf-8") for raw in raws]
    except UnicodeDecodeError:
        lines = [_decoded_line(raw, at, name) for at, raw in enumerate(raws, number)]
    if number == 1 and isinstance(lines[0], str):
        lines[0] = lines[0].removeprefix("\ufeff")
    return lines


def _decoded_line(raw: bytes, number: int, name: str) -> str | InputError:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputError(
            name,
            f"line {number}",
            f"not valid UTF-8 (byte {exc.start + 1} of the line); re-save the file as UTF-8",
        )


def read_text(source: Source) -> str:
    """Read a whole (structured) input as UTF-8, naming the offending line on failure."""
    with source.open() as handle:
        data = handle.read()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            source.name, f"line {line}", "not valid UTF-8; re-save the file as UTF-8"
        ) from None
