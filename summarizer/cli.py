"""The `summarizer` command: thin wrappers that open the store, call one library function,
and turn our errors into one clean line.

Everything printed that came from a user's data (titles, abstracts, paths, SQL results) is
printed literally: the consoles interpret no markup and no emoji codes.
"""

import copy
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_args, get_origin

import typer
import typer.core

try:  # typer's private conversion layer (0.29): replaced below for plain values, if present
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_path
except ImportError:  # another typer: it converts every value itself, a little slower to start
    RuntimeParam = object  # type: ignore[misc,assignment]
    build_runtime_param = coerce_cli_path = None  # type: ignore[assignment]

from summarizer import __version__
from summarizer.core.errors import ConfigError, Interrupted, StoreError, SummarizerError
from summarizer.core.formats import INPUT_FORMATS as FORMATS
from summarizer.outputs.export import EXPORT_FORMATS
from summarizer.store.paths import DEFAULT_DB, default_db_path, missing_database

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from summarizer.outputs.stats import Stats
    from summarizer.run.pipeline import RunReport
    from summarizer.store.store import Store

# Start-up (issue 13): `summarizer --help` and `summarizer sql` load only what they use.
# Each command imports the library modules it calls (pydantic, pyarrow, openai and
# instructor come in with them), and rich is loaded by the first line printed;
# tests/test_startup.py holds this in place.

_UNSURE = object()
_DIGITS = {int: re.compile(r"-?[0-9]+"), float: re.compile(r"-?[0-9]+(?:\.[0-9]+)?")}


class _PlainValue(RuntimeParam):
    """Typer (0.2x) turns every parameter's value into its type with a pydantic TypeAdapter,
    one built per parameter: importing pydantic and building them costs more than a cached
    run's own work. The values our commands take (str, bool, int, float, Path, a list of
    them, plain numbers) are converted here as those adapters convert them; any other value
    (a number with a sign, spaces or an exponent, one out of range, an empty path) goes to
    typer's own adapter, errors included."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if get_origin(self.annotation) is list:
            (kind,) = get_args(self.annotation)
            items = [self._plain(kind, item, param, ctx) for item in _as_list(value)]
            done: Any = _UNSURE if any(item is _UNSURE for item in items) else items
        else:
            done = self._plain(self.annotation, value, param, ctx)
        if done is _UNSURE:
            typer_own = build_runtime_param(param.type_descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)
        return done

    def _plain(self, kind: Any, value: Any, param: Any, ctx: Any) -> Any:
        info = self.parameter_info
        if info.parser is not None or info.clamp:
            return _UNSURE
        if kind is str or kind is bool:
            return value if type(value) is kind else _UNSURE
        if kind is int or kind is float:
            number_already = type(value) is kind or (kind is float and type(value) is int)
            if not number_already and not (type(value) is str and _DIGITS[kind].fullmatch(value)):
                return _UNSURE
            number = kind(value)
            low, high = info.min, info.max
            if (low is not None and number < low) or (high is not None and number > high):
                return _UNSURE
            return number
        if kind is Path and info.path_type is None:
            if type(value) is str and value:
                value = Path(value)  # what pydantic makes of a str
            if isinstance(value, Path):
                return coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
        return _UNSURE


def _as_list(value: Any) -> list[Any] | tuple[Any, ...]:
    return value if isinstance(value, list | tuple) else [value]


def _plain_values(params: list[Any]) -> None:
    """Give each parameter whose value typer has not yet converted the plain conversion."""
    if build_runtime_param is None:
        return
    for param in params:
        if getattr(param, "_runtime_param", False) is None:
            descriptor = param.type_descriptor
            if descriptor.file_annotation is None:
                param._runtime_param = _PlainValue(descriptor.parameter_info, descriptor.annotation)


class _Group(typer.core.TyperGroup):
    """The root and ``batch``: their own options converted without pydantic (_PlainValue)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)


class _Command(typer.core.TyperCommand):
    """Plain help: argument names without Python types beside them (typer would print
    ``INPUT <list[Path]>``), options as click lays them out. Values are converted without
    pydantic (_PlainValue)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((record[0].split(" <", 1)[0], record[1]))
            else:
                options.append(record)
        for title, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


app = typer.Typer(
    cls=_Group,
    add_completion=True,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Turn batches of paper abstracts into a structured, queryable DuckDB dataset.",
)


class _Console:
    """A rich Console made when the first line is printed, so --help never loads rich."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _made(self) -> "Console":
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                stderr=self._stderr, soft_wrap=True, highlight=False, emoji=False, markup=False
            )
        return self._console

    def print(self, *objects: Any) -> None:
        shown = [_visible(o) for o in objects]
        if all(type(o) is str and "\t" not in o for o in shown):
            # plain text: what rich would write (no markup, emoji, highlighting or wrapping
            # here; only tabs it would expand), without loading rich
            stream = sys.stderr if self._stderr else sys.stdout
            stream.write(" ".join(shown) + "\n")
            stream.flush()
            return
        self._made().print(*shown)

    @property
    def width(self) -> int:
        """The terminal's width (COLUMNS, else the terminal, else 80)."""
        return self._made().width


