"""Every way the fake refuses structured output, as real servers do: with default settings a
run stores every paper, or stops before the batch with one line (exit 2). Requests are
counted: the probe asks each mode once (a server error once more), and no paper is asked
more than once plus the bounded re-asks once the mode is known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.backends.openai.endpoint import PROBE_ABSTRACT
from summarizer.cli import app
from summarizer.testing.fake_openai import DIALECTS, FakeConfig, FakeOpenAIServer, paper_key

LISTING = Path(__file__).resolve().parent / "data" / "listings" / "daily_papers_b.txt"
PAPERS = 8
REASKS = 1

# the mode the probe should keep on each dialect (the fake is not an OpenAI host: the order
# is json_schema, tools, json, md_json), and the probe requests that takes
EXPECTED = {
    None: ("json_schema", 1),
    "no_tools_400": ("json_schema", 1),
    "tool_choice_flags_400": ("json_schema", 1),
    "json_schema_only_400": ("json_schema", 1),
    "pydantic_422": ("json", 3),
    "validation_500": ("tools", 2),  # json_schema's 500 is not asked again: tools works
    "plain_text_200": ("md_json", 4),
}


def run(db: Path, base_url: str, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app,
        ["run", str(LISTING), "--limit", str(PAPERS), "--base-url", base_url, "--db", str(db),
         "--model", "fake-model", "-q", *extra],
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def test_every_dialect_is_covered() -> None:
    assert set(EXPECTED) - {None} == set(DIALECTS)


@pytest.mark.parametrize("dialect", list(EXPECTED), ids=lambda d: d or "plain")
def test_default_settings_store_every_paper_on_every_dialect(
    dialect: str | None, tmp_path: Path
) -> None:
    mode, probe_requests = EXPECTED[dialect]
    with FakeOpenAIServer(FakeConfig(dialect=dialect)) as server:
        code, out, err = run(tmp_path / "db.duckdb", server.base_url)
        stats = server.stats()
    assert code == 0, err
    assert f"extracted {PAPERS} · failed 0" in out
    assert f"mode {mode} (probed with" in err
    per_paper = dict(stats["per_paper"])
    assert per_paper.pop(paper_key(PROBE_ABSTRACT)) <= probe_requests
    assert len(per_paper) == PAPERS
    assert max(per_paper.values()) <= 1 + REASKS


@pytest.mark.parametrize("dialect", list(EXPECTED), ids=lambda d: d or "plain")
def test_the_next_run_uses_the_stored_mode_without_probing(
    dialect: str | None, tmp_path: Path
) -> None:
    db = tmp_path / "db.duckdb"
    with FakeOpenAIServer(FakeConfig(dialect=dialect)) as server:
        run(db, server.base_url)
        server.reset()
        code, _, err = run(db, server.base_url, "--refresh")
        stats = server.stats()
    assert code == 0
    assert paper_key(PROBE_ABSTRACT) not in stats["per_paper"]
    assert f"mode {EXPECTED[dialect][0]} (as probed" in err


def test_a_server_where_no_mode_works_stops_before_the_batch(tmp_path: Path) -> None:
    config = FakeConfig(
        reject_modes={"json_schema", "json_object", "tools"}, fault_rates={"invalid": 1.0}
    )
    with FakeOpenAIServer(config) as server:
        code, out, err = run(tmp_path / "db.duckdb", server.base_url)
        stats = server.stats()
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: no structured-output mode works with")
    for mode in ("json_schema", "tools", "json", "md_json"):
        assert f"{mode}: " in lines[-1]
    assert set(stats["per_paper"]) == {paper_key(PROBE_ABSTRACT)}  # no paper was sent
    assert stats["requests"] == 4
    assert out == ""


def test_a_2048_token_server_fits_typical_abstracts(tmp_path: Path) -> None:
    """The real server from the issue: json_schema refused with a 500, a 2,048-token context."""
    config = FakeConfig(dialect="validation_500", context_tokens=2048)
    with FakeOpenAIServer(config) as server:
        code, out, err = run(tmp_path / "db.duckdb", server.base_url)
        stats = server.stats()
    assert code == 0, err
    assert f"extracted {PAPERS} · failed 0" in out
    assert "context 2,048 tokens" in err
    per_paper = dict(stats["per_paper"])
    per_paper.pop(paper_key(PROBE_ABSTRACT))
    assert max(per_paper.values()) <= 1 + REASKS


@pytest.mark.slow
def test_serial_server_is_not_flooded(tmp_path: Path) -> None:
    """One answer at a time: requests never pile up in the server's queue, and nothing is
    abandoned and resent (the timings themselves are measured in bench/slow_server.py)."""
    source = tmp_path / "p.jsonl"
    source.write_text(
        "".join(
            json.dumps({"title": f"P{i}", "abstract": f"We train a 7B model, study {i}."}) + "\n"
            for i in range(12)
        )
    )
    with FakeOpenAIServer(FakeConfig(serial=True, service_time=0.3)) as server:
        result = CliRunner().invoke(
            app,
            ["run", str(source), "--base-url", server.base_url, "--db", str(tmp_path / "d.duckdb"),
             "--concurrency", "16", "-q"],
        )  # fmt: skip
        stats = server.stats()
    assert result.exit_code == 0, result.stderr
    assert "extracted 12" in result.stdout
    assert stats["abandoned"] == 0
    # 16 allowed, but a local server starts at 2 in flight and backs off once answers show
    # that the second waits behind the first. The back-off reads measured latencies, so on a
    # loaded machine a round or two may pass first (6 was seen); flooding would queue ~16.
    assert stats["peak_queue"] <= 8


def test_the_probe_outcome_is_in_the_summary_and_in_runs(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    with FakeOpenAIServer(FakeConfig(dialect="pydantic_422")) as server:
        code, out, _ = run(db, server.base_url)
    assert code == 0
    assert "endpoint: mode json (probed with 3 request(s); json_schema refused: 422:" in out
    runs = CliRunner().invoke(app, ["runs", "--db", str(db), "--format", "json"])
    assert json.loads(runs.stdout)[0]["probe"].startswith("mode json (probed with 3")
    table = CliRunner().invoke(app, ["runs", "--db", str(db)])
    assert "(json)" in table.stdout and "fake-model" in table.stdout


def test_server_words_are_shortened_to_one_printable_line() -> None:
    from summarizer.backends.openai.endpoint import shorten

    hostile = "bad\x1b[31m request\n\t[/INST] :smile:" + "x" * 500
    line = shorten(hostile)
    assert "\x1b" not in line and "\n" not in line and len(line) == 160
    assert line.startswith("bad [31m request [/INST] :smile:")


def test_the_plain_schema_keeps_every_required_field_and_says_null_as_a_type_list() -> None:
    """The small-context schema drops annotations, not fields: a field named `description`
    (the method's) stays, and `X | None` is a type list."""
    from summarizer.backends.openai.endpoint import PlainSummary

    schema = PlainSummary.model_json_schema()
    for shape in [schema, *schema["$defs"].values()]:
        assert set(shape["required"]) == set(shape["properties"]), shape
    assert schema["$defs"]["Method"]["properties"]["description"] == {"type": ["string", "null"]}
    assert "description" not in schema["properties"]["task"]
