"""Issue 13, runs at the floor: a cached re-run builds no Paper, and nothing about identity moves.

The fast paths (reading a record into a :class:`Sighting`, hashing ASCII and NFKC-stable text
without normalising it again, probing the store in bulk) must give exactly the paper ids and
cache keys the plain rules give. Pinned three ways: the reasoning's premises over every code
point, the hashing against ``Paper`` on generated tricky text, and a database written by the
code before the change, re-run with this code.
"""

from __future__ import annotations

import gzip
import random
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import duckdb
import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.core.paper import Paper
from summarizer.ingest import Sighting, read_papers, read_sightings
from summarizer.ingest.records import _ANSI, _CONTROL_TO_SPACE, clean_text, text_identity

FIXTURE = Path(__file__).resolve().parent / "data" / "identity"
FIXTURE_DIR = "/tmp/summarizer-identity-fixture"
runner = CliRunner()


def _code_points() -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def test_case_folding_never_makes_drops_or_changes_whitespace() -> None:
    """Why joined, NFKC-stable text needs no second split after casefold()."""
    for char in _code_points():
        folded = char.casefold()
        if char.isspace():
            assert folded == char
        else:
            assert not any(c.isspace() for c in folded), hex(ord(char))


def test_printable_text_needs_no_cleaning_and_has_only_plain_spaces() -> None:
    """Why printable text skips clean_text and splits only on doubled or outer spaces."""
    for char in _code_points():
        if char.isprintable():
            assert ord(char) not in _CONTROL_TO_SPACE
            assert not char.isspace() or char == " "
    assert re.compile(r"\s").match("\x85") and "\x85".isspace()  # NEL: both agree


def _old_clean(value: str) -> str:
    """clean_text as it was written before the fast paths."""
    if "\x1b" in value:
        value = _ANSI.sub(" ", value)
    return value.translate(_CONTROL_TO_SPACE)


TRICKY = [
    *"ab Z.\t\n\r\x0b\x0c\x1c\x1f\x00\x07\x7f",
    *["ß", "ﬁ", "ﬃ", "Σ", "ς", "σ", "İ", "ǅ", "Å", "Å", "①", "¨", "̈", "ＬＬＭ", "x²", "𝐀"],
    "\x1b[2J", "\u00a0", "\u2003", "\u3000", "\u200b", "\u2028", "\u2029", "\ufeff", "\x85",
    " ", "  ", "e\u0301", "\u00e9",
]  # fmt: skip


def test_text_identity_is_what_paper_makes_of_the_cleaned_text() -> None:
    rnd = random.Random(13)
    for _ in range(20_000):
        pool = TRICKY[: rnd.choice([4, 13, len(TRICKY)])]
        title = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 10)))
        abstract = "".join(rnd.choice(TRICKY) for _ in range(rnd.randint(0, 30)))
        assert clean_text(title) == _old_clean(title)
        paper = Paper(_old_clean(title), _old_clean(abstract), source="s", record="r")
        assert text_identity(title, abstract) == (paper.title, paper.abstract, paper.content_hash)


def test_a_sighting_becomes_the_paper_read_papers_gives() -> None:
    inputs = [FIXTURE / "papers.jsonl", FIXTURE / "papers.csv", FIXTURE / "listing.txt"]
    papers = list(read_papers(inputs))
    sightings = list(read_sightings(inputs))
    assert len(papers) == len(sightings)
    for paper, sighting in zip(papers, sightings, strict=True):
        if isinstance(sighting, Sighting):
            built = sighting.paper()
            assert built == paper
            ordinary = Paper(  # the ordinary way: __post_init__ joins, hashes and names it
                title=_old_clean(sighting.fields.get("title") or ""),
                abstract=_old_clean(
                    sighting.fields.get("abstract") or sighting.fields.get("summary") or ""
                ),
                source=built.source,
                record=built.record,
                arxiv_id=built.arxiv_id,
                url=built.url,
                published=built.published,
                listing_date=built.listing_date,
                authors=built.authors,
            )
            assert built == ordinary
        else:
            assert str(sighting) == str(paper)


def _snapshot(db: Path, prefix: str) -> dict[str, object]:
    con = duckdb.connect(str(db), read_only=True)
    try:

        def rows(sql: str) -> list[tuple[object, ...]]:
            found = con.execute(sql).fetchall()
            return sorted(tuple(str(v).replace(prefix, "{dir}") for v in row) for row in found)

        return {
            "papers": rows(
                "SELECT paper_id, content_hash, current_key, first_seen, sources, title, abstract,"
                " arxiv_id, url, published, authors FROM paper_records"
            ),
            "sightings": rows("SELECT paper_id, source, record, listing_date FROM sightings"),
            "extractions": rows("SELECT cache_key, paper_id FROM extractions"),
            "failures": rows("SELECT stage, source, record, message FROM failures"),
        }
    finally:
        con.close()


