"""Column-wise Arrow tables for bulk writes: DuckDB ingests these in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa

from summarizer.core.calls import CallRecord
from summarizer.core.paper import Paper
from summarizer.core.results import Extraction, Failure

_LINK = pa.struct(
    [("url", pa.string()), ("kind", pa.string()), ("start_char", pa.int32()),
     ("end_char", pa.int32()), ("grounded", pa.bool_())]
)  # fmt: skip
_SIZE = pa.struct(
    [("text", pa.string()), ("params", pa.float64()), ("vague", pa.bool_()),
     ("evidence", pa.string()), ("start_char", pa.int32()), ("end_char", pa.int32()),
     ("grounded", pa.bool_())]
)  # fmt: skip
_GAIN = pa.struct(
    [("metric", pa.string()), ("value", pa.float64()), ("unit", pa.string()),
     ("benchmark", pa.string()), ("baseline", pa.string()), ("evidence", pa.string()),
     ("start_char", pa.int32()), ("end_char", pa.int32()), ("grounded", pa.bool_())]
)  # fmt: skip


def papers_table(
    papers: Sequence[Paper], current_keys: Sequence[str | None] | None = None
) -> pa.Table:
    """Papers and their sightings; ``current_keys`` are the results they should point at."""
    now = datetime.now(UTC).replace(tzinfo=None)
    keys = list(current_keys) if current_keys is not None else [None] * len(papers)
    return pa.table(
        {
            "paper_id": [p.paper_id for p in papers],
            "content_hash": [p.content_hash for p in papers],
            "title": [p.title for p in papers],
            "abstract": [p.abstract for p in papers],
            "arxiv_id": [p.arxiv_id for p in papers],
            "url": [p.url for p in papers],
            "published": pa.array([p.published for p in papers], pa.date32()),
            "authors": pa.array([p.authors for p in papers], pa.list_(pa.string())),
            "source": [p.source for p in papers],
            "record": [p.record for p in papers],
            "listing_date": pa.array([p.listing_date for p in papers], pa.date32()),
            "seen_on": pa.array(
                [p.listing_date or p.published or now.date() for p in papers], pa.date32()
            ),
            "ingested_at": pa.array([now] * len(papers), pa.timestamp("us")),
            "current_key": pa.array(keys, pa.string()),
        }
    )


def keys_table(paper_ids: Sequence[str], keys: Sequence[str]) -> pa.Table:
    return pa.table({"paper_id": list(paper_ids), "cache_key": list(keys)})


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def extractions_table(results: Sequence[Extraction]) -> pa.Table:
    summaries = [r.grounded.summary for r in results]
    usage = [r.usage for r in results]
    return pa.table(
        {
            "cache_key": [r.cache_key for r in results],
            "paper_id": [r.paper_id for r in results],
            "backend": [r.identity.backend for r in results],
            "model": [r.identity.model for r in results],
            "prompt_hash": [r.identity.prompt_hash or None for r in results],
            "schema_version": pa.array([r.identity.schema_version for r in results], pa.int32()),
            "status": [r.status for r in results],
            "task": [s.task for s in summaries],
            "task_evidence": [s.task_evidence for s in summaries],
            "method_name": [s.method.name for s in summaries],
            "method_description": [s.method.description for s in summaries],
            "method_evidence": [s.method.evidence for s in summaries],
            "code_url": [r.grounded.code_url for r in results],
            "code_url_evidence": [s.code_url_evidence for s in summaries],
            "code_url_grounded": pa.array(
                [r.grounded.code_url_grounded for r in results], pa.bool_()
            ),
            "links": pa.array([r.grounded.links for r in results], pa.list_(_LINK)),
            "model_sizes": pa.array([r.grounded.model_sizes for r in results], pa.list_(_SIZE)),
            "gains": pa.array([r.grounded.gains for r in results], pa.list_(_GAIN)),
            "grounded_ratio": pa.array([r.grounded.grounded_ratio for r in results], pa.float64()),
            "ungrounded": pa.array([r.grounded.ungrounded for r in results], pa.int32()),
            "prompt_tokens": pa.array([u.prompt_tokens if u else None for u in usage], pa.int64()),
            "completion_tokens": pa.array(
                [u.completion_tokens if u else None for u in usage], pa.int64()
            ),
            "cached_tokens": pa.array([u.cached_tokens if u else None for u in usage], pa.int64()),
            "cost_usd": pa.array([u.cost_usd if u else None for u in usage], pa.float64()),
            "extracted_at": pa.array([_naive(r.extracted_at) for r in results], pa.timestamp("us")),
            "recall_warnings": pa.array(
                [r.grounded.recall_warnings for r in results], pa.list_(pa.string())
            ),
        }
    )


def failures_table(failures: Sequence[Failure]) -> pa.Table:
    return pa.table(
        {
            "paper_id": [f.paper_id for f in failures],
            "cache_key": [f.cache_key for f in failures],
            "stage": [f.stage for f in failures],
            "error_type": [f.error_type for f in failures],
            "message": [f.message for f in failures],
            "attempts": pa.array([f.attempts for f in failures], pa.int32()),
            "tokens": pa.array([f.tokens for f in failures], pa.int64()),
            "source": [f.source for f in failures],
            "record": [f.record for f in failures],
            "failed_at": pa.array([_naive(f.failed_at) for f in failures], pa.timestamp("us")),
        }
    )


def calls_table(calls: Sequence[CallRecord]) -> pa.Table:
    return pa.table(
        {
            "cache_key": [c.cache_key for c in calls],
            "model": [c.model for c in calls],
            "attempt": pa.array([c.attempt for c in calls], pa.int32()),
            "status": pa.array([c.status for c in calls], pa.int32()),
            "latency_ms": pa.array([c.latency_ms for c in calls], pa.float64()),
            "prompt_tokens": pa.array([c.prompt_tokens for c in calls], pa.int64()),
            "completion_tokens": pa.array([c.completion_tokens for c in calls], pa.int64()),
            "cached_tokens": pa.array([c.cached_tokens for c in calls], pa.int64()),
            "cost_usd": pa.array([c.cost_usd for c in calls], pa.float64()),
            "mode": [c.mode for c in calls],
            "error": [c.error for c in calls],
            "called_at": pa.array([_naive(c.called_at) for c in calls], pa.timestamp("us")),
        }
    )
