"""The digest: one row per paper with fixed, documented columns, safe to open in a spreadsheet.

Written by DuckDB's own ``COPY`` so that a million-row export streams instead
of passing through Python.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from summarizer.core.errors import ConfigError
from summarizer.store.paths import refuse_to_overwrite_a_database

if TYPE_CHECKING:
    from summarizer.store.store import Store

# DuckDB is imported by _copy: the command line reads EXPORT_FORMATS for its help text.
EXPORT_FORMATS = ("csv", "jsonl", "parquet")


_SIZE_TEXT = """
    CASE WHEN s.params >= 1e12 THEN rtrim(rtrim(printf('%.2f', s.params / 1e12), '0'), '.') || 'T'
         WHEN s.params >= 1e9 THEN rtrim(rtrim(printf('%.2f', s.params / 1e9), '0'), '.') || 'B'
         WHEN s.params >= 1e6 THEN rtrim(rtrim(printf('%.2f', s.params / 1e6), '0'), '.') || 'M'
         WHEN s.params >= 1e3 THEN rtrim(rtrim(printf('%.2f', s.params / 1e3), '0'), '.') || 'K'
         ELSE CAST(s.params AS VARCHAR) END
"""


def _words(expression: str) -> str:
    """Text a backend wrote, on one line: control characters (a newline, an escape) as spaces."""
    return f"regexp_replace({expression}, '[\\x00-\\x1f\\x7f]', ' ', 'g')"


def _with_unit(alias: str) -> str:
    """A value as :func:`summarizer.outputs.values.with_unit` writes it: ``12%``, ``2.3x``,
    ``3.1 points``, ``120 FPS``."""
    return (
        f"rtrim(rtrim(printf('%.4f', {alias}.value), '0'), '.') || coalesce(CASE "
        f"WHEN {alias}.unit IN ('%', 'x') THEN {alias}.unit ELSE ' ' || {_words(alias + '.unit')} "
        "END, '')"
    )


_GAIN_TEXT = f"""
    concat_ws(' ',
        {_with_unit("g")},
        {_words("g.metric")},
        CASE WHEN g.benchmark IS NOT NULL THEN 'on ' || {_words("g.benchmark")} END,
        CASE WHEN g.baseline IS NOT NULL THEN 'vs ' || {_words("g.baseline")} END,
        CASE WHEN NOT g.grounded THEN '[ungrounded]' END)
"""
_RESULT_TEXT = f"""
    concat_ws(' ',
        {_with_unit("r")},
        {_words("r.metric")},
        CASE WHEN r.benchmark IS NOT NULL THEN 'on ' || {_words("r.benchmark")} END,
        CASE WHEN r.setting IS NOT NULL THEN '(' || {_words("r.setting")} || ')' END,
        CASE WHEN NOT r.grounded THEN '[ungrounded]' END)
