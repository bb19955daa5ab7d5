"""The main job through the library API: dedupe, caching, invalidation, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer import pipeline
from summarizer.backends.base import register_backend
from summarizer.store import Store
from tests.fakes import CountingBackend


@pytest.fixture
def backend() -> Iterator[CountingBackend]:
    CountingBackend.reset()
    register_backend("counting", "tests.fakes:CountingBackend")
    yield CountingBackend()
    CountingBackend.reset()


def test_first_run_extracts_each_distinct_paper_once(
    seeds: Path, db_path: Path, backend: CountingBackend
) -> None:
    with Store(db_path) as store:
        report = pipeline.run([seeds], store, backend, chunk_size=50)
        assert (report.read, report.new) == (213, 182)
        assert (report.extracted, report.failed, report.rejected) == (182, 0, 0)
        # copies more than a chunk apart are served from the cache, never extracted again
        assert report.distinct == report.extracted + report.cached
        assert sum(CountingBackend.calls.values()) == 182
        assert store.query("select count(*) from summaries")[0][0] == 182
        assert store.query("select count(*) from sightings")[0][0] == 213
        assert store.query("select count(*) from summaries where status = 'ok'")[0][0] == 182


def test_rerun_is_fully_cached(seeds: Path, db_path: Path, backend: CountingBackend) -> None:
    with Store(db_path) as store:
        pipeline.run([seeds], store, backend)
    CountingBackend.calls.clear()
    with Store(db_path) as store:
        report = pipeline.run([seeds], store, backend)
        assert (report.cached, report.extracted, report.new, report.calls) == (182, 0, 0, 0)
        assert sum(CountingBackend.calls.values()) == 0
        assert store.query("select count(*) from sightings")[0][0] == 213


def test_model_change_reextracts_and_switching_back_is_cached(
    seeds: Path, db_path: Path, backend: CountingBackend
) -> None:
    with Store(db_path) as store:
        pipeline.run([seeds], store, backend)
        CountingBackend.model_name = "count-2"
        report = pipeline.run([seeds], store, CountingBackend())
        assert report.extracted == 182
        assert store.query("select distinct model from summaries")[0][0] == "count-2"
        CountingBackend.model_name = "count-1"
        report = pipeline.run([seeds], store, CountingBackend())
        assert (report.cached, report.extracted) == (182, 0)
        assert store.query("select distinct model from summaries")[0][0] == "count-1"


def test_failures_are_recorded_and_skipped_until_retry(
    tmp_path: Path, db_path: Path, backend: CountingBackend
) -> None:
    path = tmp_path / "p.jsonl"
    abstract = "We propose a method. " * 10
    path.write_text("\n".join(json.dumps({"title": t, "abstract": abstract + t}) for t in "ABC"))
    CountingBackend.fail_titles = {"B"}
    with Store(db_path) as store:
        report = pipeline.run([path], store, backend)
        assert (report.extracted, report.failed, report.clean) == (2, 1, False)
        rows = store.query("select stage, error_type, message, attempts from failures")
        assert rows == [("extract", "ValueError", "cannot summarise B", 1)]
        assert store.query("select status from summaries where title = 'B'")[0][0] == "failed"
        again = pipeline.run([path], store, backend)
        assert (again.skipped_failed, again.extracted) == (1, 0)
        CountingBackend.fail_titles = set()
        retried = pipeline.run([path], store, backend, retry_failed=True)
        assert (retried.extracted, retried.failed) == (1, 0)
        assert store.query("select count(*) from failures")[0][0] == 0


def test_same_arxiv_id_with_different_text_is_rejected(
    tmp_path: Path, db_path: Path, backend: CountingBackend
) -> None:
    path = tmp_path / "p.jsonl"
    base = "We propose a method for merging models with many tasks and languages. "
    rows = [
        {"id": "2401.00001", "title": "One", "abstract": base},
        {"id": "2401.00001", "title": "Other", "abstract": base + "Changed."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    with Store(db_path) as store:
        report = pipeline.run([path], store, backend)
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
