"""Inputs a newcomer throws at the CLI: stdin, .gz, wrapped and pretty JSON, the Hugging Face
daily-papers shape, arXiv RSS, empty feeds, folders with other files in them, UTF-16, `;` CSV
and listings with short abstracts."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.core.errors import InputError
from summarizer.core.paper import Paper
from summarizer.ingest import Skipped, read_papers

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

ABSTRACT = (
    "We study how to merge fine-tuned models. We propose MergeKit-X, a method that resolves "
    "sign conflicts between task vectors. It improves accuracy by 2.5% over TIES on eight tasks."
)


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


def _jsonl(*titles: str) -> str:
    return "".join(json.dumps({"title": t, "abstract": f"{ABSTRACT} {t}."}) + "\n" for t in titles)


def _sightings(db: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT source, record FROM sightings ORDER BY record").fetchall()
    return [(str(source), str(record)) for source, record in rows]


ARXIV_RSS = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>cs.CL updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.CL</link>
    <description>cs.CL updates on the arXiv.org e-print archive.</description>
    <atom:link href="https://rss.arxiv.org/rss/cs.CL" rel="self" type="application/rss+xml"/>
    <language>en-us</language>
    <lastBuildDate>Mon, 02 Dec 2024 05:00:00 +0000</lastBuildDate>
    {items}
  </channel>
</rss>
"""
RSS_ITEM = (
    "<item>\n"
    "      <title>{title}</title>\n"
    "      <link>https://arxiv.org/abs/{arxiv_id}</link>\n"
    "      <description>arXiv:{arxiv_id}v1 Announce Type: new \nAbstract: {abstract}</description>\n"
    '      <guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v1</guid>\n'
    "      <category>cs.CL</category>\n"
    "      <arxiv:announce_type>new</arxiv:announce_type>\n"
    "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
    "      <dc:creator>Ada Lovelace, Alan Turing and Grace Hopper</dc:creator>\n"
    "      <pubDate>Mon, 02 Dec 2024 00:00:00 -0500</pubDate>\n"
    "    </item>"
)


def _rss(*ids: str) -> str:
    items = "\n    ".join(
        RSS_ITEM.format(title=f"Paper {i}", arxiv_id=i, abstract=ABSTRACT) for i in ids
    )
    return ARXIV_RSS.replace("{items}", items)


# 1. stdin


def test_stdin_in_a_real_process_is_sniffed_and_recorded_as_stdin(tmp_path: Path) -> None:
    db = tmp_path / "stdin.duckdb"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "summarizer", "run", "-", "--db", str(db), "--backend", "rules"],
        input=_jsonl("From a pipe", "Also piped").encode(),
        capture_output=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "papers read 2 (2 distinct)" in result.stdout.decode()
    assert _sightings(db) == [("<stdin>", "line 1"), ("<stdin>", "line 2")]


def test_stdin_takes_format_from_its_first_bytes_or_from_format(db_path: Path) -> None:
    code, out, err = _run("-", stdin=_rss("2412.00001").encode())
    assert (code, err) == (0, "")
    assert "papers read 1" in out
    listing = f"Dec 2\n\nA Listing On Stdin\n\n{ABSTRACT}\n"
    code, out, _ = _run("-", "--format", "listing", stdin=listing.encode())
    assert code == 0 and "papers read 1" in out
    code, out, err = _run("-", stdin=gzip.compress(_jsonl("Zipped pipe").encode()))
    assert code == 0 and "papers read 1" in out, err


def test_empty_stdin_is_one_line(db_path: Path) -> None:
    code, _, err = _run("-", stdin=b"")
    assert code == 1
    assert "rejected: <stdin>: file is empty; nothing to ingest" in err


# 2. .gz


