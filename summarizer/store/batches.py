"""Provider batch jobs as stored: submissions, their requests, and what became of each.

A submission is written (``preparing``, with every request ``pending``) before its file is
uploaded, and each step after that (uploaded, created, collected) is written as it happens.
So whatever moment a kill comes, the next collect finds a row that says how far it got:
nothing is submitted twice (an open request is never submitted again) and nothing answered
is dropped (a job is ``collected`` only once every answer in it is stored or failed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from summarizer.core.paper import Paper
from summarizer.store.rows import BatchJobRow
from summarizer.store.store import Store

JOB_COLUMNS = BatchJobRow.columns()
"""The columns of ``batch_jobs``, from its row spec."""
CLOSED = ("collected", "abandoned")
"""Job states with nothing left to do."""
EXPORTS = ("exporting", "exported")
"""States of a job written to a local request file (``batch export``): no provider runs it,
``batch import`` answers it, and its papers are not waiting in an open batch."""


def keys_table(paper_ids: Sequence[str], keys: Sequence[str]) -> Any:
    """(paper_id, cache_key) as Arrow; pyarrow loads here, not when a run asks whether any
    batch is open."""
    from summarizer.store.tables import keys_table as table

    return table(paper_ids, keys)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_submission(
    store: Store, job: dict[str, Any], requests: Sequence[tuple[str, str]]
) -> None:
    """A new submission and its (cache_key, paper_id) requests, before anything is uploaded."""
    now = _now()
    row = BatchJobRow(**(job | {"created_at": now, "updated_at": now})).values()
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    keys, ids = zip(*requests, strict=True) if requests else ((), ())
    with store.transaction() as con:
        con.execute(f"INSERT INTO batch_jobs ({columns}) VALUES ({marks})", list(row.values()))
        con.register("submitted", keys_table(ids, keys))
        con.execute(
            "INSERT INTO batch_requests (submission_id, cache_key, paper_id, state) "
            "SELECT ?, cache_key, paper_id, 'pending' FROM submitted",
            [job["submission_id"]],
        )
        con.unregister("submitted")


def update_job(store: Store, submission_id: str, **fields: Any) -> None:
    BatchJobRow.check(fields)
    fields["updated_at"] = _now()
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with store.transaction() as con:
        con.execute(
            f"UPDATE batch_jobs SET {assignments} WHERE submission_id = ?",
            [*fields.values(), submission_id],
        )


def jobs(store: Store, *, open_only: bool = False) -> list[dict[str, Any]]:
    where = f"WHERE status NOT IN {CLOSED}" if open_only else ""
    rows = store.query(
        f"SELECT {', '.join(JOB_COLUMNS)} FROM batch_jobs {where} ORDER BY created_at"
    )
    return [dict(zip(JOB_COLUMNS, row, strict=True)) for row in rows]


def in_open_batches(store: Store, keys: Sequence[str]) -> set[str]:
    """The cache keys already waiting in a batch that is not collected yet."""
    if not keys:
        return set()
    with store.session() as con:
        con.register("wanted", keys_table(keys, keys))
        rows = con.execute(
            f"""
            SELECT DISTINCT r.cache_key FROM batch_requests r
            JOIN batch_jobs j USING (submission_id)
            JOIN wanted w ON w.cache_key = r.cache_key
            WHERE r.state = 'pending' AND j.status NOT IN {CLOSED + EXPORTS}
            """
        ).fetchall()
        con.unregister("wanted")
    return {row[0] for row in rows}


def pending(store: Store, submission_id: str) -> dict[str, str]:
    """cache_key -> paper_id of a submission's requests not stored, failed or resubmitted."""
    rows = store.query(
        "SELECT cache_key, paper_id FROM batch_requests WHERE submission_id = ? AND state = 'pending'",
        [submission_id],
    )
    return dict(rows)