_INVISIBLE = {
    **{c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)},  # ␛ for ESC, ...
    0x7F: 0x2421,
    **{c: 0xFFFD for c in range(0x80, 0xA0)},
    **{c: 0xFFFD for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},  # bidi controls
}
"""Terminal control characters (an ESC starting a colour or a link, a right-to-left
override) as visible stand-ins, one character for one, so stored text and file names can
never drive the terminal or reorder what it shows."""


def _visible(item: Any) -> Any:
    if isinstance(item, str):
        return item.translate(_INVISIBLE)
    from rich.console import Group
    from rich.text import Text

    if isinstance(item, Group):  # `show`: a paper's lines, each made visible
        return Group(*(_visible(part) for part in item.renderables))

    if isinstance(item, Text):
        plain = item.plain
        shown = plain.translate(_INVISIBLE)
        if shown != plain:
            item = item.copy()
            item.plain = shown  # same length: the styles keep their places
        return item
    return item


out = _Console()
err = _Console(stderr=True)
T = TypeVar("T")
MAX_SHOWN_REJECTIONS = 20

_ROOT_DB = "summarizer.db"
"""Where `summarizer --db FILE COMMAND` keeps FILE for the command (ctx.meta)."""


def _db_value(ctx: typer.Context, value: Path | None) -> Path | None:
    """A command's --db, else the one given before the command, else SUMMARIZER_DB."""
    source = ctx.get_parameter_source("db")
    if source is not None and source.name == "COMMANDLINE":
        return value
    given: Path | None = ctx.meta.get(_ROOT_DB)
    return given if given is not None else value


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="SUMMARIZER_DB",
        show_envvar=True,
        show_default=str(DEFAULT_DB),
        metavar="FILE",
        help="The DuckDB database.",
        callback=_db_value,
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        metavar="FORMAT",
        help=f"Input format: {', '.join(FORMATS)}. [default: detected]",
    ),
]
LegacyFormatOption = Annotated[
    str | None,
    typer.Option("--format", hidden=True, help="The old spelling of --input-format."),
]
"""``--format`` names an output format everywhere else; where it named the input format it
is kept, hidden, so scripts written for it still work."""
LimitOption = Annotated[
    int | None,
    typer.Option(min=0, metavar="N", help="Read at most N papers (0: no limit)."),
]


def _input_format(given: str | None, legacy: str | None) -> str | None:
    if given and legacy and given != legacy:
        raise ConfigError(
            f"--input-format {given!r} and --format {legacy!r} disagree; --format is the old "
            "spelling of --input-format, give one"
        )
    return given or legacy


def _limit(value: int | None) -> int | None:
    """0 means no limit, as everywhere a count is a limit."""
    return value or None


INPUT_HELP = (
    "Files or folders to read; - reads stdin; or sources to fetch: hf:START..END, "
    "arxiv:CATEGORIES@START..END, oai:SET@START..END (see `summarizer fetch --help`)."
)
Inputs = Annotated[
    list[Path],
    typer.Argument(metavar="INPUT", help=INPUT_HELP),
]
RefetchOption = Annotated[
    bool,
    typer.Option(
        "--refetch",
        help="Fetch the sources' windows again, those fetched completely before too.",
    ),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"summarizer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            metavar="FILE",
            help="The DuckDB database, for the command that follows (the same as the "
            "command's own --db).",
        ),
    ] = None,
) -> None:
    """Turn batches of paper abstracts into a structured, queryable DuckDB dataset."""
    if db is not None:
        ctx.meta[_ROOT_DB] = db


def _error(message: str) -> None:
    from rich.text import Text

    err.print(Text.assemble(("error: ", "red"), message))


@contextmanager
def _clean_errors() -> Iterator[None]:
    try:
        yield
    except SummarizerError as error:
        _error(str(error))
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; everything finished so far is stored")
        raise typer.Exit(Interrupted.exit_code) from None


def _read_only(db: Path | None) -> "Store":
    """Commands that only read never create a database; a missing one is one line."""
    from summarizer.store.store import Store

    return Store(db, read_only=True)


def _with_store(
    db: Path | None,
    action: "Callable[[Store], T]",
    *,
    read_only: bool = False,
    existing: bool = False,
) -> T:
    """Run ``action`` on the store; ``existing``: a command that writes only into a database
    that already holds what it works on (`batch collect`, `batch import`) never creates one."""
    from summarizer.store.store import Store

    with _clean_errors():
        path = db if db is not None else default_db_path()
        if existing and not path.exists():
            raise StoreError(missing_database(path))
    with _clean_errors(), _read_only(db) if read_only else Store(db) as store:
        return action(store)