def test_gz_files_take_their_format_from_the_inner_name_or_the_content(tmp_path: Path) -> None:
    jsonl = tmp_path / "papers.jsonl.gz"
    jsonl.write_bytes(gzip.compress(_jsonl("Gz one", "Gz two").encode()))
    csv = tmp_path / "table.csv.gz"
    csv.write_bytes(gzip.compress(f"title;abstract\nGz csv;{ABSTRACT}\n".encode()))
    unnamed = tmp_path / "listing.gz"
    unnamed.write_bytes(gzip.compress(f"Mar 3\n\nGz Listing\n\n{ABSTRACT}\n".encode()))
    papers, errors, _ = _read(jsonl, csv, unnamed)
    assert errors == []
    assert [(p.title, p.source, p.record) for p in papers] == [
        ("Gz one", str(jsonl), "line 1"),
        ("Gz two", str(jsonl), "line 2"),
        ("Gz csv", str(csv), "line 2"),
        ("Gz Listing", str(unnamed), "line 3"),
    ]


def test_a_cut_off_gz_streams_what_it_holds_then_says_so(tmp_path: Path) -> None:
    data = gzip.compress(_jsonl(*(f"Paper {i}" for i in range(3000))).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    papers, errors, _ = _read(path)
    assert 0 < len(papers) < 3000  # read as a stream: the intact part is kept
    assert errors == [
        f"{path}: cannot decompress (Compressed file ended before the end-of-stream marker "
        "was reached); is the .gz file complete?"
    ]


# 3. JSON documents


@pytest.mark.parametrize("key", ["data", "papers", "results", "entries"])
def test_pretty_printed_wrapper_objects_are_read(tmp_path: Path, key: str) -> None:
    path = tmp_path / "wrapped.json"
    path.write_text(
        json.dumps(
            {"count": 2, key: [{"title": "A", "abstract": ABSTRACT}, {"title": "B"}]}, indent=2
        )
    )
    papers, errors, _ = _read(path)
    assert [p.title for p in papers] == ["A"]
    assert errors == [
        f"{path}: record 2: record has no abstract; add an 'abstract' (or 'summary') field"
    ]


def test_pretty_printed_array_single_object_and_one_line_wrapper(tmp_path: Path) -> None:
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"title": "In array", "abstract": ABSTRACT}], indent=4))
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"title": "Alone", "abstract": ABSTRACT}, indent=2) + "\n")
    one_line = tmp_path / "one_line.jsonl"
    one_line.write_text(json.dumps({"data": [{"title": "Wrapped", "abstract": ABSTRACT}]}))
    papers, errors, _ = _read(array, single, one_line)
    assert errors == []
    assert [(p.title, p.record) for p in papers] == [
        ("In array", "record 1"),
        ("Alone", "record 1"),
        ("Wrapped", "line 1 record 1"),
    ]


def test_a_broken_pretty_document_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "data": [\n    {"title": "A" "abstract": "B"}\n  ]\n}\n')
    _, errors, _ = _read(path)
    assert errors == [
        f"{path}: line 3: broken JSON at column 19 (Expecting ',' delimiter); "
        "fix the file or export it again"
    ]


# 4. the Hugging Face daily-papers shape


def test_nested_paper_records_are_read(tmp_path: Path) -> None:
    records = [
        {
            "paper": {
                "id": "2412.00001",
                "authors": [{"_id": "x1", "name": "Ada Lovelace", "hidden": False}],
                "publishedAt": "2024-11-29T18:59:59.000Z",
                "title": "Daily Paper",
                "summary": ABSTRACT,
                "upvotes": 12,
            },
            "publishedAt": "2024-12-02T03:00:00.000Z",
            "title": "Daily Paper",
            "numComments": 2,
        },
        {"paper": {"id": "2412.00002", "title": "No summary"}, "publishedAt": "2024-12-02"},
    ]
    path = tmp_path / "daily_papers.json"
    path.write_text(json.dumps(records, indent=2))
    papers, errors, _ = _read(path)
    (paper,) = papers
    assert (paper.paper_id, paper.title, paper.authors) == (
        "2412.00001",
        "Daily Paper",
        ["Ada Lovelace"],
    )
    assert paper.published is not None and paper.published.isoformat() == "2024-11-29"
    assert paper.abstract == ABSTRACT
    assert errors == [
        f"{path}: record 2: record has no abstract; add an 'abstract' (or 'summary') field"
    ]