def _restore_fixture(tmp_path: Path) -> tuple[Path, Path]:
    """The old database and its inputs, moved to tmp_path (sources renamed to match)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name in ("papers.jsonl", "papers.csv", "listing.txt"):
        shutil.copy(FIXTURE / name, inputs / name)
    db = tmp_path / "before.duckdb"
    db.write_bytes(gzip.decompress((FIXTURE / "before.duckdb.gz").read_bytes()))
    con = duckdb.connect(str(db))
    new = str(inputs)
    con.execute("UPDATE sightings SET source = replace(source, ?, ?)", [FIXTURE_DIR, new])
    con.execute(
        "UPDATE paper_records SET sources = [replace(s, ?, ?) FOR s IN sources]",
        [FIXTURE_DIR, new],
    )
    con.execute("UPDATE failure_log SET source = replace(source, ?, ?)", [FIXTURE_DIR, new])
    _rekey(con)
    con.close()
    return db, inputs


def _rekey(con: duckdb.DuckDBPyConnection) -> None:
    """The fixture's results as the rules of today would have keyed them: the keys derive from
    the content hashes the old code stored, and the rules' identity (its version and the
    schema) has moved on since on purpose; ids and hashes are what this fixture pins."""
    from summarizer.backends.rules.backend import RulesBackend
    from summarizer.core.identity import cache_key

    identity = RulesBackend().identity
    for paper_id, content_hash in con.execute(
        "SELECT paper_id, content_hash FROM paper_records"
    ).fetchall():
        key = cache_key(content_hash, identity)
        con.execute(
            "UPDATE extractions SET cache_key = ?, model = ?, schema_version = ? "
            "WHERE paper_id = ?",
            [key, identity.model, identity.schema_version, paper_id],
        )
        con.execute("UPDATE paper_records SET current_key = ? WHERE paper_id = ?", [key, paper_id])


def _rejections(output: str, inputs: Path) -> list[str]:
    return [
        line.replace(str(inputs), "{dir}")
        for line in output.splitlines()
        if line.startswith("rejected:")
    ]


def test_a_database_written_before_is_fully_cached_with_the_same_identities(
    tmp_path: Path,
) -> None:
    db, inputs = _restore_fixture(tmp_path)
    before = _snapshot(db, str(inputs))
    result = runner.invoke(app, ["run", str(inputs), "--backend", "rules", "--db", str(db), "-q"])
    assert result.exit_code == 1, result.output  # the three bad records, as before
    expected = (FIXTURE / "rejections.txt").read_text(encoding="utf-8").splitlines()
    assert _rejections(result.stderr, inputs) == expected
    assert "papers read 19 (15 distinct) · new 0 · cached 15 · extracted 0" in result.stdout
    assert _snapshot(db, str(inputs)) == before


def test_a_fresh_database_gets_the_same_ids_and_keys(tmp_path: Path) -> None:
    db, inputs = _restore_fixture(tmp_path)
    fresh = tmp_path / "fresh.duckdb"
    result = runner.invoke(
        app, ["run", str(inputs), "--backend", "rules", "--db", str(fresh), "-q"]
    )
    assert result.exit_code == 1
    old, new = _snapshot(db, str(inputs)), _snapshot(fresh, str(inputs))
    key = slice(0, 3)  # paper_id, content_hash, current_key
    assert [row[key] for row in new["papers"]] == [row[key] for row in old["papers"]]  # type: ignore[attr-defined]
    assert new["extractions"] == old["extractions"]
    assert new["sightings"] == old["sightings"]


@pytest.mark.parametrize("how", ["copy", "earlier", "limit", "shard"])
def test_what_a_cached_run_still_records(tmp_path: Path, how: str) -> None:
    """New sightings of stored papers are recorded and may widen first_seen and sources;
    --limit and --shard count papers that need no work like any other."""
    db, inputs = _restore_fixture(tmp_path)
    args = ["run", str(inputs), "--backend", "rules", "--db", str(db), "-q"]
    other = tmp_path / "more"
    other.mkdir()
    if how == "copy":  # a stored paper in a new file: a new sighting and a new source
        (other / "copy.jsonl").write_text(
            (FIXTURE / "papers.jsonl").read_text(encoding="utf-8").split("\n")[6] + "\n",
            encoding="utf-8",
        )
        args[1:2] = [str(inputs), str(other)]
    elif how == "earlier":  # the same record, now dated before the paper was first seen
        lines = (FIXTURE / "papers.jsonl").read_text(encoding="utf-8").split("\n")
        lines[6] = lines[6][:-1] + ', "published": "2001-01-01"}'
        (inputs / "papers.jsonl").write_text("\n".join(lines), encoding="utf-8")
    elif how == "limit":
        args += ["--limit", "4"]
    else:
        args += ["--shard", "1/2"]
    result = runner.invoke(app, args)
    assert "extracted 0" in result.stdout, result.output
    con = duckdb.connect(str(db), read_only=True)
    first_seen, sources = con.execute(
        "SELECT first_seen, sources FROM paper_records WHERE paper_id = '2401.00006'"
    ).fetchone()  # type: ignore[misc]
    sightings = con.execute(
        "SELECT count(*) FROM sightings WHERE paper_id = '2401.00006'"
    ).fetchone()[0]  # type: ignore[index]
    con.close()
    if how == "copy":
        assert "papers read 20 (15 distinct) · new 0 · cached 15" in result.stdout
        assert sightings == 2 and any("more" in s for s in sources)
    elif how == "earlier":
        assert "papers read 19 (15 distinct) · new 0 · cached 15" in result.stdout
        assert str(first_seen) == "2001-01-01" and sightings == 1
    elif how == "limit":
        assert "papers read 4 (" in result.stdout
    else:
        assert "papers read" in result.stdout and "cached 0 ·" not in result.stdout


def test_chunks_start_small_and_grow_while_nothing_needs_work() -> None:
    from summarizer.run.pipeline import _Chunks

    def sizes(total: int, needed: list[bool], ramp: tuple[int, ...] = ()) -> list[int]:
        chunks = _Chunks(cast(Iterator[Any], iter(range(total))), 5000, ramp)
        found = []
        for index, chunk in enumerate(chunks):
            found.append(len(chunk))
            chunks.settled(needed[min(index, len(needed) - 1)])
        return found

    assert sizes(12_000, [True], (500, 1000, 2000)) == [500, 1000, 2000, 5000, 3500]
    assert sizes(40_000, [False]) == [5000, 10_000, 20_000, 5000]
    assert sizes(30_000, [False, True]) == [5000, 10_000, 5000, 5000, 5000]
