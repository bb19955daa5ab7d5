"""Staging tables for a batch of sightings: DuckDB ingests these in one statement.

The stored result rows are defined in :mod:`summarizer.store.columns`; these are only the
shapes a batch passes through on its way into ``paper_records`` and ``sightings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa

from summarizer.core.paper import Paper


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