# 5. arXiv RSS


def test_arxiv_rss_is_detected_and_the_announcement_prefix_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cs.CL.xml"
    path.write_text(_rss("2412.00001", "2412.00002"))
    papers, errors, _ = _read(path)
    assert errors == []
    first = papers[0]
    assert (first.paper_id, first.title, first.record) == (
        "2412.00001",
        "Paper 2412.00001",
        "item 1",
    )
    assert first.abstract == ABSTRACT
    assert first.url == "https://arxiv.org/abs/2412.00001"
    assert first.authors == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert first.published is not None and first.published.isoformat() == "2024-12-02"
    assert [p.paper_id for p in papers] == ["2412.00001", "2412.00002"]


def test_rss_items_without_an_abstract_are_named(tmp_path: Path) -> None:
    path = tmp_path / "feed.rss"
    path.write_text(_rss("2412.00003").replace(f"Abstract: {ABSTRACT}", "Abstract: "))
    papers, errors, _ = _read(path, fmt="rss")
    assert papers == []
    assert errors == [
        f"{path}: item 1: record has no abstract; add an 'abstract' (or 'summary') field"
    ]


# 6. empty feeds


@pytest.mark.parametrize(
    ("name", "feed"),
    [
        (
            "quiet.atom",
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><title>arXiv Query</title>'
            "<opensearch:totalResults>0</opensearch:totalResults></feed>",
        ),
        ("quiet.xml", _rss()),
    ],
)
def test_an_empty_feed_is_zero_papers_not_an_error(
    tmp_path: Path, db_path: Path, name: str, feed: str
) -> None:
    path = tmp_path / name
    path.write_text(feed)
    code, out, err = _run(str(path))
    assert (code, err) == (0, "")
    assert "papers read 0" in out


def test_xml_that_is_no_feed_is_still_an_error_when_named(tmp_path: Path) -> None:
    path = tmp_path / "pom.xml"
    path.write_text('<?xml version="1.0"?><project><name>x</name></project>')
    _, errors, _ = _read(path)
    assert errors == [
        f"{path}: no <entry> elements and the root is <project>, not <feed>: not an arXiv Atom feed"
    ]


# 7 and 8. folders


def _folder_with_other_files(root: Path) -> Path:
    folder = root / "inbox"
    (folder / ".git" / "objects").mkdir(parents=True)
    (folder / ".cache").mkdir()
    (folder / "scripts").mkdir()
    (folder / "papers.jsonl").write_text(_jsonl("Good one", "Good two"))
    (folder / "NOTES.md").write_text("# Notes\n\n- rerun the March batch\n- ask about the CSV\n")
    (folder / "README").write_text("Nightly dumps land here.\n")
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "scripts" / "fetch.py").write_text("print('fetching')\n")
    (folder / "config.json").write_text(json.dumps({"endpoint": "local", "retries": 3}, indent=2))
    (folder / "people.csv").write_text("name,email\nAda,ada@example.org\n")
    (folder / ".git" / "objects" / "pack.jsonl").write_text(_jsonl("Hidden in git"))
    (folder / ".cache" / "old.jsonl").write_text(_jsonl("Hidden in cache"))
    return folder


def test_hidden_folders_and_non_paper_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    folder = _folder_with_other_files(tmp_path)
    papers, errors, notes = _read(folder)
    assert [p.title for p in papers] == ["Good one", "Good two"]
    assert errors == []
    assert notes == [
        f"skipped {folder / 'NOTES.md'}: holds no papers (no papers found: expected a title "
        "line, a blank line and an abstract paragraph per paper)",
        f"skipped {folder / 'README'}: holds no papers (no papers found: expected a title "
        "line, a blank line and an abstract paragraph per paper)",
        f"skipped {folder / 'config.json'}: holds no papers (a JSON object with no paper fields "
        "(title, abstract) and no list of papers under 'papers', 'data', 'results', 'entries')",
        f"skipped {folder / 'figure.png'}: not a paper file (.png)",
        f"skipped {folder / 'people.csv'}: holds no papers (no 'title' column (found: name, "
        "email))",
        f"skipped {folder / 'scripts' / 'fetch.py'}: not a paper file (.py)",
    ]


