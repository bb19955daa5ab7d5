"""`summarizer eval`: score what the database holds against a gold file, and keep the scores.

Every (backend, model, prompt) combination stored is scored separately over the
gold papers it covers, and each score lands in ``eval_runs`` so that a prompt or
model change can be compared with the runs before it.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from summarizer.core.errors import ConfigError, InputError
from summarizer.core.schema import Summary
from summarizer.eval.score import FieldScore, GoldRecord, load_gold, pair_up, score
from summarizer.store.columns import summary_of
from summarizer.store.store import Store


@dataclass
class EvalGroup:
    backend: str
    model: str
    prompt_hash: str
    covered: int
    gold_total: int
    scores: list[FieldScore]


def read_gold(path: Path) -> list[GoldRecord]:
    """Load the gold file, turning a malformed one into a single clear error."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such gold file; pass --gold a JSONL gold file (see README)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"unreadable gold file ({exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"line {number}", f"broken JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("title"), str):
            raise InputError(str(path), f"line {number}", "gold record needs a 'title'")
    try:
        return load_gold(path)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            str(path), None, f"not a gold file ({exc}); see the README for the format"
        ) from None


def evaluate_store(store: Store, gold_path: str | Path) -> list[EvalGroup]:
    """Score each stored (backend, model, prompt) over the gold papers it has extracted."""
    gold_path = Path(gold_path)
    gold = read_gold(gold_path)
    cursor = store.con.execute(
        """
        SELECT e.* REPLACE (coalesce(e.prompt_hash, '') AS prompt_hash), p.title,
               p.abstract AS paper_abstract
        FROM extractions e JOIN paper_records p USING (paper_id)
        QUALIFY row_number() OVER (
            PARTITION BY e.paper_id, e.backend, e.model, e.prompt_hash
            ORDER BY e.extracted_at DESC) = 1
        """
    )
    columns = [d[0] for d in cursor.description or []]
    groups: dict[tuple[str, str, str], dict[str, Summary]] = defaultdict(dict)
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        groups[(row["backend"], row["model"], row["prompt_hash"])][row["title"]] = summary_of(
            row, row["paper_abstract"]
        )
    results = []
    for (backend, model, prompt_hash), predictions in sorted(groups.items()):
        pairs, _ = pair_up(predictions, gold)
        if not pairs:
            continue
        covered = [record for _, record in pairs]
        results.append(
            EvalGroup(
                backend, model, prompt_hash, len(covered), len(gold), score(predictions, covered)
            )
        )
    _record(store, gold_path, results)
    return results


def _record(store: Store, gold_path: Path, results: list[EvalGroup]) -> None:
    rows = [(group, field_score) for group in results for field_score in group.scores]
    if not rows:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    eval_id = uuid.uuid4().hex
    table = pa.table(
        {
            "eval_id": [eval_id] * len(rows),
            "evaluated_at": pa.array([now] * len(rows), pa.timestamp("us")),
            "gold_file": [str(gold_path)] * len(rows),
            "gold_papers": pa.array([g.covered for g, _ in rows], pa.int32()),
            "backend": [g.backend for g, _ in rows],
            "model": [g.model for g, _ in rows],
            "prompt_hash": [g.prompt_hash or None for g, _ in rows],
            "field": [s.field for _, s in rows],
            "precision": [s.precision for _, s in rows],
            "recall": [s.recall for _, s in rows],
            "f1": [s.f1 for _, s in rows],
            "support": pa.array([s.support for _, s in rows], pa.int32()),
            "extra": [json.dumps(s.extra) for _, s in rows],
        }
    )
    with store.transaction() as con:
        con.register("new_eval", table)
        con.execute("INSERT INTO eval_runs BY NAME SELECT * FROM new_eval")
        con.unregister("new_eval")
