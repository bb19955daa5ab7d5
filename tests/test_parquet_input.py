"""Parquet input: rows become papers, bad rows are named `row N`, a table of something else is
skipped in a folder, a damaged file is one line, and a paper hashes as it does from JSONL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.core.errors import InputError
from summarizer.core.paper import Paper, content_hash
from summarizer.ingest import Skipped, read_papers
from summarizer.ingest.count import estimate_papers
from summarizer.ingest.records import MAX_ABSTRACT_CHARS

runner = CliRunner()

ABSTRACT = (
    "We study how to merge fine-tuned models. We propose MergeKit-X, a method that resolves "
    "sign conflicts between task vectors. It improves accuracy by 2.5% over TIES on eight tasks."
)


def _write(path: Path, columns: dict[str, Any], **options: Any) -> Path:
    pq.write_table(pa.table(columns), path, **options)
    return path


def _papers(n: int, start: int = 0) -> dict[str, list[str]]:
    return {
        "title": [f"Paper {i}" for i in range(start, start + n)],
        "abstract": [f"{ABSTRACT} Variant {i}." for i in range(start, start + n)],
    }


def _read(*inputs: Path | str, fmt: str | None = None) -> tuple[list[Paper], list[str], list[str]]:
    """Papers, error lines and skip notes from read_papers."""
    skipped: list[Skipped] = []
    items = list(read_papers(inputs, fmt, on_skip=skipped.append))
    papers = [item for item in items if isinstance(item, Paper)]
    errors = [str(item) for item in items if isinstance(item, InputError)]
    return papers, errors, [str(note) for note in skipped]


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["run", *args, "--backend", "rules", "-q"], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _stored(db: Path) -> list[tuple[str, str]]:
    """(title, the record it was seen as) for every stored paper."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT p.title, s.record FROM papers p JOIN sightings s USING (paper_id) "
            "ORDER BY s.record"
        ).fetchall()
    return [(str(title), str(record)) for title, record in rows]


def _mixed(path: Path) -> Path:
    """Rows 1 and 5 are good; 2 has no abstract, 3 an empty title, 4 an abstract too long."""
    return _write(
        path,
        {
            "title": ["Good first", "No abstract", "  ", "Too long", "Good last"],
            "abstract": [ABSTRACT, None, ABSTRACT, "x" * (MAX_ABSTRACT_CHARS + 1), ABSTRACT + "!"],
        },
    )


def test_good_rows_are_stored_and_bad_rows_are_named_with_the_file(
    tmp_path: Path, db_path: Path
) -> None:
    path = _mixed(tmp_path / "dump.parquet")
    code, out, err = _run(str(path))
    assert code == 1  # some input was rejected
    assert "papers read 2 (2 distinct)" in out and "rejected 3" in out
    assert _stored(db_path) == [("Good first", "row 1"), ("Good last", "row 5")]
    rejected = [line for line in err.splitlines() if line.startswith("rejected: ")]
    assert rejected == [
        f"rejected: {path}: row 2: record has no abstract; add an 'abstract' (or 'summary') field",
        f"rejected: {path}: row 3: record has no title; add a 'title' field",
        f"rejected: {path}: row 4: abstract is 20,001 characters (limit 20,000); pass the "
        "abstract, not the full paper",
    ]


def test_rows_are_numbered_across_batches(tmp_path: Path) -> None:
    columns = _papers(2_500)
    columns["abstract"][2_099] = ""
    path = _write(tmp_path / "big.parquet", columns, row_group_size=1_000)
    papers, errors, _ = _read(path)
    assert len(papers) == 2_499
    assert papers[-1].record == "row 2500" and papers[-1].title == "Paper 2499"
    assert errors == [
        f"{path}: row 2100: record has no abstract; add an 'abstract' (or 'summary') field"
    ]


