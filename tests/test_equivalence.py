"""One job, three executors: a live `summarizer run`, `run --batch --wait` (provider batch jobs
against the fake's Files and Batches API) and `run --engine ray` leave the same data behind.

Each scenario is played through the CLI, the way a user would, once per executor, each into
a database of its own, against one fake OpenAI-compatible server answering with the offline
rules plus a gain no abstract states (``tests.fakes.rules_answerer_inventing_a_gain``). After
the scenario a normalised snapshot is taken through ``summarizer sql``: the ``papers`` view,
the sightings, the values of the extraction each
paper's current result points at, the ``summaries`` and ``failures`` views (times, ids,
latencies and tokens left out; input paths made relative), and the exit code of each step.
The live run is the reference: the batch and Ray snapshots must equal it, and each scenario's
own promise is checked on every executor's snapshot.

Scenarios:

- ``plain``: a first run of the seed listings;
- ``fix-record``: a JSONL copy of seed papers with one line missing its abstract, run, the
  line fixed in the file, run again: the ingest failure is gone;
- ``strict``: the seed listings (the invented gains are ungrounded), run, then run again
  with ``--strict-grounding`` over the cached results: no ungrounded value is left;
- ``repoint``: ``--backend rules``, the openai run, rules again, the openai run again (fully
  cached): the openai result is current for every paper.

A scenario is played once per executor per module (the plays are memoised), and the
``strict`` scenario starts from a copy of the database the ``plain`` play left, so the Ray
engine starts an LLM worker pool as few times as the scenarios need.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import ray  # in the test extra: without it this module fails to import, loudly, not skipped
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.conftest import SEEDS

pytestmark = [
    pytest.mark.slow,  # a local Ray cluster and a fake server, shared by the whole module
    pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\..*"),
]

MODEL = "gpt-4o-mini"
RULES_ANSWERER = "tests.fakes:rules_answerer_inventing_a_gain"
EXECUTORS = ("live", "batch", "ray")
SCENARIOS = ("plain", "fix-record", "strict", "repoint")
FLAGS = {
    "live": ["-q"],
    "batch": ["--batch", "--wait", "--poll", "0"],
    "ray": ["--engine", "ray", "--workers", "1", "-q"],
}

# What a snapshot holds: public views and the rows behind "which result is current", with
# times, ids, latencies and tokens left out (they differ between any two runs).
EXTRACTED = """
    SELECT p.paper_id, e.backend, e.model, e.prompt_hash, e.schema_version, e.status,
           e.task, e.task_evidence, e.task_category, e.method_name, e.method_description,
           e.method_evidence, e.code_url, e.code_url_evidence, e.code_url_grounded,
           e.links, e.model_sizes, e.gains, e.grounded_ratio, e.ungrounded, e.recall_warnings,
           e.task_evidence_start, e.task_evidence_end, e.method_evidence_start,
           e.method_evidence_end, e.code_url_evidence_start, e.code_url_evidence_end
    FROM paper_records p LEFT JOIN extractions e ON e.cache_key = p.current_key
    ORDER BY p.paper_id
"""
SNAPSHOT = {
    "papers": "SELECT * FROM papers ORDER BY paper_id",
    "sightings": "SELECT paper_id, source, record, listing_date FROM sightings ORDER BY ALL",
    "current extractions": EXTRACTED,
    "summaries": "SELECT * EXCLUDE (extracted_at) FROM summaries ORDER BY paper_id",
    "failures": "SELECT * EXCLUDE (failed_at) FROM failures ORDER BY ALL",
}
UNGROUNDED = """
    SELECT (SELECT coalesce(sum(ungrounded), 0) FROM summaries) AS "ungrounded column",
           (SELECT count(*) FROM gains WHERE NOT grounded)
         + (SELECT count(*) FROM model_sizes WHERE NOT grounded)
         + (SELECT count(*) FROM links WHERE NOT grounded)
         + (SELECT count(*) FROM summaries WHERE code_url IS NOT NULL AND NOT code_url_grounded)
           AS "values flagged not grounded"
"""
"""Ungrounded values in the current results: the summaries' count, and the values the
gains, model_sizes, links and summaries views flag as not grounded."""

Snapshot = dict[str, Any]


@dataclass
class Play:
    """What one scenario left behind on one executor."""

    executor: str
    snapshot: Snapshot = field(default_factory=dict)
    before: Snapshot = field(default_factory=dict)
    """The snapshot after the scenario's first step (the precondition of its promise)."""
    outputs: list[str] = field(default_factory=list)


