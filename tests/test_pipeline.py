"""The main job through the library API: dedupe, caching, invalidation, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.backends import get_backend
from summarizer.core.identity import cache_key
from summarizer.core.paper import Paper
from summarizer.ingest import read_papers
from summarizer.run import pipeline
from summarizer.store.store import Store
from tests.fakes import CountingBackend


def test_first_run_extracts_each_distinct_paper_once(
    seeds: Path, db_path: Path, counting_backend: CountingBackend
) -> None:
    with Store(db_path) as store:
        report = pipeline.run([seeds], store, counting_backend, chunk_size=50)
        assert (report.read, report.new) == (213, 182)
        assert (report.extracted, report.failed, report.rejected) == (182, 0, 0)
        # copies more than a chunk apart are served from the cache, never extracted again
        assert report.distinct == report.extracted + report.cached
        assert sum(counting_backend.ledger.calls.values()) == 182
        assert store.query("select count(*) from summaries")[0][0] == 182
        assert store.query("select count(*) from sightings")[0][0] == 213
        assert store.query("select count(*) from summaries where status = 'ok'")[0][0] == 182
        # copies in later chunks widen the stored paper's sources
        sources = store.query(
            "select len(sources) from papers where title = 'A Survey on Mixture of Experts'"
        )
        assert sources == [(3,)]


def test_a_later_sighting_adds_its_source_and_an_earlier_date(
    tmp_path: Path, db_path: Path
) -> None:
    abstract = "We propose a method for merging models. " * 5
    later = tmp_path / "later.jsonl"
    earlier = tmp_path / "earlier.jsonl"
    later.write_text(json.dumps({"title": "T", "abstract": abstract, "date": "2025-03-02"}))
    earlier.write_text(json.dumps({"title": "T", "abstract": abstract, "date": "2025-01-05"}))
    with Store(db_path) as store:
        for path in (later, later, earlier, later):
            store.add_papers([p for p in read_papers([path]) if isinstance(p, Paper)])
        rows = store.query("select first_seen::varchar, sources from papers")
        assert rows == [("2025-01-05", sorted([str(earlier), str(later)]))]
        assert store.query("select count(*) from sightings")[0][0] == 2


def test_rerun_is_fully_cached(
    seeds: Path, db_path: Path, counting_backend: CountingBackend
) -> None:
    with Store(db_path) as store:
        pipeline.run([seeds], store, counting_backend)
    counting_backend.ledger.calls.clear()
    with Store(db_path) as store:
        report = pipeline.run([seeds], store, counting_backend)
        assert (report.cached, report.extracted, report.new, report.calls) == (182, 0, 0, 0)
        assert sum(counting_backend.ledger.calls.values()) == 0
        assert store.query("select count(*) from sightings")[0][0] == 213


def test_model_change_reextracts_and_switching_back_is_cached(
    seeds: Path, db_path: Path, counting_backend: CountingBackend
) -> None:
    with Store(db_path) as store:
        pipeline.run([seeds], store, counting_backend)
        report = pipeline.run([seeds], store, counting_backend.with_model("count-2"))
        assert report.extracted == 182
        assert store.query("select distinct model from summaries")[0][0] == "count-2"
        report = pipeline.run([seeds], store, counting_backend.with_model("count-1"))
        assert (report.cached, report.extracted) == (182, 0)
        assert store.query("select distinct model from summaries")[0][0] == "count-1"


def _three_papers(tmp_path: Path) -> Path:
    path = tmp_path / "p.jsonl"
    abstract = "We propose a method. " * 10
    path.write_text("\n".join(json.dumps({"title": t, "abstract": abstract + t}) for t in "ABC"))
    return path


def test_new_model_that_fails_leaves_the_previous_result_current(
    tmp_path: Path, db_path: Path, counting_backend: CountingBackend
) -> None:
    path = _three_papers(tmp_path)
    with Store(db_path) as store:
        pipeline.run([path], store, counting_backend)
        counting_backend.ledger.fail_titles = {"B"}
        report = pipeline.run([path], store, counting_backend.with_model("count-2"))
        assert (report.extracted, report.failed) == (2, 1)
        rows = store.query("select title, model, status from summaries order by title")
        assert rows == [("A", "count-2", "ok"), ("B", "count-1", "ok"), ("C", "count-2", "ok")]


def test_papers_stored_by_a_run_point_at_its_result_before_extraction(
    tmp_path: Path, db_path: Path, counting_backend: CountingBackend
) -> None:
    path = _three_papers(tmp_path)
    with Store(db_path) as store:
        pipeline.ingest([path], store)
        assert store.query("select count(current_key) from paper_records")[0][0] == 0
        pipeline.run([path], store, counting_backend)
        assert store.query("select count(*) from summaries where status = 'ok'")[0][0] == 3
    new_path = tmp_path / "more.jsonl"
    new_path.write_text(json.dumps({"title": "D", "abstract": "We propose D. " * 10}))
    with Store(db_path) as store:
        outcome = store.add_papers(
            [p for p in read_papers([new_path, path]) if isinstance(p, Paper)],
            counting_backend.identity.digest,
        )
        assert (outcome.new, outcome.repoint) == (1, set())
        pending = store.query("select current_key from paper_records where title = 'D'")[0][0]
        assert pending == cache_key(outcome.papers[0].content_hash, counting_backend.identity)
        other = store.add_papers(
            [p for p in read_papers([path]) if isinstance(p, Paper)],
            counting_backend.with_model("count-2").identity.digest,
        )
        assert len(other.repoint) == 3


@pytest.mark.usefixtures("counting_backend")  # registers counting-parallel by name
def test_worker_processes_repoint_stored_papers_to_the_new_model(
    seeds: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "MIN_PARALLEL", 10)

    def run_on(store: Store, model: str) -> pipeline.RunReport:
        # forked workers rebuild the backend by name, reading the model as the parent does
        monkeypatch.setenv("SUMMARIZER_MODEL", model)
        return pipeline.run([seeds], store, get_backend("counting-parallel"), chunk_size=60)

    with Store(db_path) as store:
        first = run_on(store, "count-1")
        assert first.extracted == 182
        second = run_on(store, "count-2")
        assert second.extracted == 182
        assert store.query("select model, count(*) from summaries group by model") == [
            ("count-2", 182)
        ]
        third = run_on(store, "count-1")
        assert third.extracted == 0 and third.cached >= 182
        assert store.query("select model, count(*) from summaries group by model") == [
            ("count-1", 182)
        ]


def test_failures_are_recorded_and_skipped_until_retry(
    tmp_path: Path, db_path: Path, counting_backend: CountingBackend
) -> None:
    path = tmp_path / "p.jsonl"
    abstract = "We propose a method. " * 10
    path.write_text("\n".join(json.dumps({"title": t, "abstract": abstract + t}) for t in "ABC"))
    counting_backend.ledger.fail_titles = {"B"}
    with Store(db_path) as store:
        report = pipeline.run([path], store, counting_backend)
        assert (report.extracted, report.failed, report.clean) == (2, 1, False)
        rows = store.query("select stage, error_type, message, attempts from failures")
        assert rows == [("extract", "ValueError", "cannot summarise B", 1)]
        assert store.query("select status from summaries where title = 'B'")[0][0] == "failed"
        again = pipeline.run([path], store, counting_backend)
        assert (again.skipped_failed, again.extracted) == (1, 0)
        counting_backend.ledger.fail_titles = set()
        retried = pipeline.run([path], store, counting_backend, retry_failed=True)
        assert (retried.extracted, retried.failed) == (1, 0)
        assert store.query("select count(*) from failures")[0][0] == 0


def test_same_arxiv_id_with_different_text_is_rejected(
    tmp_path: Path, db_path: Path, counting_backend: CountingBackend
) -> None:
    path = tmp_path / "p.jsonl"
    base = "We propose a method for merging models with many tasks and languages. "
    rows = [
        {"id": "2401.00001", "title": "One", "abstract": base},
        {"id": "2401.00001", "title": "Other", "abstract": base + "Changed."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    with Store(db_path) as store:
        ingested = pipeline.ingest([path], store)
        assert ingested.rejected == 1
        # the rejected copy is an ingest problem, not a failed extraction of the kept paper
        assert store.query("select status from summaries") == [("pending",)]
        report = pipeline.run([path], store, counting_backend)
        assert (report.read, report.rejected, report.extracted) == (2, 1, 1)
        assert (
            "id 2401.00001 was already stored with a different title/abstract"
            in report.rejections[0]
        )
        assert store.query("select title from papers")[0][0] == "One"


def test_ingest_only_stores_papers_as_pending(seeds: Path, db_path: Path) -> None:
    with Store(db_path) as store:
        report = pipeline.ingest([seeds], store)
        assert (report.read, report.new) == (213, 182)
        assert store.query("select distinct status from summaries") == [("pending",)]
        sources = store.query(
            "select len(sources) from papers where title = 'A Survey on Mixture of Experts'"
        )
        assert sources == [(3,)]
