"""A paper seen again with more metadata: what was missing is filled in, what was stored is
kept (issue 22, row 5). A listing gives a title and an abstract; an arXiv feed of the same
papers brings the id, the link, the date and the authors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from summarizer.cli import app

TITLE = "Gizmo: Fast Merging of Language Models"
ABSTRACT = "We propose Gizmo, a 7B model for merging. It improves accuracy by 3.5%."


def _listing(path: Path) -> Path:
    path.write_text(f"Mar 14\n\n{TITLE}\n\n{ABSTRACT}\n", encoding="utf-8")
    return path


def _feed(path: Path, **fields: object) -> Path:
    record = {"title": TITLE, "abstract": ABSTRACT, **fields}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def _paper(db: Path) -> tuple[object, ...]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT paper_id, arxiv_id, url, published, authors, sources FROM papers"
        ).fetchall()
    assert len(rows) == 1, rows  # one paper, two sightings
    return rows[0]


def test_a_later_sighting_fills_the_metadata_a_listing_lacked(
    tmp_path: Path, db_path: Path
) -> None:
    runner = CliRunner()
    listing = _listing(tmp_path / "day.txt")
    feed = _feed(
        tmp_path / "feed.jsonl",
        arxiv_id="2408.07055",
        url="https://arxiv.org/abs/2408.07055",
        published="2024-08-13",
        authors=["Ada Lovelace", "Alan Turing"],
    )
    assert runner.invoke(app, ["run", str(listing), "-q"]).exit_code == 0
    _, arxiv_id, *_ = _paper(db_path)
    assert arxiv_id is None
    assert runner.invoke(app, ["run", str(feed), "-q"]).exit_code == 0
    paper_id, arxiv_id, url, published, authors, sources = _paper(db_path)
    assert arxiv_id == "2408.07055"
    assert url == "https://arxiv.org/abs/2408.07055"
    assert str(published) == "2024-08-13"
    assert authors == ["Ada Lovelace", "Alan Turing"]
    assert len(sources) == 2  # type: ignore[arg-type]
    shown = runner.invoke(app, ["show", "2408.07055", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["paper"]["paper_id"] == paper_id


def test_a_later_sighting_never_overwrites_stored_metadata(tmp_path: Path, db_path: Path) -> None:
    runner = CliRunner()
    first = _feed(tmp_path / "first.jsonl", url="https://example.org/first", authors=["A. One"])
    second = _feed(
        tmp_path / "second.jsonl",
        url="https://example.org/second",
        authors=["B. Two"],
        published="2024-01-02",
    )
    assert runner.invoke(app, ["run", str(first), "-q"]).exit_code == 0
    assert runner.invoke(app, ["run", str(second), "-q"]).exit_code == 0
    _, _, url, published, authors, _ = _paper(db_path)
    assert url == "https://example.org/first"
    assert authors == ["A. One"]
    assert str(published) == "2024-01-02"  # missing before: filled
