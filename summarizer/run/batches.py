"""Provider batch jobs: submit the papers not yet cached, collect the answers, resubmit the rest.

Nightly runs have no deadline, and a provider's Batch API does the same work at half the
price within a day. This module keeps the two promises a paid run makes:

- **Nothing bought twice.** Each request's ``custom_id`` is the paper's cache key. A
  submission is recorded (``batch_jobs``/``batch_requests``) before its file is uploaded,
  its batch is created with our submission id in its metadata, and a paper already waiting
  in an open batch is never submitted again. After a kill, ``collect`` adopts the batch the
  provider created (found by that metadata) or finishes the upload; it never creates a
  second batch for the same requests.
- **Nothing paid for lost.** Answers are journaled and stored exactly as live results are
  (same cache key, grounding, ``llm_calls`` row at the batch price). A job is marked
  ``collected`` only after everything in it is stored, failed or resubmitted, and results
  already stored are skipped, so a second collect, or one after a kill, stores nothing twice.

Invalid answers, per-request errors and requests an expired or cancelled batch never
answered are resubmitted once as a new batch (or retried live with ``live_retry``); what
fails again goes to ``failures`` with its reason.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from summarizer.backends.openai.backend import OpenAIBackend
from summarizer.backends.openai.batch import (
    MAX_BYTES,
    MAX_REQUESTS,
    TERMINAL,
    BatchAnswer,
    BatchClient,
    parse_line,
    request_line,
)
from summarizer.backends.openai.pricing import batch_cost
from summarizer.backends.rules.extract import extract_summary
from summarizer.core.calls import CallRecord
from summarizer.core.errors import BudgetExceeded, ConfigError
from summarizer.core.paper import Paper
from summarizer.core.results import Extraction, Failure
from summarizer.grounding import ground
from summarizer.ingest import read_sightings
from summarizer.run.journal import Journal, journal_path
from summarizer.run.plan import Plan, chunked
from summarizer.run.report import RunReport
from summarizer.run.sink import ResultSink
from summarizer.store import batches as stored
from summarizer.store.rows import RunRow
from summarizer.store.store import Store

CHUNK = 5_000
BATCH_RUN_BACKEND = "openai-batch"
"""How a collect appears in the ``runs`` view, so batch spend reads apart from live runs."""


@dataclass
class BatchSettings:
    max_requests: int = MAX_REQUESTS
    max_bytes: int = MAX_BYTES
    max_cost: float | None = None
    """USD: the estimated cost of what one submission may buy."""
    live_retry: bool = False
    strict_grounding: bool = False


@dataclass
class SubmitReport:
    read: int = 0
    new: int = 0
    cached: int = 0
    waiting: int = 0
    """Papers already in an open batch: not submitted again."""
    submitted: int = 0
    batch_ids: list[str] = field(default_factory=list)
    estimated_cost_usd: float = 0.0
    rejections: list[str] = field(default_factory=list)
    """Rejected records, one line each (as a run reports them)."""


@dataclass
class CollectReport:
    finished: int = 0
    """Batches collected by this call."""
    open: int = 0
    """Batches still running."""
    stored: int = 0
    failed: int = 0
    resubmitted: int = 0
    retried_live: int = 0
    cost_usd: float = 0.0
    batch_ids: list[str] = field(default_factory=list)
    """Batches created by this call (resubmissions)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _settle_mode(store: Store, backend: OpenAIBackend) -> None:
    """The mode a live call would use: forced by --mode, or what a probe stored for this
    endpoint; otherwise the backend's default for the host (no probe request is sent)."""
    if backend.settings.mode:
        return
    known = store.endpoint(*backend.endpoint)
    if known is not None:
        backend.mode = known.mode
        backend.context_tokens = known.context_tokens


def todo(
    inputs: Sequence[str | Path], store: Store, backend: OpenAIBackend, report: SubmitReport,
    *, fmt: str | None = None, limit: int | None = None, strict: bool = False,
) -> list[tuple[str, Paper]]:  # fmt: skip
    """The run's plan (:class:`~summarizer.run.plan.Plan`), as a live run makes it: papers
    stored, cached results made current (and stripped with ``strict``), fixed records'
    failures cleared. Returns (cache key, paper) for the papers to submit: neither cached,
    failed before, nor waiting in an open batch."""
    counts = RunReport(db_path=store.path)
    plan = Plan(
        store=store,
        identity=backend.identity,
        report=counts,
        strict=strict,
        waiting=lambda keys: stored.in_open_batches(store, keys),
    )
    wanted: dict[str, Paper] = {}
    for chunk in chunked(iter(read_sightings(list(inputs), fmt, limit)), CHUNK):
        planned = plan.chunk(chunk)
        report.waiting += planned.waiting
        for job in planned.todo:
            wanted.setdefault(job.cache_key, job.paper)
    counts.finish_reading()
    report.read, report.new = counts.read, counts.new
    report.cached += counts.cached + counts.skipped_failed
    report.rejections.extend(counts.rejections)
    return list(wanted.items())


