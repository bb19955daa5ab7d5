"""The DuckDB store: opening it safely, bulk writes, and the few reads a run needs.

Every write takes a whole batch as one Arrow table inside one transaction, so a
crash leaves either all of a batch or none of it, and nothing is written row by row.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

import duckdb

from summarizer.core.endpoint import EndpointProfile
from summarizer.core.errors import ConfigError, StoreError
from summarizer.core.paper import Paper
from summarizer.store.paths import DEFAULT_DB, default_db_path, missing_database

if TYPE_CHECKING:
    import pyarrow as pa

    from summarizer.core.calls import CallRecord
    from summarizer.core.results import Extraction, Failure
    from summarizer.store.columns import TableSpec
    from summarizer.store.rows import RunRow

# Opening a database and reading it (`summarizer sql`, `stats`, `show`) needs only DuckDB.
# pyarrow, the row specs, the migrations and the result types (pydantic) are imported by
# the code that writes, when it first runs.


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


READER_WAIT = 10.0
"""Seconds a reader waits for a running writer to finish its current commit."""
WRITER_WAIT = 600.0
"""Seconds a run waits for a reader (a long export, say) to let go of the file."""
NOT_DATABASES = {".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".txt", ".md",
                  ".xml", ".atom", ".rss", ".gz", ".html", ".xlsx"}  # fmt: skip


def check_database_path(path: Path, *, read_only: bool) -> None:
    """Refuse, before anything is written, a path that is some other kind of file: DuckDB
    would treat it as an empty in-memory database and the run would be silently lost."""
    if path.is_dir():
        raise ConfigError(f"--db {path} is a directory; pass a database file such as {DEFAULT_DB}")
    if path.suffix.lower() in NOT_DATABASES:
        raise ConfigError(
            f"--db {path} names a {path.suffix} file, not a database; nothing was written. "
            f"Pass a .duckdb path (the default is {DEFAULT_DB})"
        )
    if not path.is_file():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise _store_error(path, exc) from None
    if head[8:12] != b"DUCK":
        raise ConfigError(
            f"--db {path} is not a DuckDB database (an existing file of another kind); it was "
            f"left untouched. Pass a .duckdb path (the default is {DEFAULT_DB})"
        )


def _check_ours(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A DuckDB file with tables of its own but not ours is someone else's database."""
    try:  # ours (the usual case): answered without listing the tables
        con.execute("SELECT 1 FROM main.schema_migrations LIMIT 0").fetchall()
        return
    except duckdb.CatalogException:
        pass
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    if tables and "schema_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise ConfigError(
            f"--db {path} is a DuckDB database but not a summarizer one (tables: {shown}); "
            "it was left untouched. Pass another --db"
        )


_QUERY_MISTAKES = (
    duckdb.ParserException,
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.NotImplementedException,
)
"""Errors in a query itself (a user's --where or sql), as opposed to the database file."""


_INTERRUPTED = (duckdb.InterruptException,)
"""DuckDB stopped a query because the process got SIGINT: Ctrl-C, not a database problem."""


def _is_interrupt(exc: BaseException) -> bool:
    """DuckDB's Python layer also reports an interrupted query as ``RuntimeError: Query
    interrupted``."""
    return isinstance(exc, _INTERRUPTED) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()
    )


def sql_error(exc: Exception) -> ConfigError:
    """A query mistake as one line: DuckDB's first line and its hint ("Did you mean
    "papers"?", the candidate columns), without the caret drawing."""
    lines = [line.strip() for line in str(exc).strip().splitlines()]
    hints = [line for line in lines[1:] if line.startswith(("Did you mean", "Candidate", "HINT"))]
    return ConfigError(
        "SQL error: " + "; ".join([lines[0] if lines else type(exc).__name__, *hints])
    )


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text


