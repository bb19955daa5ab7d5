"""The HTML report in a real browser (headless Chromium driven by selenium).

Skipped unless selenium is installed and Debian's ``chromium`` and ``chromium-driver``
are at /usr/bin/chromium and /usr/bin/chromedriver.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.core.schema import Result
from tests.fakes import give_results

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and DRIVER.exists()),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver",
    ),
]

PAPERS = [
    {
        "id": "p1",
        "title": "</script><img src=x onerror=alert(1)> EvilNet [/INST]",
        "abstract": (
            "Machine translation is hard for low-resource languages. We introduce EvilNet, "
            "a 7B parameter model. EvilNet improves BLEU by 3.2 points on WMT22 over GPT-4. "
            "Code is available at https://github.com/evil/evilnet. It scores 41.7 BLEU."
        ),
    },
    {
        "id": "p2",
        "title": "QuietASR: Robust Speech Recognition",
        "abstract": (
            "Speech recognition remains hard in noisy rooms. We propose QuietASR, a 13B "
            "parameter model that reduces word error rate by 1.5% on LibriSpeech."
        ),
    },
]


@pytest.fixture
def driver() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def _wait(condition: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_charts_table_and_evidence_in_chromium(isolated: Path, driver: Any) -> None:
    runner = CliRunner()
    source = isolated / "papers.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    assert runner.invoke(app, ["run", str(source), "--backend", "rules"]).exit_code == 0
    hostile = "WMT22 <img src=x onerror=alert(4)></text><script>alert(5)</script>"
    result = Result(benchmark=hostile, metric="BLEU", value=41.7, unit=None, setting="</script>",
                    evidence="It scores 41.7 BLEU.")  # fmt: skip
    give_results(isolated / "db" / "summarizer.duckdb", {PAPERS[0]["title"]: [result]})
    out = isolated / "digest.html"
    assert runner.invoke(app, ["report", "--out", str(out)]).exit_code == 0

    driver.get(out.as_uri())
    charts = driver.find_elements(By.CSS_SELECTOR, "[data-chart]")
    assert {c.get_attribute("data-chart") for c in charts} == {
        "papers_per_day",
        "model_sizes",
        "gains",
        "results",
        "grounded",
        "runs",
    }
    for chart in charts:
        if chart.get_attribute("data-empty") == "true":
            assert chart.find_element(By.CSS_SELECTOR, ".caption").text
            continue
        if chart.get_attribute("data-single") == "true":  # one listing day: a count
            assert chart.find_element(By.CSS_SELECTOR, ".count").text.startswith("2 papers")
            continue
        marks = _wait(
            lambda c=chart: c.find_elements(By.CSS_SELECTOR, "svg .role-mark > *, canvas")
        )
        assert marks, f"chart {chart.get_attribute('data-chart')} drew no marks"
    # rules runs are no LLM runs: the runs chart shows its empty state
    runs = driver.find_element(By.CSS_SELECTOR, '[data-chart="runs"]')
    assert runs.get_attribute("data-empty") == "true"
    # nothing was requested from the network, and no injected script ran
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert driver.find_elements(By.CSS_SELECTOR, "img") == []
    assert driver.find_elements(By.CSS_SELECTOR, "#charts script") == []
    # the results chart names the hostile benchmark as text, and its paper beside the bar
    results = driver.find_element(By.CSS_SELECTOR, '[data-chart="results"]')
    texts = _wait(lambda: [t.text for t in results.find_elements(By.CSS_SELECTOR, "svg text")])
    assert any(t.startswith("WMT22 <img src=x") for t in texts), texts
    assert any(t.startswith("41.7 \u00b7 </script><img") for t in texts), texts

    rows = driver.find_elements(By.CSS_SELECTOR, "#papers tbody tr")
    assert len(rows) == 2
    driver.find_element(By.ID, "search").send_keys("quietasr")
    rows = driver.find_elements(By.CSS_SELECTOR, "#papers tbody tr")
    assert len(rows) == 1 and "QuietASR" in rows[0].text
    driver.find_element(By.ID, "search").clear()
    driver.execute_script("document.getElementById('search').dispatchEvent(new Event('input'))")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#papers tbody tr")) == 2
    # filters change the rows shown: only EvilNet released code
    driver.find_element(By.ID, "has-code").click()
    rows = driver.find_elements(By.CSS_SELECTOR, "#papers tbody tr")
    assert len(rows) == 1 and "EvilNet" in rows[0].text
    driver.find_element(By.ID, "has-code").click()
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "category")).select_by_value("speech")
    rows = driver.find_elements(By.CSS_SELECTOR, "#papers tbody tr")
    assert len(rows) == 1 and "QuietASR" in rows[0].text
    Select(driver.find_element(By.ID, "category")).select_by_value("")

    row = next(
        r for r in driver.find_elements(By.CSS_SELECTOR, "#papers tbody tr") if "EvilNet" in r.text
    )
    paper_id = row.get_attribute("data-paper-id")
    row.click()
    card = driver.find_element(By.CSS_SELECTOR, f'#viewer [data-paper-id="{paper_id}"]')
    assert "</script>" in card.find_element(By.TAG_NAME, "h3").text
    fields = {m.get_attribute("data-field") for m in card.find_elements(By.CSS_SELECTOR, "mark")}
    assert {"code_url", "model_size", "gain", "result", "method"} <= fields
    code = card.find_element(By.CSS_SELECTOR, 'mark[data-field="code_url"]')
    assert code.text.startswith("https://github.com/evil/evilnet")
    legend = {
        e.get_attribute("data-legend") for e in card.find_elements(By.CSS_SELECTOR, "[data-legend]")
    }
    assert fields <= legend
    values = [b.text for b in card.find_elements(By.CSS_SELECTOR, 'button[data-value="result"]')]
    assert values == [f"result: 41.7 BLEU on {hostile} (</script>)"]
    card.find_element(By.CSS_SELECTOR, 'button[data-value="gain"]').click()
    flashed = _wait(lambda: card.find_elements(By.CSS_SELECTOR, "mark.flash"))
    assert flashed and flashed[0].get_attribute("data-field") == "gain"
    # the console stayed clean (the CSP would report a blocked request there too)
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_the_bundled_example_renders_and_its_screenshot_is_kept(
    isolated: Path, driver: Any
) -> None:
    """The README's screenshot is this page: set UPDATE_SCREENSHOT=1 to write docs/digest.png."""
    import os

    examples = Path(__file__).resolve().parents[1] / "examples"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(examples), "-q"]).exit_code == 0
    out = isolated / "digest.html"
    assert runner.invoke(app, ["report", "--out", str(out)]).exit_code == 0
    driver.set_window_size(1280, 900)
    driver.get(out.as_uri())
    rows = driver.find_elements(By.CSS_SELECTOR, "#papers tbody tr")
    assert len(rows) == 65  # the table holds every paper
    drawn = [c for c in driver.find_elements(By.CSS_SELECTOR, "[data-chart]")
             if c.get_attribute("data-empty") != "true"
             and c.get_attribute("data-single") != "true"]  # fmt: skip
    assert all(
        _wait(lambda c=c: c.find_elements(By.CSS_SELECTOR, "svg .role-mark > *, canvas"))
        for c in drawn
    )
    png = driver.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        target = Path(__file__).resolve().parents[1] / "docs" / "digest.png"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(png)


