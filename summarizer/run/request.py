"""A run, as a request: what ``summarizer run`` builds from its flags, and the library takes.

``summarizer.run(RunRequest(...))`` does exactly what the command does: it checks the
flag combinations before anything is opened, picks the backend (the one that failed, for
``--retry-failed`` with none named), stores what finished provider batches answered
(reading the database first, so a run with no open batch loads no provider package), and
executes the request on one of the three executors: live on this machine
(:mod:`summarizer.run.pipeline`), on Ray (:mod:`summarizer.run.ray_engine`) or as provider
batch jobs (:mod:`summarizer.run.batches`). All three carry out the same plan
(:mod:`summarizer.run.plan`). ``cli.py`` only maps flags to a request, and the outcome to
lines and an exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.core.errors import ConfigError, Interrupted

if TYPE_CHECKING:
    from summarizer.backends.base import AnyBackend
    from summarizer.run.batches import CollectReport, SubmitReport
    from summarizer.run.fetch import FetchOptions
    from summarizer.run.progress import Reporter
    from summarizer.run.report import RunReport
    from summarizer.store.store import Store

ENGINES = ("local", "ray")

Notice = Callable[[str], None]


@dataclass(kw_only=True)
class RunRequest:
    """Everything a run is asked to do; the fields are the ``summarizer run`` flags."""

    inputs: list[str | Path] = field(default_factory=list)
    db: str | Path | None = None
    """The database; None: ``SUMMARIZER_DB`` or the default path."""
    backend: str | None = None
    """rules, openai, auto, or a registered name; None: rules, or openai when ``model`` or
    ``base_url`` is given."""
    model: str | None = None
    base_url: str | None = None
    mode: str | None = None
    prices: Path | None = None
    max_reasks: int = 1
    timeout: float | None = None
    fmt: str | None = None
    """The input format; None: detected."""
    limit: int | None = None
    shard: str | None = None
    """``i/n``: take only that slice of the input."""
    retry_failed: bool = False
    pending: bool = False
    """Extract every stored paper that has no result to show (after ``ingest``, or a run
    that was stopped); takes no inputs."""
    refresh: bool = False
    strict_grounding: bool = False
    reprobe: bool = False
    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None
    max_cost: float | None = None
    max_tokens: int | None = None
    max_retries: int = 5
    engine: str = "local"
    ray_address: str | None = None
    staging: Path | None = None
    workers: int | None = None
    batch: bool = False
    """Submit provider batch jobs instead of calling live."""
    wait: bool = False
    poll: float = 60.0
    batch_size: int = 50_000
    refetch: bool = False
    """Fetch every window of the sources among ``inputs`` again, closed ones too."""


@dataclass
class RunOutcome:
    """What a request did: the run's report, or a batch submission's; and the batches
    collected on the way (finished ones first, then with ``wait`` the submitted ones)."""

    report: RunReport | None = None
    submitted: SubmitReport | None = None
    collected: list[CollectReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 something was rejected or failed or a budget stopped it, 130 Ctrl-C."""
        if self.report is not None:
            if isinstance(self.report.stopped, Interrupted):
                return Interrupted.exit_code
            return 0 if self.report.clean else 1
        if self.submitted is not None and self.submitted.rejections:
            return 1
        return 0


def check(request: RunRequest, today: date | None = None) -> tuple[int, int] | None:
    """The flag combinations a run refuses, before any file is opened; returns the shard.
    Sources among the inputs are checked for their spelling, dates read against ``today``
    (UTC; None: now)."""
    from summarizer.ingest.remote import is_source
    from summarizer.run.pipeline import check_inputs, parse_shard

    if request.pending and request.inputs:
        raise ConfigError(
            "--pending extracts the papers already stored; give it no INPUT (or drop --pending)"
        )
    if request.pending and (request.batch or request.engine.strip().lower() != "local"):
        raise ConfigError("--pending runs with --engine local and without --batch")
    if not request.inputs and not (request.retry_failed or request.pending):
        raise ConfigError(
            "give INPUT files or folders (- for stdin), --pending (the papers stored and not "
            "yet extracted) or --retry-failed"
        )
    check_inputs(request.inputs, today)
    sources = any(is_source(item) for item in request.inputs)
    if request.refetch and not sources:
        raise ConfigError(
            "--refetch fetches sources again; give one (hf:…, arxiv:…@…, oai:…@…) or drop it"
        )
    if sources and request.fmt is not None:
        raise ConfigError(
            f"--input-format {request.fmt} is for files; a source (hf:…, arxiv:…, oai:…) is "
            "read in its own format: run the files and the sources separately"
        )
    shard = parse_shard(request.shard) if request.shard else None
    engine = request.engine.strip().lower()
    if engine not in ENGINES:
        raise ConfigError(f"unknown --engine {request.engine!r}; choose local or ray")
    if engine == "local":
        given = [
            flag
            for flag, value in (("--staging", request.staging), ("--workers", request.workers))
            if value
        ]
        if given:
            raise ConfigError(f"{' and '.join(given)} need --engine ray")
    elif request.batch:
        raise ConfigError(
            "--engine ray cannot be combined with --batch: a provider batch job already runs "
            "on the provider's machines; submit it with --engine local"
        )
    else:
        from summarizer.run import ray_engine

        ray_engine.check_options(
            list(request.inputs), retry_failed=request.retry_failed, shard=shard is not None
        )
        ray_engine.require_ray()
        ray_engine.check_address(request.ray_address)
    if request.batch:
        for flag, refused in (
            ("--retry-failed", request.retry_failed),
            ("--refresh", request.refresh),
            ("--shard", shard is not None),
        ):
            if refused:
                raise ConfigError(f"--batch cannot be combined with {flag}; run them separately")
    return shard


