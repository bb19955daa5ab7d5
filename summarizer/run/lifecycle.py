"""The start and the end of every run, whichever executor runs it: kept once, here.

Before the first paper: what a killed run journaled or staged is stored (nothing paid for
is lost), a ``--max-cost`` needs a known price, the input is counted for the progress bar,
and an LLM endpoint's structured-output mode is settled once (probed, or read from what an
earlier probe stored) and the user told before anything is spent. At the end: one typed
row in ``run_log`` (:class:`~summarizer.store.rows.RunRow`) says how the run ended.

The local engine, the Ray driver and batch collection call these; none restates them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from summarizer.backends.base import AnyBackend, AsyncBackend
from summarizer.core.endpoint import EndpointProfile
from summarizer.core.errors import ConfigError, Interrupted
from summarizer.core.paper import Paper
from summarizer.ingest.count import estimate_papers
from summarizer.run.jobs import EngineSettings, Job
from summarizer.run.report import RunReport
from summarizer.store.rows import RunRow
from summarizer.store.store import Store

Notice = Callable[[str], None]


def recover(store: Store, staging_root: Path | None = None) -> int:
    """Store what a killed run left: paid answers journaled beside the database, and the
    parts a Ray run staged and never loaded. Returns the results recovered."""
    from summarizer.store.paths import journal_path

    recovered = 0
    if journal_path(store.path).exists() and journal_path(store.path).stat().st_size:
        from summarizer.run.journal import Journal
        from summarizer.run.sink import ResultSink

        sink = ResultSink(store, Journal(journal_path(store.path)))
        try:
            recovered += sink.recover()
        finally:
            sink.close()
    from summarizer.store.paths import staging_root as default_root

    root = staging_root or default_root(store.path)
    if root.is_dir():
        from summarizer.run.journal import heal_staged
        from summarizer.store import staging

        for folder in staging.run_folders(root):  # a dead run's workers are all gone
            heal_staged(folder)
        recovered += staging.recover(store, root).results
    return recovered


def price_known(backend: AnyBackend) -> bool:
    """Whether the backend's calls have a known price (a free backend's do: nothing)."""
    if not isinstance(backend, AsyncBackend):
        return True
    probe = Paper(title="probe", abstract="probe", source="-", record="-")
    return backend.estimate_cost(probe) is not None


def check_budget_is_priced(backend: AnyBackend, settings: EngineSettings) -> None:
    """``--max-cost`` can only hold for a model whose price is known."""
    if settings.max_cost is None or not isinstance(backend, AsyncBackend):
        return
    if not price_known(backend):
        model = backend.identity.model
        raise ConfigError(
            f"--max-cost needs a price for model {model!r}, and none is known; pass --prices "
            "FILE with its prices (USD per million tokens), or cap tokens with --max-tokens"
        )


def expected_papers(
    inputs: list[str | Path], fmt: str | None, limit: int | None, shard: tuple[int, int] | None
) -> int | None:
    """Papers the input holds, estimated before reading it (None when it cannot be)."""
    expected = estimate_papers(inputs, fmt)
    if expected is None:
        return None
    if shard is not None:
        expected = -(-expected // shard[1])
    return min(expected, limit) if limit is not None else expected


async def settle_endpoint(
    store: Store,
    backend: AsyncBackend,
    report: RunReport,
    *,
    reprobe: bool = False,
    notice: Notice | None = None,
) -> EndpointProfile | None:
    """Check the endpoint answers, and settle its structured-output mode once, before any
    paper: from what an earlier probe stored, or by probing (the outcome is stored)."""
    await backend.check_endpoint()
    key = backend.endpoint
    known = store.endpoint(*key) if key is not None else None
    profile = await backend.prepare(known, reprobe=reprobe)
    if profile is None:
        return None
    if profile.origin == "probed":
        store.save_endpoint(profile)
    report.probe = profile.describe()
    line = f"endpoint {profile.base_url} ({profile.model}): {report.probe}"
    if notice is not None:
        notice(line)  # before the batch, where a user can still stop it
    else:
        report.notes.append(line)
    return profile


def cost_notice(
    backend: AsyncBackend, sample: list[Job], total: int, *, approximate: bool
) -> str | None:
    """The line a user sees before a paid run spends: ``total`` papers, the tokens and cost
    estimated from ``sample`` (a few of them). None when there is nothing to extract."""
    if total == 0 or not sample:
        return None
    about = "about " if approximate else ""
    usage = [backend.estimate_usage(j.paper) for j in sample]
    tokens = round(total * sum(p + c for p, c in usage) / len(sample))
    costs = [backend.estimate_cost(j.paper) for j in sample]
    model = backend.identity.model
    if any(c is None for c in costs):
        return (
            f"{about}{total:,} papers to extract with {model}, about {tokens:,} tokens; cost "
            f"is not tracked: no price is known for {model} (pass --prices FILE to track it)"
        )
    cost = total * sum(c or 0.0 for c in costs) / len(costs)
    return f"{about}{total:,} papers to extract with {model}, about {tokens:,} tokens, estimated cost ${cost:,.4f}"


def run_row(report: RunReport, started_at: datetime, failed: BaseException | None = None) -> RunRow:
    """The ``run_log`` row of a run that ended (``failed``: the error it died of)."""
    return RunRow.new(
        started_at=started_at,
        backend=report.backend,
        model=report.model,
        papers_read=report.read,
        papers_new=report.new,
        cached=report.cached,
        extracted=report.extracted,
        failed=report.failed,
        rejected=report.rejected,
        backend_calls=report.calls,
        prompt_tokens=report.prompt_tokens,
        completion_tokens=report.completion_tokens,
        cost_usd=report.cost_usd,
        status=run_status(report, failed),
        probe=report.probe,
    )


def run_status(report: RunReport, failed: BaseException | None) -> str:
    """``failed: <why>`` for a run that died, else how it ended."""
    if failed is not None:
        reason = " ".join(str(failed).split())[:200] or type(failed).__name__
        return f"failed: {reason}"
    if report.stopped is not None:
        return str(report.stopped)
    return "ok" if report.clean else "partial"


def _interrupted(error: BaseException) -> bool:
    """An error that is really a Ctrl-C: DuckDB's ``Query interrupted``, or one raised while
    the interrupt was being handled."""
    import duckdb

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt | duckdb.InterruptException):
            return True
        if isinstance(seen, RuntimeError) and "query interrupted" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def logged(
    store: Store, report: RunReport, *, closing: Iterable[Callable[[], None]] = ()
) -> Iterator[None]:
    """Run the body as one logged run: Ctrl-C stops it cleanly (finished work is stored
    and the report says ``stopped``); any other error is logged as ``failed`` and raised.
    ``closing`` run first, in order, whatever happened (a sink's last flush, say), then the
    report is finished and its row written."""
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    failed: BaseException | None = None
    try:
        yield
    except KeyboardInterrupt:
        report.stopped = Interrupted("interrupted (Ctrl-C); finished results are stored")
    except BaseException as error:
        if _interrupted(error):  # SIGINT reached DuckDB (or a worker) first
            report.stopped = Interrupted("interrupted (Ctrl-C); finished results are stored")
        else:
            failed = error
            raise
    finally:
        try:
            for close in closing:
                close()
        finally:
            report.finish_reading()
            report.elapsed = time.perf_counter() - started
            store.record_run(run_row(report, started_at, failed))