@pytest.mark.parametrize("width", [1280, 1400])
def test_the_table_fits_a_laptop_and_sizes_read_in_billions(
    isolated: Path, driver: Any, width: int
) -> None:
    """At 1280 and 1400 px the table shows title, category, code and date without scrolling
    sideways, titles wrap to a few lines, the size axis reads 1B/10B (not 1G/10G), and the
    examples' single listing day is a count, not one bar as wide as the chart."""
    examples = Path(__file__).resolve().parents[1] / "examples"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(examples), "-q"]).exit_code == 0
    out = isolated / "digest.html"
    assert runner.invoke(app, ["report", "--out", str(out)]).exit_code == 0
    driver.set_window_size(width, 1000)
    driver.get(out.as_uri())
    wrap = driver.find_element(By.ID, "table-wrap")
    assert driver.execute_script(
        "return arguments[0].scrollWidth <= arguments[0].clientWidth", wrap
    )
    right = wrap.rect["x"] + wrap.rect["width"]
    heads = {
        th.text.split(" ")[0]: th.rect for th in driver.find_elements(By.CSS_SELECTOR, "#papers th")
    }
    for name in ("Title", "Task", "Code", "First"):
        assert heads[name]["x"] + heads[name]["width"] <= right, name
    assert wrap.rect["width"] >= 0.6 * width
    line = 13 * 1.45
    titles = driver.find_elements(By.CSS_SELECTOR, "#papers td.title")
    tall = [t for t in titles if t.rect["height"] > 5 * line]
    assert len(tall) <= len(titles) // 20, [t.text for t in tall]
    day = driver.find_element(By.CSS_SELECTOR, '[data-chart="papers_per_day"]')
    assert day.get_attribute("data-single") == "true"
    assert day.find_element(By.CSS_SELECTOR, ".count").text.startswith("65 papers")
    sizes = driver.find_element(By.CSS_SELECTOR, '[data-chart="model_sizes"]')
    labels = _wait(
        lambda: [t.text for t in sizes.find_elements(By.CSS_SELECTOR, ".role-axis-label text")]
    )
    assert "1B" in labels and "10B" in labels, labels
    assert not any(label.endswith("G") for label in labels), labels