def _needs_failed_identity(request: RunRequest) -> bool:
    return (
        request.retry_failed and request.backend is None and not (request.model or request.base_url)
    )


def _check_budget(request: RunRequest, backend: AnyBackend) -> None:
    """``--max-cost`` holds only when the model's price is known: live and for a batch
    submission alike, checked before anything is opened."""
    from summarizer.run import lifecycle
    from summarizer.run.jobs import EngineSettings

    lifecycle.check_budget_is_priced(backend, EngineSettings(max_cost=request.max_cost))


def build_backend(request: RunRequest, store: Store | None) -> AnyBackend:
    """The backend a request names (see :func:`summarizer.backends.choose_backend`); for
    ``--retry-failed`` with none named, the backend and model that failed."""
    from summarizer.backends import BackendSettings, choose_backend, get_backend

    name = choose_backend(request.backend, llm_flags=bool(request.model or request.base_url))
    model = request.model
    if store is not None and _needs_failed_identity(request):
        name, model = retry_identity(store)
    settings = BackendSettings.from_env(
        model=model,
        base_url=request.base_url,
        mode=request.mode,
        max_reasks=request.max_reasks,
        timeout=request.timeout,
    )
    if request.prices is not None:
        settings.extra["prices"] = str(request.prices)
    check_base_url(settings.base_url, "--base-url" if request.base_url else "OPENAI_BASE_URL")
    return get_backend(name, settings)


def check_base_url(url: str | None, where: str) -> None:
    """An endpoint written without its scheme (``localhost:8000``) is a typo, not a host
    that cannot be reached: say so, and what to write instead."""
    if not url:
        return
    from urllib.parse import urlsplit

    if "://" not in url or urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(
            f"{where} {url!r} needs a scheme: add http:// (e.g. http://{url.split('://')[-1]})"
            " or https://"
        )


def retry_identity(store: Store) -> tuple[str, str | None]:
    """--retry-failed with no backend named: the backend and model that failed."""
    identities = store.failed_identities()
    if not identities:
        return "rules", None
    if len(identities) > 1:
        listed = ", ".join(f"{b} {m} ({n} papers)" for b, m, n in identities)
        raise ConfigError(
            f"papers failed under several backends: {listed}; pass --backend and --model "
            "to choose which to retry with"
        )
    backend, model, _ = identities[0]
    return backend, (None if backend == "rules" else model)


LINGER = 1.0
"""Seconds a run keeps the database open across its first steps and its cached chunks
(:class:`Store`'s ``linger``): a re-run that finds everything cached opens it once."""


def run(
    request: RunRequest,
    *,
    reporter: Reporter | Callable[[AnyBackend], Any] | None = None,
    notice: Notice | None = None,
    fetch: FetchOptions | None = None,
) -> RunOutcome:
    """Carry out ``request`` as ``summarizer run`` does. ``reporter`` is a progress
    Reporter, or a function of the chosen backend returning a context manager that yields
    one (the CLI's progress bar); ``notice`` gets the lines a user should see before a paid
    run spends (the estimate, the endpoint's mode) and one line per window fetched. Sources
    among the inputs are fetched first (``fetch``: where from, on which clock) and their
    kept pages read by whichever executor runs."""
    from summarizer.backends.base import AsyncBackend
    from summarizer.store.store import Store

    shard = check(request, _today(fetch))
    outcome = RunOutcome()
    # the backend first (a wrong name, a missing key, an unpriced --max-cost): a mistake
    # leaves no empty database behind; only --retry-failed reads the store to choose it
    chosen = None if _needs_failed_identity(request) else build_backend(request, None)
    if chosen is not None:
        _check_budget(request, chosen)
    # the file stays open across the first steps (LINGER); every path that goes on to long
    # work (extracting, a provider, Ray) lets go of it first
    with Store(request.db, hold=False, linger=LINGER) as store:
        backend = chosen or build_backend(request, store)
        _check_budget(request, backend)
        if isinstance(backend, AsyncBackend):
            _quiet_instructor()
        request = _fetch_sources(request, store, outcome, notice, fetch)
        if request.batch:
            store.let_go()
            return _submit(request, store, backend, outcome)
        _collect_finished(request, store, backend, outcome)
        with _progress(reporter, backend) as progress:
            outcome.report = _execute(request, store, backend, shard, progress, notice)
        _compact(store, outcome)
    return outcome


