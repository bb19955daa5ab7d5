"""The `summarizer` command: thin wrappers that open the store, call one library function,
and turn our errors into one clean line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from summarizer.backends import BackendSettings, get_backend
from summarizer.core.errors import ConfigError, Interrupted, SummarizerError
from summarizer.eval import runs as eval_runs
from summarizer.ingest import FORMATS
from summarizer.outputs import query, stats
from summarizer.outputs.export import export as export_digest
from summarizer.run import pipeline
from summarizer.run.jobs import EngineSettings
from summarizer.run.progress import progress_reporter
from summarizer.store import merge as merge_mod
from summarizer.store.store import Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn batches of paper abstracts into a structured, queryable DuckDB dataset.",
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")
MAX_SHOWN_REJECTIONS = 20

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file [env: SUMMARIZER_DB; default cache/summarizer.duckdb]"),
]
FormatOption = Annotated[
    str | None, typer.Option("--format", help=f"Input format: {', '.join(FORMATS)} (auto-detected)")
]
Inputs = Annotated[list[Path], typer.Argument(help="Files or folders to read.")]


@contextmanager
def _clean_errors() -> Iterator[None]:
    try:
        yield
    except SummarizerError as error:
        err.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; everything finished so far is stored")
        raise typer.Exit(Interrupted.exit_code) from None


def _open(db: Path | None, *, read_only: bool = False) -> Store:
    return Store(db, read_only=read_only)


def _with_store(db: Path | None, action: Callable[[Store], T], *, read_only: bool = False) -> T:
    with _clean_errors(), _open(db, read_only=read_only) as store:
        return action(store)


def _print_report(report: pipeline.RunReport) -> None:
    if report.recovered:
        err.print(f"recovered {report.recovered} results journaled by an interrupted run")
    for note in report.notes:
        err.print(f"note: {note}", markup=False, highlight=False)
    shown = report.rejections[:MAX_SHOWN_REJECTIONS]
    for line in shown:
        err.print(f"[yellow]rejected:[/yellow] {line}", markup=True, highlight=False)
    if report.rejected > len(shown):
        err.print(
            f"... and {report.rejected - len(shown)} more rejected; "
            "see `summarizer sql \"select * from failures where stage = 'ingest'\"`"
        )
    rate = report.read / report.elapsed if report.elapsed > 0 else 0.0
    out.print(
        f"papers read {report.read} ({report.distinct} distinct) · new {report.new} · "
        f"cached {report.cached} · extracted {report.extracted} · failed {report.failed} · "
        f"rejected {report.rejected}",
        highlight=False,
    )
    if report.skipped_failed:
        out.print(
            f"skipped {report.skipped_failed} papers that failed before; "
            "pass --retry-failed to try them again",
            highlight=False,
        )
    line = f"elapsed {report.elapsed:.2f} s ({rate:,.0f} papers/s)"
    if report.backend:
        line += f" · backend {report.backend} ({report.model}) · {report.calls} extraction calls"
    if report.prompt_tokens or report.completion_tokens:
        line += (
            f" · tokens {report.prompt_tokens + report.completion_tokens:,}"
            f" · est. cost ${report.cost_usd:.4f}"
        )
    out.print(line, highlight=False)
    if report.stopped:
        out.print(f"stopped early: {report.stopped}", highlight=False)
    out.print(f"database: {report.db_path}", highlight=False)


@app.command()
def run(
    inputs: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders to read.", show_default=False)
    ] = None,
    db: DbOption = None,
    backend: Annotated[
        str, typer.Option(help="auto, rules or openai (auto = openai when an endpoint is set)")
    ] = "auto",
    limit: Annotated[int | None, typer.Option(min=1, help="Read at most N papers.")] = None,
    input_format: FormatOption = None,
    model: Annotated[str | None, typer.Option(help="LLM model [env: SUMMARIZER_MODEL]")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible endpoint [env: OPENAI_BASE_URL]")
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="instructor mode: tools, json_schema, json or md_json")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 16,
    rpm: Annotated[float | None, typer.Option(min=1, help="Requests per minute budget.")] = None,
    tpm: Annotated[float | None, typer.Option(min=1, help="Tokens per minute budget.")] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop cleanly once this many USD are spent.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="Stop cleanly once this many tokens are spent.")
    ] = None,
    max_retries: Annotated[
        int, typer.Option(min=0, help="Transport retries per paper (429, 5xx, timeouts).")
    ] = 5,
    max_reasks: Annotated[int, typer.Option(min=0, help="Re-asks after an invalid answer.")] = 1,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per request.")] = 60.0,
    prices: Annotated[
        Path | None, typer.Option(help="JSON price table [env: SUMMARIZER_PRICES]")
    ] = None,
    strict_grounding: Annotated[
        bool, typer.Option(help="Drop values that cannot be found in the abstract.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option(help="Try papers that failed in earlier runs again.")
    ] = False,
    shard: Annotated[
        str | None, typer.Option(help="Take only slice i of n of the input (e.g. 1/3).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Ingest INPUTs, extract every paper not already cached, and store the results."""
    with _clean_errors():
        if not inputs and not retry_failed:
            raise ConfigError("give INPUT files or folders, or --retry-failed")
        slice_ = pipeline.parse_shard(shard) if shard else None
        settings = BackendSettings.from_env(
            model=model, base_url=base_url, mode=mode, max_reasks=max_reasks, timeout=timeout
        )
        if prices is not None:
            settings.extra["prices"] = str(prices)
        chosen = get_backend(backend, settings)
        engine = EngineSettings(
            concurrency=concurrency,
            rpm=rpm,
            tpm=tpm,
            max_attempts=max_retries + 1,
            max_cost=max_cost,
            max_tokens=max_tokens,
            strict_grounding=strict_grounding,
        )
        with _open(db) as store, progress_reporter(enabled=not quiet) as reporter:
            report = pipeline.run(
                inputs or [],
                store,
                chosen,
                fmt=input_format,
                limit=limit,
                settings=engine,
                retry_failed=retry_failed,
                reporter=reporter,
                shard=slice_,
            )
        _print_report(report)
    if isinstance(report.stopped, Interrupted):
        raise typer.Exit(Interrupted.exit_code)
    if not report.clean:
        raise typer.Exit(1)


