"""The mistakes a newcomer makes, through the real CLI: nothing lost or changed silently, no
surprise spend, one truth in the tables, and the commands people expect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from typer.testing import CliRunner

from summarizer.backends import Backend, Capabilities, register_backend
from summarizer.cli import app
from summarizer.core.identity import CacheIdentity
from summarizer.core.paper import Paper
from summarizer.core.schema import Summary
from summarizer.run import pipeline
from summarizer.run.progress import Reporter, progress_reporter
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HOSTILE_TITLE = "Attack [/INST] [bold]x[/bold] a:smile:b postgres:x:"
LONG_URL = "https://github.com/duguodong7/pcb-merging-with-a-rather-long-repository-name"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def paper(i: int, **extra: Any) -> dict[str, Any]:
    return {"title": f"Paper {i}", "abstract": f"We train a 7B model, number {i}."} | extra


class Interrupting(Backend):
    """Extracts a few papers, then the user presses Ctrl-C."""

    name = "interrupting"
    capabilities = Capabilities()
    after = 3

    def __init__(self, settings: Any = None) -> None:
        super().__init__(settings)
        self.done = 0

    @property
    def identity(self) -> CacheIdentity:
        return CacheIdentity(backend=self.name, model="i1")

    def extract(self, paper: Paper) -> Summary:
        if self.done == self.after:
            raise KeyboardInterrupt
        self.done += 1
        return Summary.empty()


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(FakeConfig(latency=0.0)) as server:
        yield server


# -- nothing lost or changed silently ------------------------------------------------------


@pytest.mark.parametrize("name", ["existing.csv", "existing.jsonl", "existing.parquet", "notes"])
def test_db_naming_a_file_that_is_not_a_database_is_refused_untouched(
    tmp_path: Path, name: str
) -> None:
    target = tmp_path / name
    target.write_text("title,abstract\nkeep me,as I am\n")
    before = target.read_bytes()
    code, _, err = invoke("run", str(EXAMPLES), "--db", str(target))
    assert code == 2
    assert (err.count("\n") == 1 and "untouched" in err) or "nothing was written" in err
    assert target.read_bytes() == before


def test_a_foreign_duckdb_file_is_refused_as_db_and_as_merge_input(tmp_path: Path) -> None:
    foreign = tmp_path / "other.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE mine (a INTEGER)")
    code, _, err = invoke("run", str(EXAMPLES), "--db", str(foreign))
    assert code == 2 and "not a summarizer one (tables: mine)" in err
    code, _, err = invoke("merge", str(foreign), "--db", str(tmp_path / "all.duckdb"))
    assert code == 2 and "not a summarizer one" in err
    csv = tmp_path / "papers.csv"
    csv.write_text("title,abstract\n")
    code, _, err = invoke("merge", str(csv), "--db", str(tmp_path / "all.duckdb"))
    assert code == 2 and "not a database" in err and "Traceback" not in err
    with duckdb.connect(str(foreign), read_only=True) as con:
        assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("mine",)]


@pytest.mark.parametrize(
    "args",
    [
        ["sql", "select 1"],
        ["stats"],
        ["export", "--out", "x.csv"],
        ["show", "anything"],
        ["runs"],
        ["eval", "--gold", "gold.jsonl"],
    ],
    ids=lambda a: a[0],
)
def test_reading_commands_never_create_a_database(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "gold.jsonl").write_text('{"title": "x"}\n')
    missing = tmp_path / "nowhere" / "none.duckdb"
    code, _, err = invoke(*args, "--db", str(missing))
    assert code == 3
    assert err.strip() == (
        f"error: no database at {missing}; run `summarizer run INPUT` first, or point --db "
        "(or SUMMARIZER_DB) at an existing database"
    )
    assert not missing.exists() and not missing.parent.exists()


def test_terminal_output_shows_cell_text_literally(tmp_path: Path, db_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "p.jsonl",
        [{"title": HOSTILE_TITLE, "abstract": f"We release code at {LONG_URL} today."}],
    )
    assert invoke("run", str(source))[0] == 0
    code, out, err = invoke("sql", "select title, code_url from summaries", "--format", "table")
    assert code == 0, err
    flat = " ".join(out.replace("│", " ").split())
    assert "[/INST]" in out and "[bold]x[/bold]" in out and "a:smile:b" in out
    assert "postgres:x:" in out and "❌" not in out and "😄" not in out
    assert LONG_URL in out  # on one line, not cut or folded
    assert "Attack" in flat
    code, out, _ = invoke("show", "Attack")
    assert code == 0 and HOSTILE_TITLE in out and LONG_URL in out


def test_piped_sql_writes_csv_by_default_and_jsonl_on_request(db_path: Path) -> None:
    invoke("run", str(EXAMPLES))
    code, out, _ = invoke("sql", "select count(*) as n from papers")
    assert (code, out) == (0, "n\n65\n")
    code, out, _ = invoke("sql", "select 1 as a union all select 2 order by a", "--format", "jsonl")
    assert [json.loads(line) for line in out.splitlines()] == [{"a": 1}, {"a": 2}]


def test_help_is_literal_and_readable_at_80_columns() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "summarizer", "run", "--help"],
        capture_output=True,
        text=True,
        env=os.environ | {"COLUMNS": "80"},
        check=True,
    )
    text = result.stdout
    flat = " ".join(text.split())
    assert "[env var: SUMMARIZER_DB; default: (cache/summarizer.duckdb)]" in flat
    assert "[env var: SUMMARIZER_BACKEND]" in flat
    for flag in ("--strict-grounding", "--retry-failed", "--max-reasks", "--refresh"):
        assert flag in text
    assert "list[Path]" not in text and "<int" not in text and "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_version_and_completion() -> None:
    code, out, _ = invoke("--version")
    from summarizer import __version__

    assert (code, out.strip()) == (0, f"summarizer {__version__}")
    assert "--install-completion" in invoke("--help")[1]


# -- no surprise spend -------------------------------------------------------------------


def test_a_key_in_the_environment_alone_never_switches_to_a_paid_backend(db_path: Path) -> None:
    code, out, _ = invoke("run", str(EXAMPLES), env={"OPENAI_API_KEY": "sk-live-abcdefgh1234"})
    assert code == 0 and "backend rules" in out


def test_an_llm_is_used_when_asked_for(fake_llm: FakeOpenAIServer, db_path: Path) -> None:
    one = str(EXAMPLES / "daily_papers_mar14.txt")
    code, out, err = invoke("run", one, "--limit", "2", "--base-url", fake_llm.base_url)
    assert code == 0, err
    assert "backend openai" in out
    code, out, err = invoke(
        "run",
        one,
        "--limit",
        "3",
        env={"SUMMARIZER_BACKEND": "openai", "OPENAI_BASE_URL": fake_llm.base_url},
    )
    assert code == 0 and "backend openai" in out and "cached 2" in out, err


def test_retry_failed_uses_the_backend_and_model_that_failed(
    fake_llm: FakeOpenAIServer, db_path: Path, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "p.jsonl", [paper(1), paper(2)])
    fake_llm.configure(fault_script={"*": ["refusal"]})
    code, _, _ = invoke("run", str(source), "--base-url", fake_llm.base_url, "--model", "m-9")
    assert code == 1
    fake_llm.configure(fault_script={})
    code, out, err = invoke("run", "--retry-failed", env={"OPENAI_BASE_URL": fake_llm.base_url})
    assert code == 0, err
    assert "backend openai (m-9)" in out and "extracted 2" in out


def test_a_paid_run_says_its_estimated_cost_before_it_starts(
    fake_llm: FakeOpenAIServer, db_path: Path, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "p.jsonl", [paper(i) for i in range(4)])
    code, _, err = invoke(
        "run", str(source), "--base-url", fake_llm.base_url, "--model", "gpt-4o-mini"
    )
    assert code == 0
    (line,) = [line for line in err.splitlines() if line.startswith("note: 4 papers")]
    assert "estimated cost $0.00" in line
    code, _, err = invoke(
        "run", str(source), "--refresh", "--base-url", fake_llm.base_url, "--model", "unpriced-1"
    )
    assert code == 0
    assert "cost is not tracked: no price is known for unpriced-1" in err


def test_max_cost_needs_a_price_and_stops_before_the_next_call_would_pass_it(
    fake_llm: FakeOpenAIServer, db_path: Path, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "p.jsonl", [paper(i) for i in range(30)])
    code, _, err = invoke(
        "run", str(source), "--base-url", fake_llm.base_url, "--model", "x-1", "--max-cost", "1"
    )
    assert code == 2 and "--prices FILE" in err and "--max-tokens" in err
    assert fake_llm.stats()["requests"] == 0
    budget = 0.002
    code, out, _ = invoke(
        "run", str(source), "--base-url", fake_llm.base_url, "--model", "gpt-4o-mini",
        "--max-cost", str(budget), "--concurrency", "1",
    )  # fmt: skip
    assert code == 1 and "stopped early: --max-cost" in out
    with duckdb.connect(str(db_path), read_only=True) as con:
        (spent,) = con.execute("select sum(cost_usd) from llm_calls").fetchone() or (0,)
        (done,) = con.execute("select count(*) from summaries where status = 'ok'").fetchone() or (
            0,
        )
    assert spent <= budget and 0 < done < 30


# -- one truth in the tables -----------------------------------------------------------


def test_failures_hold_one_row_per_open_problem(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / "bad.jsonl"
    bad.write_text(json.dumps(paper(1)) + "\n{broken\n")
    write_jsonl(folder / "dup.jsonl", [paper(2, id="2401.00001"), paper(3, id="2401.00001")])
    for _ in range(3):
        invoke("run", str(folder))
    _, out, _ = invoke("sql", "select source, record, error_type from failures order by 1, 2")
    assert out.count("\n") == 3, out  # header + the broken line + the duplicate id
    data = json.loads(invoke("stats", "--json")[1])
    assert sum(r["count"] for r in data["failures_by_reason"]) == 2
    merged = tmp_path / "all.duckdb"
    invoke("merge", str(db_path), "--db", str(merged))
    invoke("merge", str(db_path), "--db", str(merged))
    assert (
        invoke("sql", "select count(*) from failures", "--db", str(merged))[1]
        == "count_star()\n2\n"
    )
    bad.write_text(json.dumps(paper(1)) + "\n" + json.dumps(paper(4)) + "\n")
    invoke("run", str(folder))
    assert invoke("sql", "select error_type from failures")[1] == "error_type\nDuplicateId\n"


def test_strict_grounding_cleans_cached_results_without_calls(
    tmp_path: Path, db_path: Path
) -> None:
    register_backend("inventing", f"{__name__}:Inventing")
    source = write_jsonl(tmp_path / "p.jsonl", [paper(1)])
    invoke("run", str(source), "--backend", "inventing")
    assert invoke("sql", "select ungrounded from summaries")[1] == "ungrounded\n2\n"
    Inventing.calls = 0
    code, out, _ = invoke("run", str(source), "--backend", "inventing", "--strict-grounding")
    assert code == 0 and "cached 1" in out and Inventing.calls == 0
    out = invoke("sql", "select ungrounded, code_url, len(model_sizes) as n from summaries")[1]
    assert out == "ungrounded,code_url,n\n0,,1\n"


class Inventing(Backend):
    """Claims a code link the abstract never gives and a size it never states."""

    name = "inventing"
    capabilities = Capabilities()
    calls = 0

    @property
    def identity(self) -> CacheIdentity:
        return CacheIdentity(backend=self.name, model="inv-1")

    def extract(self, paper: Paper) -> Summary:
        Inventing.calls += 1
        from summarizer.core.schema import ModelSize

        summary = Summary.empty()
        summary.code_url = "https://github.com/invented/repo"
        summary.model_sizes = [
            ModelSize(text="7B", params=7e9, vague=False, role="own", evidence="a 7B model"),
            ModelSize(text="70B", params=70e9, vague=False, role="own", evidence="70B"),
        ]
        return summary


def test_after_ctrl_c_the_summary_matches_what_is_stored(tmp_path: Path, db_path: Path) -> None:
    register_backend("interrupting", f"{__name__}:Interrupting")
    source = write_jsonl(tmp_path / "p.jsonl", [paper(i) for i in range(10)])
    code, out, _ = invoke("run", str(source), "--backend", "interrupting")
    assert code == 130
    assert "extracted 3" in out and "pending 7 (stored; the next run extracts them)" in out
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute(
            "select status, count(*) from summaries group by 1 order by 1"
        ).fetchall() == [
            ("ok", 3),
            ("pending", 7),
        ]


# -- commands people expect ---------------------------------------------------------------


def test_show_finds_a_paper_by_id_arxiv_id_or_title(tmp_path: Path, db_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "p.jsonl",
        [paper(1, id="2401.01234", abstract=f"We train a 7B model; code at {LONG_URL}."), paper(2)],
    )
    invoke("run", str(source))
    for query in ("2401.01234", "arXiv:2401.01234v2", "https://arxiv.org/abs/2401.01234", "per 1"):
        code, out, err = invoke("show", query, "--format", "json")
        assert code == 0, err
        data = json.loads(out)
        assert data["paper"]["paper_id"] == "2401.01234"
    evidence = {e["field"]: e for e in data["evidence"]}
    abstract = data["paper"]["abstract"]
    size = evidence["model_size"]
    assert abstract[size["start"] : size["end"]] == "7B"
    assert data["extraction"]["code_url"] == LONG_URL
    assert data["extraction"]["task_category"] and data["extraction"]["model_sizes"][0]["role"]
    code, out, _ = invoke("show", "2401.01234", "--format", "text")
    assert "category: " in out and "7B (7e+09), own" in out
    code, _, err = invoke("show", "Paper")
    assert code == 2 and "2 papers match 'Paper'" in err
    code, _, err = invoke("show", "no such thing")
    assert code == 2 and "no paper matches" in err


def test_runs_lists_recent_runs_and_the_view_is_documented(db_path: Path) -> None:
    invoke("run", str(EXAMPLES))
    invoke("run", str(EXAMPLES))
    code, out, _ = invoke("runs", "--format", "json")
    runs = json.loads(out)
    assert code == 0 and [r["cached"] for r in runs] == [65, 0]
    assert {"backend", "model", "tokens", "cost_usd", "status", "seconds"} <= set(runs[0])
    code, out, _ = invoke("runs")
    assert code == 0 and "65 read, 65 cached" in " ".join(out.split())


def test_refresh_re_extracts_the_papers_read(tmp_path: Path, db_path: Path) -> None:
    source = write_jsonl(tmp_path / "p.jsonl", [paper(1), paper(2)])
    invoke("run", str(source))
    code, out, _ = invoke("run", str(source), "--refresh")
    assert code == 0 and "cached 0 · extracted 2" in out
    assert invoke("sql", "select count(*) from extractions")[1] == "count_star()\n2\n"


def test_export_takes_its_format_from_the_extension_and_writes_stdout(
    tmp_path: Path, db_path: Path
) -> None:
    invoke("run", str(EXAMPLES))
    code, _, _ = invoke("export", "--out", str(tmp_path / "d.parquet"))
    assert code == 0 and pq.read_table(tmp_path / "d.parquet").num_rows == 65
    assert invoke("export", "--out", str(tmp_path / "d.jsonl"))[0] == 0
    assert len((tmp_path / "d.jsonl").read_text().splitlines()) == 65
    result = subprocess.run(
        [sys.executable, "-m", "summarizer", "export", "--out", "-", "--db", str(db_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("paper_id,title,") and result.stdout.count("\n") >= 66
    assert not (Path.cwd() / "-").exists()
    code, _, err = invoke("export", "--out", str(tmp_path))
    assert code == 2 and "is a directory" in err
    code, _, err = invoke("export", "--out", str(tmp_path / "x.csv"), "--where", "nonsense ===")
    assert code == 2 and "--where 'nonsense ===' is not a valid filter" in err


def test_settings_mistakes_exit_2_before_a_database_is_created(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    code, _, err = invoke("run", str(tmp_path / "missing.jsonl"), "--db", str(db))
    assert code == 2 and "no such file or folder" in err and not db.exists()
    code, _, err = invoke(
        "run", str(EXAMPLES), "--base-url", "http://127.0.0.1:9/v1", "--db", str(db)
    )
    assert code == 2 and "cannot reach http://127.0.0.1:9/v1" in err
    invoke("run", str(EXAMPLES), "--db", str(db))
    code, _, err = invoke("eval", "--gold", str(tmp_path / "nope.jsonl"), "--db", str(db))
    assert code == 2 and "no such gold file" in err


def test_the_progress_total_is_known_up_front(tmp_path: Path, db_path: Path) -> None:
    class Recorder(Reporter):
        def __init__(self) -> None:
            self.events: list[tuple[str, int]] = []

        def add_total(self, amount: int) -> None:
            self.events.append(("total", amount))

        def advance(self, amount: int = 1) -> None:
            self.events.append(("advance", amount))

    source = write_jsonl(tmp_path / "p.jsonl", [paper(i) for i in range(50)])
    recorder = Recorder()
    from summarizer.backends.rules import RulesBackend
    from summarizer.store.store import Store

    with Store(db_path) as store:
        pipeline.run([source], store, RulesBackend(), reporter=recorder)
    assert recorder.events[0] == ("total", 50)
    assert sum(n for kind, n in recorder.events if kind == "advance") == 50


@pytest.mark.parametrize("paid", [False, True])
def test_the_progress_bar_fits_80_columns(paid: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with progress_reporter(paid=paid) as reporter:
        reporter.add_total(123_456)
        reporter.advance(12_345)
        reporter.spend(1_234_567, 12.3456, 17)
        console = Console(width=80, record=True, force_terminal=True)
        console.print(reporter.progress.get_renderable())  # type: ignore[attr-defined]
    lines = [line for line in console.export_text().splitlines() if line.strip()]
    assert len(lines) == 1 and len(lines[0]) <= 80
    assert "12345/123456" in lines[0]
    assert ("$12.3456" in lines[0]) == paid


def test_the_same_file_named_two_ways_is_one_source(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "listings"
    folder.mkdir()
    (folder / "day.txt").write_bytes((EXAMPLES / "daily_papers_mar14.txt").read_bytes())
    monkeypatch.chdir(tmp_path)
    invoke("run", "listings/")
    invoke("run", str(folder / "day.txt"))
    invoke("run", "./listings/../listings/day.txt")
    out = invoke("sql", "select count(*) as n, count(distinct source) as s from sightings")[1]
    assert out == "n,s\n65,1\n"
    assert invoke("sql", "select distinct unnest(sources) as s from papers")[1] == (
        f"s\n{folder / 'day.txt'}\n"
    )
