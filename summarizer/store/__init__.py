"""The DuckDB store: row specs, migrations, views, which result is current, and merge."""

from summarizer.store.store import Store, default_db_path

__all__ = ["Store", "default_db_path"]
