"""Reading every supported input format into a stream of Papers and per-record errors.

Parsers yield an :class:`~summarizer.core.errors.InputError` for each record they
reject instead of raising, so one bad record never stops the good ones. A file found in
a folder that holds no papers at all (an image, a README) is not an error: the caller's
``on_skip`` gets a :class:`Skipped` note for it. The same file named on its own is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from pathlib import Path
from typing import cast

from summarizer.core.errors import ConfigError, InputError
from summarizer.core.paper import Paper
from summarizer.ingest.records import Sighting
from summarizer.ingest.source import (
    FORMATS,
    READ_ERRORS,
    STDIN,
    NotPapers,
    Skipped,
    Source,
    check_readable,
    detect_format,
    format_suffix,
    read_failure,
)

OnSkip = Callable[[Skipped], None]
"""Told about each file in a folder that is skipped because it holds no papers."""

Parser = Callable[[Source], Iterator[Sighting | InputError]]


_PARSERS = {
    "listing": ("listing", "parse", None),
    "jsonl": ("jsonfile", "parse_lines", None),
    "json": ("jsonfile", "parse_document", None),
    "csv": ("tabular", "parse", None),
    "tsv": ("tabular", "parse", "\t"),
    "atom": ("atom", "parse", None),
    "rss": ("rss", "parse", None),
    "parquet": ("parquet", "parse", None),
    "oai": ("oaipmh", "parse", None),
}


@cache
def _parser(fmt: str) -> Parser:
    """The parser of one format, imported when the first file of that format is read: XML,
    e-mail dates and CSV stay unloaded in a run that reads none (and in ``--help``)."""
    import importlib

    module, name, delimiter = _PARSERS[fmt]
    parse = getattr(importlib.import_module(f"summarizer.ingest.{module}"), name)
    if module == "tabular":
        return cast(Parser, partial(parse, delimiter=delimiter))
    return cast(Parser, parse)


_NEVER_PAPERS = """
    .png .jpg .jpeg .gif .webp .bmp .tif .tiff .ico .svg .heic .eps
    .pdf .ps .doc .docx .odt .rtf .ppt .pptx .odp .xls .xlsx .ods .epub .tex .bib
    .zip .tar .tgz .bz2 .xz .zst .7z .rar
    .mp3 .wav .flac .ogg .m4a .mp4 .mov .avi .mkv .webm
    .woff .woff2 .ttf .otf
    .duckdb .db .sqlite .arrow .feather .pkl .pickle .npy .npz .wal .journal
    .py .pyc .ipynb .js .ts .sh .bash .r .rs .go .java .c .h .cpp .rb
    .toml .yaml .yml .ini .cfg .conf .lock .html .htm .css
"""  # images, documents, archives, media, fonts, databases, code and config
NOT_PAPER_SUFFIXES = frozenset(_NEVER_PAPERS.split())
"""Extensions a file in a folder is skipped for, unread: never a list of paper abstracts."""

__all__ = [
    "FORMATS",
    "NOT_PAPER_SUFFIXES",
    "NotPapers",
    "OnSkip",
    "Sighting",
    "Skipped",
    "expand_inputs",
    "folder_files",
    "read_file",
    "read_papers",
    "read_sightings",
    "read_source",
]


def _folder_files(folder: Path) -> Iterator[Path | Skipped]:
    """The files under ``folder`` in a stable order, hidden ones (and hidden folders) left out;
    a file whose extension is never papers comes back as Skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        found.extend(Path(root, name) for name in files if not name.startswith("."))
    for path in sorted(found):
        if not path.is_file():
            continue
        suffix = format_suffix(path.name)
        if suffix in NOT_PAPER_SUFFIXES:
            yield Skipped(str(path), f"not a paper file ({suffix})")
        else:
            yield path


def folder_files(folder: Path) -> list[Path | Skipped]:
    """The files a run reads in ``folder``, in order; the ones never papers as Skipped."""
    return list(_folder_files(folder))


def expand_inputs(
    inputs: Iterable[str | Path], on_skip: OnSkip | None = None
) -> Iterator[Path | InputError]:
    """Files (and ``-`` for stdin) as given, then the files inside any folder in a stable
    order, without hidden files and folders; files that are never papers go to ``on_skip``."""
    for item in inputs:
        path = Path(item)
        if str(path) == STDIN or path.is_file():
            yield path
        elif path.is_dir():
            children = list(_folder_files(path))
            if not children:
                yield InputError(str(path), None, "directory holds no input files")
            for child in children:
                if isinstance(child, Skipped):
                    if on_skip is not None:
                        on_skip(child)
                else:
                    yield child
        else:
            yield InputError(str(path), None, "no such file or directory")