def _files(lines: Sequence[tuple[str, str, str]], settings: BatchSettings) -> list[list[Any]]:
    """Split (key, paper_id, line) at the provider's per-file limits."""
    files: list[list[Any]] = [[]]
    size = 0
    for entry in lines:
        length = len(entry[2].encode("utf-8")) + 1
        if files[-1] and (
            len(files[-1]) >= settings.max_requests or size + length > settings.max_bytes
        ):
            files.append([])
            size = 0
        files[-1].append(entry)
        size += length
    return [f for f in files if f]


def _estimate(backend: OpenAIBackend, papers: Iterable[Paper]) -> float:
    total = 0.0
    for paper in papers:
        prompt, completion = backend.estimate_usage(paper)
        total += batch_cost(backend.prices, backend.model, prompt, 0, completion)
    return total


def _send(
    store: Store, backend: OpenAIBackend, client: BatchClient,
    entries: Sequence[tuple[str, str, str]], estimated: float, attempt: int,
) -> str:  # fmt: skip
    """Record, upload and create one batch; returns the provider's batch id."""
    submission_id = uuid.uuid4().hex
    stored.record_submission(
        store,
        {
            "submission_id": submission_id,
            "base_url": backend.base_url,
            "model": backend.model,
            "mode": backend.mode,
            "prompt_hash": backend.prompt.hash,
            "requests": len(entries),
            "status": "preparing",
            "estimated_cost_usd": estimated,
            "attempt": attempt,
        },
        [(key, paper_id) for key, paper_id, _ in entries],
    )
    return _finish_sending(store, client, submission_id, "\n".join(e[2] for e in entries) + "\n")


def _finish_sending(store: Store, client: BatchClient, submission_id: str, content: str) -> str:
    file_id = client.upload(f"summarizer-{submission_id}.jsonl", content.encode("utf-8"))
    stored.update_job(store, submission_id, input_file_id=file_id, status="uploaded")
    return _create(store, client, submission_id, file_id)


def _create(store: Store, client: BatchClient, submission_id: str, file_id: str) -> str:
    batch = client.create(file_id, {"summarizer_submission": submission_id})
    stored.update_job(store, submission_id, batch_id=batch["id"], status=batch["status"])
    return str(batch["id"])


def submit(
    inputs: Sequence[str | Path], store: Store, backend: OpenAIBackend, *,
    settings: BatchSettings | None = None, client: BatchClient | None = None,
    fmt: str | None = None, limit: int | None = None,
) -> SubmitReport:  # fmt: skip
    """Store the papers, and submit every one not cached or waiting as provider batches;
    each batch is recorded in the database before this returns."""
    settings = settings or BatchSettings()
    report = SubmitReport()
    _settle_mode(store, backend)
    work = todo(
        inputs, store, backend, report, fmt=fmt, limit=limit, strict=settings.strict_grounding
    )
    if not work:
        return report
    report.estimated_cost_usd = _estimate(backend, (p for _, p in work))
    if settings.max_cost is not None and report.estimated_cost_usd > settings.max_cost:
        raise BudgetExceeded(
            f"the batch would cost about ${report.estimated_cost_usd:.4f} at batch prices, over "
            f"--max-cost ${settings.max_cost:g}; nothing was submitted (raise --max-cost or "
            "submit fewer papers with --limit)"
        )
    entries = [(key, p.paper_id, request_line(backend, p, key)) for key, p in work]
    own = client is None
    client = client or BatchClient(backend)
    try:
        by_key = dict(work)
        for file in _files(entries, settings):
            estimated = _estimate(backend, (by_key[key] for key, _, _ in file))
            report.batch_ids.append(_send(store, backend, client, file, estimated, attempt=1))
            report.submitted += len(file)
    finally:
        if own:
            client.close()
    return report