def _print_report(report: "RunReport") -> None:
    if report.recovered:
        err.print(f"recovered {report.recovered} results journaled by an interrupted run")
    for note in report.notes:
        err.print(f"note: {note}")
    shown = report.rejections[:MAX_SHOWN_REJECTIONS]
    if shown:
        from rich.text import Text

        for line in shown:
            err.print(Text.assemble(("rejected: ", "yellow"), line))
    if report.rejected > len(shown):
        err.print(
            f"... and {report.rejected - len(shown)} more rejected; "
            "see `summarizer sql \"select * from failures where stage = 'ingest'\"`"
        )
    rate = report.read / report.elapsed if report.elapsed > 0 else 0.0
    line = (
        f"papers read {report.read} ({report.distinct} distinct) · new {report.new} · "
        f"cached {report.cached} · extracted {report.extracted} · failed {report.failed} · "
        f"rejected {report.rejected}"
        if report.backend
        # `ingest` extracts nothing: no distinct/cached/extracted to speak of
        else f"papers read {report.read} · new {report.new} · rejected {report.rejected}"
    )
    if report.stopped is not None and report.pending:
        line += f" · pending {report.pending} (stored; the next run extracts them)"
    out.print(line)
    if report.skipped_failed:
        out.print(
            f"skipped {report.skipped_failed} papers that failed before; "
            "pass --retry-failed to try them again"
        )
    line = f"elapsed {report.elapsed:.2f} s ({rate:,.0f} papers/s)"
    if report.backend:
        line += f" · backend {report.backend} ({report.model}) · {report.calls} extraction calls"
    if report.prompt_tokens or report.completion_tokens:
        line += f" · tokens {report.prompt_tokens + report.completion_tokens:,}"
        line += (
            f" · est. cost ${report.cost_usd:.4f}"
            if report.cost_known
            else f" · cost not tracked (no price for {report.model}; see --prices)"
        )
    out.print(line)
    if report.probe:
        out.print(f"endpoint: {report.probe}")
    if report.stopped:
        out.print(f"stopped early: {report.stopped}")
    out.print(f"database: {report.db_path}")


def _print_submission(report: Any) -> None:
    for rejection in report.rejections:
        err.print(f"rejected: {rejection}")
    out.print(
        f"papers read {report.read} · new {report.new} · cached {report.cached} · already in an "
        f"open batch {report.waiting} · submitted {report.submitted}"
    )
    if report.batch_ids:
        out.print(
            f"batches: {', '.join(report.batch_ids)} · estimated cost "
            f"${report.estimated_cost_usd:.4f} at batch prices"
        )
        out.print("collect with: summarizer batch collect [--wait]")


def _print_collect(report: Any) -> None:
    out.print(
        f"batches collected {report.finished} · still open {report.open} · stored "
        f"{report.stored} · failed {report.failed} · resubmitted {report.resubmitted} · "
        f"retried live {report.retried_live} · cost ${report.cost_usd:.4f}"
    )
    if report.batch_ids:
        out.print(f"resubmitted as: {', '.join(report.batch_ids)}")


@app.command(cls=_Command)
def run(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(metavar="INPUT", help=INPUT_HELP, show_default=False),
    ] = None,
    db: DbOption = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            envvar="SUMMARIZER_BACKEND",
            show_envvar=True,
            metavar="NAME",
            help="rules (offline, free) or openai; auto = openai when an endpoint or key is "
            "configured. [default: rules, or openai when --model or --base-url is given]",
        ),
    ] = None,
    limit: LimitOption = None,
    input_format: FormatOption = None,
    legacy_format: LegacyFormatOption = None,
    model: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="LLM model; implies --backend openai. [env var: SUMMARIZER_MODEL]"
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="OpenAI-compatible endpoint; implies --backend openai. [env var: OPENAI_BASE_URL]",
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            metavar="MODE", help="Structured-output mode: tools, json_schema, json, md_json."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, metavar="N", help="Requests in flight at once.")
    ] = 16,
    rpm: Annotated[
        float | None, typer.Option(min=1, metavar="N", help="Requests per minute budget.")
    ] = None,
    tpm: Annotated[
        float | None, typer.Option(min=1, metavar="N", help="Tokens per minute budget.")
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option(metavar="USD", help="Stop before the next call would spend more."),
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(metavar="N", help="Stop once this many tokens are spent.")
    ] = None,
    max_retries: Annotated[
        int,
        typer.Option(min=0, metavar="N", help="Transport retries per paper (429, 5xx, timeouts)."),
    ] = 5,
    max_reasks: Annotated[
        int, typer.Option(min=0, metavar="N", help="Re-asks after an invalid answer.")
    ] = 1,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=1,
            metavar="SECONDS",
            help="Seconds per request. [default: follows observed latency, 4x the recent "
            "p95 within 30-600 s]",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="JSON price table. [env var: SUMMARIZER_PRICES]"),
    ] = None,
    strict_grounding: Annotated[
        bool,
        typer.Option("--strict-grounding", help="Drop values not found in the abstract."),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Try papers that failed before again (with their backend and model).",
        ),
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Extract the papers read again, ignoring the cache."),
    ] = False,
    pending: Annotated[
        bool,
        typer.Option(
            "--pending",
            help="Extract every stored paper with no result yet (after `summarizer ingest`, "
            "or a run that was stopped); takes no INPUT.",
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(metavar="I/N", help="Take only slice I of N of the input (e.g. 1/3)."),
    ] = None,
    reprobe: Annotated[
        bool,
        typer.Option(
            "--reprobe", help="Probe the endpoint's structured-output mode again (LLM runs)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Submit the papers not cached as provider batch jobs (half price, within "
            "24 h) instead of calling live; collect with `summarizer batch collect`.",
        ),
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="With --batch: keep running until collected.")
    ] = False,
    poll: Annotated[
        float,
        typer.Option(min=0.0, metavar="SECONDS", help="With --wait: seconds between checks."),
    ] = 60.0,
    batch_size: Annotated[
        int,
        typer.Option(min=1, max=50_000, metavar="N", help="With --batch: requests per batch file."),
    ] = 50_000,
    engine: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            help="local (this machine) or ray (a Ray Data pipeline on a Ray cluster; "
            "pip install 'summarizer[ray]').",
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            metavar="ADDR",
            envvar="RAY_ADDRESS",
            help="With --engine ray: the cluster (host:6379, ray://host:10001 or auto). "
            "[default: a local Ray on this machine]",
        ),
    ] = None,
    staging: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="With --engine ray: where workers stage results; every node must reach it. "
            "[default: beside the database]",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="With --engine ray and an LLM backend: client actors sharing the rate limit. "
            "[default: 2]",
        ),
    ] = None,
    refetch: RefetchOption = False,
) -> None:
    """Ingest INPUTs, extract every paper not already cached, and store the results."""
    from summarizer.run import request as run_request
    from summarizer.run.progress import progress_reporter

    with _clean_errors():
        fmt = _input_format(input_format, legacy_format)
    asked = run_request.RunRequest(
        inputs=list(inputs or []), db=db, backend=backend, model=model, base_url=base_url,
        mode=mode, prices=prices, max_reasks=max_reasks, timeout=timeout, fmt=fmt,
        limit=_limit(limit), shard=shard, retry_failed=retry_failed, pending=pending, refresh=refresh,
        strict_grounding=strict_grounding, reprobe=reprobe, concurrency=concurrency, rpm=rpm,
        tpm=tpm, max_cost=max_cost, max_tokens=max_tokens, max_retries=max_retries,
        engine=engine, ray_address=ray_address, staging=staging, workers=workers, batch=batch,
        wait=wait, poll=poll, batch_size=batch_size, refetch=refetch,
    )  # fmt: skip

    def bar(chosen: Any) -> Any:
        return progress_reporter(enabled=not quiet, paid=chosen.capabilities.billable)

    with _clean_errors():
        outcome = run_request.run(
            asked, reporter=bar, notice=lambda line: err.print(f"note: {line}")
        )
    for note in outcome.notes:
        err.print(f"note: {note}")
    if outcome.submitted is not None:
        _print_submission(outcome.submitted)
    for collected in outcome.collected:
        _print_collect(collected)
    if outcome.report is not None:
        _print_report(outcome.report)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


