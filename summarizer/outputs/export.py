"""The digest: one row per paper with fixed, documented columns, safe to open in a spreadsheet.

Written by DuckDB's own ``COPY`` so that a million-row export streams instead
of passing through Python.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from summarizer.core.errors import ConfigError
from summarizer.store.store import Store

EXPORT_FORMATS = ("csv", "jsonl", "parquet")


_SIZE_TEXT = """
    CASE WHEN s.params >= 1e12 THEN rtrim(rtrim(printf('%.2f', s.params / 1e12), '0'), '.') || 'T'
         WHEN s.params >= 1e9 THEN rtrim(rtrim(printf('%.2f', s.params / 1e9), '0'), '.') || 'B'
         WHEN s.params >= 1e6 THEN rtrim(rtrim(printf('%.2f', s.params / 1e6), '0'), '.') || 'M'
         WHEN s.params >= 1e3 THEN rtrim(rtrim(printf('%.2f', s.params / 1e3), '0'), '.') || 'K'
         ELSE CAST(s.params AS VARCHAR) END
"""
_GAIN_TEXT = """
    concat_ws(' ',
        rtrim(rtrim(printf('%.4f', g.value), '0'), '.') || coalesce(
            CASE g.unit WHEN 'points' THEN ' points' ELSE g.unit END, ''),
        g.metric,
        CASE WHEN g.benchmark IS NOT NULL THEN 'on ' || g.benchmark END,
        CASE WHEN g.baseline IS NOT NULL THEN 'vs ' || g.baseline END,
        CASE WHEN NOT g.grounded THEN '[ungrounded]' END)
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
        "ELSE '' END FOR s IN model_size_details IF s.params IS NOT NULL], '; ')"
    ),
    "gains": f"array_to_string([{_GAIN_TEXT} FOR g IN gains], '; ')",
    "links": "array_to_string(links, '; ')",
    "first_seen": "CAST(first_seen AS VARCHAR)",
    "sources": "array_to_string(sources, '; ')",
    "status": "status",
    "grounded_ratio": "CAST(round(grounded_ratio, 3) AS VARCHAR)",
    "backend": "backend",
    "model": "model",
}
"""The digest's fixed columns (documented in the README), each as text."""


def _filters(where: str | None, since: date | None) -> str:
    filters = [f"({where})"] if where else []
    if since:
        filters.append(f"first_seen >= DATE '{since.isoformat()}'")
    return f"WHERE {' AND '.join(filters)}" if filters else ""


def digest_query(where: str | None = None, since: date | None = None) -> str:
    select = ",\n".join(f"{_cell(expr)} AS {name}" for name, expr in DIGEST.items())
    return f"SELECT {select} FROM summaries {_filters(where, since)} ORDER BY first_seen, paper_id"


def _raw_query(where: str | None, since: date | None) -> str:
    return f"SELECT * FROM summaries {_filters(where, since)} ORDER BY first_seen, paper_id"


def export(
    store: Store,
    out: str | Path,
    *,
    fmt: str = "csv",
    where: str | None = None,
    since: date | None = None,
) -> int:
    """Write the digest to ``out``; returns the number of rows written."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(
            f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
    out = Path(out)
    query = digest_query(where, since) if fmt == "csv" else _raw_query(where, since)
    options = {
        "csv": "FORMAT csv, HEADER true, DELIMITER ','",
        "jsonl": "FORMAT json",
        "parquet": "FORMAT parquet",
    }[fmt]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        row = store.con.execute(f"COPY ({query}) TO '{_quote_path(out)}' ({options})").fetchone()
    except duckdb.Error as exc:
        raise ConfigError(f"export failed: {str(exc).splitlines()[0]}; check --where") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror}") from None
    return int(row[0]) if row else 0


def _quote_path(path: Path) -> str:
    return str(path).replace("'", "''")