def test_a_run_over_such_a_folder_exits_0_and_prints_the_notes(
    db_path: Path, tmp_path: Path
) -> None:
    folder = _folder_with_other_files(tmp_path)
    code, out, err = _run(str(folder))
    assert code == 0, err
    assert "papers read 2 (2 distinct)" in out and "rejected 0" in out
    notes = [line for line in err.splitlines() if line.startswith("note: skipped ")]
    assert len(notes) == 6
    assert f"note: skipped {folder / 'figure.png'}: not a paper file (.png)" in notes


def test_a_non_paper_file_named_on_its_own_is_an_error(tmp_path: Path) -> None:
    folder = _folder_with_other_files(tmp_path)
    _, errors, notes = _read(folder / "NOTES.md", folder / "config.json")
    assert notes == []
    assert [e.split(": ", 1)[1] for e in errors] == [
        "no papers found: expected a title line, a blank line and an abstract paragraph per "
        "paper; pass --input-format if this is not a listing",
        "a JSON object with no paper fields (title, abstract) and no list of papers under "
        "'papers', 'data', 'results', 'entries'",
    ]


def test_bad_records_inside_paper_files_in_a_folder_are_still_errors(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "papers.jsonl").write_text(_jsonl("Fine") + '{"title": "cut\n')
    (folder / "dated.txt").write_text("Mar 3\n\nOnly A Title\n\nMar 4\n")
    (folder / "half.csv").write_text("title,body\nA,B\n")
    papers, errors, notes = _read(folder)
    assert [p.title for p in papers] == ["Fine"]
    assert notes == []
    assert errors == [
        f"{folder / 'dated.txt'}: no papers found: expected a title line, a blank line and an "
        "abstract paragraph per paper; pass --input-format if this is not a listing",
        f"{folder / 'half.csv'}: line 1: no 'abstract' column (found: title, body); rename the "
        "column or pass --input-format if this is not CSV",
        f"{folder / 'papers.jsonl'}: line 2: broken JSON at column 11 (Unterminated string "
        "starting at): the line ends too early; is it cut short? Fix or drop it",
    ]


def test_a_folder_with_no_paper_files_at_all_is_an_error(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "README.md").write_text("# Docs\n\nNothing here yet.\n")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    code, _, err = _run(str(folder))
    assert code == 1
    assert (
        f"rejected: {folder}: no paper files in this folder (2 skipped as not papers; "
        "see the notes)"
    ) in err