def test_columns_in_any_case_list_authors_and_date_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "mixed_case.parquet",
        {
            "Title": ["Dated by day", "Dated by timestamp"],
            "ABSTRACT": [ABSTRACT, ABSTRACT + " Again."],
            "Authors": pa.array([["Ada Lovelace", "Alan Turing"], None], pa.list_(pa.string())),
            "Published": pa.array([date(2024, 3, 14), None], pa.date32()),
            "date": pa.array(
                [None, datetime(2024, 3, 15, 23, 30, tzinfo=UTC)],
                pa.timestamp("ns", tz="UTC"),
            ),
            "Arxiv_ID": ["2403.01234", None],
        },
    )
    papers, errors, _ = _read(path)
    assert errors == []
    assert [(p.title, p.authors, p.published, p.arxiv_id) for p in papers] == [
        ("Dated by day", ["Ada Lovelace", "Alan Turing"], date(2024, 3, 14), "2403.01234"),
        ("Dated by timestamp", [], date(2024, 3, 15), None),
    ]


def test_authors_as_a_list_of_structs_and_summary_for_the_abstract(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "hf.parquet",
        {
            "title": ["From the hub"],
            "summary": [ABSTRACT],
            "authors": [[{"name": "Grace Hopper"}, {"name": "Edsger Dijkstra"}]],
        },
    )
    papers, errors, _ = _read(path)
    assert errors == []
    assert [(p.abstract, p.authors) for p in papers] == [
        (ABSTRACT, ["Grace Hopper", "Edsger Dijkstra"])
    ]


def test_a_table_of_something_else_is_skipped_in_a_folder_and_rejected_when_named(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    _write(folder / "papers.parquet", _papers(2))
    other = _write(folder / "people.parquet", {"name": ["Ada"], "email": ["ada@example.org"]})
    papers, errors, notes = _read(folder)
    assert [p.title for p in papers] == ["Paper 0", "Paper 1"]
    assert errors == []
    assert notes == [
        f"skipped {other}: holds no papers (no 'title' or 'abstract' column (found: name, email))"
    ]
    papers, errors, notes = _read(other)
    assert (papers, notes) == ([], [])
    assert errors == [
        f"{other}: no 'title' or 'abstract' column (found: name, email); rename the columns or "
        "pass --input-format if this is not Parquet"
    ]


def test_a_table_with_only_one_paper_column_is_an_error_even_in_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    _write(folder / "titles.parquet", {"title": ["Only a title"], "body": [ABSTRACT]})
    _write(folder / "abstracts.parquet", {"Name": ["A name"], "Summary": [ABSTRACT]})
    papers, errors, notes = _read(folder)
    assert (papers, notes) == ([], [])
    assert errors == [
        f"{folder / 'abstracts.parquet'}: no 'title' column (found: Name, Summary); rename the "
        "title column to 'title'",
        f"{folder / 'titles.parquet'}: no 'abstract' column (found: title, body); rename the "
        "abstract column to 'abstract' (or 'summary')",
    ]


def test_a_run_over_a_folder_reads_parquet_next_to_jsonl(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    _write(folder / "a.parquet", _papers(2))
    _write(folder / "people.parquet", {"name": ["Ada"]})
    (folder / "b.jsonl").write_text(
        json.dumps({"title": "From JSONL", "abstract": ABSTRACT}) + "\n"
    )
    code, out, err = _run(str(folder))
    assert code == 0, err
    assert "papers read 3 (3 distinct)" in out and "rejected 0" in out
    assert f"note: skipped {folder / 'people.parquet'}: holds no papers" in err
    assert sorted(title for title, _ in _stored(db_path)) == ["From JSONL", "Paper 0", "Paper 1"]


def test_a_damaged_parquet_file_is_one_line_and_no_traceback(tmp_path: Path, db_path: Path) -> None:
    good = _write(tmp_path / "good.parquet", _papers(3))
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:-20])  # the footer is gone
    fake = tmp_path / "fake.parquet"
    fake.write_text("title,abstract\nnot,parquet\n")
    code, out, err = _run(str(cut), str(fake), str(good))
    assert code == 1
    assert "Traceback" not in err and "Traceback" not in out
    assert "papers read 3" in out
    rejected = [line for line in err.splitlines() if line.startswith("rejected: ")]
    assert [line.split(": ", 2)[1] for line in rejected] == [str(cut), str(fake)]
    for line in rejected:
        assert ": not a readable Parquet file (" in line
        assert line.endswith(
            "is it complete? Export it again, or pass --input-format if it is not Parquet"
        )