def export_requests(
    inputs: Sequence[str | Path], store: Store, backend: OpenAIBackend, out: Path, *,
    fmt: str | None = None, limit: int | None = None,
) -> SubmitReport:  # fmt: skip
    """Write the request file a submission would upload (for ``vllm run-batch`` or another
    provider) without uploading it; ``import_results`` later stores its output by custom_id."""
    report = SubmitReport()
    _settle_mode(store, backend)
    work = todo(inputs, store, backend, report, fmt=fmt, limit=limit)
    if out.suffix.lower() in (".duckdb", ".db"):
        raise ConfigError(f"{out} looks like a database, not a request file; use --out FILE.jsonl")
    with out.open("w", encoding="utf-8") as handle:
        for key, paper in work:
            handle.write(request_line(backend, paper, key) + "\n")
    if work:
        submission_id = "export-" + uuid.uuid4().hex
        stored.record_submission(
            store,
            {
                "submission_id": submission_id,
                "base_url": backend.base_url,
                "model": backend.model,
                "mode": backend.mode,
                "prompt_hash": backend.prompt.hash,
                "requests": len(work),
                "status": "exported",
                "estimated_cost_usd": _estimate(backend, (p for _, p in work)),
                "attempt": 1,
                "input_file_id": str(out),
            },
            [(key, p.paper_id) for key, p in work],
        )
    report.submitted = len(work)
    return report


class _Collector:
    """Stores the answers of finished batches, as a live run would store its results."""

    def __init__(self, store: Store, backend: OpenAIBackend, settings: BatchSettings) -> None:
        self.store = store
        self.backend = backend
        self.settings = settings
        self.sink = ResultSink(store, Journal(journal_path(store.path)))
        self.sink.recover()
        self.report = CollectReport()

    def store_answers(
        self, job: dict[str, Any], answers: Iterable[BatchAnswer], batch_id: str | None,
    ) -> dict[str, str]:  # fmt: skip
        """Store what answered; returns cache_key -> reason for what must be tried again."""
        waiting = stored.pending(self.store, job["submission_id"])
        already = self.store.cached_keys(list(waiting))
        stored.mark(self.store, job["submission_id"], already, "stored")
        waiting = {k: v for k, v in waiting.items() if k not in already}
        papers = stored.papers(self.store, list(set(waiting.values())))
        self.sink.pointers.on_success(waiting.values())
        again: dict[str, str] = {}
        landed: list[str] = []
        cost = 0.0
        for answer in answers:
            paper_id = waiting.pop(answer.custom_id, None)
            if paper_id is None or paper_id not in papers:
                continue  # not ours, or already stored by an earlier collect
            usage = answer.usage
            if usage is not None:
                cost += usage.cost_usd
                self.sink.add_call(
                    CallRecord(
                        cache_key=answer.custom_id,
                        model=self.backend.model,
                        attempt=int(job["attempt"]),
                        status=answer.status,
                        latency_ms=0.0,
                        prompt_tokens=usage.prompt_tokens,
                        completion_tokens=usage.completion_tokens,
                        cached_tokens=usage.cached_tokens,
                        cost_usd=usage.cost_usd,
                        mode=self.backend.mode,
                        error=answer.error,
                        batch_id=batch_id,
                    )
                )
            if answer.summary is None:
                again[answer.custom_id] = answer.error or "no answer"
                continue
            paper = papers[paper_id]
            grounded = ground(
                answer.summary,
                paper.abstract,
                strict=self.settings.strict_grounding,
                reference=extract_summary("", paper.abstract),
            )
            self.sink.add_result(
                Extraction(paper_id, answer.custom_id, self.backend.identity, grounded, usage)
            )
            landed.append(answer.custom_id)
        for key in waiting:
            again[key] = f"not answered: the batch ended {job['status']}"
        self.sink.flush()
        stored.mark(self.store, job["submission_id"], landed, "stored")
        self.report.stored += len(landed)
        self.report.cost_usd += cost
        job["cost_usd"] = cost
        return again

    def fail(self, job: dict[str, Any], again: dict[str, str]) -> None:
        waiting = stored.pending(self.store, job["submission_id"])
        for key, reason in again.items():
            self.sink.add_failure(
                Failure(
                    paper_id=waiting.get(key),
                    cache_key=key,
                    stage="extract",
                    error_type="batch",
                    message=f"batch {job['batch_id']}: {reason}",
                    attempts=int(job["attempt"]),
                    backend=self.backend.name,
                    model=self.backend.model,
                )
            )
        self.sink.flush()
        stored.mark(self.store, job["submission_id"], again, "failed")
        self.report.failed += len(again)