@app.command(cls=_Command)
def ingest(
    inputs: Inputs,
    db: DbOption = None,
    input_format: FormatOption = None,
    legacy_format: LegacyFormatOption = None,
    limit: LimitOption = None,
    refetch: RefetchOption = False,
) -> None:
    """Parse INPUTs and store the papers, without extracting (sources are fetched first)."""
    from summarizer.run import pipeline
    from summarizer.store.store import Store

    with _clean_errors():
        fmt = _input_format(input_format, legacy_format)
        pipeline.check_inputs(inputs)
        options = _fetch_options(inputs, refetch)
        with Store(db, hold=False) as store:
            report = pipeline.ingest(inputs, store, fmt=fmt, limit=_limit(limit), fetch=options)
    _print_report(report)
    if not report.clean:
        raise typer.Exit(1)


def _note(line: str) -> None:
    from rich.text import Text

    err.print(Text(f"note: {line}"))


def _fetch_options(inputs: list[Path], refetch: bool) -> Any:
    """How `ingest` fetches the sources among its inputs (None when there are none)."""
    from summarizer.ingest.remote import is_source

    if not any(is_source(item) for item in inputs):
        if refetch:
            raise ConfigError(
                "--refetch fetches sources again; give one (hf:…, arxiv:…@…, oai:…@…) or drop it"
            )
        return None
    from summarizer.run.fetch import FetchOptions

    return FetchOptions(refresh=refetch, progress=_note)


@app.command("fetch", cls=_Command)
def fetch_cmd(
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE",
            help="hf:START..END or hf:DATE (Hugging Face daily papers); "
            "arxiv:CATEGORIES@START..END (the arXiv API, e.g. arxiv:cs.CL,cs.LG@2026-12-01..2026-12-07); "
            "oai:SET@START..END or oai:SET/arXivRaw@START..END (arXiv OAI-PMH, e.g. oai:cs@…). "
            "Dates are YYYY-MM-DD, today or yesterday (UTC), both ends included; START may be "
            "last (the day after the newest day fetched completely), and since:last is last..today.",
        ),
    ],
    db: DbOption = None,
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Fetch every day again, those fetched completely too."),
    ] = False,
) -> None:
    """Fetch SOURCEs into pages kept beside the database, one day at a time, without storing
    or extracting papers; a day fetched completely is not fetched again, and a fetch that was
    cut resumes at its next page. `summarizer run SOURCE` fetches and extracts in one go.
    Endpoints: HF_ENDPOINT, SUMMARIZER_ARXIV_API_URL, SUMMARIZER_OAI_URL."""
    from rich.text import Text

    from summarizer.run import fetch

    def go(store: "Store") -> Any:
        options = fetch.FetchOptions(refresh=refresh, progress=_note)
        return fetch.fetch_sources(sources, store, options)

    report = _with_store(db, go)
    for line in report.lines:
        out.print(Text(line))
    out.print(Text(f"pages kept in {report.root} ({report.requests} requests)"))