def test_rows_after_a_damaged_row_group_are_one_error_after_the_good_ones(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "damaged.parquet",
        _papers(4_096),
        row_group_size=2_048,
        compression="none",
        use_dictionary=False,
    )
    offset = pq.ParquetFile(path).metadata.row_group(1).column(0).data_page_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 8] = b"\xff" * 8  # the second row group's first page header
    path.write_bytes(bytes(data))
    papers, errors, _ = _read(path)
    assert len(papers) == 2_048 and papers[-1].record == "row 2048"
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}: row 2049: cannot read the rows from here on (")
    assert errors[0].endswith("); the file is damaged: export it again")
    assert errors[0].isprintable()


def test_format_parquet_on_the_command_line(tmp_path: Path, db_path: Path) -> None:
    path = _write(tmp_path / "export.txt", _papers(2))  # the name says listing
    code, _, err = _run(str(path))
    assert code == 1
    assert f"rejected: {path}: file looks like Parquet, not listing; pass --input-format parquet" in err
    code, out, err = _run(str(path), "--format", "parquet")
    assert code == 0, err
    assert "papers read 2 (2 distinct)" in out
    assert _stored(db_path) == [("Paper 0", "row 1"), ("Paper 1", "row 2")]


def test_parquet_is_detected_by_its_magic_without_a_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path / "dump", _papers(1))
    papers, errors, _ = _read(path)
    assert errors == [] and [p.record for p in papers] == ["row 1"]


def test_stdin_cannot_be_parquet(tmp_path: Path, db_path: Path) -> None:
    data = _write(tmp_path / "p.parquet", _papers(1)).read_bytes()
    message = (
        "rejected: <stdin>: Parquet cannot be read from stdin (the reader needs a file it can "
        "seek in); save it to a file and pass its path"
    )
    for args in (["-"], ["-", "--format", "parquet"]):
        code, _, err = _run(*args, stdin=data)
        assert code == 1
        assert message in err and "Traceback" not in err


def test_estimate_papers_reads_the_row_count(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    _write(folder / "a.parquet", _papers(1_234), row_group_size=500)
    _write(folder / "people.parquet", {"name": ["Ada"] * 50})  # skipped by a run: not counted
    (folder / "broken.parquet").write_bytes(b"PAR1 and nothing else")
    assert estimate_papers([folder]) == 1_234
    assert estimate_papers([folder / "a.parquet"], "parquet") == 1_234


def test_the_same_papers_hash_alike_from_parquet_and_jsonl(tmp_path: Path) -> None:
    records = [
        {
            "title": "  Mixed   Case Title  ",
            "abstract": f"{ABSTRACT}\n\nSecond paragraph, ünïcode ﬁ.",
            "id": "2401.00001",
            "authors": ["Ada Lovelace"],
            "published": "2024-01-02",
            "url": None,
        },
        {
            "title": "No identifier",
            "abstract": ABSTRACT,
            "id": None,
            "authors": None,
            "published": None,
            "url": "https://example.org/p",
        },
    ]
    jsonl = tmp_path / "papers.jsonl"
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in records))
    parquet = tmp_path / "papers.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet)

    def identity(path: Path) -> list[tuple[Any, ...]]:
        papers, errors, _ = _read(path)
        assert errors == []
        return [
            (p.paper_id, p.content_hash, p.title, p.abstract, p.arxiv_id, p.url, p.authors,
             p.published)
            for p in papers
        ]  # fmt: skip

    from_parquet = identity(parquet)
    assert from_parquet == identity(jsonl)
    assert [row[0] for row in from_parquet] == [
        "2401.00001",
        "h" + content_hash("No identifier", ABSTRACT)[:20],
    ]
