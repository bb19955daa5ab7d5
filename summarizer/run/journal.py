"""An append-only journal that makes each paid result durable the moment it arrives.

DuckDB is written in batches (bulk is fast, row-by-row is not), so between two
batches the results live here: one JSON line each, flushed to the OS before the
next request is sent, which survives a crash or SIGKILL of the process. The
next run replays the journal into the database before doing anything else, so
a result is never lost and never bought twice.

A line is the stored row itself, encoded by the row spec
(:mod:`summarizer.store.columns`), so replay builds the same Arrow table a live
flush would. Lines written by summarizer 0.1 (``"item"`` objects) still replay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from summarizer.core.calls import CallRecord
from summarizer.core.identity import CacheIdentity
from summarizer.core.results import Extraction, Failure, GroundedSummary, Usage
from summarizer.core.schema import Summary, upgrade_summary
from summarizer.store.columns import CALLS, EXTRACTIONS, FAILURES, TableSpec
from summarizer.store.paths import journal_path as journal_path

_SPECS: dict[str, TableSpec[Any]] = {"result": EXTRACTIONS, "failure": FAILURES, "call": CALLS}


@dataclass
class Pending:
    """What a journal holds that the database does not, as tables ready to store."""

    results: pa.Table = field(default_factory=EXTRACTIONS.schema.empty_table)
    failures: pa.Table = field(default_factory=FAILURES.schema.empty_table)
    calls: pa.Table = field(default_factory=CALLS.schema.empty_table)

    def __bool__(self) -> bool:
        return bool(self.results.num_rows or self.failures.num_rows or self.calls.num_rows)


class Journal:
    """Append results as they arrive; read back whatever the last run did not commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def append(self, kind: str, item: Extraction | Failure | CallRecord) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        row = _SPECS[kind].row(item)
        self._handle.write(json.dumps({"kind": kind, "row": row}, default=str) + "\n")
        self._handle.flush()

    def pending(self) -> Pending:
        rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in _SPECS}
        if self.path.exists():
            with self.path.open(encoding="utf-8") as handle:
                for line in handle:
                    decoded = _decode(line) if line.strip() else None
                    if decoded is not None:
                        rows[decoded[0]].append(decoded[1])
        return Pending(
            results=EXTRACTIONS.from_rows(rows["result"]),
            failures=FAILURES.from_rows(rows["failure"]),
            calls=CALLS.from_rows(rows["call"]),
        )

    def clear(self) -> None:
        """Called only after the journal's contents are committed to the database."""
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _decode(line: str) -> tuple[str, dict[str, Any]] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None  # a line cut short by a kill: its call is retried, never half-stored
    kind = record.get("kind")
    if kind not in _SPECS:
        return None
    if "row" in record:
        return kind, record["row"]
    legacy = _legacy_item(kind, record.get("item") or {})
    return (kind, _SPECS[kind].row(legacy)) if legacy is not None else None


def _legacy_item(kind: str, item: dict[str, Any]) -> Extraction | Failure | CallRecord | None:
    """A line from a 0.1 journal, left by a run killed before an upgrade."""
    try:
        if kind == "result":
            identity = CacheIdentity(**item["identity"])
            summary = upgrade_summary(item["summary"], identity.schema_version)
            grounded = GroundedSummary(
                summary=Summary.model_validate(summary),
                links=item["links"],
                model_sizes=item["model_sizes"],
                gains=item["gains"],
                code_url=item["code_url"],
                code_url_grounded=item["code_url_grounded"],
                recall_warnings=item.get("recall_warnings", []),
            )
            return Extraction(
                paper_id=item["paper_id"],
                cache_key=item["cache_key"],
                identity=identity,
                grounded=grounded,
                usage=Usage(**item["usage"]) if item["usage"] else None,
                status=item["status"],
                extracted_at=datetime.fromisoformat(item["extracted_at"]),
            )
        if kind == "failure":
            return Failure(**item | {"failed_at": datetime.fromisoformat(item["failed_at"])})
        return CallRecord(**item | {"called_at": datetime.fromisoformat(item["called_at"])})
    except (KeyError, TypeError, ValueError):
        return None


JOURNALS = "journal"
"""A staging folder's subfolder of per-batch journals (see :func:`heal_staged`)."""


def staged_journal(folder: Path, name: str) -> Journal:
    """The journal of one staged part still being gathered: ``<folder>/journal/<name>.jsonl``.
    A Ray worker appends each paid answer to it the moment it arrives, and deletes it once
    the part it becomes is written."""
    return Journal(folder / JOURNALS / f"{name}.jsonl")


def heal_staged(folder: Path, prefix: str = "") -> int:
    """Turn the journals a dead worker left under a staging run ``folder`` into the parts
    they were gathering (same names), so a paid answer that reached staging is loaded, not
    bought again; ``prefix``: only one batch's. Call it only when no worker can still be
    writing them. Returns the results recovered."""
    from summarizer.store.staging import write_part

    recovered = 0
    for path in sorted((folder / JOURNALS).glob(f"{prefix}*.jsonl")):
        pending = Journal(path).pending()
        for kind, table in (
            ("calls", pending.calls),
            ("results", pending.results),
            ("failures", pending.failures),
        ):
            if table.num_rows:
                write_part(folder, kind, path.stem, table)
        recovered += pending.results.num_rows
        path.unlink()
    return recovered
