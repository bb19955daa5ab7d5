"""Where the database is by default, and the line that says it is missing.

Standard library only: the command line reads these to print its help and check a path
without loading DuckDB.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("cache") / "summarizer.duckdb"


def default_db_path() -> Path:
    return Path(os.environ.get("SUMMARIZER_DB") or DEFAULT_DB)


def missing_database(path: Path) -> str:
    return (
        f"no database at {path}; run `summarizer run INPUT` first, or point --db "
        "(or SUMMARIZER_DB) at an existing database"
    )


def staging_root(db_path: Path) -> Path:
    """Where a Ray run stages results by default: beside the database, so a local cluster
    needs nothing set (see :mod:`summarizer.store.staging`)."""
    return db_path.with_name(db_path.name + ".staging")


def journal_path(db_path: Path) -> Path:
    """Where a paid run journals each answer before it is committed (see run/journal.py)."""
    return db_path.with_name(db_path.name + ".journal")