"""


def _cell(expression: str) -> str:
    """Neutralise spreadsheet formulas: a leading = + - @ tab or CR gets a quote prefix."""
    return (
        f"CASE WHEN regexp_matches({expression}, '^[=+\\-@\\t\\r]') "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


DIGEST: dict[str, str] = {
    "paper_id": "paper_id",
    "title": "title",
    "task": "task",
    "method": "method",
    "code_url": "code_url || CASE WHEN NOT code_url_grounded THEN ' [ungrounded]' ELSE '' END",
    "model_sizes": (
        f"array_to_string([{_SIZE_TEXT} || CASE WHEN NOT s.grounded THEN ' [ungrounded]' "
        "ELSE '' END FOR s IN model_size_details "
        "IF s.params IS NOT NULL AND coalesce(s.role, 'own') = 'own'], '; ')"
    ),
    "gains": f"array_to_string([{_GAIN_TEXT} FOR g IN gains], '; ')",
    "links": "array_to_string(links, '; ')",
    "first_seen": "CAST(first_seen AS VARCHAR)",
    "sources": "array_to_string(sources, '; ')",
    "status": "status",
    "grounded_ratio": "CAST(round(grounded_ratio, 3) AS VARCHAR)",
    "backend": "backend",
    "model": "model",
    "task_category": "task_category",
    "results": f"array_to_string([{_RESULT_TEXT} FOR r IN results], '; ')",
}
"""The digest's fixed columns (documented in the README), each as text. Their names and order
are a contract: a new column goes at the end. Every field of
:data:`~summarizer.core.fields.FIELDS` has the column of its name (a contract test checks)."""


NEW_PAPERS = (
    "paper_id IN (SELECT paper_id FROM paper_records WHERE ingested_at >= "
    "(SELECT coalesce(max(started_at), TIMESTAMP '1970-01-01') FROM run_log))"
)
"""``--new``: the papers first stored since the last run started (by that run, or by an
``ingest`` after it); with no run logged yet, every paper."""


def _filters(where: str | None, since: date | None, new: bool = False) -> str:
    filters = [f"({where})"] if where else []
    if since:
        filters.append(f"first_seen >= DATE '{since.isoformat()}'")
    if new:
        filters.append(NEW_PAPERS)
    return f"WHERE {' AND '.join(filters)}" if filters else ""


def digest_query(where: str | None = None, since: date | None = None, new: bool = False) -> str:
    select = ",\n".join(f"{_cell(expr)} AS {name}" for name, expr in DIGEST.items())
    filters = _filters(where, since, new)
    return f"SELECT {select} FROM summaries {filters} ORDER BY first_seen, paper_id"


def _raw_query(where: str | None, since: date | None, new: bool = False) -> str:
    return f"SELECT * FROM summaries {_filters(where, since, new)} ORDER BY first_seen, paper_id"


_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def format_for(out: str | Path, fmt: str | None) -> str:
    """The format asked for, else the one ``out``'s extension names (an extension that names
    no export format is refused), else CSV for a name without one and for stdout."""
    if fmt is not None:
        if fmt not in EXPORT_FORMATS:
            raise ConfigError(
                f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
            )
        return fmt
    if str(out) == "-":
        return "csv"
    suffix = Path(out).suffix.lower()
    if suffix == ".json":
        raise ConfigError(
            f"--out {out}: exports are JSON Lines; name the file .jsonl (or pass --format jsonl)"
        )
    if suffix and suffix not in _BY_SUFFIX:
        known = ", ".join(sorted(_BY_SUFFIX))
        raise ConfigError(
            f"--out {out}: cannot write a {suffix} file; name it {known} "
            f"(or pass --format {'|'.join(EXPORT_FORMATS)}); nothing was written"
        )
    return _BY_SUFFIX.get(suffix, "csv")


def export(
    store: Store,
    out: str | Path,
    *,
    fmt: str | None = None,
    where: str | None = None,
    since: date | None = None,
    stdout: BinaryIO | None = None,
    new: bool = False,
) -> int:
    """Write the digest to ``out`` (``-``: to ``stdout``); returns the number of rows written.

    The format is ``fmt``, else taken from the extension of ``out``. ``new``: only the
    papers first stored since the last run started (:data:`NEW_PAPERS`).
    """
    chosen = format_for(out, fmt)
    query = digest_query(where, since, new) if chosen == "csv" else _raw_query(where, since, new)
    options = {
        "csv": "FORMAT csv, HEADER true, DELIMITER ','",
        "jsonl": "FORMAT json",
        "parquet": "FORMAT parquet",
    }[chosen]
    if str(out) == "-":
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory(prefix="summarizer-export-") as folder:
            staged = Path(folder) / f"digest.{chosen}"
            rows = _copy(store, query, staged, options, where)
            with staged.open("rb") as handle:
                shutil.copyfileobj(handle, stdout or sys.stdout.buffer)
            return rows
    target = Path(out)
    if target.is_dir():
        raise ConfigError(f"--out {target} is a directory; name a file, e.g. {target}/digest.csv")
    refuse_to_overwrite_a_database(target, store.path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder for --out {target} ({exc.strerror})") from None
    if not os.access(target.parent, os.W_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise ConfigError(
            f"cannot write --out {target} (permission denied); choose a writable location"
        )
    return _copy(store, query, target, options, where)


def _copy(store: Store, query: str, target: Path, options: str, where: str | None) -> int:
    import duckdb

    with store.session() as con:
        try:
            row = con.execute(f"COPY ({query}) TO '{_quote_path(target)}' ({options})").fetchone()
        except duckdb.IOException as exc:
            raise ConfigError(f"cannot write --out {target}: {_first_line(exc)}") from None
        except duckdb.Error as exc:
            if where:
                raise ConfigError(
                    f"--where {where!r} is not a valid filter on the summaries view: "
                    f"{_first_line(exc)}"
                ) from None
            raise
    return int(row[0]) if row else 0


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _quote_path(path: Path) -> str:
    return str(path).replace("'", "''")