def sql(db: Path, statement: str, inputs: Path | None = None) -> list[dict[str, Any]]:
    """Rows of a query through `summarizer sql --format json`, input paths made relative."""
    done = CliRunner().invoke(app, ["sql", statement, "--format", "json", "--db", str(db)])
    assert done.exit_code == 0, done.output
    text = done.stdout
    if inputs is not None:
        text = text.replace(str(inputs), "<inputs>")
    text = text.replace(str(SEEDS), "<seeds>")
    rows: list[dict[str, Any]] = json.loads(text)
    return rows


def snapshot(db: Path, inputs: Path | None, codes: list[int]) -> Snapshot:
    shot: Snapshot = {name: sql(db, query, inputs) for name, query in SNAPSHOT.items()}
    shot["exit codes"] = list(codes)
    shot["ungrounded"] = sql(db, UNGROUNDED)[0]
    return shot


class Player:
    """Plays scenarios through the CLI, each once per executor; remembers what they left."""

    def __init__(self, root: Path, server: FakeOpenAIServer) -> None:
        self.root = root
        self.server = server
        self.plays: dict[tuple[str, str], Play] = {}
        self._seed_papers: list[dict[str, Any]] | None = None

    def cli(self, play: Play, db: Path, inputs: list[Path], *extra: str) -> int:
        args = ["run", *map(str, inputs), "--db", str(db), *extra]
        done = CliRunner().invoke(app, args)
        play.outputs.append(f"$ summarizer {' '.join(args)}\n{done.output}")
        if done.exception is not None and not isinstance(done.exception, SystemExit):
            raise done.exception
        return done.exit_code

    def openai(self, play: Play, db: Path, inputs: list[Path], *extra: str) -> int:
        llm = ["--base-url", self.server.base_url, "--model", MODEL, "--mode", "json_schema"]
        return self.cli(play, db, inputs, *llm, *FLAGS[play.executor], *extra)

    def rules(self, play: Play, db: Path, inputs: list[Path]) -> int:
        return self.cli(play, db, inputs, "--backend", "rules", "-q")

    def seed_papers(self) -> list[dict[str, Any]]:
        """The seed listings' papers (title, abstract), as `summarizer ingest` reads them."""
        if self._seed_papers is None:
            db = self.root / "seeds.duckdb"
            done = CliRunner().invoke(app, ["ingest", str(SEEDS), "--db", str(db)])
            assert done.exit_code == 0, done.output
            self._seed_papers = sql(db, "SELECT title, abstract FROM papers ORDER BY paper_id")
        return self._seed_papers

    def __call__(self, scenario: str, executor: str) -> Play:
        if (scenario, executor) not in self.plays:
            folder = self.root / f"{scenario}-{executor}"
            folder.mkdir()
            play = Play(executor)
            getattr(self, "play_" + scenario.replace("-", "_"))(play, folder)
            self.plays[scenario, executor] = play
        return self.plays[scenario, executor]

    # -- the scenarios ---------------------------------------------------------------------------

    def play_plain(self, play: Play, folder: Path) -> None:
        db = folder / "db.duckdb"
        codes = [self.openai(play, db, [SEEDS])]
        play.snapshot = snapshot(db, None, codes)

    def play_fix_record(self, play: Play, folder: Path) -> None:
        inputs = folder / "inputs"
        inputs.mkdir()
        papers = self.seed_papers()[:6]
        broken = {"title": papers[2]["title"]}  # the abstract is missing
        source = inputs / "papers.jsonl"

        def write(third: dict[str, Any]) -> None:
            lines = [*papers[:2], third, *papers[3:]]
            source.write_text("".join(json.dumps(p) + "\n" for p in lines))

        write(broken)
        db = folder / "db.duckdb"
        codes = [self.openai(play, db, [inputs])]
        play.before = snapshot(db, inputs, codes)
        write(papers[2])
        codes.append(self.openai(play, db, [inputs]))
        play.snapshot = snapshot(db, inputs, codes)

    def play_strict(self, play: Play, folder: Path) -> None:
        first = self(SCENARIOS[0], play.executor)  # the plain first run of the seeds
        source = self.root / f"{SCENARIOS[0]}-{play.executor}" / "db.duckdb"
        db = folder / "db.duckdb"
        shutil.copyfile(source, db)
        play.before = first.snapshot
        play.outputs.extend(first.outputs)
        codes = [
            *first.snapshot["exit codes"],
            self.openai(play, db, [SEEDS], "--strict-grounding"),
        ]
        play.snapshot = snapshot(db, None, codes)

    def play_repoint(self, play: Play, folder: Path) -> None:
        inputs = folder / "inputs"
        inputs.mkdir()
        papers = self.seed_papers()[:8]
        (inputs / "papers.jsonl").write_text("".join(json.dumps(p) + "\n" for p in papers))
        db = folder / "db.duckdb"
        codes = [self.rules(play, db, [inputs]), self.openai(play, db, [inputs])]
        codes += [self.rules(play, db, [inputs]), self.openai(play, db, [inputs])]
        play.snapshot = snapshot(db, inputs, codes)


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray for the module; `run --engine ray` finds it started and leaves it up."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.ERROR,
        _node_ip_address="127.0.0.1",
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    config = FakeConfig(model=MODEL, answerer=RULES_ANSWERER, batch_seconds=0.0)
    with FakeOpenAIServer(config) as fake:
        yield fake