@app.command()
def ingest(
    inputs: Inputs,
    db: DbOption = None,
    input_format: FormatOption = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Parse INPUTs and store the papers, without extracting."""
    report = _with_store(db, lambda s: pipeline.ingest(inputs, s, fmt=input_format, limit=limit))
    _print_report(report)
    if not report.clean:
        raise typer.Exit(1)


@app.command()
def sql(
    statement: Annotated[str, typer.Argument(metavar="QUERY", help="A SELECT statement.")],
    db: DbOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, json or markdown")
    ] = "table",
    max_rows: Annotated[
        int, typer.Option("--max-rows", help="Rows a table shows (0 = all); other formats get all.")
    ] = 100,
) -> None:
    """Run a read-only SQL query against the database."""

    def show(store: Store) -> None:
        result = query.run_query(store, statement)
        if output_format == "table":
            table = Table(*result.columns, show_lines=False)
            cells = query.table_cells(result, max_rows)
            for row in cells:
                table.add_row(*row)
            out.print(table)
            if len(cells) < len(result.rows):
                err.print(
                    f"{len(result.rows):,} rows; showing the first {len(cells):,}. "
                    "Pass --max-rows 0 for all of them, or --format csv for a file."
                )
        else:
            sys.stdout.write(query.render(result, output_format) + "\n")

    _with_store(db, show, read_only=True)


@app.command("export")
def export_cmd(
    out_path: Annotated[Path, typer.Option("--out", help="File to write.")],
    db: DbOption = None,
    output_format: Annotated[str, typer.Option("--format", help="csv, jsonl or parquet")] = "csv",
    where: Annotated[str | None, typer.Option(help="SQL filter on the summaries view.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only papers first seen on or after this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Write the digest: one row per paper."""
    with _clean_errors():
        since_date = _parse_since(since)
    rows = _with_store(
        db,
        lambda s: export_digest(s, out_path, fmt=output_format, where=where, since=since_date),
        read_only=True,
    )
    out.print(f"wrote {rows} rows to {out_path}", highlight=False)


def _parse_since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--since {value!r} is not a date; use YYYY-MM-DD") from None


@app.command("merge")
def merge_cmd(
    shards: Annotated[list[Path], typer.Argument(help="Shard databases to merge in.")],
    db: DbOption = None,
) -> None:
    """Merge shard databases into --db; the same paper in several shards is stored once."""
    report = _with_store(db, lambda s: merge_mod.merge(s, shards))
    out.print(
        f"merged {report.shards} shards · {report.papers_added} papers and "
        f"{report.extractions_added} extractions added",
        highlight=False,
    )


@app.command("eval")
def eval_cmd(
    gold: Annotated[Path, typer.Option("--gold", help="Gold JSONL file (format: README).")],
    db: DbOption = None,
) -> None:
    """Score stored extractions against a gold file, per field and per backend/model/prompt."""
    groups = _with_store(db, lambda s: eval_runs.evaluate_store(s, gold))
    if not groups:
        err.print(
            f"no stored extraction matches a paper in {gold}; run `summarizer run` on those "
            "papers first (a gold JSONL with title and abstract is itself a valid input)"
        )
        raise typer.Exit(1)
    for group in groups:
        prompt = group.prompt_hash or "-"
        table = Table(
            "field",
            "precision",
            "recall",
            "F1",
            "support",
            "extra",
            title=f"{group.backend} · {group.model} · prompt {prompt} · "
            f"{group.covered} of {group.gold_total} gold papers",
        )
        for s in group.scores:
            extra = " ".join(f"{k}={v:.3f}" for k, v in s.extra.items())
            table.add_row(
                s.field,
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                f"{s.f1:.3f}",
                str(s.support),
                extra,
            )
        out.print(table)


@app.command("stats")
def stats_cmd(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Counts by status and backend, cache hits, failures by reason, cost."""
    result = _with_store(db, stats.collect, read_only=True)
    if as_json:
        import json

        sys.stdout.write(json.dumps(result.as_dict(), indent=2, default=str) + "\n")
        return
    _print_stats(result)


def _print_stats(result: stats.Stats) -> None:
    out.print(f"papers {result.papers} · sightings {result.sightings} · runs {result.runs}")
    out.print(
        f"cache hits {result.cache_hits} · extracted {result.extracted} · "
        f"tokens {result.tokens:,} · est. cost ${result.cost_usd:.4f}"
    )
    out.print(
        f"ungrounded values {result.ungrounded_values} in {result.papers_with_ungrounded} papers"
        f" · recall warnings {result.recall_warnings}"
    )
    _table("status", ["status", "papers"], result.by_status)
    _table("backend", ["backend", "model", "papers"], result.by_backend)
    _table("failures", ["stage", "error type", "count"], result.failures_by_reason)


def _table(title: str, columns: list[str], rows: list[Any]) -> None:
    if not rows:
        return
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    out.print(table)


def main() -> None:
    # instructor logs each re-ask and retry; the run's own summary already says what happened
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    app()
