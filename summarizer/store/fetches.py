"""The ``fetches`` table: every window fetched from a source (one day of Hugging Face daily
papers, of an arXiv category, of an OAI-PMH set), how far it got and when.

A window is ``partial`` while pages remain (``cursor`` is where the next page starts: a page
number, an offset or a resumption token) and ``complete`` once its last page is kept. A
complete window fetched after its day was over is *closed*: it is never fetched again unless
asked (``--refresh``). Each page is recorded in its own transaction right after its file is
written, so a fetch cut anywhere resumes from the first page not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from summarizer.store.store import Store

_COLUMNS = (
    "source, window_start, window_end, status, pages, papers, cursor, folder, started_at, "
    "updated_at, fetched_at, error"
)


@dataclass(frozen=True)
class Window:
    """One row of ``fetches``."""

    source: str
    start: date
    end: date
    status: str
    pages: int
    papers: int
    cursor: str | None
    folder: str
    started_at: datetime
    updated_at: datetime
    fetched_at: datetime | None
    error: str | None

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def closed(self) -> bool:
        """Complete, and fetched after the window's last day was over (UTC): nothing more
        will be listed in it."""
        return self.complete and self.fetched_at is not None and self.fetched_at.date() > self.end


def _window(row: tuple[Any, ...]) -> Window:
    return Window(*row)


def windows(store: Store, source: str, days: list[date]) -> dict[date, Window]:
    """The recorded one-day windows of ``source`` among ``days``, by day."""
    if not days:
        return {}
    rows = store.query(
        f"SELECT {_COLUMNS} FROM fetches WHERE source = ? AND window_start = window_end "
        "AND window_start BETWEEN ? AND ?",
        [source, min(days), max(days)],
    )
    wanted = set(days)
    return {row[1]: _window(row) for row in rows if row[1] in wanted}


def last_closed(store: Store, source: str) -> date | None:
    """The last day of the newest closed window of ``source``."""
    row = store.query(
        "SELECT max(window_end) FROM fetches WHERE source = ? AND status = 'complete' "
        "AND fetched_at IS NOT NULL AND CAST(fetched_at AS DATE) > window_end",
        [source],
    )
    return row[0][0] if row else None


def _replace(con: Any, source: str, day: date, values: list[Any]) -> None:
    con.execute(
        "DELETE FROM fetches WHERE source = ? AND window_start = ? AND window_end = ?",
        [source, day, day],
    )
    con.execute(
        f"INSERT INTO fetches ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source, day, day, *values],
    )


def page_kept(
    store: Store,
    source: str,
    day: date,
    *,
    page: int,
    papers: int,
    cursor: str | None,
    folder: str,
    started_at: datetime,
    now: datetime,
) -> None:
    """Page ``page`` of a window is written: count it and move the cursor on (None: the
    window is complete). The first page replaces what an earlier fetch of the window
    recorded, in the same transaction."""
    done = cursor is None
    status = "complete" if done else "partial"
    with store.transaction() as con:
        if page == 1:
            values = [status, 1, papers, cursor, folder, started_at, now, now if done else None]
            _replace(con, source, day, [*values, None])
            return
        con.execute(
            "UPDATE fetches SET status = ?, pages = ?, papers = ?, cursor = ?, updated_at = ?, "
            "fetched_at = ?, error = NULL "
            "WHERE source = ? AND window_start = ? AND window_end = ?",
            [status, page, papers, cursor, now, now if done else None, source, day, day],
        )


def failed(
    store: Store,
    source: str,
    day: date,
    *,
    page: int,
    cursor: str,
    folder: str,
    started_at: datetime,
    error: str,
    now: datetime,
) -> None:
    """Why the window stopped at ``page``; it stays partial and resumes from its cursor."""
    with store.transaction() as con:
        if page == 1:
            _replace(
                con, source, day, ["partial", 0, 0, cursor, folder, started_at, now, None, error]
            )
            return
        con.execute(
            "UPDATE fetches SET error = ?, updated_at = ? "
            "WHERE source = ? AND window_start = ? AND window_end = ?",
            [error, now, source, day, day],
        )
