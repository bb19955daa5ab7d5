"""The public views: the contract users' queries rely on (documented in the README).

They are recreated after every migration, and whenever their definitions change, rather
than patched piecemeal; the tables behind them may change between versions.
"""

from __future__ import annotations

import hashlib
import typing

from summarizer.core.results import GroundedGain, GroundedResult, GroundedSize


def _text(alias: str, field: str = "evidence") -> str:
    """Evidence as text: stored, or read back from the abstract through its span."""
    start, end = f"{alias}.{field}_start", f"{alias}.{field}_end"
    return f"coalesce({alias}.{field}, substr(p.abstract, {start} + 1, {end} - {start}))"


def _with_text(shape: type, alias: str, column: str) -> str:
    """A struct list column with each element's evidence filled in, fields in stored order."""
    fields = ", ".join(
        f"{name} := {_text(alias) if name == 'evidence' else f'{alias}.{name}'}"
        for name in typing.get_type_hints(shape)
    )
    return f"[struct_pack({fields}) FOR {alias} IN coalesce(e.{column}, [])]"


VIEWS = {
    "papers": """
        SELECT paper_id, title, abstract, first_seen, sources, arxiv_id, url, published, authors,
               upvotes, repo_url
        FROM paper_records
    """,
    "summaries": """
        SELECT
            p.paper_id,
            p.title,
            e.task,
            CASE
                WHEN e.method_name IS NOT NULL AND e.method_description IS NOT NULL
                    THEN e.method_name || ': ' || e.method_description
                ELSE coalesce(e.method_name, e.method_description)
            END AS method,
            e.method_name,
            -- the abstract's code link; else the repository a source lists (code_url_source)
            coalesce(e.code_url, p.repo_url) AS code_url,
            -- the paper's own sizes (schema 1 rows have no roles: all their sizes)
            [s.params FOR s IN coalesce(e.model_sizes, [])
                IF s.params IS NOT NULL AND coalesce(s.role, 'own') = 'own']::DOUBLE[]
                AS model_sizes,
            """
    + _with_text(GroundedGain, "g", "gains")
    + """ AS gains,
            """
    + _with_text(GroundedSize, "s", "model_sizes")
    + """ AS model_size_details,
            [l.url FOR l IN coalesce(e.links, [])] AS links,
            e.backend,
            e.model,
            coalesce(
                e.status,
                CASE WHEN f.paper_id IS NOT NULL THEN 'failed' ELSE 'pending' END
            ) AS status,
            e.extracted_at,
            e.grounded_ratio,
            e.ungrounded,
            e.code_url_grounded,
            coalesce(e.recall_warnings, []) AS recall_warnings,
            p.first_seen,
            p.sources,
            e.task_category,
            """
    + _text("e", "task_evidence")
    + """ AS task_evidence,
            """
    + _with_text(GroundedResult, "r", "results")
    + """ AS results,
            CASE WHEN e.code_url IS NOT NULL THEN 'abstract'
                 WHEN p.repo_url IS NOT NULL THEN 'source' END AS code_url_source,
            p.upvotes
        FROM paper_records p
        LEFT JOIN extractions e ON e.cache_key = p.current_key
        LEFT JOIN (SELECT DISTINCT paper_id FROM failure_log WHERE stage = 'extract') f
            ON f.paper_id = p.paper_id
    """,
    # unnest in the select list, not LATERAL: DuckDB runs it as a plain projection instead of
    # a decorrelated join over every paper (4x faster at a million papers)
    "model_sizes": """
        SELECT paper_id, s.params, s.text, s.vague, s.grounded,
               """
    + _text("s").replace("p.abstract", "abstract")
    + """ AS evidence, task, title,
               first_seen, s.role, task_category, s.start_char, s.end_char
        FROM (SELECT e.paper_id, unnest(e.model_sizes) AS s, e.task, p.title, p.first_seen,
                     e.task_category, p.abstract
              FROM paper_records p JOIN extractions e ON e.cache_key = p.current_key)
    """,
    "gains": """
        SELECT paper_id, g.metric, g.value, g.unit, g.benchmark, g.baseline,
               """
    + _text("g").replace("p.abstract", "abstract")
    + """ AS evidence,
               g.grounded, task, title, first_seen, task_category, g.start_char, g.end_char
        FROM (SELECT e.paper_id, unnest(e.gains) AS g, e.task, p.title, p.first_seen,
                     e.task_category, p.abstract
              FROM paper_records p JOIN extractions e ON e.cache_key = p.current_key)
    """,
    # schema-2 rows have no results column value (NULL): they list none
    "results": """
        SELECT paper_id, r.benchmark, r.metric, r.value, r.unit, r.setting,
               """
    + _text("r").replace("p.abstract", "abstract")
    + """ AS evidence,
               r.grounded, task, title, first_seen, task_category, r.start_char, r.end_char
        FROM (SELECT e.paper_id, unnest(e.results) AS r, e.task, p.title, p.first_seen,
                     e.task_category, p.abstract
              FROM paper_records p JOIN extractions e ON e.cache_key = p.current_key)
    """,
    # the abstract's links, then the repository a source lists for a paper (origin 'source'),
    # unless the abstract names it too; it is the paper's code_url when the abstract has none
    "links": """
        SELECT paper_id, l.url, l.kind, l.grounded, l.url = code_url AS is_code_url,
               l.start_char, l.end_char, title, 'abstract' AS origin
        FROM (SELECT e.paper_id, unnest(e.links) AS l, e.code_url, p.title
              FROM paper_records p JOIN extractions e ON e.cache_key = p.current_key)
        UNION ALL
        SELECT p.paper_id, p.repo_url AS url, 'code' AS kind, NULL::BOOLEAN AS grounded,
               e.code_url IS NULL AS is_code_url, NULL::INTEGER AS start_char,
               NULL::INTEGER AS end_char, p.title, 'source' AS origin
        FROM paper_records p LEFT JOIN extractions e ON e.cache_key = p.current_key
        WHERE p.repo_url IS NOT NULL
          AND NOT list_contains(
                [rtrim(lower(l.url), '/') FOR l IN coalesce(e.links, [])],
                rtrim(lower(p.repo_url), '/'))
    """,
    "recall_warnings": """
        SELECT e.paper_id, e.backend, e.model, unnest(e.recall_warnings) AS warning, p.title
        FROM paper_records p JOIN extractions e ON e.cache_key = p.current_key
    """,
    # one row per open problem: a record re-read or re-tried shows its latest failure only,
    # and an extraction failure closes only once it is fixed: its cache key was extracted,
    # or the paper's current result was extracted after it (an older result, say from the
    # rules, does not hide a failed LLM or batch request)
    "failures": """
        SELECT paper_id, stage, error_type, message, attempts, tokens, source, record, failed_at,
               backend, model
        FROM failure_log f
        WHERE f.stage <> 'extract'
           OR NOT (
                EXISTS (SELECT 1 FROM extractions e WHERE e.cache_key = f.cache_key)
                OR EXISTS (
                    SELECT 1 FROM paper_records p
                    JOIN extractions e ON e.cache_key = p.current_key
                    WHERE p.paper_id = f.paper_id AND e.extracted_at > f.failed_at
                )
           )
        QUALIFY row_number() OVER (
            PARTITION BY f.stage,
                CASE WHEN f.stage = 'extract' THEN f.paper_id
                     ELSE coalesce(f.source, '') || chr(0) || coalesce(f.record, '') END
            ORDER BY f.failed_at DESC) = 1
    """,
    "runs": """
        SELECT run_id, started_at, finished_at,
               date_diff('millisecond', started_at, finished_at) / 1000.0 AS seconds,
               backend, model, papers_read, papers_new, cached, extracted, failed, rejected,
               backend_calls, prompt_tokens, completion_tokens,
               coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) AS tokens,
               cost_usd, status, probe
        FROM run_log
    """,
}
VIEWS["batches"] = """
    SELECT j.batch_id, j.submission_id, j.status, j.requests, j.completed, j.failed,
           date_diff('second', j.created_at, coalesce(j.collected_at, now()::TIMESTAMP))
               AS age_seconds,
           j.estimated_cost_usd, j.cost_usd, j.attempt, j.model, j.base_url,
           j.input_file_id, j.output_file_id, j.error_file_id,
           j.created_at, j.updated_at, j.collected_at, j.backend
    FROM batch_jobs j
"""
VIEW_ORDER = [
    "papers", "failures", "summaries", "model_sizes", "gains", "results", "links",
    "recall_warnings", "runs", "batches",
]  # fmt: skip


def views_hash() -> str:
    """Views are recreated whenever their definitions change, migration or not."""
    text = "\n".join(VIEWS[name] for name in VIEW_ORDER)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