def _compact(store: Store, outcome: RunOutcome) -> None:
    """After a run that wrote, the database without the free space its commits left
    (:mod:`summarizer.store.compact`: only when there is much, and never at the risk of the
    stored data). Not after Ctrl-C, and a failure is a note, not the run's failure."""
    from summarizer.core.errors import SummarizerError

    report = outcome.report
    if report is None or isinstance(report.stopped, Interrupted):
        return
    if not (report.new or report.extracted or report.failed or outcome.collected):
        return  # nothing written: nothing freed
    try:
        store.compact()
    except (SummarizerError, OSError) as error:
        outcome.notes.append(f"the database was not compacted ({error}); its data is intact")


def _quiet_instructor() -> None:
    """instructor logs each re-ask and retry; the run's own summary already says what
    happened. Only a run that may call an LLM loads logging to say so."""
    import logging

    logging.getLogger("instructor").setLevel(logging.CRITICAL)


def _today(options: FetchOptions | None) -> date | None:
    if options is None or options.clock is None:
        return None
    return options.clock.now().date()


def _fetch_sources(
    request: RunRequest,
    store: Store,
    outcome: RunOutcome,
    notice: Notice | None,
    options: FetchOptions | None,
) -> RunRequest:
    """The request with each source among its inputs replaced by the pages it was fetched
    into: every executor reads them as files."""
    from dataclasses import replace

    from summarizer.ingest.remote import is_source

    if not any(is_source(item) for item in request.inputs):
        return request
    from summarizer.run.fetch import FetchOptions
    from summarizer.run.pipeline import fetch_sources

    given = options or FetchOptions()
    chosen = replace(given, refresh=given.refresh or request.refetch)
    if chosen.progress is None and notice is not None:
        chosen.progress = notice
    inputs, fetched = fetch_sources(request.inputs, store, request.fmt, chosen)
    if fetched is not None:
        outcome.notes.extend(fetched.lines)
    return replace(request, inputs=inputs)


def _progress(reporter: Any, backend: AnyBackend) -> Any:
    from contextlib import nullcontext

    from summarizer.run.progress import Reporter

    if reporter is None:
        return nullcontext(Reporter())
    if isinstance(reporter, Reporter):
        return nullcontext(reporter)
    return reporter(backend)


def _execute(
    request: RunRequest,
    store: Store,
    backend: AnyBackend,
    shard: tuple[int, int] | None,
    reporter: Reporter,
    notice: Notice | None,
) -> RunReport:
    from summarizer.run.jobs import EngineSettings

    settings = EngineSettings(
        concurrency=request.concurrency,
        rpm=request.rpm,
        tpm=request.tpm,
        max_attempts=request.max_retries + 1,
        max_cost=request.max_cost,
        max_tokens=request.max_tokens,
        strict_grounding=request.strict_grounding,
        timeout=request.timeout,
    )
    common: dict[str, Any] = {
        "fmt": request.fmt,
        "limit": request.limit,
        "settings": settings,
        "retry_failed": request.retry_failed,
        "reporter": reporter,
        "refresh": request.refresh,
        "reprobe": request.reprobe,
        "notice": notice,
    }
    if request.engine.strip().lower() == "ray":
        from summarizer.run import ray_engine

        store.let_go()
        options = ray_engine.RayOptions(
            address=request.ray_address, staging=request.staging, workers=request.workers
        )
        return ray_engine.run(request.inputs, store, backend, options=options, **common)
    from summarizer.run import pipeline

    return pipeline.run(
        request.inputs, store, backend, shard=shard, pending=request.pending, **common
    )


def _collect_finished(
    request: RunRequest, store: Store, backend: AnyBackend, outcome: RunOutcome
) -> None:
    """A run first stores what finished provider batches answered; the database is read
    first, so with no open batch no provider package is loaded."""
    from summarizer.store import batches as stored

    if not stored.open_count(store):
        return
    store.let_go()
    _quiet_instructor()
    from summarizer.run import batches

    settings = batches.BatchSettings(strict_grounding=request.strict_grounding)
    report = batches.collect_open(store, backend, settings=settings)
    if report is None:
        return
    outcome.notes.extend(report.notes)
    if report.finished:
        outcome.collected.append(report)


def _submit(
    request: RunRequest, store: Store, backend: AnyBackend, outcome: RunOutcome
) -> RunOutcome:
    from summarizer.run import batches

    protocol = batches.require_batch(backend, "--batch")
    settings = batches.BatchSettings(
        max_requests=request.batch_size,
        max_cost=request.max_cost,
        strict_grounding=request.strict_grounding,
    )
    outcome.submitted = batches.submit(
        request.inputs, store, backend, settings=settings, fmt=request.fmt, limit=request.limit
    )
    if request.wait:
        outcome.collected.append(
            batches.collect(
                store, protocol.backend, settings=settings, wait=True, poll=request.poll
            )
        )
    return outcome


__all__ = ["RunOutcome", "RunRequest", "check", "run"]
