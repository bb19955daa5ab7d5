"""The numbers behind `summarizer stats`: what is stored, how it was made, what failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from summarizer.store.store import Store, writer_active


@dataclass
class Stats:
    papers: int = 0
    sightings: int = 0
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_backend: list[tuple[str, str, int]] = field(default_factory=list)
    runs: int = 0
    cache_hits: int = 0
    extracted: int = 0
    failures_by_reason: list[tuple[str, str, int]] = field(default_factory=list)
    ungrounded_values: int = 0
    papers_with_ungrounded: int = 0
    recall_warnings: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    batch_tokens: int = 0
    """Of ``tokens``, those answered by provider batch jobs (billed at batch prices)."""
    batch_cost_usd: float = 0.0
    writing: bool = False
    """A run (or another writer) holds the database now: the counts are what it has
    committed so far, and its runs row is written when it finishes."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: every breakdown is a list of objects with named fields."""
        data = dict(self.__dict__)
        data["by_status"] = [{"status": s, "papers": n} for s, n in self.by_status]
        data["by_backend"] = [
            {"backend": b, "model": m, "papers": n} for b, m, n in self.by_backend
        ]
        data["failures_by_reason"] = [
            {"stage": s, "error_type": e, "count": n} for s, e, n in self.failures_by_reason
        ]
        return data


def collect(store: Store) -> Stats:
    one = store.query
    stats = Stats()
    stats.papers = one("SELECT count(*) FROM papers")[0][0]
    stats.sightings = one("SELECT count(*) FROM sightings")[0][0]
    stats.by_status = [
        (r[0], r[1])
        for r in one("SELECT status, count(*) FROM summaries GROUP BY 1 ORDER BY 2 DESC")
    ]
    stats.by_backend = [
        (r[0], r[1], r[2])
        for r in one(
            "SELECT backend, model, count(*) FROM summaries WHERE backend IS NOT NULL "
            "GROUP BY ALL ORDER BY 3 DESC"
        )
    ]
    # runs and cache hits are known once a run finishes; what is stored is counted as
    # committed, so a run in progress shows its papers and results already
    runs = one("SELECT count(*), coalesce(sum(cached), 0) FROM run_log")[0]
    stats.runs, stats.cache_hits = int(runs[0]), int(runs[1])
    stats.extracted = int(one("SELECT count(*) FROM extractions")[0][0])
    stats.failures_by_reason = [
        (r[0], r[1], r[2])
        for r in one(
            "SELECT stage, error_type, count(*) FROM failures GROUP BY ALL ORDER BY 3 DESC"
        )
    ]
    grounded = one(
        "SELECT coalesce(sum(ungrounded), 0), count(*) FILTER (WHERE ungrounded > 0) FROM summaries"
    )[0]
    stats.ungrounded_values, stats.papers_with_ungrounded = int(grounded[0]), int(grounded[1])
    stats.recall_warnings = int(one("SELECT count(*) FROM recall_warnings")[0][0])
    spend = one(
        "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0), coalesce(sum(cost_usd), 0), "
        "coalesce(sum(prompt_tokens + completion_tokens) FILTER (WHERE batch_id IS NOT NULL), 0), "
        "coalesce(sum(cost_usd) FILTER (WHERE batch_id IS NOT NULL), 0) FROM llm_calls"
    )[0]
    stats.tokens, stats.cost_usd = int(spend[0]), float(spend[1])
    stats.batch_tokens, stats.batch_cost_usd = int(spend[2]), float(spend[3])
    stats.writing = writer_active(store.path)
    return stats
