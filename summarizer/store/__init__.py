"""The DuckDB store: row specs, migrations, views, which result is current, and merge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from summarizer.store.paths import default_db_path

if TYPE_CHECKING:
    from summarizer.store.store import Store

__all__ = ["Store", "default_db_path"]


def __getattr__(name: str) -> Any:
    """``Store`` (and with it DuckDB and pyarrow) is loaded on first use (PEP 562)."""
    if name == "Store":
        from summarizer.store.store import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