def read_file(path: Path, fmt: str | None = None) -> Iterator[Paper | InputError]:
    """Parse one file (or stdin for ``-``) with the given or detected format."""
    for item in _read_file(path, fmt, None):
        yield item.paper() if isinstance(item, Sighting) else item


def read_source(
    path: Path, fmt: str | None = None, on_skip: OnSkip | None = None
) -> Iterator[Sighting | InputError]:
    """One file's sightings and rejections, as a run reads it; pass ``on_skip`` for a file
    found in a folder (it is skipped, not rejected, when it holds no papers). A distributed
    run reads each file with this, in a task of its own."""
    return _read_file(path, fmt, on_skip)


def _read_file(
    path: Path, fmt: str | None, on_skip: OnSkip | None
) -> Iterator[Sighting | InputError]:
    """With ``on_skip`` (a file found in a folder), a file the parser finds holds no papers
    at all (its verdict is :class:`NotPapers`) is skipped instead of rejected."""
    source = Source(path)
    try:
        head = source.head()
        chosen = fmt or detect_format(source.suffix, head)
        check_readable(source.name, head, chosen)
    except InputError as error:
        yield error
        return
    except READ_ERRORS as exc:
        yield read_failure(source.name, exc)
        return
    items = _parser(chosen)(source)
    try:
        first = next(items, None)
        if first is None:
            return
        if on_skip is not None and isinstance(first, NotPapers):
            verdict = first.reason.split("; ")[0]  # the finding, without the advice
            on_skip(Skipped(source.name, f"holds no papers ({verdict})"))
            return
        yield first
        yield from items
    except InputError as error:
        yield error
    except READ_ERRORS as exc:
        yield read_failure(source.name, exc)


def _read_folder(folder: Path, fmt: str | None, on_skip: OnSkip) -> Iterator[Sighting | InputError]:
    files = skipped = 0

    def skip(item: Skipped) -> None:
        nonlocal skipped
        skipped += 1
        on_skip(item)

    for child in _folder_files(folder):
        files += 1
        if isinstance(child, Skipped):
            skip(child)
        else:
            yield from _read_file(child, fmt, skip)
    if not files:
        yield InputError(str(folder), None, "directory holds no input files")
    elif skipped == files:
        yield InputError(
            str(folder),
            None,
            f"no paper files in this folder ({files} skipped as not papers; see the notes)",
        )


def read_papers(
    inputs: Iterable[str | Path],
    fmt: str | None = None,
    limit: int | None = None,
    *,
    on_skip: OnSkip | None = None,
) -> Iterator[Paper | InputError]:
    """Stream Papers and rejections from all inputs; stop after ``limit`` papers.

    ``-`` reads stdin. A folder is read recursively, without hidden files and folders; a
    file in it that holds no papers (see NOT_PAPER_SUFFIXES and NotPapers) is not an error
    but goes to ``on_skip``, so the caller can note it.
    """
    for item in read_sightings(inputs, fmt, limit, on_skip=on_skip):
        yield item.paper() if isinstance(item, Sighting) else item


def read_sightings(
    inputs: Iterable[str | Path],
    fmt: str | None = None,
    limit: int | None = None,
    *,
    on_skip: OnSkip | None = None,
) -> Iterator[Sighting | InputError]:
    """:func:`read_papers`, with each paper as a :class:`Sighting`: read, checked and hashed,
    its :class:`Paper` built only when asked for (a run builds it only for papers that need
    work)."""
    if fmt is not None and fmt not in _PARSERS:
        raise ConfigError(f"unknown --input-format {fmt!r}; choose one of {', '.join(FORMATS)}")
    notify = on_skip or (lambda _: None)
    accepted = 0
    for item in _read_all(inputs, fmt, notify):
        yield item
        if isinstance(item, Sighting):
            accepted += 1
            if limit is not None and accepted >= limit:
                return


def _read_all(
    inputs: Iterable[str | Path], fmt: str | None, on_skip: OnSkip
) -> Iterator[Sighting | InputError]:
    for item in inputs:
        path = Path(item)
        if str(path) == STDIN or path.is_file():
            yield from _read_file(path, fmt, None)
        elif path.is_dir():
            yield from _read_folder(path, fmt, on_skip)
        else:
            yield InputError(str(path), None, "no such file or directory")
