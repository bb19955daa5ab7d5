"""Read-only SQL for users: only queries run, and results render as table, CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from summarizer.core.errors import ConfigError
from summarizer.store.store import Store, sql_error

QUERY_FORMATS = ("table", "csv", "json", "jsonl", "markdown")
_ALLOWED = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
}


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def run_query(store: Store, sql: str) -> QueryResult:
    """Run one read-only statement; anything that could change data is refused up front."""
    with store.session() as con:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise sql_error(exc) from None
    if not statements:
        raise ConfigError("empty query; pass a SELECT statement")
    for statement in statements:
        if statement.type not in _ALLOWED:
            kind = statement.type.name
            raise ConfigError(
                f"{kind} is not allowed: `summarizer sql` is read-only; "
                "use SELECT (or open the database with duckdb to change it)"
            )
    with store.session() as con:
        try:
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            return QueryResult(columns, cursor.fetchall())
        except duckdb.Error as exc:
            raise sql_error(exc) from None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(_plain(value))


def table_cells(result: QueryResult, max_rows: int) -> list[list[str]]:
    """The rows a terminal table shows: drawing a table costs far more than the query, so
    a 400k-row answer would take minutes on screen; files (csv, json) always get every row."""
    rows = result.rows[:max_rows] if max_rows > 0 else result.rows
    return [[_text(value) for value in row] for row in rows]


MIN_COLUMN = 12
"""Characters a table column gets at least (or its widest value, if narrower) before a
result counts as too wide for the terminal and is shown one record per block."""


LONG_TEXT = 24
"""Characters a column of running text (evidence, abstracts) needs per line to be read as
text rather than as a column of word fragments."""


def least_widths(columns: list[str], cells: list[list[str]]) -> list[int]:
    """Each column's least readable width: :data:`MIN_COLUMN` characters (less if its values
    and name are shorter), never less than its longest word (a word, an id or a link is never
    cut in two), and at least :data:`LONG_TEXT` for running text."""
    least_of: list[int] = []
    for index, name in enumerate(columns):
        values = [row[index] for row in cells]
        lines = [line for v in values for line in v.splitlines()]
        natural = max([len(name), *map(len, lines)])
        words = max([len(word) for line in lines for word in line.split()], default=0)
        links = [len(v) for v in values if "://" in v and " " not in v]
        # a column of links keeps each link whole on its line (the table never folds them)
        least = max(links) if links else min(natural, max(MIN_COLUMN, min(len(name), 20)))
        least = max(least, min(words, natural))
        if natural > 3 * LONG_TEXT and not links:  # running text: readable lines, not shreds
            least = max(least, LONG_TEXT)
        least_of.append(least)
    return least_of


def fits(columns: list[str], cells: list[list[str]], width: int) -> bool:
    """Whether a table of these cells reads on a terminal ``width`` wide: every column at its
    least readable width (:func:`least_widths`), plus borders; else the result is shown one
    record per block."""
    return 1 + sum(w + 3 for w in least_widths(columns, cells)) <= width


def render(result: QueryResult, fmt: str) -> str:
    if fmt == "json":
        records = [dict(zip(result.columns, map(_plain, row), strict=True)) for row in result.rows]
        return json.dumps(records, ensure_ascii=False, indent=2)
    if fmt == "jsonl":
        return "\n".join(
            json.dumps(dict(zip(result.columns, map(_plain, row), strict=True)), ensure_ascii=False)
            for row in result.rows
        )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(v) for v in row] for row in result.rows)
        return buffer.getvalue().rstrip("\n")
    if fmt == "markdown":
        lines = ["| " + " | ".join(result.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in result.columns) + "|")
        for row in result.rows:
            cells = (_text(v).replace("|", "\\|").replace("\n", " ") for v in row)
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(QUERY_FORMATS)}")