def _table(
    columns: list[str],
    rows: list[list[str]],
    title: str | None = None,
    *,
    compact: bool = False,
    width: int | None = None,
    minimums: list[int] | None = None,
) -> "Table":
    """Cells are Text, so stored text is shown as written; long values fold, never cut, and
    a column of links keeps each link on one line so it can be copied whole. Given the
    ``width`` to fit, the other columns share what the links leave (rich alone overflows)."""
    from rich import box
    from rich.table import Column, Table
    from rich.text import Text

    widths = [
        max((len(row[i]) for row in rows if "://" in row[i] and " " not in row[i]), default=None)
        for i in range(len(columns))
    ]
    least = minimums or [0] * len(columns)  # each column's least readable width, if known
    others = sum(1 for w in widths if w is None)
    share = None
    if width is not None and others:
        left = width - 1 - 3 * len(columns) - sum(w for w in widths if w is not None)
        left -= sum(low for w, low in zip(widths, least, strict=True) if w is None)
        share = max(1, left // others)  # what the other columns share beyond their least
    table = Table(
        *[
            Column(
                Text(name),
                overflow="fold",
                min_width=link if link is not None else (low or None),
                max_width=low + share if link is None and share is not None else None,
            )
            for name, link, low in zip(columns, widths, least, strict=True)
        ],
        title=Text(title) if title else None,
        box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD,
        pad_edge=not compact,
    )
    for row in rows:
        table.add_row(*(Text(cell.translate(_INVISIBLE)) for cell in row))
    return table


@app.command(cls=_Command)
def sql(
    statement: Annotated[str, typer.Argument(metavar="QUERY", help="A SELECT statement.")],
    db: DbOption = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="table, csv, json, jsonl or markdown. [default: table on a terminal, csv "
            "when piped]",
        ),
    ] = None,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows", metavar="N", help="Rows a table shows (0 = all); other formats get all."
        ),
    ] = 100,
) -> None:
    """Run a read-only SQL query against the database."""
    from summarizer.outputs import query

    chosen = output_format or ("table" if sys.stdout.isatty() else "csv")

    def show(store: "Store") -> None:
        if chosen not in query.QUERY_FORMATS:
            raise ConfigError(
                f"unknown --format {chosen!r}; choose one of {', '.join(query.QUERY_FORMATS)}"
            )
        result = query.run_query(store, statement)
        if chosen == "table":
            cells = query.table_cells(result, max_rows)
            if query.fits(result.columns, cells, out.width):
                least = query.least_widths(result.columns, cells)
                out.print(_table(result.columns, cells, width=out.width, minimums=least))
            else:  # too wide: one record per block, `column  value` lines (psql's \x)
                _print_records(result.columns, cells)
            if len(cells) < len(result.rows):
                err.print(
                    f"{len(result.rows):,} rows; showing the first {len(cells):,}. "
                    "Pass --max-rows 0 for all of them, or --format csv for a file."
                )
        else:
            sys.stdout.write(query.render(result, chosen) + "\n")

    _with_store(db, show, read_only=True)


def _print_records(columns: list[str], cells: list[list[str]]) -> None:
    """Each row as a block of `column  value` lines; long values fold within the width."""
    from rich.table import Column, Table
    from rich.text import Text

    label = max(map(len, columns), default=0)
    for number, row in enumerate(cells, start=1):
        out.print(Text(f"-[ RECORD {number} ]" + "-" * max(0, min(out.width, 80) - 16)))
        # a link stays whole on its line, so it can be copied (as in the table)
        link = max((len(v) for v in row if "://" in v and " " not in v), default=None)
        grid = Table.grid(
            Column(min_width=label, no_wrap=True),
            Column(overflow="fold", min_width=link),
            padding=(0, 1),
        )
        for name, value in zip(columns, row, strict=True):
            grid.add_row(Text(name), Text(value))
        out.print(grid)


NewOption = Annotated[
    bool,
    typer.Option(
        "--new",
        help="Only the papers first stored by the last run (and any `ingest` after it).",
    ),
]


@app.command("export", cls=_Command)
def export_cmd(
    out_path: Annotated[
        str, typer.Option("--out", metavar="FILE", help="File to write; - writes to stdout.")
    ],
    db: DbOption = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help=f"{', '.join(EXPORT_FORMATS)}. [default: from the --out extension, else csv]",
        ),
    ] = None,
    where: Annotated[
        str | None, typer.Option(metavar="SQL", help="Filter on the summaries view.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Only papers first seen on or after (YYYY-MM-DD)."),
    ] = None,
    new: NewOption = False,
) -> None:
    """Write the digest: one row per paper."""
    from rich.text import Text

    from summarizer.outputs.export import export as export_digest

    with _clean_errors():
        since_date = _parse_since(since)
    rows = _with_store(
        db,
        lambda s: export_digest(
            s, out_path, fmt=output_format, where=where, since=since_date, new=new
        ),
        read_only=True,
    )
    if out_path != "-":
        out.print(Text(f"wrote {rows} rows to {out_path}"))


