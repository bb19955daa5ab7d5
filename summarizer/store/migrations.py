"""Database schema as an ordered list of migrations with a version table.

Each migration runs once, inside a transaction, and is recorded in
``schema_migrations``; append new ones, never edit an applied one. Tables that
have a row spec (:mod:`summarizer.store.columns`) take their DDL from it: each
column names the migration that added it, so migration N creates exactly what it
created when it was written. The views (:mod:`summarizer.store.views`) are
recreated after every migration and whenever their definitions change.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from summarizer.core.errors import StoreError
from summarizer.store.views import VIEW_ORDER, VIEWS, views_hash

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def _initial_tables(con: duckdb.DuckDBPyConnection) -> None:
    from summarizer.store import columns

    con.execute(columns.PAPERS.create(1))
    con.execute(columns.SIGHTINGS.create(1))
    con.execute(columns.EXTRACTIONS.create(1))
    con.execute(columns.FAILURES.create(1))
    con.execute(
        """
        CREATE TABLE runs (
            run_id VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            backend VARCHAR,
            model VARCHAR,
            papers_read BIGINT,
            papers_new BIGINT,
            cached BIGINT,
            extracted BIGINT,
            failed BIGINT,
            rejected BIGINT,
            backend_calls BIGINT,
            prompt_tokens BIGINT,
            completion_tokens BIGINT,
            cost_usd DOUBLE,
            status VARCHAR
        )
        """
    )


def _llm_calls(con: duckdb.DuckDBPyConnection) -> None:
    from summarizer.store import columns

    con.execute(columns.CALLS.create(2))


def _quality(con: duckdb.DuckDBPyConnection) -> None:
    from summarizer.store import columns

    for statement in columns.EXTRACTIONS.added_in(3):
        con.execute(statement)
    con.execute(
        """
        CREATE TABLE eval_runs (
            eval_id VARCHAR,
            evaluated_at TIMESTAMP,
            gold_file VARCHAR,
            gold_papers INTEGER,
            backend VARCHAR,
            model VARCHAR,
            prompt_hash VARCHAR,
            field VARCHAR,
            precision DOUBLE,
            recall DOUBLE,
            f1 DOUBLE,
            support INTEGER,
            extra VARCHAR
        )
        """
    )


def _open_problems_and_runs_view(con: duckdb.DuckDBPyConnection) -> None:
    """Failures remember the backend and model that failed (for --retry-failed), and the run
    log becomes a table behind a documented ``runs`` view."""
    from summarizer.store import columns

    for statement in columns.FAILURES.added_in(4):
        con.execute(statement)
    con.execute("ALTER TABLE runs RENAME TO run_log")


def _endpoints(con: duckdb.DuckDBPyConnection) -> None:
    """What probing an LLM endpoint found, and which probe outcome each run used."""
    con.execute(
        """
        CREATE TABLE endpoints (
            base_url VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            mode VARCHAR NOT NULL,
            probed_at TIMESTAMP NOT NULL,
            refused VARCHAR,
            context_tokens INTEGER
        )
        """
    )
    con.execute("ALTER TABLE run_log ADD COLUMN probe VARCHAR")


def _schema_v2(con: duckdb.DuckDBPyConnection) -> None:
    """Extraction schema 2: a task category per result and a role per model size.

    Rows extracted under schema 1 stay as they are (no category, sizes without a role) and
    stay current until a run re-extracts them: schema 2 has new cache keys, so the next run
    re-extracts exactly these papers, and nothing paid for is deleted.
    """
    from summarizer.store import columns

    for statement in columns.EXTRACTIONS.added_in(6):
        con.execute(statement)


def _batches(con: duckdb.DuckDBPyConnection) -> None:
    """Provider batch jobs: one row per submitted file, one per request in it, and which
    batch answered each call. A submission is recorded before its upload starts, so a kill
    at any point leaves a row the next collect can finish or adopt."""
    con.execute(
        """
        CREATE TABLE batch_jobs (
            submission_id VARCHAR NOT NULL,
            batch_id VARCHAR,
            base_url VARCHAR,
            model VARCHAR NOT NULL,
            mode VARCHAR,
            prompt_hash VARCHAR,
            input_file_id VARCHAR,
            output_file_id VARCHAR,
            error_file_id VARCHAR,
            requests INTEGER NOT NULL,
            status VARCHAR NOT NULL,
            completed INTEGER,
            failed INTEGER,
            estimated_cost_usd DOUBLE,
            cost_usd DOUBLE,
            attempt INTEGER NOT NULL,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP,
            collected_at TIMESTAMP
        )
        """
    )
    con.execute(
        """
        CREATE TABLE batch_requests (
            submission_id VARCHAR NOT NULL,
            cache_key VARCHAR NOT NULL,
            paper_id VARCHAR NOT NULL,
            state VARCHAR NOT NULL,
            reason VARCHAR
        )
        """
    )
    from summarizer.store import columns

    for statement in columns.CALLS.added_in(7):
        con.execute(statement)


def _evidence_spans(con: duckdb.DuckDBPyConnection) -> None:
    """Evidence that is an exact slice of the abstract is stored as its span, not repeated;
    the views put the text back. Rows written before keep their evidence text."""
    from summarizer.store import columns

    for statement in columns.EXTRACTIONS.added_in(8):
        con.execute(statement)


def _staged_parts(con: duckdb.DuckDBPyConnection) -> None:
    """Part files a distributed run staged and the store loaded: a part's rows and its name
    are written in one transaction, so a load that is cut short and done again (or a staging
    folder loaded by two runs) never stores a row twice."""
    con.execute(
        "CREATE TABLE staged_parts (part VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, "
        "rows_loaded INTEGER NOT NULL, loaded_at TIMESTAMP NOT NULL)"
    )


def _batch_identity(con: duckdb.DuckDBPyConnection) -> None:
    """Each batch job names the backend that submitted it and the settings it was built with
    (JSON), so a collect rebuilds that backend instead of the one its flags describe. Jobs
    recorded before were all submitted by the openai backend."""
    con.execute("ALTER TABLE batch_jobs ADD COLUMN backend VARCHAR DEFAULT 'openai'")
    con.execute("ALTER TABLE batch_jobs ADD COLUMN params VARCHAR")


def _schema_v3(con: duckdb.DuckDBPyConnection) -> None:
    """Extraction schema 3: results (absolute scores of the paper's own method).

    Rows extracted under schema 2 keep their values and read as having no results (NULL);
    they stay current until a run re-extracts them, as schema 2 did with schema-1 rows.
    """
    from summarizer.store import columns

    for statement in columns.EXTRACTIONS.added_in(11):
        con.execute(statement)


def _feeds(con: duckdb.DuckDBPyConnection) -> None:
    """Daily feeds (issue 25): what a source says of a paper beside its text (upvotes, the
    repository it lists), and every window fetched from a source, with where it stopped, so a
    window is fetched once and a cut fetch resumes from its next page. Papers stored before
    have neither value (NULL) until a source lists them."""
    from summarizer.store import columns

    for statement in columns.PAPERS.added_in(12):
        con.execute(statement)
    con.execute(
        """
        CREATE TABLE fetches (
            source VARCHAR NOT NULL,
            window_start DATE NOT NULL,
            window_end DATE NOT NULL,
            status VARCHAR NOT NULL,
            pages INTEGER NOT NULL,
            papers INTEGER NOT NULL,
            cursor VARCHAR,
            folder VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL,
            fetched_at TIMESTAMP,
            error VARCHAR,
            PRIMARY KEY (source, window_start, window_end)
        )
        """
    )


MIGRATIONS: list[tuple[str, Migration]] = [
    ("initial tables", _initial_tables),
    ("llm_calls log", _llm_calls),
    ("recall warnings and eval runs", _quality),
    ("failure identity, runs view", _open_problems_and_runs_view),
    ("endpoint probes", _endpoints),
    ("extraction schema 2: task category, size roles", _schema_v2),
    ("provider batch jobs", _batches),
    ("evidence stored as spans of the abstract", _evidence_spans),
    ("staged part files loaded by distributed runs", _staged_parts),
    ("batch jobs record the backend and settings that submitted them", _batch_identity),
    ("extraction schema 3: results", _schema_v3),
    ("daily feeds: fetched windows, upvotes and repositories from sources", _feeds),
]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations and refresh views; returns the schema version now in force."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    current = int(row[0]) if row else 0
    if current > len(MIGRATIONS):
        raise StoreError(
            f"database schema version {current} is newer than this summarizer "
            f"({len(MIGRATIONS)}); upgrade summarizer"
        )
    con.execute("CREATE TABLE IF NOT EXISTS schema_meta (key VARCHAR, value VARCHAR)")
    stored = con.execute("SELECT value FROM schema_meta WHERE key = 'views'").fetchone()
    if current == len(MIGRATIONS) and stored is not None and stored[0] == views_hash():
        return current
    con.execute("BEGIN TRANSACTION")
    try:
        for version, (name, migration) in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            migration(con)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
        for view in VIEW_ORDER:
            con.execute(f"CREATE OR REPLACE VIEW {view} AS {VIEWS[view]}")
        con.execute("DELETE FROM schema_meta WHERE key = 'views'")
        con.execute("INSERT INTO schema_meta (key, value) VALUES ('views', ?)", [views_hash()])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)
