"""The DuckDB store: opening it safely, bulk writes, and the few reads a run needs.

Every write takes a whole batch as one Arrow table inside one transaction, so a
crash leaves either all of a batch or none of it, and nothing is written row by row.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from summarizer.core.calls import CallRecord
from summarizer.core.errors import StoreError
from summarizer.core.paper import Paper
from summarizer.core.results import Extraction, Failure
from summarizer.store import current as current_result
from summarizer.store.columns import CALLS, EXTRACTIONS, FAILURES, TableSpec
from summarizer.store.migrations import migrate
from summarizer.store.tables import papers_table

DEFAULT_DB = Path("cache") / "summarizer.duckdb"


def default_db_path() -> Path:
    return Path(os.environ.get("SUMMARIZER_DB") or DEFAULT_DB)


def duckdb_config() -> dict[str, Any]:
    """Settings for writers: a capped buffer pool (DuckDB defaults to 80% of RAM) keeps a long
    run small, and one thread, because a run's cores belong to the extraction workers and a
    single-threaded insert also commits a big batch faster (no per-thread row groups to merge).
    ``SUMMARIZER_DUCKDB_MEMORY`` / ``SUMMARIZER_DUCKDB_THREADS`` override; queries keep
    DuckDB's defaults."""
    return {
        "memory_limit": os.environ.get("SUMMARIZER_DUCKDB_MEMORY", "96MB"),
        "threads": os.environ.get("SUMMARIZER_DUCKDB_THREADS", "1"),
        "preserve_insertion_order": "false",
    }


def _store_error(path: Path, exc: Exception) -> StoreError:
    if isinstance(exc, OSError) and not isinstance(exc, duckdb.Error):
        reason = exc.strerror or type(exc).__name__
        if exc.errno == errno.ENOSPC:
            return StoreError(f"disk full while writing {path}; free space and re-run")
        return StoreError(
            f"cannot create or open database {path} ({reason}); pass --db to a writable location"
        )
    text = str(exc)
    lowered = text.lower()
    if "lock" in lowered or "conflicting" in lowered:
        return StoreError(
            f"database {path} is busy (another summarizer process is writing it); "
            "retry when that run finishes"
        )
    if "read-only" in lowered or "permission" in lowered or "readonly" in lowered:
        return StoreError(
            f"database {path} is not writable ({text.splitlines()[0]}); "
            "pass --db to a writable location"
        )
    if "no space" in lowered or ("disk" in lowered and "full" in lowered):
        return StoreError(
            f"disk full while writing {path}; free space and re-run (nothing stored is lost)"
        )
    if "does not exist" in lowered or "no such file" in lowered or "cannot open" in lowered:
        return StoreError(f"no database at {path}; run `summarizer run INPUT` first or pass --db")
    return StoreError(f"database {path}: {text.splitlines()[0] if text else type(exc).__name__}")


def _duplicate_id(paper: Paper) -> Failure:
    return Failure(
        paper_id=paper.paper_id,
        cache_key=None,
        stage="ingest",
        error_type="DuplicateId",
        message=f"id {paper.paper_id} was already stored with a different title/abstract; "
        "kept the first, skipped this record",
        source=paper.source,
        record=paper.record,
    )


@dataclass(slots=True)
class _StoredPaper:
    paper_id: str
    current_key: str | None
    first_seen: date | None
    sources: list[str] | None

    def widened_by(self, sighting: Paper, today: date) -> bool:
        """Whether this sighting moves first_seen earlier or adds a source."""
        seen_on = sighting.listing_date or sighting.published or today
        earlier = self.first_seen is not None and seen_on < self.first_seen
        return earlier or sighting.source not in (self.sources or ())


@dataclass
class IngestOutcome:
    """How a batch of sightings landed: resolved ids, how many papers were new, conflicts."""

    papers: list[Paper] = field(default_factory=list)
    new: int = 0
    conflicts: list[Failure] = field(default_factory=list)
    repoint: set[str] = field(default_factory=set)
    """Already-stored papers whose current result is not the one this run wants."""


