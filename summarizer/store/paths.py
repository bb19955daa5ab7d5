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


def feeds_root(db_path: Path) -> Path:
    """Where the pages fetched from sources are kept (compressed), so a run can be repeated
    offline: ``SUMMARIZER_FEEDS_DIR`` when set, else beside the database."""
    given = os.environ.get("SUMMARIZER_FEEDS_DIR")
    return Path(given) if given else db_path.with_name(db_path.name + ".feeds")


def journal_path(db_path: Path) -> Path:
    """Where a paid run journals each answer before it is committed (see run/journal.py)."""
    return db_path.with_name(db_path.name + ".journal")


def is_database(path: Path) -> bool:
    """Whether ``path`` is an existing DuckDB database file (by its header, not its name)."""
    try:
        with path.open("rb") as handle:
            return handle.read(16)[8:12] == b"DUCK"
    except OSError:
        return False


def refuse_to_overwrite_a_database(target: Path, db: Path, flag: str = "--out") -> None:
    """An output file must never replace a database: the one being read, or any other."""
    from summarizer.core.errors import ConfigError

    same = target.exists() and db.exists() and target.resolve() == db.resolve()
    if same or is_database(target):
        raise ConfigError(
            f"{flag} {target} is a database ({'the one being read' if same else 'DuckDB'}); "
            "nothing was written. Name a new file, e.g. digest.csv"
        )
