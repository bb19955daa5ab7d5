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
from summarizer.ingest import read_papers

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

ABSTRACT = (
    "We study how to merge fine-tuned models. We propose MergeKit-X, a method that resolves "
    "sign conflicts between task vectors. It improves accuracy by 2.5% over TIES on eight tasks."
)


def _read(*inputs: Path | str, fmt: str | None = None) -> tuple[list[Paper], list[str]]:
    """Papers and error lines from read_papers."""
    items = list(read_papers(inputs, fmt))
    papers = [item for item in items if isinstance(item, Paper)]
    errors = [str(item) for item in items if isinstance(item, InputError)]
    return papers, errors


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["run", *args, "--backend", "rules", "-q"], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _jsonl(*titles: str) -> str:
    return "".join(json.dumps({"title": t, "abstract": f"{ABSTRACT} {t}."}) + "\n" for t in titles)


def _sightings(db: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT source, record FROM sightings ORDER BY record").fetchall()
    return [(str(source), str(record)) for source, record in rows]


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
    code, out, err = _run("-", stdin=f'title,abstract\nPiped CSV,"{ABSTRACT}"\n'.encode())
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
    csv.write_bytes(gzip.compress(f'title,abstract\nGz csv,"{ABSTRACT}"\n'.encode()))
    unnamed = tmp_path / "listing.gz"
    unnamed.write_bytes(gzip.compress(f"Mar 3\n\nGz Listing\n\n{ABSTRACT}\n".encode()))
    papers, errors = _read(jsonl, csv, unnamed)
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
    papers, errors = _read(path)
    assert 0 < len(papers) < 3000  # read as a stream: the intact part is kept
    assert errors == [
        f"{path}: cannot decompress (Compressed file ended before the end-of-stream marker "
        "was reached); is the .gz file complete?"
    ]


# 10. encodings


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8", "utf-32-le"])
def test_text_is_decoded_by_its_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.jsonl"
    path.write_bytes(("\ufeff" + _jsonl("Café über naïve", "Second")).encode(encoding))
    papers, errors = _read(path)
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
    papers, errors = _read(tsv, listing, bad)
    assert [p.title for p in papers] == ["From Excel", "Sixteen", "Before"]
    assert errors == [
        f"{bad}: line 2: not valid UTF-16 (illegal UTF-16 surrogate); re-save the file as UTF-8"
    ]