def _adopt_or_finish(
    store: Store, client: BatchClient, job: dict[str, Any], backend: OpenAIBackend
) -> None:
    """A submission a kill interrupted: adopt the batch the provider made for it, or finish
    creating it. Never a second batch for the same requests."""
    found = client.find(job["submission_id"])
    if found is not None:
        stored.update_job(store, job["submission_id"], batch_id=found["id"], status=found["status"])
        job.update(batch_id=found["id"], status=found["status"])
        return
    if job["input_file_id"]:
        job["batch_id"] = _create(store, client, job["submission_id"], job["input_file_id"])
        return
    waiting = stored.pending(store, job["submission_id"])
    papers = stored.papers(store, list(set(waiting.values())))
    lines = [
        request_line(backend, papers[pid], key) for key, pid in waiting.items() if pid in papers
    ]
    content = "\n".join(lines) + "\n"
    job["batch_id"] = _finish_sending(store, client, job["submission_id"], content)


def collect(
    store: Store, backend: OpenAIBackend, *, settings: BatchSettings | None = None,
    client: BatchClient | None = None, wait: bool = False, poll: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectReport:  # fmt: skip
    """Collect every finished batch (waiting for the open ones with ``wait``)."""
    settings = settings or BatchSettings()
    own = client is None
    client = client or BatchClient(backend)
    collector = _Collector(store, backend, settings)
    started = _now()
    try:
        while True:
            still_open = _collect_once(store, backend, client, collector, settings)
            collector.report.open = still_open
            if not wait or still_open == 0:
                break
            sleep(poll)
    finally:
        collector.sink.close()
        if own:
            client.close()
    report = collector.report
    if report.finished:
        spend = collector.sink.spend
        store.record_run(
            RunRow.new(
                started_at=started,
                backend=BATCH_RUN_BACKEND,
                model=backend.model,
                extracted=report.stored,
                failed=report.failed,
                backend_calls=spend.calls,
                prompt_tokens=spend.prompt_tokens,
                completion_tokens=spend.completion_tokens,
                cost_usd=spend.cost_usd,
                status="ok",
                probe=f"batch collect: {report.finished} batch(es)",
            )
        )
    return report


def _collect_once(
    store: Store, backend: OpenAIBackend, client: BatchClient, collector: _Collector,
    settings: BatchSettings,
) -> int:  # fmt: skip
    still_open = 0
    for job in stored.jobs(store, open_only=True):
        if job["status"] == "exported" or job["model"] != backend.model:
            continue
        if not job["batch_id"]:
            _adopt_or_finish(store, client, job, backend)
        batch = client.retrieve(job["batch_id"])
        counts = batch.get("request_counts") or {}
        job.update(
            status=batch["status"],
            output_file_id=batch.get("output_file_id"),
            error_file_id=batch.get("error_file_id"),
        )
        stored.update_job(
            store,
            job["submission_id"],
            status=batch["status"],
            completed=counts.get("completed"),
            failed=counts.get("failed"),
            output_file_id=job["output_file_id"],
            error_file_id=job["error_file_id"],
        )
        if batch["status"] not in TERMINAL:
            still_open += 1
            continue
        answers = [
            answer
            for file_id in (job["output_file_id"], job["error_file_id"])
            if file_id
            for raw in client.content(file_id).splitlines()
            if (answer := parse_line(backend, raw)) is not None
        ]
        again = collector.store_answers(job, answers, job["batch_id"])
        _retry(store, backend, client, collector, settings, job, again)
        stored.update_job(
            store, job["submission_id"], status="collected", collected_at=_now(),
            cost_usd=job.get("cost_usd"),
        )  # fmt: skip
        collector.report.finished += 1
    return still_open


def _retry(
    store: Store, backend: OpenAIBackend, client: BatchClient, collector: _Collector,
    settings: BatchSettings, job: dict[str, Any], again: dict[str, str],
) -> None:  # fmt: skip
    """Resubmit once (or retry live); what has been resubmitted already fails for good."""
    if not again:
        return
    if int(job["attempt"]) >= 2:
        collector.fail(job, again)
        return
    waiting = stored.pending(store, job["submission_id"])
    papers = stored.papers(store, list({waiting[k] for k in again if k in waiting}))
    work = [(k, papers[waiting[k]]) for k in again if k in waiting and waiting[k] in papers]
    if settings.live_retry:
        collector.report.retried_live += _retry_live(store, backend, collector, job, work, again)
        return
    entries = [(key, p.paper_id, request_line(backend, p, key)) for key, p in work]
    stored.mark(store, job["submission_id"], [k for k, _ in work], "resubmitted")
    by_key = dict(work)
    for file in _files(entries, settings):
        estimated = _estimate(backend, (by_key[key] for key, _, _ in file))
        collector.report.batch_ids.append(_send(store, backend, client, file, estimated, attempt=2))
        collector.report.resubmitted += len(file)


def _retry_live(
    store: Store, backend: OpenAIBackend, collector: _Collector, job: dict[str, Any],
    work: list[tuple[str, Paper]], again: dict[str, str],
) -> int:  # fmt: skip
    """Extract the leftovers through the live engine; what still fails is a failure."""
    from summarizer.run.engine import AsyncEngine
    from summarizer.run.jobs import EngineSettings, Job
    from summarizer.run.progress import Reporter

    jobs = [Job(paper=paper, cache_key=key) for key, paper in work]
    collector.sink.pointers.on_success(p.paper_id for _, p in work)
    engine = AsyncEngine(backend, collector.sink, EngineSettings(), Reporter())

    async def go() -> None:
        try:
            await backend.check_endpoint()
            await engine.run(jobs)
        finally:
            await backend.aclose()

    asyncio.run(go())
    collector.sink.flush()
    done = store.cached_keys([k for k, _ in work])
    stored.mark(store, job["submission_id"], done, "stored")
    stored.mark(store, job["submission_id"], [k for k, _ in work if k not in done], "failed")
    collector.report.stored += len(done)
    collector.report.failed += len(work) - len(done)
    return len(work)


def import_results(
    store: Store, backend: OpenAIBackend, path: Path, *, settings: BatchSettings | None = None,
) -> CollectReport:  # fmt: skip
    """Store an output file in the OpenAI batch format (from ``vllm run-batch`` or another
    provider) by custom_id, against the requests an export recorded."""
    settings = settings or BatchSettings()
    collector = _Collector(store, backend, settings)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror}; give the output file's path"
        ) from None
    answers = [a for raw in text.splitlines() if (a := parse_line(backend, raw)) is not None]
    by_id = {a.custom_id for a in answers}
    try:
        for job in stored.jobs(store, open_only=True):
            waiting = stored.pending(store, job["submission_id"])
            if not by_id & set(waiting):
                continue
            mine = [a for a in answers if a.custom_id in waiting]
            again = collector.store_answers(job | {"status": "imported"}, mine, None)
            unanswered = {k: v for k, v in again.items() if k in {a.custom_id for a in mine}}
            if unanswered:
                collector.fail(job | {"batch_id": str(path)}, unanswered)
            if not stored.pending(store, job["submission_id"]):
                stored.update_job(
                    store, job["submission_id"], status="collected", collected_at=_now()
                )
            collector.report.finished += 1
    finally:
        collector.sink.close()
    return collector.report