@app.command("report", cls=_Command)
def report_cmd(
    out_path: Annotated[
        str,
        typer.Option(
            "--out", metavar="FILE", help="File to write (e.g. digest.html); - writes to stdout."
        ),
    ],
    db: DbOption = None,
    where: Annotated[
        str | None, typer.Option(metavar="SQL", help="Filter on the summaries view.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Only papers first seen on or after (YYYY-MM-DD)."),
    ] = None,
    title: Annotated[str | None, typer.Option(metavar="TEXT", help="The report's title.")] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="html or md. [default: from the --out extension (.md, .html), else html]",
        ),
    ] = None,
    new: NewOption = False,
) -> None:
    """Write a visual digest: one self-contained HTML file (charts, table, evidence)."""
    from rich.text import Text

    from summarizer.outputs.report import report as write_report

    with _clean_errors():
        since_date = _parse_since(since)
    papers = _with_store(
        db,
        lambda s: write_report(
            s, out_path, where=where, since=since_date, title=title, fmt=output_format, new=new
        ),
        read_only=True,
    )
    if out_path != "-":
        out.print(Text(f"wrote a report of {papers} papers to {out_path}"))


def _parse_since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--since {value!r} is not a date; use YYYY-MM-DD") from None


@app.command("show", cls=_Command)
def show_cmd(
    paper: Annotated[
        str, typer.Argument(metavar="PAPER", help="Paper id, arXiv id or part of the title.")
    ],
    db: DbOption = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="text or json.")
    ] = "text",
) -> None:
    """One paper's whole extraction, every value with its evidence in the abstract."""
    from summarizer.outputs import show as show_mod

    def show(store: "Store") -> None:
        if output_format not in ("text", "json"):
            raise ConfigError(f"unknown --format {output_format!r}; choose text or json")
        detail = show_mod.paper_detail(store, paper)
        if output_format == "json":
            sys.stdout.write(json.dumps(show_mod.detail_json(detail), ensure_ascii=False) + "\n")
        else:
            out.print(show_mod.render(detail))

    _with_store(db, show, read_only=True)


@app.command("runs", cls=_Command)
def runs_cmd(
    db: DbOption = None,
    limit: Annotated[
        int, typer.Option(min=0, metavar="N", help="How many recent runs (0 = all).")
    ] = 20,
    output_format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table or json.")
    ] = "table",
) -> None:
    """Recent runs: backend, model, counts, tokens, cost and status (the runs view)."""
    from summarizer.outputs import query
    from summarizer.outputs import show as show_mod

    def show(store: "Store") -> None:
        if output_format not in ("table", "json"):
            raise ConfigError(f"unknown --format {output_format!r}; choose table or json")
        columns, rows = show_mod.recent_runs(store, limit or None)
        if output_format == "json":
            sys.stdout.write(query.render(query.QueryResult(columns, rows), "json") + "\n")
            return
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        cells = [
            [
                f"{r['started_at']:%Y-%m-%d %H:%M}",
                _backend_cell(r),
                f"{r['papers_read']} read, {r['cached']} cached, {r['extracted']} extracted, "
                f"{r['failed']} failed",
                f"{r['tokens']:,} · ${r['cost_usd'] or 0:.4f}",
                str(r["status"]),
            ]
            for r in records
        ]
        headers = ["started", "backend", "papers", "tokens · cost", "status"]
        out.print(_table(headers, cells, compact=True))

    _with_store(db, show, read_only=True)


def _backend_cell(run: dict[str, Any]) -> str:
    """rules, or "openai gpt-4o-mini (tools)": the backend, model and the mode it used."""
    backend, model = str(run["backend"]), str(run["model"])
    cell = backend if model.startswith(backend) else f"{backend} {model}"
    probe = run.get("probe") or ""
    return f"{cell} ({probe.split()[1]})" if probe.startswith("mode ") else cell


batch_app = typer.Typer(
    cls=_Group,
    help="Provider batch jobs: status, collect, export and import.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(batch_app, name="batch")

ModelOption = Annotated[
    str | None,
    typer.Option(metavar="NAME", help="LLM model. [env var: SUMMARIZER_MODEL]"),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(metavar="URL", help="OpenAI-compatible endpoint. [env var: OPENAI_BASE_URL]"),
]
ModeOption = Annotated[
    str | None,
    typer.Option(metavar="MODE", help="Structured-output mode: tools, json_schema, json, md_json."),
]
PricesOption = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="JSON price table. [env var: SUMMARIZER_PRICES]"),
]


IgnoredModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        metavar="NAME",
        help="Ignored: each batch is read with the model it was submitted with.",
    ),
]
IgnoredBaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        help="Ignored: each batch is collected from the endpoint it was submitted to.",
    ),
]
IgnoredModeOption = Annotated[
    str | None,
    typer.Option(
        "--mode", metavar="MODE", help="Ignored: each batch is read in the mode it was built in."
    ),
]