class _WriterLock:
    """An exclusive lock on ``<db>.lock``: one writing process per database at a time.

    The file is deleted, still locked, when the writer closes, so no ``.lock`` outlives its
    process. A second writer that opened the file just before that holds a lock on a deleted
    file; after locking, each writer checks that the path still names the file it locked, and
    starts again if not.
    """

    RETRY_WAIT = 0.5
    """Seconds to keep trying while someone holds the file only briefly (a `stats` probe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.RETRY_WAIT
        while True:
            handle = self.path.open("a+b")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                if time.monotonic() < deadline:
                    time.sleep(0.02)
                    continue
                raise StoreError(
                    f"database {self.path.with_suffix('')} is busy (another summarizer process "
                    "is writing it); retry when that run finishes"
                ) from None
            except BaseException:
                handle.close()
                raise
            if _same_file(handle, self.path):
                self._handle = handle
                return
            handle.close()  # locked a file its writer had just deleted: try the new one

    def close(self) -> None:
        if self._handle is not None:
            try:
                if _same_file(self._handle, self.path):
                    self.path.unlink()
            except OSError:
                pass  # gone already, or a read-only folder: nothing is left to clean
            self._handle.close()
            self._handle = None


def _same_file(handle: IO[bytes], path: Path) -> bool:
    try:
        held, named = os.fstat(handle.fileno()), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


def writer_active(path: Path) -> bool:
    """Whether a summarizer process is writing the database at ``path`` now (holds its lock
    file). Never creates the lock file; a probe lasts microseconds, and a writer starting
    meanwhile retries."""
    if fcntl is None:
        return False
    try:
        handle = path.with_name(path.name + ".lock").open("rb")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def _writer_lock(path: Path) -> _WriterLock | None:
    if fcntl is None:
        return None  # no advisory locks here: DuckDB's own file lock still keeps writers apart
    lock = _WriterLock(path.with_name(path.name + ".lock"))
    try:
        lock.acquire()
    except OSError as exc:
        raise _store_error(path, exc) from None
    return lock


def _store_error(path: Path, exc: Exception) -> StoreError:
    if isinstance(exc, OSError) and not isinstance(exc, duckdb.Error):
        reason = exc.strerror or type(exc).__name__
        if exc.errno == errno.ENOSPC:
            return StoreError(f"disk full while writing {path}; free space and re-run")
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and path.exists():
            return StoreError(
                f"database {path} is not writable ({reason}); pass --db to a writable location"
            )
        return StoreError(
            f"cannot create or open database {path} ({reason}); pass --db to a writable location"
        )
    text = str(exc)
    lowered = text.lower()
    if "out of memory" in lowered:
        return StoreError(
            f"database {path}: DuckDB ran out of memory ({text.splitlines()[0][:160]}); "
            "raise SUMMARIZER_DUCKDB_MEMORY (e.g. 1GB) and re-run; nothing stored is lost"
        )
    if re.search(r"\block\b", lowered) or "conflicting" in lowered:  # not "block"
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
        return StoreError(missing_database(path))
    return StoreError(f"database {path}: {text.splitlines()[0] if text else type(exc).__name__}")


def _duplicate_id(paper: Paper) -> Failure:
    from summarizer.core.results import Failure

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
    missing: list[str] | None = None
    """The metadata columns the stored paper has no value for (see ``PAPER_FILLS``)."""

    def filled_by(self, sighting: Paper) -> bool:
        """Whether this sighting brings metadata the stored paper lacks."""
        return any(getattr(sighting, name) for name in self.missing or ())

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


@cache
def _strict_update() -> str:
    """``--strict-grounding`` over stored rows: what :func:`summarizer.grounding.ground.ground`
    does with ``strict`` on a new result, for every field of :data:`FIELDS` (imported here:
    the field registry brings pydantic, which reading the store does without)."""
    from summarizer.core.fields import FIELDS

    lists = "".join(f"{f.name} = [v FOR v IN {f.name} IF v.grounded], " for f in FIELDS)
    counted = " + ".join(f"len([v FOR v IN coalesce({f.name}, []) IF v.grounded])" for f in FIELDS)
    return (
        f"UPDATE extractions SET {lists}"
        "code_url = CASE WHEN code_url_grounded THEN code_url END, "
        "code_url_grounded = CASE WHEN code_url_grounded THEN true END, "
        "ungrounded = 0, "
        f"grounded_ratio = CASE WHEN {counted} + CASE WHEN code_url_grounded THEN 1 ELSE 0 END > 0 "
        "THEN 1.0 END "
        "WHERE ungrounded > 0 AND cache_key IN (SELECT cache_key FROM strict_keys)"
    )


class Store:
    """A DuckDB database holding papers, extractions, failures and the public views.

    DuckDB lets one process at a time hold a database file for writing. A writer opened with
    ``hold=False`` (what ``summarizer run`` uses) opens the file for each :meth:`session` or
    transaction and lets go after it, so ``sql``, ``stats`` and ``export`` can read between
    two commits while a long run goes on; two writers are kept apart by a lock file beside
    the database, and each side waits out the other's short hold (``wait`` seconds at most).

    ``linger`` (seconds) lets such a writer keep the file open across the sessions that come
    within that long of opening it, until :meth:`let_go`: a run that finds everything cached
    opens the file once or twice instead of once per step, and a reader waits at most that
    long (and one chunk's reading) for it. The run lets go before any long work (extracting,
    calling a provider, Ray).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        hold: bool = True,
        wait: float | None = None,
        linger: float = 0.0,
    ) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.read_only = read_only
        self.hold = hold
        self.linger = linger
        self.wait = wait if wait is not None else (READER_WAIT if read_only else WRITER_WAIT)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened_at = 0.0
        self._depth = 0
        self._migrated = read_only
        check_database_path(self.path, read_only=read_only)
        self._lock = None if read_only else _writer_lock(self.path)
        if self._lock is not None:
            from summarizer.store.compact import remove_scratch

            remove_scratch(self.path)  # a copy a killed compaction left
        try:
            with self.session():
                pass
        except BaseException:
            self.close()
            raise

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = self._connect()
        return self._con

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self.read_only and not self.path.exists():
            raise StoreError(missing_database(self.path))
        config: dict[str, Any] = {} if self.read_only else duckdb_config()
        deadline = time.monotonic() + self.wait
        pause = 0.02
        while True:
            try:
                if not self.read_only:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                con = duckdb.connect(str(self.path), read_only=self.read_only, config=config)
                self._opened_at = time.monotonic()
                break
            except (duckdb.Error, OSError) as exc:
                if not _is_lock_conflict(exc) or time.monotonic() >= deadline:
                    raise _store_error(self.path, exc) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
        try:
            _check_ours(con, self.path)
            if not self._migrated:
                from summarizer.store.migrations import migrate

                migrate(con)
                self._migrated = True
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Hold the file open for a few operations; a ``hold=False`` store lets go after."""
        self._depth += 1
        try:
            yield self.con
        except _INTERRUPTED:
            raise KeyboardInterrupt from None  # Ctrl-C while DuckDB ran a query: a stop
        except _QUERY_MISTAKES as exc:
            raise sql_error(exc) from None
        except duckdb.Error as exc:
            raise _store_error(self.path, exc) from None
        except RuntimeError as exc:
            if _is_interrupt(exc):
                raise KeyboardInterrupt from None
            raise
        finally:
            self._depth -= 1
            if self._depth == 0 and not self.hold and not self._lingers():
                self._release()

    def _lingers(self) -> bool:
        return self.linger > 0 and time.monotonic() - self._opened_at < self.linger

    def let_go(self) -> None:
        """Stop lingering (see the class): a ``hold=False`` store lets go of the file after
        each session from now on, and now if no session is open."""
        self.linger = 0.0
        if self._depth == 0 and not self.hold:
            self._release()

    def _release(self) -> None:
        if self._con is not None:
            con, self._con = self._con, None
            con.close()

    def close(self) -> None:
        self._release()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.session() as con:
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    with suppress(duckdb.Error, RuntimeError):  # an interrupted one may be gone
                        con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            except _INTERRUPTED:
                raise KeyboardInterrupt from None
            except (duckdb.Error, OSError) as exc:
                raise _store_error(self.path, exc) from None

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        with self.session() as con:
            return con.execute(sql, params or []).fetchall()

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
        import pyarrow as pa

        from summarizer.store import columns
        from summarizer.store import current as current_result

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
                    "SELECT content_hash, paper_id, current_key, first_seen, sources, "
                    f"{_missing_fills(columns.PAPER_FILLS)}"
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
            fills: set[str] = set()
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
                        if earlier.filled_by(paper):
                            fills.add(known)
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
            now = datetime.now(UTC).replace(tzinfo=None)
            batch = columns.SIGHTED.arrow(
                [columns.Sighted(p, wanted.get(p.content_hash), now) for p in outcome.papers]
            )
            is_new = pa.array([p.paper_id in fresh for p in outcome.papers], pa.bool_())
            widens = pa.array([p.paper_id in widen for p in outcome.papers], pa.bool_())
            con.register(
                "batch", batch.append_column("is_new", is_new).append_column("widens", widens)
            )
            # New papers are known to be new: no anti-join against the whole table for them.
            con.execute(columns.papers_from("batch", "is_new"))
            sighting = ", ".join(columns.SIGHTINGS.names)
            con.execute(
                f"INSERT INTO {columns.SIGHTINGS.table} BY NAME SELECT DISTINCT {sighting}"
                " FROM batch WHERE is_new"
            )
            if len(fresh) < len(outcome.papers):
                self._add_sightings_of_stored(con, widen=bool(widen), fill=bool(fills))
            con.unregister("batch")
        return outcome

    def has_papers(self) -> bool:
        """Whether any paper is stored."""
        return bool(self.query("SELECT EXISTS (SELECT 1 FROM paper_records)")[0][0])

    def settled(
        self,
        source: str,
        sightings: Sequence[tuple[str, date | None, str, str]],
        today: date,
    ) -> list[int]:
        """Which of these sightings of ``source`` need nothing at all, by position: each is a
        (content_hash, seen_on, record, cache_key), the key being the one this run's backend
        gives that text (computed by the caller: the cache key has one definition, in
        Python). One needs nothing when its paper is stored, this sighting is recorded, it
        neither moves ``first_seen`` earlier nor adds a source, and the paper already points
        at the stored result with that key.

        Exactly the sightings :meth:`add_papers` would leave as they are and a run would find
        cached; the probe goes to DuckDB as four lists in one query, so a cached re-run builds
        no Paper. The probe is materialized once: inlined, DuckDB unnests it twice and the
        query costs three times as much.
        """
        if not sightings:
            return []
        hashes, seen_on, records, keys = map(list, zip(*sightings, strict=True))
        with self.session() as con:
            rows = con.execute(
                """
                WITH p AS MATERIALIZED (  -- one probe row per sighting, i its position
                    SELECT unnest($hashes) AS content_hash, unnest($keys) AS cache_key,
                           unnest($seen_on)::DATE AS seen_on, unnest($records) AS record,
                           generate_subscripts($hashes, 1) - 1 AS i
                ),
                first_id AS (  -- a content hash's paper is its smallest paper_id
                    SELECT content_hash, min(paper_id) AS paper_id
                    FROM paper_records SEMI JOIN p USING (content_hash)
                    GROUP BY content_hash
                ),
                stored AS (
                    SELECT r.content_hash, r.paper_id, r.current_key, r.first_seen, r.sources
                    FROM paper_records r SEMI JOIN first_id f
                        ON r.content_hash = f.content_hash AND r.paper_id = f.paper_id
                ),
                candidates AS (
                    SELECT p.i, s.paper_id, p.record, s.current_key
                    FROM p JOIN stored s USING (content_hash)
                    WHERE s.current_key = p.cache_key
                      AND coalesce(list_contains(s.sources, $source), false)
                      AND NOT coalesce(coalesce(p.seen_on, $today) < s.first_seen, false)
                ),
                recorded AS (
                    SELECT c.* FROM candidates c SEMI JOIN (
                        SELECT paper_id, record FROM sightings WHERE source = $source
                    ) x ON c.paper_id = x.paper_id AND c.record = x.record
                )
                SELECT r.i FROM recorded r SEMI JOIN extractions e ON r.current_key = e.cache_key
                """,
                {
                    "hashes": hashes,
                    "keys": keys,
                    "seen_on": seen_on,
                    "records": records,
                    "source": source,
                    "today": today,
                },
            ).fetchall()
        return [row[0] for row in rows]

    @staticmethod
    def _add_sightings_of_stored(
        con: duckdb.DuckDBPyConnection, *, widen: bool, fill: bool = False
    ) -> None:
        """Record new sightings of already-stored papers; widen first_seen/sources if needed,
        and fill in metadata a stored paper lacks (never overwriting what it has).

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
        if fill:
            from summarizer.store.columns import PAPER_FILLS

            assignments = ", ".join(
                f"{name} = CASE WHEN {_empty('paper_records.' + name)} THEN u.{name} "
                f"ELSE paper_records.{name} END"
                for name in PAPER_FILLS
            )
            firsts = ", ".join(
                f"first({name} ORDER BY source, record) FILTER (WHERE NOT {_empty(name)}) AS {name}"
                for name in PAPER_FILLS
            )
            missing = " OR ".join(
                f"({_empty('paper_records.' + name)} AND NOT {_empty('u.' + name)})"
                for name in PAPER_FILLS
            )
            con.execute(
                f"""
                UPDATE paper_records SET {assignments}
                FROM (SELECT paper_id, {firsts} FROM batch WHERE NOT is_new GROUP BY paper_id) u
                WHERE paper_records.paper_id = u.paper_id AND ({missing})
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
        import pyarrow as pa

        with self.session() as con:
            con.register("probe_keys", pa.table({"cache_key": list(keys)}))
            rows = con.execute(
                f"SELECT DISTINCT cache_key FROM {table} SEMI JOIN probe_keys USING (cache_key)"
            ).fetchall()
            con.unregister("probe_keys")
        return {row[0] for row in rows}

    def cached_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these cache keys already have a stored result."""
        return self._keys_in("extractions", keys)

    def failed_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these cache keys failed before (skipped unless --retry-failed)."""
        return self._keys_in("failure_log", keys)

    def failed_identities(self) -> list[tuple[str, str, int]]:
        """(backend, model, papers) behind the open extraction failures, most papers first."""
        rows = self.query(
            "SELECT backend, model, count(DISTINCT paper_id) FROM failures "
            "WHERE stage = 'extract' AND backend IS NOT NULL GROUP BY ALL ORDER BY 3 DESC, 1, 2"
        )
        return [(str(b), str(m), int(n)) for b, m, n in rows]

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

    def pending_paper_ids(self) -> list[str]:
        """Papers stored without a result to show: never extracted (``ingest``), or pointing
        at a result that never landed (a run stopped early), in paper_id order."""
        rows = self.query(
            "SELECT p.paper_id FROM paper_records p"
            " ANTI JOIN extractions e ON e.cache_key = p.current_key ORDER BY p.paper_id"
        )
        return [row[0] for row in rows]

    def papers_by_id(self, paper_ids: Sequence[str]) -> list[Paper]:
        """Stored papers rebuilt from their first sighting, as a run reads them again."""
        if not paper_ids:
            return []
        from summarizer.store.tables import keys_table

        with self.session() as con:
            con.register("wanted_ids", keys_table(paper_ids, paper_ids))
            rows = con.execute(
                """
                SELECT p.title, p.abstract, s.source, s.record, p.paper_id, p.content_hash,
                       p.arxiv_id, p.url, p.published, p.authors
                FROM paper_records p
                JOIN (SELECT paper_id, min(source) AS source, min(record) AS record
                      FROM sightings SEMI JOIN wanted_ids USING (paper_id)
                      GROUP BY paper_id) s USING (paper_id)
                ORDER BY p.paper_id
                """
            ).fetchall()
            con.unregister("wanted_ids")
        return [
            Paper(title=t, abstract=a, source=src, record=rec, paper_id=pid, content_hash=h,
                  arxiv_id=arxiv, url=url, published=published, authors=list(authors or []))
            for t, a, src, rec, pid, h, arxiv, url, published, authors in rows
        ]  # fmt: skip

    def save(
        self,
        extractions: Sequence[Extraction] | pa.Table = (),
        failures: Sequence[Failure] | pa.Table = (),
        current: Sequence[tuple[str, str]] = (),
        calls: Sequence[CallRecord] | pa.Table = (),
        *,
        replace: bool = False,
        staged: Sequence[tuple[str, str, int]] = (),
    ) -> None:
        """Write results, failures and call logs, and point papers at their current result,
        in one transaction. ``replace`` overwrites stored results with the same cache key
        (a ``--refresh`` run); otherwise the stored one is kept. ``staged`` names the part
        files (part, kind, rows) these rows were read from, recorded in the same
        transaction (see :mod:`summarizer.store.staging`)."""
        import pyarrow.compute as pc

        from summarizer.store import current as current_result
        from summarizer.store.columns import CALLS, EXTRACTIONS, FAILURES

        results = _rows(EXTRACTIONS, extractions)
        failed = _rows(FAILURES, failures)
        logged = _rows(CALLS, calls)
        if results is None and failed is None and logged is None and not current and not staged:
            return
        with self.transaction() as con:
            if results is not None:
                con.register("new_results", results)
                if replace:
                    con.execute(
                        "DELETE FROM extractions WHERE cache_key IN "
                        "(SELECT cache_key FROM new_results)"
                    )
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
            if staged:
                con.executemany(
                    "INSERT INTO staged_parts VALUES (?, ?, ?, current_timestamp) "
                    "ON CONFLICT DO NOTHING",
                    [list(part) for part in staged],
                )

    def point_where_stored(self, pairs: Sequence[tuple[str, str]]) -> set[str]:
        """Make each (paper_id, cache_key) result current where that result is stored (it
        landed); returns the paper ids pointed. A paper whose result is not stored (it
        failed) keeps the result it had."""
        if not pairs:
            return set()
        from summarizer.store import current as current_result
        from summarizer.store.tables import keys_table

        ids, keys = zip(*pairs, strict=True)
        with self.transaction() as con:
            con.register("landed_probe", keys_table(ids, keys))
            landed = con.execute(
                "SELECT paper_id, cache_key FROM landed_probe SEMI JOIN extractions USING (cache_key)"
            ).fetchall()
            con.unregister("landed_probe")
            current_result.apply(con, [(a, b) for a, b in landed])
        return {a for a, _ in landed}

    def loaded_parts(self, parts: Sequence[str]) -> set[str]:
        """Which of these staged part files the store has loaded already."""
        if not parts:
            return set()
        rows = self.query(
            "SELECT part FROM staged_parts WHERE list_contains($parts::VARCHAR[], part)",
            {"parts": list(parts)},
        )
        return {row[0] for row in rows}

    def clear_ingest_failures(self, sources: Iterable[str]) -> None:
        """A source is being read again: its old ingest problems are either fixed or about
        to be reported afresh, so none of them stays open twice."""
        with self.transaction() as con:
            con.execute(
                "DELETE FROM failure_log WHERE stage = 'ingest' "
                "AND list_contains($sources::VARCHAR[], source)",
                {"sources": list(sources)},
            )

    def drop_ungrounded(self, keys: Iterable[str]) -> int:
        """Drop the values grounding flagged from these stored results, in place, as
        ``--strict-grounding`` would have on extraction; returns the results changed."""
        import pyarrow as pa

        with self.transaction() as con:
            con.register("strict_keys", pa.table({"cache_key": list(keys)}))
            row = con.execute(_strict_update()).fetchone()
            con.unregister("strict_keys")
        return int(row[0]) if row else 0

    def endpoint(self, base_url: str, model: str) -> EndpointProfile | None:
        """The stored probe outcome for this endpoint and model, if any."""
        rows = self.query(
            "SELECT mode, probed_at, refused, context_tokens FROM endpoints "
            "WHERE base_url = ? AND model = ? ORDER BY probed_at DESC LIMIT 1",
            [base_url, model],
        )
        if not rows:
            return None
        mode, probed_at, refused, context = rows[0]
        return EndpointProfile(
            base_url,
            model,
            mode,
            json.loads(refused or "{}"),
            context,
            probed_at.replace(tzinfo=UTC),
        )

    def save_endpoint(self, profile: EndpointProfile) -> None:
        from summarizer.store.rows import EndpointRow

        values = EndpointRow(
            base_url=profile.base_url,
            model=profile.model,
            mode=profile.mode,
            probed_at=profile.probed_at.astimezone(UTC).replace(tzinfo=None),
            refused=json.dumps(profile.refused),
            context_tokens=profile.context_tokens,
        ).values()
        with self.transaction() as con:
            con.execute(
                "DELETE FROM endpoints WHERE base_url = ? AND model = ?",
                [profile.base_url, profile.model],
            )
            con.execute(
                f"INSERT INTO endpoints ({', '.join(values)})"
                f" VALUES ({', '.join('?' for _ in values)})",
                list(values.values()),
            )

    def compact(self) -> bool:
        """Rewrite the database without the free space runs left in it, if there is much
        (:mod:`summarizer.store.compact`); True if it was rewritten."""
        from summarizer.store.compact import compact

        return compact(self)

    def record_run(self, row: RunRow) -> None:
        """One ``run_log`` row; its columns are :class:`RunRow`'s fields."""
        values = row.values()
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.transaction() as con:
            con.execute(f"INSERT INTO run_log ({columns}) VALUES ({marks})", list(values.values()))


def _empty(column: str) -> str:
    """SQL: the column holds no value (NULL, or an empty list of authors)."""
    if column.endswith("authors"):
        return f"coalesce(len({column}) = 0, true)"
    return f"({column} IS NULL)"


def _missing_fills(names: Sequence[str]) -> str:
    """SQL: the list of these columns that a stored paper has no value for."""
    items = ", ".join(f"CASE WHEN {_empty(n)} THEN '{n}' END" for n in names)
    return f"list_filter([{items}], lambda x: x IS NOT NULL) AS missing"


def _rows(spec: TableSpec[Any], items: Sequence[Any] | pa.Table) -> pa.Table | None:
    """Items (or a table already built from them) as a non-empty Arrow table, else None."""
    import pyarrow as pa

    table = items if isinstance(items, pa.Table) else spec.arrow(items) if items else None
    return table if table is not None and table.num_rows else None