def status(store: Store) -> list[dict[str, Any]]:
    """Every batch job, newest last, as the ``batches`` view shows it."""
    columns = [
        "batch_id", "submission_id", "status", "requests", "completed", "failed", "age_seconds",
        "estimated_cost_usd", "cost_usd", "attempt", "model", "created_at", "collected_at",
    ]  # fmt: skip
    rows = store.query(f"SELECT {', '.join(columns)} FROM batches ORDER BY created_at")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def open_count(store: Store) -> int:
    return stored.open_count(store)


def require_batch(backend: object, flag: str = "--batch") -> OpenAIBackend:
    """The backend, if it can submit provider batch jobs; else one line saying which can."""
    if not isinstance(backend, OpenAIBackend):
        raise ConfigError(
            f"{flag} needs an OpenAI-compatible backend: add --backend openai (with "
            "OPENAI_API_KEY, or --base-url for another server)"
        )
    return backend


def collect_open(
    store: Store, backend: object, *, strict_grounding: bool = False
) -> CollectReport | None:
    """What a plain run does first: store the answers of finished batches. None when the
    run's backend cannot collect them."""
    if not isinstance(backend, OpenAIBackend):
        return None
    settings = BatchSettings(strict_grounding=strict_grounding)
    return collect(store, backend, settings=settings)
