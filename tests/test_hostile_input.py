"""Hostile input files: each bad record is one clear line, good records still land, no traceback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from summarizer.cli import app

runner = CliRunner()
ABSTRACT = "We propose a method for merging models with many tasks and languages. " * 3


def test_hostile_files_in_one_run(tmp_path: Path, db_path: Path) -> None:
    tmp_path = tmp_path / "inputs"
    tmp_path.mkdir()
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "latin1.csv").write_bytes(
        "title,abstract\nCafé,".encode("latin-1") + ABSTRACT.encode() + b"\n"
    )
    huge = {"title": "Huge", "abstract": "x" * 5_000_000}
    nested = {"title": "Nested", "abstract": ABSTRACT, "authors": []}
    deep = json.dumps(nested)[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    lines = [
        json.dumps({"id": "2401.00001", "title": "First", "abstract": ABSTRACT}),
        json.dumps({"id": "2401.00001", "title": "Impostor", "abstract": ABSTRACT + " Changed."}),
        json.dumps(huge),
        deep,
        json.dumps({"title": "Bell\x07\x1b[2J title", "abstract": ABSTRACT + "\x00\x08 tail."}),
    ]
    (tmp_path / "papers.jsonl").write_text("\n".join(lines) + "\n")
    with (tmp_path / "formulas.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "abstract"])
        writer.writerow(["=cmd|' /C calc'!A0", ABSTRACT + " Formula."])
        writer.writerow(["@SUM(1+1)", "+" + ABSTRACT])
    result = runner.invoke(app, ["run", str(tmp_path), "-q"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("rejected:")]
    joined = "\n".join(errors)
    assert "blob.bin: file looks binary" in joined
    assert "latin1.csv: line 2: not valid UTF-8" in joined
    assert "papers.jsonl: line 2: id 2401.00001 was already stored with a different" in joined
    assert "papers.jsonl: line 3: abstract is 5,000,000 characters" in joined
    assert "papers.jsonl: line 4: JSON nested too deeply" in joined
    assert len(errors) == 5
    assert "extracted 4 · failed 0 · rejected 5" in result.stdout
    out_file = db_path.parent / "digest.csv"
    assert runner.invoke(app, ["export", "--out", str(out_file)]).exit_code == 0
    with out_file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    titles = {row["title"] for row in rows}
    assert titles == {"First", "Bell title", "'=cmd|' /C calc'!A0", "'@SUM(1+1)"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert not any(ord(c) < 32 for c in value)
