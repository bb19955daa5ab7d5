"""Which stored result is current for a paper: decided here, and only here.

A paper's ``current_key`` in ``paper_records`` names the extraction the views show.
The rules:

- A new paper is stored already pointing at the result the run will produce for it
  (:func:`wanted_keys`), so a long run never has to update the rows it inserted.
- A paper stored earlier that points elsewhere (another backend, model or prompt) is
  repointed to the cached result at once, or to its new result once that lands; a
  failed extraction leaves the previous result current (:class:`Repointing`).
- Merging shards keeps the newer of two results (:data:`MERGE_CURRENT`).

The store, the run's result sink and merge all call into this module; none of them
decides on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from summarizer.core.identity import cache_key
from summarizer.core.paper import Paper


def wanted_keys(papers: Sequence[Paper], identity: str | None) -> dict[str, str]:
    """content hash -> the cache key a run with backend ``identity`` (digest) will produce."""
    if not identity:
        return {}
    return {p.content_hash: cache_key(p.content_hash, identity) for p in papers}


def points_elsewhere(stored_key: str | None, wanted: str | None) -> bool:
    """A stored paper needs repointing when this run wants another result for it."""
    return wanted is not None and stored_key != wanted


class Repointing:
    """Pointer changes a run has decided on and not yet written.

    ``point`` makes a result current at the next write; ``on_success`` waits for a paper's
    new result and makes it current when it lands; a failure cancels the wait, so the
    previous result stays current.
    """

    def __init__(self) -> None:
        self._ready: list[tuple[str, str]] = []
        self._waiting: set[str] = set()

    def point(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Make these (paper_id, cache_key) results current at the next write."""
        self._ready.extend(pairs)

    def on_success(self, paper_ids: Iterable[str]) -> None:
        self._waiting.update(paper_ids)

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def landed(self, paper_id: str, key: str) -> None:
        if paper_id in self._waiting:
            self._waiting.discard(paper_id)
            self._ready.append((paper_id, key))

    def failed(self, paper_id: str | None) -> None:
        self._waiting.discard(paper_id or "")

    def __bool__(self) -> bool:
        return bool(self._ready)

    def drain(self) -> list[tuple[str, str]]:
        """The pairs to write now; they are forgotten here once handed over."""
        ready, self._ready = self._ready, []
        return ready


def apply(con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, str]]) -> None:
    """Point each paper at its result; the last pair for a paper wins. Inside the caller's
    transaction, so results and the pointers to them commit together."""
    if not pairs:
        return
    from summarizer.store.tables import keys_table

    ids, keys = zip(*pairs, strict=True)
    con.register("current_keys", keys_table(ids, keys))
    con.execute(
        """
        UPDATE paper_records SET current_key = c.cache_key
        FROM (SELECT paper_id, last(cache_key) AS cache_key
              FROM current_keys GROUP BY paper_id) c
        WHERE paper_records.paper_id = c.paper_id
          AND paper_records.current_key IS DISTINCT FROM c.cache_key
        """
    )
    con.unregister("current_keys")


MERGE_CURRENT = """
    CASE
        WHEN paper_records.current_key IS NULL THEN s.current_key
        WHEN s.current_key IS NULL THEN paper_records.current_key
        WHEN (SELECT extracted_at FROM extractions WHERE cache_key = s.current_key LIMIT 1)
           > (SELECT extracted_at FROM extractions
              WHERE cache_key = paper_records.current_key LIMIT 1)
            THEN s.current_key
        ELSE paper_records.current_key
    END
"""
"""A paper in two merged databases keeps the more recently extracted of its two results."""
