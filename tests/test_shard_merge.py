"""Sharding an input across workers and merging their databases without duplicates."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from summarizer.cli import app

runner = CliRunner()


def counts(db: Path) -> tuple[int, ...]:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "select (select count(*) from papers), (select count(*) from sightings),"
            " (select count(*) from extractions), (select count(distinct paper_id) from papers),"
            " (select count(*) from summaries where status = 'ok')"
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_three_shards_merge_into_one_database(seeds: Path, tmp_path: Path) -> None:
    shards = []
    for index in (1, 2, 3):
        db = tmp_path / f"shard{index}.duckdb"
        result = runner.invoke(
            app, ["run", str(seeds), "--db", str(db), "--shard", f"{index}/3", "-q"]
        )
        assert result.exit_code == 0, result.output
        shards.append(db)
    per_shard = [counts(db)[0] for db in shards]
    assert sum(per_shard) == 182 and all(n > 30 for n in per_shard)
    merged = tmp_path / "merged.duckdb"
    result = runner.invoke(app, ["merge", *map(str, shards), "--db", str(merged)])
    assert result.exit_code == 0, result.output
    assert f"merged 3 shards into {merged} · 182 papers and 182 extractions added" in result.stdout
    assert counts(merged) == (182, 213, 182, 182, 182)
    again = runner.invoke(app, ["merge", *map(str, shards), "--db", str(merged)])
    assert "0 papers and 0 extractions added" in again.stdout
    assert counts(merged) == (182, 213, 182, 182, 182)
    single = tmp_path / "single.duckdb"
    runner.invoke(app, ["run", str(seeds), "--db", str(single), "-q"])
    with (
        duckdb.connect(str(merged), read_only=True) as a,
        duckdb.connect(str(single), read_only=True) as b,
    ):
        query = (
            "select paper_id, code_url, model_sizes, first_seen, sources from summaries order by 1"
        )
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_bad_shard_spec_is_a_config_error(seeds: Path) -> None:
    result = runner.invoke(app, ["run", str(seeds), "--shard", "4/3"])
    assert result.exit_code == 2 and "i must be between 1 and n" in result.stderr
    result = runner.invoke(app, ["merge", "nope.duckdb"])
    assert result.exit_code == 3 and "no shard database at nope.duckdb" in result.stderr
