"""Schema 2 on a database made under schema 1: nothing paid for is lost, the views keep
their columns, and the next run re-extracts exactly the results schema 2 invalidates."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from summarizer.backends.rules.backend import RulesBackend
from summarizer.core.paper import Paper
from summarizer.core.schema import SCHEMA_VERSION
from summarizer.ingest import read_papers
from summarizer.run import pipeline
from summarizer.store.migrations import MIGRATIONS
from summarizer.store.store import Store
from tests.fakes import CountingBackend

# The public views' columns as schema 1 (migration 5) made them: users' queries rely on them.
V1_VIEW_COLUMNS = {
    "summaries": [
        "paper_id", "title", "task", "method", "method_name", "code_url", "model_sizes", "gains",
        "model_size_details", "links", "backend", "model", "status", "extracted_at",
        "grounded_ratio", "ungrounded", "code_url_grounded", "recall_warnings", "first_seen",
        "sources",
    ],
    "model_sizes": [
        "paper_id", "params", "text", "vague", "grounded", "evidence", "task", "title", "first_seen",
    ],
    "gains": [
        "paper_id", "metric", "value", "unit", "benchmark", "baseline", "evidence", "grounded",
        "task", "title", "first_seen",
    ],
    "links": ["paper_id", "url", "kind", "grounded", "is_code_url"],
}  # fmt: skip


def _schema_1_database(path: Path, papers: Path) -> None:
    """A database as summarizer 0.1/schema 1 left it: migrations 1-5, then one stored
    paper with a schema-1 result (sizes without roles, no category)."""
    papers.write_text('{"title": "Old Paper", "abstract": "We train a 7B model."}\n')
    (paper,) = [p for p in read_papers([papers]) if isinstance(p, Paper)]
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, "
            "applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        for version, (name, migration) in enumerate(MIGRATIONS[:5], start=1):
            migration(con)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
        con.execute(
            """
            INSERT INTO paper_records (paper_id, content_hash, title, abstract, current_key,
                                       sources, ingested_at)
            VALUES (?, ?, 'Old Paper', 'We train a 7B model.', 'k1', ['old.jsonl'], now())
            """,
            [paper.paper_id, paper.content_hash],
        )
        con.execute(
            """
            INSERT INTO extractions (cache_key, paper_id, backend, model, schema_version, status,
                                     task, model_sizes, gains, links, extracted_at,
                                     prompt_tokens, cost_usd)
            VALUES ('k1', ?, 'openai', 'gpt-4o-mini', 1, 'ok', 'old task',
                    [{'text': '7B', 'params': 7e9, 'vague': false, 'evidence': 'a 7B model',
                      'start_char': 10, 'end_char': 12, 'grounded': true}],
                    [], [], now(), 812, 0.0004)
            """,
            [paper.paper_id],
        )


def test_schema_2_keeps_schema_1_results_and_the_views_columns(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _schema_1_database(db, tmp_path / "papers.jsonl")
    with Store(db) as store:
        assert store.query("select max(version) from schema_migrations") == [(len(MIGRATIONS),)]
        for view, columns in V1_VIEW_COLUMNS.items():
            actual = [row[0] for row in store.query(f"DESCRIBE {view}")]
            assert actual[: len(columns)] == columns, view
        # the paid result is still there and current, its new fields unknown rather than guessed
        assert store.query("select task, task_category, model_sizes from summaries") == [
            ("old task", None, [7e9])
        ]
        assert store.query("select params, role from model_sizes") == [(7e9, None)]
        assert store.query("select prompt_tokens, cost_usd from extractions") == [(812, 0.0004)]


def test_the_next_run_re_extracts_what_schema_2_invalidates_and_nothing_else(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.duckdb"
    papers = tmp_path / "papers.jsonl"
    _schema_1_database(db, papers)
    with Store(db) as store:
        report = pipeline.run([papers], store, RulesBackend())
        assert (report.new, report.extracted, report.cached) == (0, 1, 0)
        again = pipeline.run([papers], store, RulesBackend())
        assert (again.extracted, again.cached) == (0, 1)
        # the schema-1 row is kept beside the new one; the paper now points at the new schema
        assert store.query("select schema_version from extractions order by 1") == [
            (1,),
            (SCHEMA_VERSION,),
        ]
        (row,) = store.query("select task_category, model_sizes from summaries")
        assert row == ("other", [7e9])
        assert store.query("select role from model_sizes") == [("own",)]


def test_a_backend_configuration_unchanged_but_for_the_schema_is_a_new_cache_key() -> None:
    from summarizer.core.identity import CacheIdentity, cache_key

    old = CacheIdentity(backend="counting", model="m", schema_version=1)
    new = CacheIdentity(backend="counting", model="m")
    assert new.schema_version == SCHEMA_VERSION
    assert cache_key("h", old) != cache_key("h", new)
    assert CountingBackend().identity.schema_version == SCHEMA_VERSION


def test_exact_evidence_is_stored_as_a_span_and_read_back_as_text(tmp_path: Path) -> None:
    """Evidence that is a slice of the abstract is not repeated in the row (migration 8); every
    view, and `show`, reads the same text back."""
    from summarizer.backends.rules.extract import extract_summary
    from summarizer.outputs.show import paper_detail

    abstract = (
        "Merging is slow. We propose Gizmo, a merging method. Our Gizmo-7B improves accuracy "
        "by 2.5% over TIES. Code: https://github.com/acme/gizmo."
    )
    source = tmp_path / "p.jsonl"
    source.write_text(json.dumps({"title": "Gizmo", "abstract": abstract}) + "\n")
    expected = extract_summary("Gizmo", abstract)
    with Store(tmp_path / "db.duckdb") as store:
        pipeline.run([source], store, RulesBackend())
        raw = store.query(
            "select task_evidence, task_evidence_start, [s.evidence for s in model_sizes], "
            "[g.evidence for g in gains] from extractions"
        )[0]
        assert raw[0] is None and raw[1] is not None and raw[2] == [None] and raw[3] == [None]
        (row,) = store.query("select task_evidence, gains, model_size_details from summaries")
        assert row[0] == expected.task_evidence
        assert [g["evidence"] for g in row[1]] == [g.evidence for g in expected.claimed_gains]
        assert [s["evidence"] for s in row[2]] == [s.evidence for s in expected.model_sizes]
        assert store.query("select evidence from model_sizes") == [
            (expected.model_sizes[0].evidence,)
        ]
        assert store.query("select evidence from gains") == [(expected.claimed_gains[0].evidence,)]
        detail = paper_detail(store, "Gizmo")
        assert detail.extraction is not None
        assert detail.extraction["method_evidence"] == expected.method.evidence


def test_evidence_that_is_not_a_slice_keeps_its_text() -> None:
    """An LLM may quote loosely; such evidence is stored as written."""
    from summarizer.core.identity import CacheIdentity
    from summarizer.core.results import Extraction
    from summarizer.core.schema import ClaimedGain, Summary
    from summarizer.grounding import ground
    from summarizer.store.columns import EXTRACTIONS

    abstract = "We propose Gizmo. It improves accuracy by 2.5% on GSM8K."
    gain = ClaimedGain(
        metric="accuracy", value=2.5, unit="%", benchmark=None, baseline=None,
        evidence="improves accuracy by 2.5 % on gsm8k",
    )  # fmt: skip
    summary = Summary.empty().model_copy(
        update={"claimed_gains": [gain], "task_evidence": "we propose gizmo"}
    )
    grounded = ground(summary, abstract)
    row = EXTRACTIONS.row(Extraction("p", "k", CacheIdentity("b", "m"), grounded))
    assert row["gains"][0]["evidence"] == gain.evidence
    assert row["gains"][0]["evidence_start"] is None
    assert row["task_evidence"] == "we propose gizmo" and row["task_evidence_start"] is None
