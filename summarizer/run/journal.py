"""An append-only journal that makes each paid result durable the moment it arrives.

DuckDB is written in batches (bulk is fast, row-by-row is not), so between two
batches the results live here: one JSON line each, flushed to the OS before the
next request is sent, which survives a crash or SIGKILL of the process. The
next run replays the journal into the database before doing anything else, so
a result is never lost and never bought twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from summarizer.core.calls import CallRecord
from summarizer.core.identity import CacheIdentity
from summarizer.core.results import Extraction, Failure, GroundedSummary, Usage
from summarizer.core.schema import Summary


def journal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".journal")


def _encode(kind: str, item: Extraction | Failure | CallRecord) -> str:
    if isinstance(item, Extraction):
        grounded = item.grounded
        payload: dict[str, Any] = {
            "paper_id": item.paper_id,
            "cache_key": item.cache_key,
            "identity": asdict(item.identity) | {"params": dict(item.identity.params)},
            "summary": grounded.summary.model_dump(),
            "links": grounded.links,
            "model_sizes": grounded.model_sizes,
            "gains": grounded.gains,
            "code_url": grounded.code_url,
            "code_url_grounded": grounded.code_url_grounded,
            "recall_warnings": grounded.recall_warnings,
            "usage": asdict(item.usage) if item.usage else None,
            "status": item.status,
            "extracted_at": item.extracted_at.isoformat(),
        }
    else:
        payload = asdict(item)
        for key, value in payload.items():
            if isinstance(value, datetime):
                payload[key] = value.isoformat()
    return json.dumps({"kind": kind, "item": payload}, default=str)


def _decode(line: str) -> Extraction | Failure | CallRecord | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None  # a line cut short by a kill: its call is retried, never half-stored
    kind, item = record.get("kind"), record.get("item", {})
    if kind == "result":
        grounded = GroundedSummary(
            summary=Summary.model_validate(item["summary"]),
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
            identity=CacheIdentity(**item["identity"]),
            grounded=grounded,
            usage=Usage(**item["usage"]) if item["usage"] else None,
            status=item["status"],
            extracted_at=datetime.fromisoformat(item["extracted_at"]),
        )
    if kind == "failure":
        item["failed_at"] = datetime.fromisoformat(item["failed_at"])
        return Failure(**item)
    if kind == "call":
        item["called_at"] = datetime.fromisoformat(item["called_at"])
        return CallRecord(**item)
    return None


class Journal:
    """Append results as they arrive; read back whatever the last run did not commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def append(self, kind: str, item: Extraction | Failure | CallRecord) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(_encode(kind, item) + "\n")
        self._handle.flush()

    def sync(self) -> None:
        if self._handle is not None:
            os.fsync(self._handle.fileno())

    def pending(self) -> list[Extraction | Failure | CallRecord]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            decoded = (_decode(line) for line in handle if line.strip())
            return [item for item in decoded if item is not None]

    def clear(self) -> None:
        """Called only after the journal's contents are committed to the database."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
