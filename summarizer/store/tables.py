"""Small probe tables handed to DuckDB in one statement (ids and keys).

The stored rows, and a chunk of sightings on its way into ``paper_records`` and
``sightings``, are defined in :mod:`summarizer.store.columns`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa


def keys_table(paper_ids: Sequence[str], keys: Sequence[str]) -> pa.Table:
    return pa.table({"paper_id": list(paper_ids), "cache_key": list(keys)})
