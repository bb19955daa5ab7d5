"""Results (absolute scores of a paper's own method) in `show`, the digest and the report,
hostile text in them included."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.core.schema import Result
from tests.fakes import give_results

runner = CliRunner()

ZERO = "ZeroDet: Open-Vocabulary Detection"
OTHER = "OtherDet: Closed-Set Detection"
PAPERS = [
    {
        "id": "zero-1",
        "title": ZERO,
        "abstract": (
            "We propose ZeroDet, an open-vocabulary detector. In the zero-shot setting, ZeroDet "
            "reaches 84.5% person recall on COCO. On spoken queries its word error rate is 3.9%."
        ),
    },
    {
        "id": "other-2",
        "title": OTHER,
        "abstract": (
            "We present OtherDet, a closed-set detector. OtherDet reaches 88.2% person recall on "
            "COCO and a word error rate of 5.1% on LibriSpeech. It scores 77.7 on a new suite, "
            "with a log-likelihood of -0.8 nats."
        ),
    },
]
HOSTILE_BENCHMARK = '<script>alert(1)</script>=HYPERLINK("http://evil")'


def _result(benchmark: str | None, metric: str | None, value: float, unit: str | None,
            evidence: str, setting: str | None = None) -> Result:  # fmt: skip
    return Result(
        benchmark=benchmark, metric=metric, value=value, unit=unit, setting=setting,
        evidence=evidence,
    )  # fmt: skip


RESULTS = {
    ZERO: [
        _result("COCO", "person recall", 84.5, "%", "ZeroDet reaches 84.5% person recall on COCO",
                "zero-shot"),
        _result("LibriSpeech", "word error rate", 3.9, "%", "its word error rate is 3.9%"),
    ],
    OTHER: [
        _result("COCO", "person recall", 88.2, "%", "OtherDet reaches 88.2% person recall on COCO"),
        _result("LibriSpeech", "word error rate", 5.1, "%", "a word error rate of 5.1% on LibriSpeech"),
        # stated nowhere in the abstract: ungrounded, so it is no one's best
        _result("COCO", "person recall", 99.9, "%", "OtherDet reaches 99.9% person recall"),
        _result(HOSTILE_BENCHMARK, "=cmd|' /C calc'!A0", 77.7, None, "It scores 77.7 on a new suite",
                "\x1b[2J\nzero-shot"),
        _result("@SUM(1+1)", "log-likelihood", -0.8, "nats", "a log-likelihood of -0.8 nats"),
    ],
}  # fmt: skip


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def results_db(isolated: Path, db_path: Path) -> Path:
    source = isolated / "papers.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    code, _, err = invoke("run", str(source), "--backend", "rules")
    assert code == 0, err
    give_results(db_path, RESULTS)
    return db_path


def _data(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S
    )
    assert match
    return json.loads(match.group(1))


def test_show_lists_each_result_with_its_grounding_and_evidence(results_db: Path) -> None:
    code, out, err = invoke("show", "ZeroDet")
    assert code == 0, err
    assert (
        "result: 84.5% person recall on COCO (zero-shot) grounded  "
        "«ZeroDet reaches 84.5% person recall on COCO»"
    ) in out
    assert "result: 3.9% word error rate on LibriSpeech grounded" in out
    code, out, _ = invoke("show", "ZeroDet", "--format", "json")
    data = json.loads(out)
    abstract = data["paper"]["abstract"]
    marked = [e for e in data["evidence"] if e["field"] == "result"]
    assert len(marked) == 2
    assert all("84.5" in abstract[e["start"] : e["end"]] or "3.9" in abstract[e["start"] : e["end"]]
               for e in marked)  # fmt: skip
    assert [r["benchmark"] for r in data["extraction"]["results"]] == ["COCO", "LibriSpeech"]


def test_show_flags_an_ungrounded_result_and_prints_hostile_text_inert(results_db: Path) -> None:
    code, out, _ = invoke("show", "OtherDet")
    assert code == 0
    assert "result: 99.9% person recall on COCO UNGROUNDED" in out
    assert "<script>alert(1)</script>" in " ".join(out.split())
    assert "\x1b" not in out  # the escape in the setting is shown, not sent to the terminal


def test_the_digest_has_a_results_column_at_the_end_neutralised(results_db: Path) -> None:
    out = results_db.parent / "digest.csv"
    code, _, err = invoke("export", "--out", str(out))
    assert code == 0, err
    with out.open(newline="", encoding="utf-8") as handle:
        rows = {row["title"]: row for row in csv.DictReader(handle)}
    assert list(rows[ZERO])[-2:] == ["task_category", "results"]
    assert rows[ZERO]["results"] == (
        "84.5% person recall on COCO (zero-shot); 3.9% word error rate on LibriSpeech"
    )
    other = rows[OTHER]["results"].split("; ")
    assert other[0] == "88.2% person recall on COCO"
    assert other[2] == "99.9% person recall on COCO [ungrounded]"
    # the hostile benchmark and metric stay text inside the cell; the setting is one line
    assert other[3].startswith("77.7 =cmd|' /C calc'!A0 on <script>alert(1)</script>=HYPERLINK(")
    assert other[3].endswith("( [2J zero-shot)")
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert not any(ord(c) < 32 for c in value)
    # a list that starts with a minus sign is neutralised like any other cell
    give_results(results_db, {ZERO: [RESULTS[OTHER][-1]]})
    assert invoke("export", "--out", str(out))[0] == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = {row["title"]: row for row in csv.DictReader(handle)}
    assert rows[ZERO]["results"].startswith("'-0.8 nats log-likelihood on @SUM(1+1)")


def test_the_report_charts_the_best_result_per_benchmark(results_db: Path) -> None:
    out = results_db.parent / "digest.html"
    code, _, err = invoke("report", "--out", str(out))
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    charts = _data(page)["charts"]
    best = {r["label"]: r for r in charts["results"]}
    coco = best["COCO \u00b7 person recall \u00b7 %"]
    assert (coco["value"], coco["paper"], coco["papers"]) == (88.2, OTHER, 2)  # not 99.9
    assert coco["better"] == "higher"
    wer = best["LibriSpeech \u00b7 word error rate \u00b7 %"]
    assert (wer["value"], wer["paper"], wer["better"]) == (3.9, ZERO, "lower")
    # the gains chart reads the gains view only: no result is in it
    assert all(g["benchmark"] != HOSTILE_BENCHMARK for g in charts["gains"])
    assert all("@SUM" not in (g["benchmark"] or "") for g in charts["gains"])
    assert 'name: "results"' in page
    # the hostile benchmark is data, never markup: no extra script element, no raw tag
    assert page.count("<script") == 5 and page.count("</script>") == 5
    assert "alert(1)" in page and "<script>alert(1)" not in page
    hostile = next(r for r in charts["results"] if r["label"].startswith("<script>"))
    assert len(hostile["label"]) <= 80 and "\x1b" not in hostile["result"]
    papers = {p[1]: p for p in _data(page)["papers"]}
    assert papers[ZERO][12] == [
        "84.5% person recall on COCO (zero-shot)",
        "3.9% word error rate on LibriSpeech",
    ]
    assert "result" in {span[0] for span in papers[ZERO][10]}


def test_the_markdown_digest_lists_best_results_and_escapes_them(results_db: Path) -> None:
    code, out, _ = invoke("report", "--out", "-", "--format", "md")
    assert code == 0
    assert "- **Best results per benchmark:**" in out
    assert f"  - 88.2% person recall on COCO: {OTHER} (higher is better; 2 papers reporting)" in out
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "\x1b" not in out
    assert "| own sizes | gains | results | grounded |" in out


def test_the_gains_chart_never_reads_results() -> None:
    from summarizer.outputs.report import _charts

    result = {"paper_id": "p", "benchmark": "COCO", "metric": "AP", "value": 60.0, "unit": None,
              "setting": None, "evidence": "60.0 AP", "grounded": True, "title": "P"}  # fmt: skip
    gain = {"paper_id": "p", "benchmark": "LVIS", "metric": "AP", "value": 2.0, "unit": "points",
            "baseline": None, "evidence": "+2.0 AP", "grounded": True, "title": "P"}  # fmt: skip
    data = {"papers": [], "links": [], "model_sizes": [], "gains": [gain], "results": [result],
            "runs": []}  # fmt: skip
    charts = _charts(data)
    assert [g["benchmark"] for g in charts["gains"]] == ["LVIS"]
    assert [r["label"] for r in charts["results"]] == ["COCO \u00b7 AP"]
