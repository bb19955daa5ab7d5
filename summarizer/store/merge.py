"""Combining shard databases into one, without duplicates, using DuckDB's ATTACH.

Each table is copied with an anti-join on its natural key, so merging is
idempotent: merging the same shard twice, or shards that overlap, changes nothing.

Every shard is checked (it exists, is a summarizer database, is not the target) before
anything is written, shards are only ever read (attached read-only, no lock file beside
them), and all of them are copied in one transaction: a merge lands whole or not at all.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from summarizer.core.errors import ConfigError, StoreError
from summarizer.store.current import MERGE_CURRENT
from summarizer.store.store import NOT_DATABASES, Store

_COPIES = {
    "paper_records": "NOT EXISTS (SELECT 1 FROM paper_records t WHERE t.paper_id = s.paper_id)",
    "sightings": (
        "NOT EXISTS (SELECT 1 FROM sightings t WHERE t.paper_id = s.paper_id "
        "AND t.source = s.source AND t.record = s.record)"
    ),
    "extractions": "NOT EXISTS (SELECT 1 FROM extractions t WHERE t.cache_key = s.cache_key)",
    "failure_log": (
        "NOT EXISTS (SELECT 1 FROM failure_log t WHERE t.failed_at = s.failed_at "
        "AND t.stage = s.stage AND t.message = s.message "
        "AND t.paper_id IS NOT DISTINCT FROM s.paper_id)"
    ),
    "llm_calls": (
        "NOT EXISTS (SELECT 1 FROM llm_calls t WHERE t.called_at = s.called_at "
        "AND t.cache_key = s.cache_key AND t.attempt = s.attempt)"
    ),
    "run_log": "NOT EXISTS (SELECT 1 FROM run_log t WHERE t.run_id = s.run_id)",
    "endpoints": (
        "NOT EXISTS (SELECT 1 FROM endpoints t WHERE t.base_url = s.base_url "
        "AND t.model = s.model AND t.probed_at >= s.probed_at)"
    ),
    "eval_runs": (
        "NOT EXISTS (SELECT 1 FROM eval_runs t WHERE t.eval_id = s.eval_id "
        "AND t.field = s.field AND t.backend = s.backend AND t.model = s.model)"
    ),
}


@dataclass
class MergeReport:
    shards: int = 0
    papers_added: int = 0
    extractions_added: int = 0


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def check_shards(shards: Sequence[str | Path], target: Path) -> list[tuple[Path, int]]:
    """Each SHARD argument and its schema version, or the first wrong one as one line.

    Reads only: nothing is written anywhere, so a mistake in the last argument (a forgotten
    ``--db``) leaves every database as it was.
    """
    if not shards:
        raise ConfigError("merge needs at least one SHARD database")
    from summarizer.store.migrations import MIGRATIONS

    checked: list[tuple[Path, int]] = []
    for index, shard in enumerate(shards):
        path = Path(shard)
        last = index == len(shards) - 1 and len(shards) > 1
        if path.resolve() == target.resolve():
            raise ConfigError(
                f"SHARD {path} is the merge target (--db) itself; nothing was merged. "
                "Pass the shard databases as arguments and the target with --db"
            )
        if path.is_dir():
            raise ConfigError(f"SHARD {path} is a directory; pass shard database files")
        if path.suffix.lower() in NOT_DATABASES:
            raise ConfigError(
                f"SHARD {path} names a {path.suffix} file, not a database; nothing "
                "was merged. Pass the .duckdb files that `summarizer run --shard` wrote"
            )
        if not path.is_file():
            hint = (
                f" (to merge into a new database, name it with --db {path})"
                if last and path.suffix.lower() == ".duckdb"
                else ""
            )
            raise StoreError(f"no shard database at {path}; nothing was merged{hint}")
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
        except OSError as exc:
            raise StoreError(f"cannot read SHARD {path} ({exc.strerror})") from None
        if head[8:12] != b"DUCK":
            raise ConfigError(
                f"SHARD {path} is not a DuckDB database; nothing was merged. Pass the "
                ".duckdb files that `summarizer run --shard` wrote"
            )
        version = _shard_version(path)
        if version > len(MIGRATIONS):
            raise StoreError(
                f"SHARD {path} has schema version {version}, newer than this summarizer "
                f"({len(MIGRATIONS)}); upgrade summarizer"
            )
        checked.append((path, version))
    return checked


def _shard_version(path: Path) -> int:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot open SHARD {path} ({str(exc).strip().splitlines()[0]}); nothing was merged"
        ) from None
    try:
        tables = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        }
        if "schema_migrations" not in tables:
            raise ConfigError(
                f"SHARD {path} is a DuckDB database but not a summarizer one; nothing was "
                "merged. Pass the .duckdb files that `summarizer run --shard` wrote"
            )
        row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


@contextmanager
def _readable(path: Path, version: int, scratch: ExitStack) -> Iterator[Path]:
    """The shard as it is, or, for a shard of an older schema, an upgraded copy: the input
    itself is never written."""
    from summarizer.store.migrations import MIGRATIONS

    if version == len(MIGRATIONS):
        yield path
        return
    folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="summarizer-merge-")))
    copy = folder / path.name
    shutil.copyfile(path, copy)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    Store(copy).close()
    yield copy


def merge(target: Store, shards: Sequence[str | Path]) -> MergeReport:
    """Copy every shard into ``target`` in one transaction; the same paper in two shards is
    stored once. Every shard is checked before anything is written."""
    checked = check_shards(shards, target.path)
    report = MergeReport()
    with ExitStack() as scratch:
        sources = [scratch.enter_context(_readable(p, v, scratch)) for p, v in checked]
        with target.session() as con:
            papers_before = _count(con, "paper_records")
            extractions_before = _count(con, "extractions")
            attached: list[str] = []
            try:
                for index, source in enumerate(sources):
                    escaped = str(source).replace("'", "''")
                    con.execute(f"ATTACH '{escaped}' AS shard{index} (READ_ONLY)")
                    attached.append(f"shard{index}")
                with target.transaction() as tx:
                    for alias in attached:
                        _copy_shard(tx, alias)
                report.papers_added = _count(con, "paper_records") - papers_before
                report.extractions_added = _count(con, "extractions") - extractions_before
            finally:
                for alias in attached:
                    con.execute(f"DETACH {alias}")
    report.shards = len(checked)
    return report


def _copy_shard(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    for table, condition in _COPIES.items():
        con.execute(
            f"INSERT INTO {table} BY NAME SELECT * FROM {alias}.{table} s WHERE {condition}"
        )
    con.execute(
        f"""
        UPDATE paper_records SET
            first_seen = least(paper_records.first_seen, s.first_seen),
            sources = list_sort(list_distinct(
                list_concat(paper_records.sources, s.sources))),
            current_key = {MERGE_CURRENT}
        FROM {alias}.paper_records s
        WHERE paper_records.paper_id = s.paper_id
        """
    )