def mark(
    store: Store, submission_id: str, keys: Iterable[str], state: str, reason: str | None = None
) -> None:
    keys = list(keys)
    if not keys:
        return
    with store.transaction() as con:
        con.register("marked", keys_table(keys, keys))
        con.execute(
            """
            UPDATE batch_requests SET state = ?, reason = ?
            WHERE submission_id = ? AND cache_key IN (SELECT cache_key FROM marked)
            """,
            [state, reason, submission_id],
        )
        con.unregister("marked")


def papers(store: Store, paper_ids: Sequence[str]) -> dict[str, Paper]:
    """Stored papers by id, rebuilt from their first sighting (to resubmit or retry them)."""
    return {paper.paper_id: paper for paper in store.papers_by_id(paper_ids)}


def open_count(store: Store) -> int:
    """Jobs a provider is running or has finished but not collected (exports not counted)."""
    row = store.query(f"SELECT count(*) FROM batch_jobs WHERE status NOT IN {CLOSED + EXPORTS}")
    return int(row[0][0])


def open_exports(store: Store) -> list[dict[str, Any]]:
    return [job for job in jobs(store, open_only=True) if job["status"] in EXPORTS]


def latest_export(store: Store) -> dict[str, Any] | None:
    """The newest exported job, whatever became of it."""
    found = [job for job in jobs(store) if str(job["submission_id"]).startswith("export-")]
    return found[-1] if found else None


def exported_to(store: Store, names: Sequence[str]) -> bool:
    """Whether an earlier export wrote a request file under one of these names."""
    marks = ", ".join("?" for _ in names)
    rows = store.query(
        f"SELECT count(*) FROM batch_jobs WHERE input_file_id IN ({marks}) "
        "AND submission_id LIKE 'export-%'",
        list(names),
    )
    return bool(rows[0][0])


def supersede_exports(store: Store, keys: Sequence[str]) -> None:
    """Requests exported before and exported again: the new export answers for them, and an
    earlier export left with nothing pending is closed (``abandoned``)."""
    if not keys:
        return
    with store.transaction() as con:
        con.register("again", keys_table(keys, keys))
        con.execute(
            f"""
            UPDATE batch_requests SET state = 'superseded'
            WHERE state = 'pending' AND cache_key IN (SELECT cache_key FROM again)
              AND submission_id IN (SELECT submission_id FROM batch_jobs WHERE status IN {EXPORTS})
            """
        )
        con.unregister("again")
        con.execute(
            f"""
            UPDATE batch_jobs SET status = 'abandoned', updated_at = ?
            WHERE status IN {EXPORTS} AND NOT EXISTS (
                SELECT 1 FROM batch_requests r
                WHERE r.submission_id = batch_jobs.submission_id AND r.state = 'pending')
            """,
            [_now()],
        )


def spent(store: Store, batch_id: str) -> float:
    """USD of the calls logged for one batch (``llm_calls.batch_id``)."""
    row = store.query(
        "SELECT coalesce(sum(cost_usd), 0) FROM llm_calls WHERE batch_id = ?", [batch_id]
    )
    return float(row[0][0])


STATUS_COLUMNS = (
    "batch_id", "submission_id", "status", "requests", "completed", "failed", "age_seconds",
    "estimated_cost_usd", "cost_usd", "attempt", "model", "created_at", "collected_at",
)  # fmt: skip


def status(store: Store) -> list[dict[str, Any]]:
    """Every batch job, newest last, as the ``batches`` view shows it."""
    rows = store.query(f"SELECT {', '.join(STATUS_COLUMNS)} FROM batches ORDER BY created_at")
    return [dict(zip(STATUS_COLUMNS, row, strict=True)) for row in rows]


def request_counts(store: Store, submission_id: str) -> tuple[int, int]:
    """(stored, failed) requests of a submission, for the counts ``batch status`` shows."""
    rows = store.query(
        "SELECT count(*) FILTER (WHERE state = 'stored'), count(*) FILTER (WHERE state = 'failed')"
        " FROM batch_requests WHERE submission_id = ?",
        [submission_id],
    )
    stored_, failed = rows[0]
    return int(stored_), int(failed)
