"""Combining shard databases into one, without duplicates, using DuckDB's ATTACH.

Each table is copied with an anti-join on its natural key, so merging is
idempotent: merging the same shard twice, or shards that overlap, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from summarizer.core.errors import StoreError
from summarizer.store.current import MERGE_CURRENT
from summarizer.store.store import Store

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


def merge(target: Store, shards: Sequence[str | Path]) -> MergeReport:
    """Copy every shard into ``target``; the same paper in two shards is stored once."""
    report = MergeReport()
    for shard in shards:
        path = Path(shard)
        if path.resolve() == target.path.resolve():
            raise StoreError(f"{path} is the merge target itself; pass the shard databases")
        if not path.is_file():
            raise StoreError(f"no shard database at {path}")
        Store(path).close()  # bring an older shard's schema up to date first
        papers_before = _count(target.con, "paper_records")
        extractions_before = _count(target.con, "extractions")
        escaped = str(path).replace("'", "''")
        target.con.execute(f"ATTACH '{escaped}' AS shard (READ_ONLY)")
        try:
            with target.transaction() as con:
                for table, condition in _COPIES.items():
                    con.execute(
                        f"INSERT INTO {table} BY NAME SELECT * FROM shard.{table} s WHERE {condition}"
                    )
                con.execute(
                    f"""
                    UPDATE paper_records SET
                        first_seen = least(paper_records.first_seen, s.first_seen),
                        sources = list_sort(list_distinct(
                            list_concat(paper_records.sources, s.sources))),
                        current_key = {MERGE_CURRENT}
                    FROM shard.paper_records s
                    WHERE paper_records.paper_id = s.paper_id
                    """
                )
        finally:
            target.con.execute("DETACH shard")
        report.shards += 1
        report.papers_added += _count(target.con, "paper_records") - papers_before
        report.extractions_added += _count(target.con, "extractions") - extractions_before
    return report