def _overrides(prices: Path | None) -> Any:
    """What a collect's flags may lend the backends it rebuilds: the key (from the
    environment) and the prices, never which model or endpoint a batch belongs to."""
    from summarizer.backends import BackendSettings

    settings = BackendSettings.from_env()
    if prices is not None:
        settings.extra["prices"] = str(prices)
    return settings


@batch_app.command("status", cls=_Command)
def batch_status(
    db: DbOption = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table or json.")
    ] = "table",
) -> None:
    """Each batch job: state, counts, age, estimated and actual cost (the batches view)."""
    from summarizer.run import batches

    def show(store: "Store") -> None:
        if output_format not in ("table", "json"):
            raise ConfigError(f"unknown --format {output_format!r}; choose table or json")
        rows = batches.status(store)
        if output_format == "json":
            sys.stdout.write(json.dumps(rows, default=str, indent=2) + "\n")
            return
        if not rows:
            out.print("no batch jobs (submit some with `summarizer run INPUT --batch`)")
            return
        cells = [
            [
                str(r["batch_id"] or "(not created)"),
                str(r["status"]),
                f"{r['completed'] or 0}/{r['requests']} done, {r['failed'] or 0} failed",
                _age(r["age_seconds"]),
                f"~${r['estimated_cost_usd'] or 0:.4f}"
                + (f" · ${r['cost_usd']:.4f}" if r["cost_usd"] is not None else ""),
                str(r["attempt"]),
            ]
            for r in rows
        ]
        headers = ["batch", "state", "requests", "age", "est. · actual cost", "attempt"]
        out.print(_table(headers, cells, compact=True))

    _with_store(db, show, read_only=True)


def _age(seconds: Any) -> str:
    value = int(seconds or 0)
    if value < 120:
        return f"{value} s"
    if value < 7200:
        return f"{value // 60} min"
    return f"{value // 3600} h"


@batch_app.command("collect", cls=_Command)
def batch_collect(
    db: DbOption = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Keep running until all are collected.")
    ] = False,
    poll: Annotated[
        float, typer.Option(min=0.0, metavar="SECONDS", help="Seconds between checks.")
    ] = 60.0,
    live_retry: Annotated[
        bool,
        typer.Option(
            "--live-retry",
            help="Retry invalid, failed and unanswered requests live instead of resubmitting.",
        ),
    ] = False,
    strict_grounding: Annotated[
        bool,
        typer.Option("--strict-grounding", help="Drop values not found in the abstract."),
    ] = False,
    model: IgnoredModelOption = None,
    base_url: IgnoredBaseUrlOption = None,
    mode: IgnoredModeOption = None,
    prices: PricesOption = None,
) -> None:
    """Download and store the answers of finished batches; resubmit what failed once. Each
    batch is collected with the backend, model, endpoint and mode it was submitted with."""
    from summarizer.run import batches

    def go(store: "Store") -> None:
        settings = batches.BatchSettings(live_retry=live_retry, strict_grounding=strict_grounding)
        report = batches.collect(
            store, settings=settings, overrides=_overrides(prices), wait=wait, poll=poll
        )
        _print_collect(report)

    _with_store(db, go, existing=True)


@batch_app.command("export", cls=_Command)
def batch_export(
    inputs: Annotated[
        list[Path], typer.Argument(metavar="INPUT", help="Files or folders to read.")
    ],
    out_path: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="Where to write the request JSONL.")
    ],
    db: DbOption = None,
    limit: LimitOption = None,
    input_format: FormatOption = None,
    legacy_format: LegacyFormatOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    mode: ModeOption = None,
    prices: PricesOption = None,
) -> None:
    """Write the batch request file for the papers not cached, without uploading it
    (for `vllm run-batch` or another provider); store its output with `batch import`."""
    from summarizer.run import batches

    def go(store: "Store") -> None:
        from summarizer.backends import BackendSettings, get_backend

        settings = BackendSettings.from_env(model=model, base_url=base_url, mode=mode)
        settings.offline = True  # writing requests sends nothing: no key needed
        if prices is not None:
            settings.extra["prices"] = str(prices)
        backend = get_backend("openai", settings)
        fmt = _input_format(input_format, legacy_format)
        report = batches.export_requests(
            inputs, store, backend, out_path, fmt=fmt, limit=_limit(limit)
        )
        out.print(f"wrote {report.submitted} requests to {out_path} ({report.cached} cached)")

    _with_store(db, go)


@batch_app.command("import", cls=_Command)
def batch_import(
    results: Annotated[
        Path, typer.Argument(metavar="FILE", help="A batch output file (OpenAI format).")
    ],
    db: DbOption = None,
    model: IgnoredModelOption = None,
    base_url: IgnoredBaseUrlOption = None,
    mode: IgnoredModeOption = None,
    prices: PricesOption = None,
) -> None:
    """Store a batch output file by custom_id, against the requests `batch export` wrote
    (read with the model and mode they were exported with; no API key needed)."""
    from summarizer.run import batches

    def go(store: "Store") -> None:
        _print_collect(batches.import_results(store, None, results, overrides=_overrides(prices)))

    _with_store(db, go, existing=True)