class Store:
    """A DuckDB database holding papers, extractions, failures and the public views."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.read_only = read_only
        self.con = self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self.read_only and not self.path.exists():
            raise StoreError(
                f"no database at {self.path}; run `summarizer run INPUT` first or pass --db"
            )
        try:
            if not self.read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            config: dict[str, Any] = {} if self.read_only else duckdb_config()
            con = duckdb.connect(str(self.path), read_only=self.read_only, config=config)
            if not self.read_only:
                migrate(con)
            return con
        except (duckdb.Error, OSError) as exc:
            raise _store_error(self.path, exc) from None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")
        except (duckdb.Error, OSError) as exc:
            raise _store_error(self.path, exc) from None

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            return self.con.execute(sql, params or []).fetchall()
        except duckdb.Error as exc:
            raise _store_error(self.path, exc) from None

    # -- papers --------------------------------------------------------------

    def add_papers(self, papers: Sequence[Paper], identity: str | None = None) -> IngestOutcome:
        """Store new papers and every sighting; one paper's other copies reuse its id.

        With a backend ``identity`` (its cache identity digest), new papers are stored already
        pointing at the result that backend will produce, so a run never has to update them
        afterwards; the outcome's ``repoint`` names the stored papers that point elsewhere.
        """
        outcome = IngestOutcome()
        if not papers:
            return outcome
        probe = pa.table(
            {
                "paper_id": [p.paper_id for p in papers],
                "content_hash": [p.content_hash for p in papers],
            }
        )
        with self.transaction() as con:
            con.register("probe", probe)
            # descending, so the smallest paper_id of a content hash wins
            stored = {
                row[0]: _StoredPaper(*row[1:])
                for row in con.execute(
                    "SELECT content_hash, paper_id, current_key, first_seen, sources"
                    " FROM paper_records SEMI JOIN probe USING (content_hash)"
                    " ORDER BY paper_id DESC"
                ).fetchall()
            }
            by_hash = {content_hash: known.paper_id for content_hash, known in stored.items()}
            hash_of_id = dict(
                con.execute(
                    "SELECT paper_id, content_hash FROM paper_records"
                    " SEMI JOIN probe USING (paper_id)"
                ).fetchall()
            )
            con.unregister("probe")
            fresh: dict[str, Paper] = {}
            widen: set[str] = set()
            today = datetime.now(UTC).date()
            wanted = current_result.wanted_keys(papers, identity)
            for paper in papers:
                known = by_hash.get(paper.content_hash)
                if known is not None:
                    paper.paper_id = known
                    earlier = stored.get(paper.content_hash)
                    if earlier is not None:
                        if earlier.widened_by(paper, today):
                            widen.add(known)
                        if current_result.points_elsewhere(
                            earlier.current_key, wanted.get(paper.content_hash)
                        ):
                            outcome.repoint.add(known)
                elif paper.paper_id in hash_of_id or paper.paper_id in fresh:
                    other = hash_of_id.get(paper.paper_id) or fresh[paper.paper_id].content_hash
                    if other != paper.content_hash:
                        outcome.conflicts.append(_duplicate_id(paper))
                        continue
                else:
                    fresh[paper.paper_id] = paper
                    by_hash[paper.content_hash] = paper.paper_id
                outcome.papers.append(paper)
            outcome.new = len(fresh)
            if not outcome.papers:
                return outcome
            batch = papers_table(
                outcome.papers, [wanted.get(p.content_hash) for p in outcome.papers]
            )
            is_new = pa.array([p.paper_id in fresh for p in outcome.papers], pa.bool_())
            widens = pa.array([p.paper_id in widen for p in outcome.papers], pa.bool_())
            con.register(
                "batch", batch.append_column("is_new", is_new).append_column("widens", widens)
            )
            # New papers are known to be new: no anti-join against the whole table for them.
            con.execute(
                """
                INSERT INTO paper_records BY NAME
                SELECT paper_id, any_value(content_hash) AS content_hash,
                       any_value(title) AS title, any_value(abstract) AS abstract,
                       any_value(arxiv_id) AS arxiv_id, any_value(url) AS url,
                       any_value(published) AS published, any_value(authors) AS authors,
                       min(seen_on) AS first_seen,
                       list_sort(list_distinct(list(source))) AS sources,
                       any_value(current_key) AS current_key, min(ingested_at) AS ingested_at
                FROM batch WHERE is_new
                GROUP BY paper_id
                """
            )
            con.execute(
                "INSERT INTO sightings BY NAME SELECT DISTINCT paper_id, source, record,"
                " listing_date, ingested_at FROM batch WHERE is_new"
            )
            if len(fresh) < len(outcome.papers):
                self._add_sightings_of_stored(con, widen=bool(widen))
            con.unregister("batch")
        return outcome

    @staticmethod
    def _add_sightings_of_stored(con: duckdb.DuckDBPyConnection, *, widen: bool) -> None:
        """Record new sightings of already-stored papers; widen first_seen/sources if needed.

        The UPDATE runs only when a paper's dates or sources really change: DuckDB's
        UPDATE ... FROM costs a join over the whole table even when it changes nothing.
        """
        con.execute(
            """
            INSERT INTO sightings BY NAME
            SELECT DISTINCT paper_id, source, record, listing_date, ingested_at FROM batch b
            WHERE NOT b.is_new AND NOT EXISTS (
                SELECT 1 FROM sightings s
                WHERE s.paper_id = b.paper_id AND s.source = b.source AND s.record = b.record
            )
            """
        )
        if not widen:
            return
        con.execute(
            """
            UPDATE paper_records SET
                first_seen = least(paper_records.first_seen, u.seen_on),
                sources = list_sort(list_distinct(
                    list_concat(paper_records.sources, u.sources)))
            FROM (SELECT paper_id, min(seen_on) AS seen_on, list(DISTINCT source) AS sources
                  FROM batch WHERE widens GROUP BY paper_id) u
            WHERE paper_records.paper_id = u.paper_id
              AND (u.seen_on < paper_records.first_seen
                   OR NOT list_has_all(paper_records.sources, u.sources))
            """
        )

    # -- extractions ---------------------------------------------------------

    def _keys_in(self, table: str, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        try:
            self.con.register("probe_keys", pa.table({"cache_key": list(keys)}))
            rows = self.con.execute(
                f"SELECT DISTINCT cache_key FROM {table} SEMI JOIN probe_keys USING (cache_key)"
            ).fetchall()
            self.con.unregister("probe_keys")
        except duckdb.Error as exc:
            raise _store_error(self.path, exc) from None
        return {row[0] for row in rows}

    def cached_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these cache keys already have a stored result."""
        return self._keys_in("extractions", keys)

    def failed_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these cache keys failed before (skipped unless --retry-failed)."""
        return self._keys_in("failure_log", keys)

    def failed_papers(self) -> list[Paper]:
        """Papers whose extraction failed, rebuilt from their first sighting (for --retry-failed)."""
        rows = self.query(
            """
            SELECT p.title, p.abstract, s.source, s.record, p.paper_id, p.content_hash
            FROM paper_records p
            JOIN (SELECT paper_id, min(source) AS source, min(record) AS record
                  FROM sightings GROUP BY paper_id) s USING (paper_id)
            WHERE p.paper_id IN (SELECT paper_id FROM failures WHERE stage = 'extract')
            ORDER BY p.paper_id
            """
        )
        return [
            Paper(title=t, abstract=a, source=src, record=rec, paper_id=pid, content_hash=h)
            for t, a, src, rec, pid, h in rows
        ]

    def save(
        self,
        extractions: Sequence[Extraction] | pa.Table = (),
        failures: Sequence[Failure] | pa.Table = (),
        current: Sequence[tuple[str, str]] = (),
        calls: Sequence[CallRecord] | pa.Table = (),
    ) -> None:
        """Write results, failures and call logs, and point papers at their current result,
        in one transaction."""
        results = _rows(EXTRACTIONS, extractions)
        failed = _rows(FAILURES, failures)
        logged = _rows(CALLS, calls)
        if results is None and failed is None and logged is None and not current:
            return
        with self.transaction() as con:
            if results is not None:
                con.register("new_results", results)
                # a batch is nearly always free of repeats; the window only runs when needed
                repeats = pc.count_distinct(results.column("cache_key")).as_py() < results.num_rows
                con.execute(
                    EXTRACTIONS.insert(
                        "new_results n",
                        "WHERE NOT EXISTS (SELECT 1 FROM extractions e WHERE e.cache_key = n.cache_key)"
                        + (
                            " QUALIFY row_number() OVER (PARTITION BY n.cache_key) = 1"
                            if repeats
                            else ""
                        ),
                    )
                )
                con.unregister("new_results")
            if failed is not None:
                con.register("new_failures", failed)
                con.execute(FAILURES.insert("new_failures"))
                con.unregister("new_failures")
            if logged is not None:
                con.register("new_calls", logged)
                con.execute(CALLS.insert("new_calls"))
                con.unregister("new_calls")
            current_result.apply(con, current)

    def record_run(self, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.transaction() as con:
            con.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", list(row.values()))


def _rows(spec: TableSpec[Any], items: Sequence[Any] | pa.Table) -> pa.Table | None:
    """Items (or a table already built from them) as a non-empty Arrow table, else None."""
    table = items if isinstance(items, pa.Table) else spec.arrow(items) if items else None
    return table if table is not None and table.num_rows else None