def test_many_skipped_files_get_a_count_not_a_note_each(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "figures"
    folder.mkdir()
    for index in range(25):
        (folder / f"figure{index:02}.png").write_bytes(b"\x89PNG")
    (folder / "papers.jsonl").write_text(_jsonl("Among figures"))
    code, _, err = _run(str(folder))
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert code == 0
    assert len(notes) == 21 and notes[-1] == "note: ... and 5 more files skipped"


# 9. error positions


def test_a_truncated_jsonl_line_names_the_real_column(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"title": "A", "abstract": "B"\r\n{"title": , "abstract": "C"}\n'
    )
    _, errors, _ = _read(path)
    assert errors == [
        f"{path}: line 1: broken JSON at column 31 (Expecting ',' delimiter): the line ends "
        "too early; is it cut short? Fix or drop it",
        f"{path}: line 2: broken JSON at column 11 (Expecting value); fix or drop the line",
    ]


# 10. encodings


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8", "utf-32-le"])
def test_text_is_decoded_by_its_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.jsonl"
    path.write_bytes(("\ufeff" + _jsonl("Café über naïve", "Second")).encode(encoding))
    papers, errors, _ = _read(path)
    assert errors == []
    assert [(p.title, p.record) for p in papers] == [
        ("Café über naïve", "line 1"),
        ("Second", "line 2"),
    ]


def test_utf16_tsv_and_listing_and_a_bad_unit_names_its_line(tmp_path: Path) -> None:
    tsv = tmp_path / "excel.tsv"
    tsv.write_bytes(f"\ufefftitle\tabstract\r\nFrom Excel\t{ABSTRACT}\r\n".encode("utf-16-le"))
    listing = tmp_path / "listing.txt"
    listing.write_bytes(f"\ufeffMar 3\n\nSixteen\n\n{ABSTRACT}\n".encode("utf-16-be"))
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(
        ("\ufeff" + _jsonl("Before")).encode("utf-16-le") + b"\x00\xd8" + "x\n".encode("utf-16-le")
    )
    papers, errors, _ = _read(tsv, listing, bad)
    assert [p.title for p in papers] == ["From Excel", "Sixteen", "Before"]
    assert errors == [
        f"{bad}: line 2: not valid UTF-16 (illegal UTF-16 surrogate); re-save the file as UTF-8"
    ]


# 11. CSV delimiters


def test_the_csv_delimiter_is_sniffed_and_tsv_stays_tab(tmp_path: Path) -> None:
    semicolon = tmp_path / "semicolon.csv"
    semicolon.write_text(f'title;abstract;authors\n"A; b";{ABSTRACT};X, Y\n')
    pipe = tmp_path / "pipe.csv"
    pipe.write_text(f"Title|Abstract\nPiped|{ABSTRACT}\n")
    tsv = tmp_path / "tabs.tsv"
    tsv.write_text(f"title\tabstract\nCommas, kept; too\t{ABSTRACT}\n")
    papers, errors, _ = _read(semicolon, pipe, tsv)
    assert errors == []
    assert [p.title for p in papers] == ["A; b", "Piped", "Commas, kept; too"]
    assert papers[0].authors == ["X", "Y"]


# 12. listings


def test_listings_accept_short_abstracts_once_the_listing_has_started(tmp_path: Path) -> None:
    path = tmp_path / "listing.txt"
    path.write_text(
        "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
        "Mar 14\n\n"
        "Tiny Merges\n\nWe merge models.\n\n"
        "A Much Longer Title About Merging Many Fine-Tuned Language Models At Scale\n\n"
        "Merging works. Code is at https://github.com/org/repo\n\n"
        f"Normal Paper\n\n{ABSTRACT}\n\n"
        "Orphan Title\n\nAnother Title Without Punctuation\n\nMar 15\n"
    )
    papers, errors, _ = _read(path)
    assert [(p.title, p.abstract, p.record) for p in papers] == [
        ("Tiny Merges", "We merge models.", "line 9"),
        (
            "A Much Longer Title About Merging Many Fine-Tuned Language Models At Scale",
            "Merging works. Code is at https://github.com/org/repo",
            "line 13",
        ),
        ("Normal Paper", ABSTRACT, "line 17"),
    ]
    assert errors == [
        f"{path}: line 21: paragraph with no title/abstract pair; skipped",
        f"{path}: line 23: title with no abstract after it",
    ]


def test_page_header_before_the_listing_is_never_a_paper(tmp_path: Path) -> None:
    path = tmp_path / "listing.txt"
    path.write_text(
        "Daily Papers\n\nGet trending papers in your email inbox.\n\n"
        f"Real Paper\n\n{ABSTRACT}\n\nShort After\n\nIt works.\n"
    )
    papers, errors, _ = _read(path)
    assert [p.title for p in papers] == ["Real Paper", "Short After"]
    assert errors == []


def test_a_pretty_printed_wrapper_with_records_on_their_own_lines_is_one_document(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.json"
    path.write_text(
        '{"data": [\n  {"title": "A", "abstract": "We train a 7B model."},\n'
        '  {"title": "B", "abstract": "We train a 13B model."}\n]}\n'
    )
    items = list(read_papers([path]))
    assert [p.title for p in items if isinstance(p, Paper)] == ["A", "B"]
    assert not [i for i in items if not isinstance(i, Paper)]