@app.command("merge", cls=_Command)
def merge_cmd(
    shards: Annotated[
        list[Path], typer.Argument(metavar="SHARD", help="Shard databases to merge in.")
    ],
    db: DbOption = None,
) -> None:
    """Merge shard databases into --db; the same paper in several shards is stored once."""
    from summarizer.store import merge as merge_mod

    with _clean_errors():  # every shard checked before the target is opened or created
        merge_mod.check_shards(shards, db if db is not None else default_db_path())
    target = db if db is not None else default_db_path()
    report = _with_store(db, lambda s: merge_mod.merge(s, shards))
    out.print(
        f"merged {report.shards} shard{'s' if report.shards != 1 else ''} into {target} · "
        f"{report.papers_added} papers and {report.extractions_added} extractions added"
    )


@app.command("eval", cls=_Command)
def eval_cmd(
    gold: Annotated[
        Path, typer.Option("--gold", metavar="FILE", help="Gold JSONL file (format: README).")
    ],
    db: DbOption = None,
) -> None:
    """Score stored extractions against a gold file, per field and per backend/model/prompt."""
    from rich.text import Text

    from summarizer.eval import runs as eval_runs

    with _clean_errors():
        path = db if db is not None else default_db_path()
        if not path.exists():
            raise StoreError(missing_database(path))
        eval_runs.read_gold(gold)
    groups = _with_store(db, lambda s: eval_runs.evaluate_store(s, gold))
    if not groups:
        err.print(
            Text(
                f"no stored extraction matches a paper in {gold}; run `summarizer run` on those "
                "papers first (a gold JSONL with title and abstract is itself a valid input)"
            )
        )
        raise typer.Exit(1)
    for group in groups:
        prompt = group.prompt_hash or "-"
        rows = [
            [
                s.field,
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                f"{s.f1:.3f}",
                str(s.support),
                " ".join(f"{k}={v:.3f}" for k, v in s.extra.items()),
            ]
            for s in group.scores
        ]
        title = (
            f"{group.backend} · {group.model} · prompt {prompt} · "
            f"{group.covered} of {group.gold_total} gold papers"
        )
        out.print(_table(["field", "precision", "recall", "F1", "support", "extra"], rows, title))


@app.command("stats", cls=_Command)
def stats_cmd(
    db: DbOption = None,
    output_format: Annotated[
        str | None, typer.Option("--format", metavar="FORMAT", help="text or json.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The same as --format json.", hidden=True)
    ] = False,
) -> None:
    """Counts by status and backend, cache hits, open failures by reason, cost."""
    from summarizer.outputs import stats

    with _clean_errors():
        if output_format not in (None, "text", "json"):
            raise ConfigError(f"unknown --format {output_format!r}; choose text or json")
    result = _with_store(db, stats.collect, read_only=True)
    if as_json or output_format == "json":
        sys.stdout.write(json.dumps(result.as_dict(), indent=2, default=str) + "\n")
        return
    _print_stats(result)


def _print_stats(result: "Stats") -> None:
    if result.writing:
        out.print(
            "a run is writing this database: the counts are what it has committed so far "
            "(its runs row is written when it finishes)"
        )
    out.print(f"papers {result.papers} · sightings {result.sightings} · runs {result.runs}")
    out.print(
        f"cache hits {result.cache_hits} · extracted {result.extracted} · "
        f"tokens {result.tokens:,} · est. cost ${result.cost_usd:.4f}"
    )
    if result.batch_tokens or result.batch_cost_usd:
        live = result.cost_usd - result.batch_cost_usd
        out.print(
            f"of which live ${live:.4f} · provider batch jobs ${result.batch_cost_usd:.4f} "
            f"({result.batch_tokens:,} tokens)"
        )
    out.print(
        f"ungrounded values {result.ungrounded_values} in {result.papers_with_ungrounded} papers"
        f" · recall warnings {result.recall_warnings}"
    )
    _breakdown("status", ["status", "papers"], result.by_status)
    _breakdown("backend", ["backend", "model", "papers"], result.by_backend)
    _breakdown("open failures", ["stage", "error type", "count"], result.failures_by_reason)


def _breakdown(title: str, columns: list[str], rows: list[Any]) -> None:
    if rows:
        out.print(_table(columns, [[str(v) for v in row] for row in rows], title, compact=True))


def main() -> None:
    _app_for(sys.argv[1:])()


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command that ``args`` names, when they name one after nothing
    but the root's ``--db``: typer builds every command it holds (each parameter of each),
    and a command line runs one. Anything else (a root option, no command, a mistyped one,
    shell completion) gets the whole app, and so the same help and errors as ever."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return app
    rest = list(args)
    while rest and (rest[0] == "--db" or rest[0].startswith("--db=")):
        rest = rest[1:] if rest[0].startswith("--db=") else rest[2:]
    if not rest:
        return app
    commands = [
        info
        for info in app.registered_commands
        if (
            info.name
            or typer.main.get_command_name(info.callback.__name__ if info.callback else "")
        )
        == rest[0]
    ]
    groups = [info for info in app.registered_groups if info.name == rest[0]]
    if len(commands) + len(groups) != 1:
        return app
    only = copy.copy(app)
    only.registered_commands = commands
    only.registered_groups = groups
    return only
