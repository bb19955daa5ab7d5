"""Daily feeds (issue 25): sources as inputs, fetched from the fake sources of
``summarizer/testing/fake_feeds.py`` on a clock that moves only when slept on (no test
waits): paging, an empty day, resumption after a kill, Retry-After, a malformed page, a paper
in two sources, and an incremental re-run that fetches nothing."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import summarizer
from summarizer.cli import app
from summarizer.core.errors import ConfigError, FetchError
from summarizer.ingest import read_papers
from summarizer.ingest.remote import parse_source
from summarizer.outputs.export import export
from summarizer.outputs.report import report
from summarizer.run.fetch import FetchOptions, fetch_sources
from summarizer.store.store import Store
from summarizer.testing.fake_feeds import FakeClock, FakeFeeds, FeedPaper

DAY = date(2026, 12, 1)
"""The days fetched; the clock says it is 2026-12-08 06:00 UTC, so they are all over."""


def _papers(n: int, day: date = DAY, *, first: int = 0, **extra: Any) -> list[FeedPaper]:
    return [
        FeedPaper(
            f"2612.{first + i:05d}",
            f"Paper {first + i}: a method for things",
            f"We propose Method{first + i}, a model for things. It improves accuracy by "
            f"{(first + i) % 9 + 1}% over the baseline.",
            day,
            **extra,
        )
        for i in range(n)
    ]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve(clock: FakeClock) -> Iterator[Any]:
    started: list[FakeFeeds] = []

    def start(**kwargs: Any) -> FakeFeeds:
        fake = FakeFeeds(clock=clock, **kwargs).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


def _options(fake: FakeFeeds, clock: FakeClock, **kwargs: Any) -> FetchOptions:
    return FetchOptions(endpoints=fake.endpoints(), clock=clock, **kwargs)


def _run(
    inputs: list[str], db: Path, fake: FakeFeeds | FetchOptions, clock: FakeClock, **kwargs: Any
) -> summarizer.RunOutcome:
    request = summarizer.RunRequest(inputs=list(inputs), db=db, **kwargs)
    options = fake if isinstance(fake, FetchOptions) else _options(fake, clock)
    return summarizer.run(request, fetch=options)


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """One open of the database for a test that only fetches."""
    with Store(db_path) as opened:
        yield opened


def _fetch(
    store: Store, sources: list[str], fake: FakeFeeds, clock: FakeClock, **kwargs: Any
) -> Any:
    return fetch_sources(sources, store, _options(fake, clock, **kwargs))


def _papers_in(report: Any) -> int:
    return sum(1 for item in read_papers(report.files) if not isinstance(item, Exception))


def _count(db: Path, sql: str) -> Any:
    with Store(db, read_only=True) as store:
        return store.query(sql)[0][0]


def _params(fake: FakeFeeds, route: str, name: str) -> list[str | None]:
    return [seen.params.get(name) for seen in fake.seen(route)]


# -- spelling -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("hf:2026-13-01", "'2026-13-01' is not a date"),
        ("arxiv:CS@2026-12-01", "'CS': not an arXiv category"),
        ("arxiv:cs.CL", "no @ before the dates"),
        ("oai:cs/oai_dc@2026-12-01", "'oai_dc' is not arXiv or arXivRaw"),
        ("hf:2026-12-09", "after today (2026-12-08)"),
        ("hf:2026-12-05..2026-12-01", "starts on 2026-12-05 after it ends"),
    ],
)
def test_a_misspelt_source_is_one_line_naming_it_and_the_spelling(text: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_source(text, date(2026, 12, 8))
    message = str(caught.value)
    assert said in message and repr(text) in message and "expected" in message
    assert "\n" not in message


def test_the_spellings_read_as_documented() -> None:
    today = date(2026, 12, 8)
    week = parse_source("hf:2026-12-01..2026-12-07", today)
    assert (week.key, week.start, week.end, len(week.days(date(2026, 12, 1)))) == (
        "hf",
        date(2026, 12, 1),
        date(2026, 12, 7),
        7,
    )
    arxiv = parse_source("arxiv:cs.LG,cs.CL@yesterday", today)
    assert (arxiv.key, arxiv.start, arxiv.end) == (
        "arxiv:cs.CL,cs.LG",
        today - timedelta(1),
        today - timedelta(1),
    )
    oai = parse_source("oai:physics:hep-th/arXivRaw@since:last", today)
    assert (oai.key, oai.start, oai.end) == ("oai:physics:hep-th/arXivRaw", None, today)
    late = parse_source("hf:2026-12-06..2027-01-01", today)
    assert (late.end, late.clamped) == (today, date(2027, 1, 1))


def test_a_misspelt_source_on_the_command_line_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "arxiv:cs.CL@2026-12-01..2026-11-01"])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: source 'arxiv:cs.CL@2026-12-01..2026-11-01'")
    assert "Traceback" not in result.output and not (tmp_path / "db").exists()


# -- paging and empty days ------------------------------------------------------------


def test_paging_reads_every_page_of_every_source(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    hf = _papers(201)  # 100 + 100 + 1
    arxiv = _papers(1001, first=1000)  # 500 + 500 + 1
    oai = _papers(81, first=5000)  # 40 + 40 + 1
    fake = serve(hf=hf, arxiv=arxiv, oai=oai, oai_page=40)
    day = DAY.isoformat()
    fetched = _fetch(store, [f"hf:{day}", f"arxiv:cs.CL@{day}", f"oai:cs@{day}"], fake, clock)
    assert _papers_in(fetched) == 201 + 1001 + 81
    assert _params(fake, "hf", "p") == ["0", "1", "2"]
    assert _params(fake, "hf", "limit") == ["100"] * 3
    assert _params(fake, "arxiv", "start") == ["0", "500", "1000"]
    tokens = _params(fake, "oai", "resumptionToken")
    assert tokens[0] is None and all(tokens[1:]) and len(tokens) == 3
    assert _params(fake, "oai", "from")[0] == day == _params(fake, "oai", "until")[0]
    assert store.query(
        "SELECT source, status, pages, papers, cursor FROM fetches ORDER BY source"
    ) == [
        ("arxiv:cs.CL", "complete", 3, 1001, None),
        ("hf", "complete", 3, 201, None),
        ("oai:cs/arXiv", "complete", 3, 81, None),
    ]


def test_an_empty_day_is_zero_papers_and_complete(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    fake = serve(hf=_papers(3, DAY + timedelta(days=1)))
    day = DAY.isoformat()
    fetched = _fetch(store, [f"hf:{day}", f"arxiv:cs.CL@{day}", f"oai:cs@{day}"], fake, clock)
    assert len(fetched.files) == 3  # one page each, kept: an empty day is an answer too
    assert list(read_papers(fetched.files)) == []  # no papers, and no rejection
    assert store.query("SELECT DISTINCT status, papers FROM fetches") == [("complete", 0)]


# -- incremental ----------------------------------------------------------------------


def test_an_incremental_rerun_fetches_nothing(serve: Any, clock: FakeClock, db_path: Path) -> None:
    fake = serve(hf=_papers(5) + _papers(5, DAY + timedelta(days=1), first=5))
    source = f"hf:{DAY}..{DAY + timedelta(days=2)}"
    options = _options(fake, clock)
    first = _run([source], db_path, options, clock)
    assert first.report is not None and first.report.extracted == 10
    asked = len(fake.requests)
    fake.stop()  # any request now fails: the kept pages must be all the re-run needs
    again = _run([source], db_path, options, clock)
    assert len(fake.requests) == asked  # nothing fetched
    assert again.report is not None and (again.report.read, again.report.cached) == (10, 10)
    assert any("fetched 0 · already fetched 3" in note for note in again.notes)


def test_since_last_starts_after_the_newest_closed_day(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    fake = serve(hf=_papers(2, date(2026, 12, 7)))
    with pytest.raises(ConfigError, match="no window of hf was fetched completely yet"):
        _fetch(store, ["hf:since:last"], fake, clock)
    _fetch(store, [f"hf:{DAY}..{DAY + timedelta(days=4)}"], fake, clock)  # up to 12-05
    fake.requests.clear()
    fetched = _fetch(store, ["hf:since:last"], fake, clock)
    assert _params(fake, "hf", "date") == ["2026-12-06", "2026-12-07", "2026-12-08"]
    assert _papers_in(fetched) == 2
    again = _fetch(store, [f"hf:{DAY}..{DAY + timedelta(days=1)}"], fake, clock, refresh=True)
    assert again.sources[0].fetched == 2  # refresh: closed days too


def test_a_day_not_over_yet_is_fetched_again_until_a_fetch_after_it(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    today = date(2026, 12, 8)
    fake = serve(hf=_papers(2, today))
    for _ in range(2):
        _fetch(store, ["hf:today"], fake, clock)
    assert len(fake.seen("hf")) == 2  # not over when fetched: asked again
    clock.sleep(24 * 3600)  # the next morning
    _fetch(store, [f"hf:{today}"], fake, clock)
    kept = _fetch(store, [f"hf:{today}"], fake, clock)
    assert len(fake.seen("hf")) == 3  # fetched once after the day was over, then kept
    assert (kept.sources[0].kept, _papers_in(kept)) == (1, 2)


# -- resumption -----------------------------------------------------------------------


class _KilledAfter(FakeClock):
    """Ctrl-C arrives while the client waits its turn for the ``sleeps``-th time."""

    def __init__(self, sleeps: int) -> None:
        super().__init__()
        self.left = sleeps

    def sleep(self, seconds: float) -> None:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt
        super().sleep(seconds)


def test_a_harvest_killed_midway_resumes_at_its_next_page_and_stores_nothing_twice(
    serve: Any, db_path: Path
) -> None:
    killing = _KilledAfter(sleeps=3)  # before the 4th request: three pages kept
    fake = serve(oai=_papers(180), oai_page=40)  # 5 pages
    source = f"oai:cs@{DAY}"
    with pytest.raises(KeyboardInterrupt):
        _run([source], db_path, fake, killing)
    with Store(db_path, read_only=True) as store:
        (row,) = store.query("SELECT status, pages, papers, cursor FROM fetches")
        assert _count(db_path, "SELECT count(*) FROM papers") == 0
    assert row[:3] == ("partial", 3, 120) and row[3]
    assert len(fake.seen("oai")) == 3
    outcome = _run([source], db_path, fake, FakeClock())
    rest = fake.seen("oai")[3:]
    assert next(seen.params.get("resumptionToken") for seen in rest) == row[3]
    assert len(rest) == 2 and all("from" not in seen.params for seen in rest)
    assert outcome.report is not None and outcome.report.read == 180
    assert _count(db_path, "SELECT count(*) FROM sightings") == 180
    assert _count(db_path, "SELECT count(DISTINCT paper_id) FROM papers") == 180


def test_a_network_failure_keeps_the_pages_before_it(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    fake = serve(hf=_papers(250))
    fake.down_from("hf", 2)
    with pytest.raises(FetchError, match=r"page 2 .*HTTP 500 \(tried 5 times\)"):
        _fetch(store, [f"hf:{DAY}"], fake, clock)
    (row,) = store.query("SELECT status, pages, cursor, error FROM fetches")
    assert row[:3] == ("partial", 1, "1") and "HTTP 500" in row[3]
    fake.heal()
    fake.requests.clear()
    fetched = _fetch(store, [f"hf:{DAY}"], fake, clock)
    assert _params(fake, "hf", "p") == ["1", "2"]
    assert (fetched.sources[0].resumed, _papers_in(fetched)) == (1, 250)


def test_an_expired_resumption_token_starts_the_day_over(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    fake = serve(oai=_papers(100), oai_page=40)
    fake.down_from("oai", 2)
    with pytest.raises(FetchError):
        _fetch(store, [f"oai:cs@{DAY}"], fake, clock)
    fake.heal()
    fake.expire_tokens()
    fake.requests.clear()
    fetched = _fetch(store, [f"oai:cs@{DAY}"], fake, clock)
    assert _params(fake, "oai", "from") == [None, DAY.isoformat(), None, None]
    assert (len(fetched.files), _papers_in(fetched)) == (3, 100)


# -- politeness -----------------------------------------------------------------------


def test_retry_after_is_honoured_and_the_fake_sees_the_waits(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    fake = serve(hf=_papers(250), arxiv=_papers(3), oai=_papers(100), oai_page=40)
    fake.fault("hf", "429", at=2, retry_after=30)
    fake.fault("arxiv", "503", at=1, retry_after=7)
    fake.fault("oai", "503", at=2, retry_after="date:20")  # an HTTP date 20 s on
    day = DAY.isoformat()
    _fetch(store, [f"hf:{day}"], fake, clock)
    hf = fake.seen("hf")
    assert [s.status for s in hf] == [200, 429, 200, 200]
    assert hf[2].at - hf[1].at >= 30  # the wait the server asked for, as the fake saw it
    _fetch(store, [f"arxiv:cs.CL@{day}", f"oai:cs@{day}"], fake, clock)
    arxiv, oai = fake.seen("arxiv"), fake.seen("oai")
    assert [s.status for s in arxiv] == [503, 200] and arxiv[1].at - arxiv[0].at >= 7
    assert [s.status for s in oai] == [200, 503, 200, 200]
    assert oai[2].at - oai[1].at >= 19  # an HTTP date, to the second
    gaps = [b.at - a.at for a, b in itertools.pairwise(oai)]
    assert min(gaps) >= 3.0  # arXiv asks for one request every 3 s
    assert all(agent.startswith("summarizer/") for agent in fake.user_agents)


def test_a_wait_too_long_is_one_line_not_a_night_of_sleep(
    serve: Any, clock: FakeClock, store: Store
) -> None:
    fake = serve(hf=_papers(3))
    fake.fault("hf", "503", at=1, retry_after=7200)
    with pytest.raises(FetchError, match="asks to wait 7200 s"):
        _fetch(store, [f"hf:{DAY}"], fake, clock)
    assert sum(clock.sleeps) < 60


# -- malformed pages ------------------------------------------------------------------


def test_a_malformed_page_is_one_line_naming_source_and_page_with_nothing_half_stored(
    serve: Any, clock: FakeClock, db_path: Path
) -> None:
    fake = serve(hf=_papers(250))
    fake.fault("hf", "truncated", at=2, times=5)
    with pytest.raises(FetchError) as caught:
        _run([f"hf:{DAY}"], db_path, fake, clock)
    message = str(caught.value)
    assert message.startswith(f"hf:{DAY}: {DAY} page 2 (") and "\n" not in message
    assert "malformed (not valid JSON" in message and "run again to resume" in message
    folder = db_path.with_name(db_path.name + ".feeds") / "hf" / DAY.isoformat()
    assert sorted(p.name for p in folder.iterdir()) == ["page-0001.json.gz"]
    assert _count(db_path, "SELECT count(*) FROM paper_records") == 0
    assert _count(db_path, "SELECT pages FROM fetches") == 1


def test_a_page_cut_short_once_is_fetched_again(serve: Any, clock: FakeClock, store: Store) -> None:
    fake = serve(arxiv=_papers(700), hf=_papers(10))
    fake.fault("arxiv", "cut", at=2)
    fake.fault("hf", "garbage", at=1)
    fetched = _fetch(store, [f"arxiv:cs.CL@{DAY}", f"hf:{DAY}"], fake, clock)
    assert [s.status for s in fake.seen("arxiv")] == [200, 200, 200]
    assert _papers_in(fetched) == 710


def test_a_source_refusing_is_not_retried(serve: Any, clock: FakeClock, store: Store) -> None:
    fake = serve(arxiv=_papers(3))
    fake.fault("arxiv", "refuse", at=1)
    with pytest.raises(FetchError, match="the arXiv API says: incorrect search query"):
        _fetch(store, [f"arxiv:cs.CL@{DAY}"], fake, clock)
    assert len(fake.seen("arxiv")) == 1


# -- metadata, and one paper from two sources -----------------------------------------


def test_a_paper_in_both_sources_is_one_paper_with_two_sightings(
    serve: Any, clock: FakeClock, db_path: Path
) -> None:
    (paper,) = _papers(1, upvotes=17, repo="https://github.com/org/method0")
    gizmo = FeedPaper(  # its abstract names its own code: that wins over the source's
        "2612.00001",
        "Gizmo",
        "We propose Gizmo. Code: https://github.com/own/gizmo.",
        DAY,
        repo="https://github.com/other/place",
    )
    fake = serve(hf=[paper, gizmo], arxiv=[paper])
    _run([f"hf:{DAY}", f"arxiv:cs.CL@{DAY}"], db_path, fake, clock)
    page = next((db_path.with_name(db_path.name + ".feeds") / "hf").rglob("*.gz"))
    assert "futureField" in json.loads(gzip.decompress(page.read_bytes()))[0]["paper"]
    with Store(db_path, read_only=True) as store:
        assert store.query(
            "SELECT paper_id, upvotes, repo_url, len(sources), authors FROM papers "
            "WHERE arxiv_id = '2612.00000'"
        ) == [
            ("2612.00000", 17, "https://github.com/org/method0", 2,
             ["Ada Lovelace", "Alan Turing"]),
        ]  # fmt: skip
        assert store.query("SELECT paper_id, count(*) FROM sightings GROUP BY 1 ORDER BY 1") == [
            ("2612.00000", 2),
            ("2612.00001", 1),
        ]
        assert store.query(
            "SELECT paper_id, code_url, code_url_source, upvotes FROM summaries ORDER BY 1"
        ) == [
            ("2612.00000", "https://github.com/org/method0", "source", 17),
            ("2612.00001", "https://github.com/own/gizmo", "abstract", 0),
        ]
        assert store.query(
            "SELECT paper_id, url, kind, is_code_url, origin FROM links ORDER BY 1, origin"
        ) == [
            ("2612.00000", "https://github.com/org/method0", "code", True, "source"),
            ("2612.00001", "https://github.com/own/gizmo", "code", True, "abstract"),
            ("2612.00001", "https://github.com/other/place", "code", False, "source"),
        ]


# -- what is new ----------------------------------------------------------------------


def test_export_and_report_new_show_the_papers_the_last_run_stored_first(
    serve: Any, clock: FakeClock, db_path: Path, tmp_path: Path
) -> None:
    second = DAY + timedelta(days=1)
    fake = serve(hf=_papers(3) + _papers(2, second, first=3) + _papers(1, second))
    _run([f"hf:{DAY}"], db_path, fake, clock)
    _run([f"hf:{second}"], db_path, fake, clock)  # two new papers, and one seen the day before
    with Store(db_path, read_only=True) as store:
        assert export(store, tmp_path / "new.csv", new=True) == 2
        assert export(store, tmp_path / "all.csv") == 5
        assert report(store, tmp_path / "new.md", new=True) == 2
    result = CliRunner().invoke(app, ["export", "--new", "--out", "-", "--db", str(db_path)])
    assert result.exit_code == 0 and result.stdout.count("\n") == 3  # header + 2


# -- the command line -----------------------------------------------------------------


def test_fetch_then_run_on_the_command_line(
    serve: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yesterday = date.today() - timedelta(days=1)  # the command line runs on the real clock
    fake = serve(hf=_papers(4, yesterday), arxiv=_papers(2, yesterday, first=10))
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    fetched = runner.invoke(app, ["fetch", "hf:yesterday", "arxiv:cs.CL@yesterday"])
    assert fetched.exit_code == 0, fetched.output
    assert "hf:yesterday: 1 day" in fetched.stdout and "4 papers" in fetched.stdout
    ran = runner.invoke(app, ["run", "hf:yesterday", "arxiv:cs.CL@yesterday", "-q"])
    assert ran.exit_code == 0, ran.output
    assert "papers read 6 (6 distinct) · new 6" in ran.stdout
    assert "already fetched 1" in ran.stderr
    assert len(fake.requests) == 2
    ingested = runner.invoke(app, ["ingest", "hf:yesterday", "--refetch"])
    assert ingested.exit_code == 0 and "papers read 4 · new 0" in ingested.stdout
    assert len(fake.requests) == 3  # --refetch: the closed day once more


def test_a_fetch_failure_on_the_command_line_is_one_line_exit_1(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = serve(hf=_papers(2, date.today() - timedelta(days=1)))
    fake.fault("hf", "refuse", at=1)
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["run", "hf:yesterday"])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: hf:yesterday: ") and "HTTP 400" in line
    assert "Traceback" not in result.output


def test_fetch_takes_only_sources_and_refetch_needs_one(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["fetch", "papers.jsonl"])
    assert result.exit_code == 2 and "'papers.jsonl' is not a source" in result.stderr
    (tmp_path / "p.jsonl").write_text('{"title": "T", "abstract": "A."}\n')
    result = runner.invoke(app, ["run", str(tmp_path / "p.jsonl"), "--refetch"])
    assert result.exit_code == 2 and "--refetch fetches sources again" in result.stderr


def test_an_endpoint_without_a_scheme_is_one_line(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "localhost:8080")
    with Store(db_path) as store, pytest.raises(ConfigError, match="HF_ENDPOINT='localhost:8080'"):
        fetch_sources(["hf:yesterday"], store)


def test_arxiv_s_api_and_oai_pmh_share_one_turn() -> None:
    from summarizer.run.fetch import _site

    assert _site("https://export.arxiv.org/api/query") == _site("https://oaipmh.arxiv.org/oai")
    assert _site("https://huggingface.co") != _site("https://export.arxiv.org/api/query")
    assert _site("http://127.0.0.1:8080/oai") == "127.0.0.1:8080"


@pytest.mark.slow  # the openai client's import; the fakes themselves answer at once
def test_a_source_goes_to_provider_batch_jobs_like_a_file(
    serve: Any, clock: FakeClock, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    fake = serve(oai=_papers(6), oai_page=4)
    config = FakeConfig(
        model="gpt-4o-mini", answerer="summarizer.testing.fake_openai:rules_answerer",
        batch_seconds=0.0,
    )  # fmt: skip
    with FakeOpenAIServer(config) as provider:
        outcome = _run(
            [f"oai:cs@{DAY}"], db_path, fake, clock, backend="openai", base_url=provider.base_url,
            model="gpt-4o-mini", mode="json_schema", batch=True, wait=True, poll=0.0,
        )  # fmt: skip
    assert outcome.submitted is not None and outcome.submitted.submitted == 6
    assert sum(report.stored for report in outcome.collected) == 6
    assert _count(db_path, "SELECT count(*) FROM summaries WHERE status = 'ok'") == 6
