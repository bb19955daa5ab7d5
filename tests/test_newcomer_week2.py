"""What a second newcomer trial found, each through the CLI: an output never replaces a
database, a mistake leaves no empty database behind, a budget the batch path cannot hold is
refused as live, terminal control characters in names and data are shown, not obeyed, and the
offline trial's wrapper passes Ctrl-C on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.cli import app


def _papers(path: Path, count: int = 3) -> Path:
    path.write_text(
        "".join(
            json.dumps({"title": f"Gizmo {i}", "abstract": f"We propose Gizmo {i} for merging."})
            + "\n"
            for i in range(count)
        )
    )
    return path


def test_export_and_report_never_overwrite_a_database(tmp_path: Path, db_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(_papers(tmp_path / "p.jsonl")), "-q"]).exit_code == 0
    other = tmp_path / "other.duckdb"
    assert runner.invoke(app, ["ingest", str(tmp_path / "p.jsonl"), "--db", str(other)]).exit_code == 0
    before = other.read_bytes()
    renamed = tmp_path / "other-copy.bin"  # a database whatever its name
    renamed.write_bytes(before)
    for command in (
        ["export", "--out", str(other), "--format", "csv"],
        ["export", "--out", str(db_path), "--format", "csv"],
        ["export", "--out", str(renamed), "--format", "csv"],
        ["report", "--out", str(renamed), "--format", "html"],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert "is a database" in result.output and "nothing was written" in result.output
    assert renamed.read_bytes() == before
    assert other.read_bytes() == before


def test_a_mistake_leaves_no_empty_database_behind(tmp_path: Path) -> None:
    runner = CliRunner()
    papers = str(_papers(tmp_path / "p.jsonl"))
    db = tmp_path / "new.duckdb"
    wrong = runner.invoke(app, ["run", papers, "--backend", "rulez", "--db", str(db)])
    assert wrong.exit_code == 2 and not db.exists()
    collect = runner.invoke(app, ["batch", "collect", "--db", str(db)])
    assert collect.exit_code == 3 and "no database at" in collect.output and not db.exists()
    imported = runner.invoke(app, ["batch", "import", papers, "--db", str(db)])
    assert imported.exit_code == 3 and not db.exists()


def test_max_cost_with_batch_needs_a_price_as_a_live_run_does(tmp_path: Path) -> None:
    papers = str(_papers(tmp_path / "p.jsonl"))
    db = tmp_path / "b.duckdb"
    common = ["--base-url", "http://127.0.0.1:9/v1", "--model", "fake-model", "--max-cost", "1"]
    for extra in ([], ["--batch"]):
        result = CliRunner().invoke(app, ["run", papers, *common, *extra, "--db", str(db)])
        assert result.exit_code == 2, result.output
        assert "--max-cost needs a price" in result.output
    assert not db.exists()


def test_control_characters_in_a_file_name_are_shown_not_obeyed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _papers(folder / "good.jsonl")
    (folder / "\x1b[31mevil\u202e.jsonl").write_text("{broken\n")
    result = CliRunner().invoke(app, ["run", str(folder), "-q"])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\u241b[31mevil" in result.output  # ESC as its visible stand-in


@pytest.mark.slow
def test_the_offline_trial_wrapper_passes_ctrl_c_to_its_command(tmp_path: Path) -> None:
    child = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *a: (print('child stopped', flush=True), sys.exit(130)))\n"
        "print('child ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    wrapper = subprocess.Popen(
        [sys.executable, "-m", "summarizer.testing.fake_openai", "--", sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
    )
    assert wrapper.stdout is not None
    assert wrapper.stdout.readline().strip() == "child ready"
    time.sleep(0.2)
    wrapper.send_signal(signal.SIGINT)  # to the wrapper alone, as `timeout -s INT` does
    out, err = wrapper.communicate(timeout=30)
    assert wrapper.returncode == 130, err
    assert "child stopped" in out and "Traceback" not in err


def test_the_readme_gains_query_at_80_columns_keeps_ids_and_words_whole(
    seeds: Path, db_path: Path
) -> None:
    """A table is drawn only when every column gets its longest word (an id is never cut in
    two) and running text gets readable lines; else one record per block."""
    from tests.test_trust import _sql_at

    assert CliRunner().invoke(app, ["run", str(seeds), "-q"]).exit_code == 0
    query = (
        "select paper_id, value, unit, metric, evidence from gains "
        "where unit = '%' order by value desc limit 10"
    )
    lines = _sql_at(80, db_path, query)
    text = "\n".join(lines)
    assert all(len(line.rstrip()) <= 80 for line in lines)
    ids = CliRunner().invoke(
        app, ["sql", "--format", "csv", "select paper_id from gains where unit = '%'"]
    )
    for paper_id in ids.stdout.split()[1:]:
        if paper_id[:6] in text:
            assert paper_id in text, paper_id  # whole, not split over two lines


def test_a_right_to_left_override_never_reorders_a_link_or_the_report(
    tmp_path: Path, db_path: Path
) -> None:
    source = tmp_path / "rtl.jsonl"
    source.write_text(
        json.dumps(
            {
                "title": "RTL \u202etxt.exe paper",
                "abstract": "We release code at https://github.com/org/rtl\u202etxt.exe today.",
            }
        )
        + "\n"
    )
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(source), "-q"]).exit_code == 0
    url = runner.invoke(app, ["sql", "--format", "csv", "select code_url from summaries"])
    assert url.stdout.split() == ["code_url", "https://github.com/org/rtl"]
    page = tmp_path / "r.html"
    assert runner.invoke(app, ["report", "--out", str(page)]).exit_code == 0
    assert "\u202e" not in page.read_text(encoding="utf-8")


def test_a_digest_exported_into_the_input_folder_is_skipped_by_the_next_run(
    tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "listings"
    folder.mkdir()
    _papers(folder / "p.jsonl")
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(folder), "-q"]).exit_code == 0
    assert runner.invoke(app, ["export", "--out", str(folder / "digest.csv")]).exit_code == 0
    again = runner.invoke(app, ["run", str(folder), "-q"])
    assert again.exit_code == 0, again.output  # a note, not a rejection
    assert "digest.csv" in again.output and "rejected 0" in again.stdout
