"""Reading every supported input format into a stream of Papers and per-record errors.

Parsers yield an :class:`~summarizer.core.errors.InputError` for each record they
reject instead of raising, so one bad record never stops the good ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from summarizer.core.errors import ConfigError, InputError
from summarizer.core.paper import Paper
from summarizer.ingest import atom, jsonfile, listing, tabular
from summarizer.ingest.source import (
    FORMATS,
    READ_ERRORS,
    STDIN,
    Source,
    check_readable,
    detect_format,
    read_failure,
)

Parser = Callable[[Source], Iterator[Paper | InputError]]

PARSERS: dict[str, Parser] = {
    "listing": listing.parse,
    "jsonl": jsonfile.parse_lines,
    "json": jsonfile.parse_array,
    "csv": partial(tabular.parse, delimiter=","),
    "tsv": partial(tabular.parse, delimiter="\t"),
    "atom": atom.parse,
}

__all__ = ["FORMATS", "expand_inputs", "read_file", "read_papers"]


def expand_inputs(inputs: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Files (and ``-`` for stdin) as given, and the visible files inside any directory, in a
    stable order."""
    for item in inputs:
        path = Path(item)
        if str(path) == STDIN:
            yield path
        elif path.is_dir():
            children = sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
            if not children:
                yield InputError(str(path), None, "directory holds no input files")
            yield from children
        elif path.is_file():
            yield path
        else:
            yield InputError(str(path), None, "no such file or directory")


def read_file(path: Path, fmt: str | None = None) -> Iterator[Paper | InputError]:
    """Parse one file (or stdin for ``-``) with the given or detected format."""
    source = Source(path)
    try:
        head = source.head()
        check_readable(source.name, head)
    except InputError as error:
        yield error
        return
    except READ_ERRORS as exc:
        yield read_failure(source.name, exc)
        return
    chosen = fmt or detect_format(source.suffix, head)
    try:
        yield from PARSERS[chosen](source)
    except InputError as error:
        yield error
    except READ_ERRORS as exc:
        yield read_failure(source.name, exc)


def read_papers(
    inputs: Iterable[str | Path], fmt: str | None = None, limit: int | None = None
) -> Iterator[Paper | InputError]:
    """Stream Papers and rejections from all inputs (``-`` reads stdin); stop after ``limit``
    papers."""
    if fmt is not None and fmt not in PARSERS:
        raise ConfigError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    accepted = 0
    for path in expand_inputs(inputs):
        if isinstance(path, InputError):
            yield path
            continue
        for item in read_file(path, fmt):
            yield item
            if isinstance(item, Paper):
                accepted += 1
                if limit is not None and accepted >= limit:
                    return