@pytest.fixture(scope="module")
def player(
    tmp_path_factory: pytest.TempPathFactory, server: FakeOpenAIServer, local_ray: None
) -> Player:
    return Player(tmp_path_factory.mktemp("equivalence"), server)


@pytest.fixture
def play(player: Player, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], Play]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    return player


# -- checks --------------------------------------------------------------------------------------


def _short(row: object, limit: int = 700) -> str:
    text = json.dumps(row, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + " …"


def differences(actual: Snapshot, reference: Snapshot, label: str) -> list[str]:
    """One line per part of the snapshot that differs, with an example row from each side."""
    problems = []
    for name, expected in reference.items():
        got = actual.get(name)
        if got == expected:
            continue
        if isinstance(got, list) and isinstance(expected, list) and name != "exit codes":
            extra = [row for row in got if row not in expected]
            missing = [row for row in expected if row not in got]
            problems.append(
                f"{name}: {len(got)} rows on {label}, {len(expected)} on live; "
                f"{len(extra)} only on {label}, e.g. {_short(extra[:1])}; "
                f"{len(missing)} only on live, e.g. {_short(missing[:1])}"
            )
        else:
            problems.append(f"{name}: {label} {_short(got)} != live {_short(expected)}")
    return problems


def check_promise(scenario: str, result: Play) -> None:
    """What the scenario promises, whichever executor played it."""
    shot, before, label = result.snapshot, result.before, result.executor
    log = "\n".join(result.outputs)[-4000:]
    if scenario == "plain":
        assert shot["exit codes"] == [0], log
        statuses = {row["status"] for row in shot["summaries"]}
        assert statuses == {"ok"} and len(shot["summaries"]) > 150, (label, statuses)
        assert shot["failures"] == [], (label, shot["failures"])
    elif scenario == "fix-record":
        ingest = [f for f in before["failures"] if f["stage"] == "ingest"]
        assert len(ingest) == 1 and ingest[0]["record"], (label, before["failures"])  # premise
        assert shot["exit codes"] == [1, 0], log
        assert shot["failures"] == [], f"{label}: the fixed record is still a failure: " + (
            _short(shot["failures"])
        )
        assert [row["status"] for row in shot["summaries"]] == ["ok"] * 6, label
    elif scenario == "strict":
        premise = before["ungrounded"]
        assert all(n > 0 for n in premise.values()), f"{label}: nothing to drop: {premise}"
        assert shot["exit codes"] == [0, 0], log
        left = shot["ungrounded"]
        assert set(left.values()) == {0}, (
            f"{label}: ungrounded values left after --strict-grounding over the cached "
            f"results: {left}"
        )
    elif scenario == "repoint":
        assert shot["exit codes"] == [0, 0, 0, 0], log
        current = {(row["backend"], row["model"]) for row in shot["summaries"]}
        assert current == {("openai", MODEL)}, (
            f"{label}: after rules, openai, rules and a cached openai run the current results "
            f"are {sorted(map(str, current))}, not openai's for every paper"
        )
        assert len(shot["summaries"]) == 8


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_job_leaves_the_same_data_on_every_executor(
    play: Callable[[str, str], Play], scenario: str, executor: str
) -> None:
    result = play(scenario, executor)
    problems = []
    if executor != "live":
        reference = play(scenario, "live")
        problems += differences(result.snapshot, reference.snapshot, executor)
    try:
        check_promise(scenario, result)
    except AssertionError as broken:
        problems.insert(0, f"promise: {broken}")
    assert not problems, f"{scenario} on {executor}:\n" + "\n".join(problems)
