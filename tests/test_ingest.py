"""Every input format, and every kind of bad input, read into Papers or one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from summarizer.core.errors import InputError
from summarizer.core.paper import Paper
from summarizer.ingest import read_papers

ABSTRACT = (
    "We study how to merge fine-tuned models. We propose MergeKit-X, a method that resolves "
    "sign conflicts between task vectors. It improves accuracy by 2.5% over TIES on eight tasks."
)


def _split(items: list[Paper | InputError]) -> tuple[list[Paper], list[InputError]]:
    papers = [i for i in items if isinstance(i, Paper)]
    errors = [i for i in items if isinstance(i, InputError)]
    return papers, errors


def test_seed_listings_parse_by_structure(seeds: Path) -> None:
    papers, errors = _split(list(read_papers([seeds])))
    assert errors == []
    assert len(papers) == 213
    assert len({p.paper_id for p in papers}) == 182
    first = papers[0]
    assert first.title == "Questioning the Survey Responses of Large Language Models"
    assert first.abstract.startswith("As large language models increase in capability")
    assert first.listing_date is not None and (
        first.listing_date.month,
        first.listing_date.day,
    ) == (3, 14)
    assert first.record == "line 11"


def test_listing_with_long_title_containing_a_question(tmp_path: Path) -> None:
    title = "Mix Data or Merge Models? " + "Balancing Helpfulness and Harmlessness " * 3
    path = tmp_path / "listing.txt"
    path.write_text(
        f"new\n\nSubscribe\n\nApr 2\n\n{title}\n\n{ABSTRACT}\n\nShort Title\n\n{ABSTRACT} More.\n"
    )
    papers, errors = _split(list(read_papers([path])))
    assert [p.title for p in papers] == [title.strip(), "Short Title"]
    assert errors == []


def test_listing_title_without_abstract_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "listing.txt"
    path.write_text(
        f"Mar 3\n\nGood Title\n\n{ABSTRACT}\n\nOrphan Title\n\nMar 4\n\nOther\n\n{ABSTRACT} x.\n"
    )
    papers, errors = _split(list(read_papers([path])))
    assert [p.title for p in papers] == ["Good Title", "Other"]
    assert [str(e) for e in errors] == [f"{path}: line 7: title with no abstract after it"]


def test_jsonl_keeps_good_records_and_names_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    lines = [
        json.dumps(
            {
                "title": "A",
                "abstract": ABSTRACT,
                "id": "2403.01234v2",
                "published": "2024-03-05T00:00:00Z",
            }
        ),
        '{"title": "broken", ',
        json.dumps({"title": "No abstract"}),
        json.dumps({"title": "Summary key", "summary": ABSTRACT + " Again."}),
        json.dumps({"title": "Huge", "abstract": "word " * 1_100_000}),
        "[" * 100_000 + "]" * 100_000,
    ]
    path.write_text("\n".join(lines) + "\n")
    papers, errors = _split(list(read_papers([path])))
    assert [p.title for p in papers] == ["A", "Summary key"]
    assert papers[0].paper_id == "2403.01234"
    assert papers[0].published is not None and papers[0].published.isoformat() == "2024-03-05"
    messages = [str(e) for e in errors]
    assert messages[0].startswith(f"{path}: line 2: broken JSON")
    assert (
        messages[1]
        == f"{path}: line 3: record has no abstract; add an 'abstract' (or 'summary') field"
    )
    assert messages[2].startswith(f"{path}: line 5: abstract is 5,500,000 characters")
    assert messages[3].startswith(f"{path}: line 6: ")
    assert all("\n" not in m for m in messages)


def test_json_array(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    path.write_text(json.dumps([{"title": "A", "abstract": ABSTRACT}, {"title": "B"}]))
    papers, errors = _split(list(read_papers([path])))
    assert [p.title for p in papers] == ["A"]
    assert [str(e) for e in errors] == [
        f"{path}: record 2: record has no abstract; add an 'abstract' (or 'summary') field"
    ]


def test_csv_headers_are_case_insensitive_and_tsv_works(tmp_path: Path) -> None:
    csv_path = tmp_path / "papers.csv"
    csv_path.write_text(f'Title,ABSTRACT,Authors\n"A, b","{ABSTRACT}","X; Y"\n')
    tsv_path = tmp_path / "papers.tsv"
    tsv_path.write_text(f"title\tabstract\nB\t{ABSTRACT}\n")
    papers, errors = _split(list(read_papers([csv_path, tsv_path])))
    assert [p.title for p in papers] == ["A, b", "B"]
    assert papers[0].authors == ["X", "Y"]
    assert errors == []


def test_csv_without_abstract_column_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("title,body\nA,something\n")
    papers, errors = _split(list(read_papers([path])))
    assert papers == []
    assert [str(e) for e in errors] == [
        f"{path}: line 1: no 'abstract' column (found: title, body); rename the column "
        "or pass --input-format if this is not CSV"
    ]


def test_atom_feed(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<entry><id>http://arxiv.org/abs/2401.00001v1</id><published>2024-01-01T00:00:00Z</published>"
        f"<title>Atom  Paper</title><summary>{ABSTRACT}</summary>"
        "<author><name>Ada</name></author></entry>"
        "<entry><id>http://arxiv.org/abs/2401.00002v1</id><title>No summary</title></entry>"
        "</feed>"
    )
    papers, errors = _split(list(read_papers([path])))
    assert [(p.paper_id, p.title, p.authors) for p in papers] == [
        ("2401.00001", "Atom Paper", ["Ada"])
    ]
    assert [str(e) for e in errors] == [
        f"{path}: entry 2: record has no abstract; add an 'abstract' (or 'summary') field"
    ]


def test_empty_binary_and_non_utf8_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    latin = tmp_path / "latin.jsonl"
    good = json.dumps({"title": "Good", "abstract": ABSTRACT})
    latin.write_bytes(good.encode() + b"\n" + b'{"title": "Caf\xe9", "abstract": "x"}\n')
    papers, errors = _split(list(read_papers([empty, binary, latin])))
    assert [p.title for p in papers] == ["Good"]
    assert [str(e) for e in errors] == [
        f"{empty}: file is empty; nothing to ingest",
        f"{binary}: file looks binary (contains NUL bytes); expected text",
        f"{latin}: line 2: not valid UTF-8 (byte 15 of the line); re-save the file as UTF-8",
    ]


def test_control_characters_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(
        json.dumps({"title": "Bell\x07 Title\u200b", "abstract": ABSTRACT + "\x1b[31m"}) + "\n"
    )
    papers, _ = _split(list(read_papers([path])))
    assert papers[0].title == "Bell Title"
    assert "\x1b" not in papers[0].abstract


def test_same_text_gets_same_id_and_limit_stops_reading(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    rows = [
        {"title": "Same  title", "abstract": ABSTRACT},
        {"title": "same title", "abstract": ABSTRACT.upper()},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows * 3))
    papers, _ = _split(list(read_papers([path], limit=2)))
    assert len(papers) == 2
    assert papers[0].paper_id == papers[1].paper_id


def test_missing_path_is_reported(tmp_path: Path) -> None:
    _, errors = _split(list(read_papers([tmp_path / "nope.txt"])))
    assert [str(e) for e in errors] == [f"{tmp_path / 'nope.txt'}: no such file or directory"]
