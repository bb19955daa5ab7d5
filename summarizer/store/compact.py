"""Compaction: a database rewritten without the free blocks a run left in it (issue 24).

A run commits chunk after chunk; each commit rewrites the tables' last row groups, and the
blocks they leave behind stay in the file as free space (about a third of it after a first
run). After a run that leaves much free space, the writer copies the database into a fresh
file beside it (DuckDB's ``COPY FROM DATABASE``) and swaps it in with one atomic rename:

- the copy is made while the run still holds the writer lock, from its own connection (one
  consistent snapshot), so nothing is written meanwhile;
- until the rename, the database is the old file, untouched: a crash or Ctrl-C during the
  copy leaves it as it was (and a half-written copy, which the next writer deletes);
- a reader that had the old file open goes on reading it (it stays on disk until closed);
  one that opens after the rename reads the new file, which holds the same rows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from summarizer.store.store import Store

MIN_FREE_BYTES = 8 << 20
"""Compact only when at least this much of the file is free space ..."""
MIN_FREE_SHARE = 0.2
"""... and at least this share of it: a copy costs about as much as writing the data once."""
SUFFIX = ".compacting"


@dataclass(frozen=True)
class Space:
    """A database file's blocks: all of them, and the free ones."""

    block_size: int
    total_blocks: int
    free_blocks: int

    @property
    def free_bytes(self) -> int:
        return self.free_blocks * self.block_size

    @property
    def worth_compacting(self) -> bool:
        share = self.free_blocks / self.total_blocks if self.total_blocks else 0.0
        return self.free_bytes >= MIN_FREE_BYTES and share >= MIN_FREE_SHARE


def space(con: duckdb.DuckDBPyConnection) -> Space:
    row = con.execute(
        "SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()"
        " WHERE database_name = current_database()"
    ).fetchone()
    return Space(*(int(value) for value in row)) if row else Space(0, 0, 0)


def scratch_path(path: Path) -> Path:
    """Where the copy is written: beside the database file (the same file system, so the
    swap is one rename)."""
    target = path.resolve()
    return target.with_name(target.name + SUFFIX)


def remove_scratch(path: Path) -> None:
    """A copy left by a compaction that did not finish (only the writer calls this)."""
    scratch = scratch_path(path)
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def compact(store: Store) -> bool:
    """Rewrite the database without its free blocks if that is worth it; True if it was.

    The store must be a writer holding its lock, with no session open.
    """
    target = store.path.resolve()
    scratch = scratch_path(store.path)
    with store.session() as con:
        if not space(con).worth_compacting:
            return False
        remove_scratch(store.path)
        source = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
        try:
            con.execute(f"SET threads = {max(os.cpu_count() or 1, 1)}")
            con.execute(f"ATTACH '{_quoted(scratch)}' AS summarizer_compacted")
            try:
                con.execute(f'COPY FROM DATABASE "{source}" TO summarizer_compacted')
            finally:
                con.execute("DETACH summarizer_compacted")
        except BaseException:
            remove_scratch(store.path)
            raise
        finally:
            con.execute(f"SET threads = {int(threads)}")
    store._release()  # the old file is closed (checkpointed) before the new one replaces it
    try:
        _sync(scratch)
        shutil.copymode(target, scratch)
        os.replace(scratch, target)
    except BaseException:
        remove_scratch(store.path)
        raise
    _sync(target.parent)
    return True


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _sync(path: Path) -> None:
    """Make a file's (or a folder's entries') writes durable before the rename relies on it."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        handle = os.open(path, flags)
    except OSError:
        return  # a folder that cannot be opened (some platforms): the rename is still atomic
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
