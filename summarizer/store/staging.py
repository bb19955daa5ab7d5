"""Part files a distributed run stages, and their load into the store, each exactly once.

A Ray run's workers never open the database: each writes what it finished to Parquet part
files under the staging folder, one folder per run::

    <staging>/<run id>/results/<batch>-<n>.parquet    rows of EXTRACTIONS
    <staging>/<run id>/failures/<batch>-<n>.parquet   rows of FAILURES
    <staging>/<run id>/calls/<batch>-<n>.parquet      rows of CALLS

with the columns of the stored row (:mod:`summarizer.store.columns`), so loading is a bulk
insert. A part is written to a temporary name and renamed, so a part that exists is whole.
The store records each part it loads in ``staged_parts`` in the same transaction as its
rows; loading again after a crash (or loading a folder twice) skips what is recorded, and a
run folder is deleted only once all of it is loaded.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.store.paths import staging_root
from summarizer.store.store import Store

if TYPE_CHECKING:
    import pyarrow as pa

    from summarizer.store.columns import TableSpec

__all__ = [
    "KINDS",
    "Loaded",
    "clean",
    "drop_if_empty",
    "load",
    "recover",
    "staging_root",
    "write_part",
]

KINDS = ("results", "failures", "calls")
"""Part kinds, in load order."""
PARTS_PER_LOAD = 64
"""Part files read and inserted per transaction: memory stays flat over a big run."""


def spec_of(kind: str) -> TableSpec[Any]:
    from summarizer.store.columns import CALLS, EXTRACTIONS, FAILURES

    specs: dict[str, TableSpec[Any]] = {
        "results": EXTRACTIONS,
        "failures": FAILURES,
        "calls": CALLS,
    }
    return specs[kind]


def write_part(folder: Path, kind: str, name: str, table: pa.Table) -> Path:
    """Write one part whole or not at all (temporary name, then rename)."""
    import pyarrow.parquet as pq

    target = folder / kind / f"{name}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    pq.write_table(table, partial)
    partial.replace(target)
    return target


@dataclass
class Loaded:
    """What one load put in the store."""

    results: int = 0
    failures: int = 0
    calls: int = 0
    parts: int = 0
    already: int = 0
    """Parts skipped because the store had loaded them before."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """What the loaded call records spent."""

    def add(self, kind: str, rows: int) -> None:
        setattr(self, kind, getattr(self, kind) + rows)

    def spent(self, calls: pa.Table) -> None:
        import pyarrow.compute as pc

        for name in ("prompt_tokens", "completion_tokens", "cost_usd"):
            total = pc.sum(calls.column(name)).as_py() or 0
            setattr(self, name, getattr(self, name) + total)


def run_folders(root: Path) -> list[Path]:
    """Run folders under ``root``, oldest first (a left-over one is loaded before a new one)."""
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(folders, key=lambda p: (p.stat().st_mtime, p.name))


def part_id(root: Path, path: Path) -> str:
    """A part's name in ``staged_parts``: its path under the staging folder."""
    return path.relative_to(root).as_posix()


def load(
    store: Store, root: Path, folder: Path, *, replace: bool = False, kinds: tuple[str, ...] = KINDS
) -> Loaded:
    """Load every part of one run folder (of ``kinds``) that the store has not loaded yet."""
    import pyarrow.dataset as ds

    loaded = Loaded()
    for kind in kinds:
        files = sorted((folder / kind).glob("*.parquet")) if (folder / kind).is_dir() else []
        spec = spec_of(kind)
        for start in range(0, len(files), PARTS_PER_LOAD):
            group = files[start : start + PARTS_PER_LOAD]
            names = [part_id(root, f) for f in group]
            done = store.loaded_parts(names)
            loaded.already += len(done)
            todo = [(f, n) for f, n in zip(group, names, strict=True) if n not in done]
            if not todo:
                continue
            tables = [
                ds.dataset(f, format="parquet", schema=spec.schema).to_table() for f, _ in todo
            ]
            staged = [(n, kind, t.num_rows) for (_, n), t in zip(todo, tables, strict=True)]
            import pyarrow as pa

            table = pa.concat_tables(tables)
            rows = {
                "results": (table, (), ()),
                "failures": ((), table, ()),
                "calls": ((), (), table),
            }
            results, failures, calls = rows[kind]
            store.save(results, failures, (), calls, replace=replace, staged=staged)
            loaded.add(kind, table.num_rows)
            loaded.parts += len(todo)
            if kind == "calls":
                loaded.spent(table)
    return loaded


def recover(store: Store, root: Path, *, keep: Path | None = None) -> Loaded:
    """Load what earlier runs staged and never loaded (they crashed, or were killed), then
    delete their folders; ``keep`` is the folder of the run in progress, left alone."""
    total = Loaded()
    for folder in run_folders(root):
        if keep is not None and folder.resolve() == keep.resolve():
            continue
        got = load(store, root, folder)
        for kind in KINDS:
            total.add(kind, getattr(got, kind))
        total.parts += got.parts
        total.already += got.already
        shutil.rmtree(folder, ignore_errors=True)
    drop_if_empty(root)
    return total


def clean(root: Path, folder: Path) -> None:
    """A run's folder once it is loaded; the staging folder too when nothing else is in it."""
    shutil.rmtree(folder, ignore_errors=True)
    drop_if_empty(root)


def drop_if_empty(root: Path) -> None:
    """The staging folder once nothing is left in it: no litter beside the database."""
    try:
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()
    except OSError:
        pass
