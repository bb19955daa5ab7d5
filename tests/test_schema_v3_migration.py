"""Schema 3 on a database made under schema 2: the paid rows are kept and keep working in
every view, they list no results, strict grounding and `show` read them, and the next run
re-extracts them under schema 3 while the old row stays."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from summarizer.backends.rules.backend import RulesBackend
from summarizer.core.paper import Paper
from summarizer.core.schema import SCHEMA_VERSION
from summarizer.ingest import read_papers
from summarizer.run import pipeline
from summarizer.store.columns import summary_of
from summarizer.store.migrations import MIGRATIONS
from summarizer.store.store import Store

ABSTRACT = "We train Gizmo-7B. Gizmo improves accuracy by 2.5% and reaches 81.2% on MMLU."


def _schema_2_database(path: Path, papers: Path) -> str:
    """A database as schema 2 left it (migrations 1-10), with one schema-2 result whose gain
    is ungrounded (a value the abstract never states)."""
    papers.write_text(json.dumps({"title": "Gizmo", "abstract": ABSTRACT}) + "\n")
    (paper,) = [p for p in read_papers([papers]) if isinstance(p, Paper)]
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, "
            "applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        for version, (name, migration) in enumerate(MIGRATIONS[:10], start=1):
            migration(con)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
        con.execute(
            """
            INSERT INTO paper_records (paper_id, content_hash, title, abstract, current_key,
                                       sources, ingested_at)
            VALUES (?, ?, 'Gizmo', ?, 'k2', ['old.jsonl'], now())
            """,
            [paper.paper_id, paper.content_hash, ABSTRACT],
        )
        con.execute(
            """
            INSERT INTO extractions (cache_key, paper_id, backend, model, schema_version, status,
                                     task, model_sizes, gains, links, extracted_at,
                                     task_category, ungrounded, grounded_ratio, cost_usd)
            VALUES ('k2', ?, 'openai', 'gpt-4o-mini', 2, 'ok', 'old task',
                    [{'text': '7B', 'params': 7e9, 'vague': false, 'evidence': NULL,
                      'start_char': 15, 'end_char': 17, 'grounded': true, 'role': 'own',
                      'evidence_start': 0, 'evidence_end': 18}],
                    [{'metric': 'accuracy', 'value': 81.2, 'unit': '%', 'benchmark': 'MMLU',
                      'baseline': NULL, 'evidence': 'reaches 81.2% on MMLU', 'start_char': 63,
                      'end_char': 68, 'grounded': true, 'evidence_start': NULL,
                      'evidence_end': NULL},
                     {'metric': 'accuracy', 'value': 9.9, 'unit': '%', 'benchmark': NULL,
                      'baseline': NULL, 'evidence': 'made up', 'start_char': NULL,
                      'end_char': NULL, 'grounded': false, 'evidence_start': NULL,
                      'evidence_end': NULL}],
                    [], now(), 'model-merging', 1, 0.67, 0.0004)
            """,
            [paper.paper_id],
        )
    return paper.paper_id


def test_schema_2_rows_keep_working_in_every_view(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    paper_id = _schema_2_database(db, tmp_path / "papers.jsonl")
    with Store(db) as store:
        assert store.query("select max(version) from schema_migrations") == [(len(MIGRATIONS),)]
        assert store.query("select task, task_category, model_sizes, results from summaries") == [
            ("old task", "model-merging", [7e9], [])
        ]
        assert store.query("select count(*) from results") == [(0,)]
        assert store.query("select value from gains order by value") == [(9.9,), (81.2,)]
        assert store.query("select evidence from model_sizes") == [("We train Gizmo-7B.",)]
        with store.session() as con:
            cursor = con.execute(
                "select e.*, p.abstract from extractions e join paper_records p using (paper_id)"
            )
            names = [d[0] for d in cursor.description or []]
            row = dict(zip(names, cursor.fetchone() or (), strict=True))
        summary = summary_of(row, row["abstract"])
        assert summary.results == [] and summary.model_sizes[0].role == "own"
        # --strict-grounding over the stored schema-2 row: the ungrounded gain goes, the NULL
        # results column stays NULL (a schema-2 row never listed results), the ratio is whole
        assert store.drop_ungrounded(["k2"]) == 1
        assert store.query("select value from gains") == [(81.2,)]
        assert store.query("select results is null, grounded_ratio from extractions") == [
            (True, 1.0)
        ]
        assert store.query("select paper_id from summaries") == [(paper_id,)]


def test_the_next_run_re_extracts_schema_2_rows_and_keeps_them(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    papers = tmp_path / "papers.jsonl"
    _schema_2_database(db, papers)
    with Store(db) as store:
        report = pipeline.run([papers], store, RulesBackend())
        assert (report.new, report.extracted, report.cached) == (0, 1, 0)
        assert store.query("select schema_version from extractions order by 1") == [
            (2,),
            (SCHEMA_VERSION,),
        ]
        (row,) = store.query("select backend, results from summaries")
        assert row[0] == "rules" and row[1] is not None
        again = pipeline.run([papers], store, RulesBackend())
        assert (again.extracted, again.cached) == (0, 1)
