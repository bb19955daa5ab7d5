"""Parquet files (an arXiv dump, a dataset export) with `title` and `abstract` columns.

Rows are read in batches, only the columns a paper is built from, so a file of millions of
rows never sits in memory whole. Parquet needs a file it can seek in: its index is at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from summarizer.core.errors import InputError
from summarizer.ingest.records import (
    ABSTRACT_KEYS,
    AUTHOR_KEYS,
    DATE_KEYS,
    ID_KEYS,
    TITLE_KEYS,
    URL_KEYS,
    Sighting,
    clean_words,
    read_record,
)
from summarizer.ingest.source import NotPapers, Source

BATCH_ROWS = 1_024
_USED_KEYS = frozenset((*TITLE_KEYS, *ABSTRACT_KEYS, *ID_KEYS, *URL_KEYS, *DATE_KEYS, *AUTHOR_KEYS))
_SHOWN_COLUMNS = 20


def _reason(exc: BaseException) -> str:
    """Arrow's message as one printable line: it can run over several lines and quote the
    damaged bytes it choked on."""
    lines = str(exc).strip().splitlines()
    return clean_words(lines[0]).rstrip(" :") if lines else type(exc).__name__


def _found(names: Sequence[str]) -> str:
    """The columns for an error line: a column name may hold anything, a newline included."""
    shown = ", ".join(clean_words(name) for name in names[:_SHOWN_COLUMNS]) or "none"
    more = len(names) - _SHOWN_COLUMNS
    return f"{shown}, … ({more} more)" if more > 0 else shown


def _missing_columns(name: str, columns: Sequence[str]) -> InputError | None:
    """Why a file with these columns cannot hold papers, or None when it can."""
    lowered = {column.strip().lower() for column in columns}
    has_title = any(key in lowered for key in TITLE_KEYS)
    has_abstract = any(key in lowered for key in ABSTRACT_KEYS)
    found = _found(columns)
    if not has_title and not has_abstract:
        # a table of something else, not broken papers: skipped inside a folder
        return NotPapers(
            name,
            None,
            f"no 'title' or 'abstract' column (found: {found}); "
            "rename the columns or pass --input-format if this is not Parquet",
        )
    if not has_title:
        return InputError(
            name, None, f"no 'title' column (found: {found}); rename the title column to 'title'"
        )
    if not has_abstract:
        return InputError(
            name,
            None,
            f"no 'abstract' column (found: {found}); "
            "rename the abstract column to 'abstract' (or 'summary')",
        )
    return None


def parse(source: Source) -> Iterator[Sighting | InputError]:
    """Each row with a title and an abstract is a paper; ``row N`` names a rejected one."""
    name = source.name
    if source.is_stdin:
        yield InputError(
            name,
            None,
            "Parquet cannot be read from stdin (the reader needs a file it can seek in); "
            "save it to a file and pass its path",
        )
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source.path)
    except (pa.ArrowException, OSError) as exc:
        yield InputError(
            name,
            None,
            f"not a readable Parquet file ({_reason(exc)}); "
            "is it complete? Export it again, or pass --input-format if it is not Parquet",
        )
        return
    with parquet:
        columns = list(parquet.schema_arrow.names)
        problem = _missing_columns(name, columns)
        if problem is not None:
            yield problem
            return
        wanted = [column for column in columns if column.strip().lower() in _USED_KEYS]
        row = 0
        try:
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
                for fields in batch.to_pylist():
                    row += 1
                    try:
                        yield read_record(fields, source=name, record=f"row {row}")
                    except InputError as error:
                        yield error
        except (pa.ArrowException, OSError) as exc:
            yield InputError(
                name,
                f"row {row + 1}",
                f"cannot read the rows from here on ({_reason(exc)}); "
                "the file is damaged: export it again",
            )
