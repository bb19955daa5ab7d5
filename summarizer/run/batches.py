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
import dataclasses
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from summarizer.backends import registry
from summarizer.backends.base import AnyBackend, AsyncBackend, BackendSettings
from summarizer.backends.batch import BatchAnswer, BatchClient, BatchProtocol, Submission
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
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
"""Defaults for a file's limits; a submission also keeps to its provider's own."""


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
    """Batches still running (from the database, after the last pass)."""
    stored: int = 0
    failed: int = 0
    resubmitted: int = 0
    retried_live: int = 0
    cost_usd: float = 0.0
    """USD of the batch answers this call logged (``llm_calls`` with a batch id)."""
    batch_ids: list[str] = field(default_factory=list)
    """Batches created by this call (resubmissions)."""
    notes: list[str] = field(default_factory=list)
    """Things the user should know (batches left open, and why)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def require_batch(backend: AnyBackend, flag: str) -> BatchProtocol:
    """The backend's batch protocol, or one clear line saying what to use instead."""
    protocol = backend.batch if isinstance(backend, AsyncBackend) else None
    if protocol is None:
        raise ConfigError(
            f"{flag} needs a backend that can submit provider batch jobs: add --backend openai "
            "(with OPENAI_API_KEY, or --base-url for another server)"
        )
    return protocol


def _settle(store: Store, protocol: BatchProtocol) -> None:
    """The mode a live call would use: forced by --mode, or what a probe stored for this
    endpoint; otherwise the backend's default for the host (no probe request is sent)."""
    endpoint = protocol.endpoint
    protocol.settle(store.endpoint(*endpoint) if endpoint is not None else None)


def todo(
    inputs: Sequence[str | Path], store: Store, backend: AsyncBackend, report: SubmitReport,
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


Entry = tuple[str, str, str]
"""(cache key, paper id, request line)."""


def _files(entries: Sequence[Entry], max_requests: int, max_bytes: int) -> list[list[Entry]]:
    """Split the entries at the per-file limits."""
    files: list[list[Entry]] = [[]]
    size = 0
    for entry in entries:
        length = len(entry[2].encode("utf-8")) + 1
        if files[-1] and (len(files[-1]) >= max_requests or size + length > max_bytes):
            files.append([])
            size = 0
        files[-1].append(entry)
        size += length
    return [f for f in files if f]


def _limits(protocol: BatchProtocol, settings: BatchSettings) -> tuple[int, int]:
    return (
        min(settings.max_requests, protocol.max_requests),
        min(settings.max_bytes, protocol.max_bytes),
    )


def _estimate(protocol: BatchProtocol, papers: Iterable[Paper]) -> float:
    return sum(protocol.estimate_cost(paper) for paper in papers)


def _identity(submission: Submission) -> dict[str, Any]:
    return {
        "backend": submission.backend,
        "base_url": submission.base_url,
        "model": submission.model,
        "mode": submission.mode,
        "prompt_hash": submission.prompt_hash,
        "params": json.dumps(submission.params, sort_keys=True),
    }


def _submission(job: dict[str, Any]) -> Submission:
    """The identity a job was submitted with (rows from before migration 10: openai)."""
    params = json.loads(job["params"]) if job.get("params") else {}
    return Submission(
        backend=job.get("backend") or "openai",
        model=job["model"],
        base_url=job["base_url"],
        mode=job["mode"],
        prompt_hash=job["prompt_hash"],
        params=params,
    )


def _send(
    store: Store, protocol: BatchProtocol, client: BatchClient, entries: Sequence[Entry],
    estimated: float, attempt: int, *, export: bool = False,
) -> str | None:  # fmt: skip
    """Record, upload and create one batch; returns the provider's batch id."""
    submission_id = ("export-" if export else "") + uuid.uuid4().hex
    stored.record_submission(
        store,
        {
            "submission_id": submission_id,
            **_identity(protocol.submission),
            "requests": len(entries),
            "status": "exporting" if export else "preparing",
            "estimated_cost_usd": estimated,
            "attempt": attempt,
        },
        [(key, paper_id) for key, paper_id, _ in entries],
    )
    content = "\n".join(e[2] for e in entries) + "\n"
    return _finish_sending(store, client, submission_id, content)


def _finish_sending(
    store: Store, client: BatchClient, submission_id: str, content: str
) -> str | None:
    file_id = client.upload(f"summarizer-{submission_id}.jsonl", content.encode("utf-8"))
    stored.update_job(store, submission_id, input_file_id=file_id)
    if not submission_id.startswith("export-"):
        stored.update_job(store, submission_id, status="uploaded")
    return _create(store, client, submission_id, file_id)


def _create(store: Store, client: BatchClient, submission_id: str, file_id: str) -> str | None:
    batch = client.create(file_id, {"summarizer_submission": submission_id})
    stored.update_job(store, submission_id, batch_id=batch["id"], status=batch["status"])
    return None if batch["id"] is None else str(batch["id"])


class RequestFile(BatchClient):
    """A batch client for ``batch export``: the upload writes the request file (whole, or not
    at all) instead of sending it, and the "batch" is a job marked ``exported``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def upload(self, name: str, content: bytes) -> str:
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        try:
            partial.write_bytes(content)
            partial.replace(self.path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ConfigError(f"cannot write {self.path}: {exc.strerror}") from None
        return str(self.path.resolve())

    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        return {"id": None, "status": "exported", "metadata": metadata}

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        raise ConfigError("an exported request file is answered by `summarizer batch import`")

    def find(self, submission_id: str) -> dict[str, Any] | None:
        return None

    def content(self, file_id: str) -> str:
        return Path(file_id).read_text(encoding="utf-8")

    def cancel(self, batch_id: str) -> dict[str, Any]:
        return self.retrieve(batch_id)

    def close(self) -> None:
        pass


_EXPORT_AGAIN = (
    "requests an imported file left unanswered are exported again with `summarizer batch export`"
)


class OutputFile(BatchClient):
    """A batch client for ``batch import``: every exported job is a completed batch whose
    output file is the file given (``vllm run-batch -o``), read once."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def upload(self, name: str, content: bytes) -> str:
        raise ConfigError(_EXPORT_AGAIN)

    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        raise ConfigError(_EXPORT_AGAIN)

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        return {"id": batch_id, "status": "completed", "output_file_id": str(self.path)}

    def find(self, submission_id: str) -> dict[str, Any] | None:
        return None

    def content(self, file_id: str) -> str:
        return self.text

    def cancel(self, batch_id: str) -> dict[str, Any]:
        return self.retrieve(batch_id)

    def close(self) -> None:
        pass


def submit(
    inputs: Sequence[str | Path], store: Store, backend: AnyBackend, *,
    settings: BatchSettings | None = None, client: BatchClient | None = None,
    fmt: str | None = None, limit: int | None = None,
) -> SubmitReport:  # fmt: skip
    """Store the papers, and submit every one not cached or waiting as provider batches;
    each batch is recorded in the database before this returns."""
    settings = settings or BatchSettings()
    protocol = require_batch(backend, "--batch")
    report = SubmitReport()
    _settle(store, protocol)
    work = todo(
        inputs, store, protocol.backend, report, fmt=fmt, limit=limit,
        strict=settings.strict_grounding,
    )  # fmt: skip
    if not work:
        return report
    report.estimated_cost_usd = _estimate(protocol, (p for _, p in work))
    if settings.max_cost is not None and report.estimated_cost_usd > settings.max_cost:
        raise BudgetExceeded(
            f"the batch would cost about ${report.estimated_cost_usd:.4f} at batch prices, over "
            f"--max-cost ${settings.max_cost:g}; nothing was submitted (raise --max-cost or "
            "submit fewer papers with --limit)"
        )
    entries = [(key, p.paper_id, protocol.request_line(p, key)) for key, p in work]
    own = client is None
    client = client or protocol.client()
    try:
        by_key = dict(work)
        for file in _files(entries, *_limits(protocol, settings)):
            estimated = _estimate(protocol, (by_key[key] for key, _, _ in file))
            batch_id = _send(store, protocol, client, file, estimated, attempt=1)
            report.batch_ids.append(str(batch_id))
            report.submitted += len(file)
    finally:
        if own:
            client.close()
    return report


def export_requests(
    inputs: Sequence[str | Path], store: Store, backend: AnyBackend, out: Path, *,
    fmt: str | None = None, limit: int | None = None,
) -> SubmitReport:  # fmt: skip
    """Write the request file a submission would upload (for ``vllm run-batch`` or another
    provider) without uploading it; ``import_results`` later stores its output by custom_id.

    The same path as :func:`submit`, with a client whose upload writes ``out``. Exporting the
    same papers again writes their requests again; a file no export wrote is never replaced."""
    protocol = require_batch(backend, "batch export")
    if out.suffix.lower() in (".duckdb", ".db"):
        raise ConfigError(f"{out} looks like a database, not a request file; use --out FILE.jsonl")
    if out.is_dir():
        raise ConfigError(f"{out} is a folder; give --out FILE.jsonl")
    if out.exists() and not stored.exported_to(store, [str(out), str(out.resolve())]):
        raise ConfigError(
            f"{out} exists and no `batch export` wrote it; it was left as it is: give another "
            "--out, or move that file away first"
        )
    report = SubmitReport()
    _settle(store, protocol)
    work = todo(inputs, store, protocol.backend, report, fmt=fmt, limit=limit)
    stored.supersede_exports(store, [key for key, _ in work])
    client = RequestFile(out)
    if work:
        entries = [(key, p.paper_id, protocol.request_line(p, key)) for key, p in work]
        report.estimated_cost_usd = _estimate(protocol, (p for _, p in work))
        _send(store, protocol, client, entries, report.estimated_cost_usd, 1, export=True)
    elif not out.exists():
        client.upload(out.name, b"")
    report.submitted = len(work)
    return report


class _Collector:
    """Stores the answers of finished batches, as a live run would store its results."""

    def __init__(self, store: Store, settings: BatchSettings) -> None:
        self.store = store
        self.settings = settings
        self.sink = ResultSink(store, Journal(journal_path(store.path)))
        self.sink.recover()
        self.report = CollectReport()
        self.models: set[str] = set()

    def store_answers(
        self, job: dict[str, Any], protocol: BatchProtocol, answers: Iterable[BatchAnswer],
        batch_id: str,
    ) -> dict[str, str]:  # fmt: skip
        """Store what answered; returns cache_key -> reason for what must be tried again."""
        submission = protocol.submission
        self.models.add(submission.model)
        waiting = stored.pending(self.store, job["submission_id"])
        already = self.store.cached_keys(list(waiting))
        stored.mark(self.store, job["submission_id"], already, "stored")
        waiting = {k: v for k, v in waiting.items() if k not in already}
        papers = stored.papers(self.store, list(set(waiting.values())))
        self.sink.pointers.on_success(waiting.values())
        reference = registry.reference_extractor()
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
                        model=submission.model,
                        attempt=int(job["attempt"]),
                        status=answer.status,
                        latency_ms=0.0,
                        prompt_tokens=usage.prompt_tokens,
                        completion_tokens=usage.completion_tokens,
                        cached_tokens=usage.cached_tokens,
                        cost_usd=usage.cost_usd,
                        mode=submission.mode or "",
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
                reference=reference("", paper.abstract),
            )
            self.sink.add_result(
                Extraction(paper_id, answer.custom_id, protocol.backend.identity, grounded, usage)
            )
            landed.append(answer.custom_id)
        for key in waiting:
            again[key] = f"not answered: the batch ended {job['status']}"
        self.sink.flush()
        stored.mark(self.store, job["submission_id"], landed, "stored")
        self.report.stored += len(landed)
        self.report.cost_usd += cost
        return again

    def fail(
        self, job: dict[str, Any], protocol: BatchProtocol, again: dict[str, str], where: str
    ) -> None:
        submission = protocol.submission
        waiting = stored.pending(self.store, job["submission_id"])
        for key, reason in again.items():
            self.sink.add_failure(
                Failure(
                    paper_id=waiting.get(key),
                    cache_key=key,
                    stage="extract",
                    error_type="batch",
                    message=f"batch {where}: {reason}",
                    attempts=int(job["attempt"]),
                    backend=submission.backend,
                    model=submission.model,
                )
            )
        self.sink.flush()
        stored.mark(self.store, job["submission_id"], again, "failed")
        self.report.failed += len(again)


class _Backends:
    """Each job's batch protocol, rebuilt once per submission identity from what the job
    stored; a backend handed in is used for the jobs it submitted itself."""

    def __init__(
        self, given: AsyncBackend | None, overrides: BackendSettings | None,
        client: BatchClient | None,
    ) -> None:  # fmt: skip
        self.given = given.batch if given is not None else None
        if overrides is None and given is not None:
            overrides = dataclasses.replace(given.settings, extra=dict(given.settings.extra))
        self.overrides = overrides
        self.client = client
        self.protocols: dict[Submission, BatchProtocol] = {}
        self.clients: dict[Submission, BatchClient] = {}

    def protocol(self, job: dict[str, Any]) -> BatchProtocol:
        submission = _submission(job)
        if submission not in self.protocols:
            if self.given is not None and self.given.submission == submission:
                self.given.restore(submission)
                self.protocols[submission] = self.given
            else:
                self.protocols[submission] = registry.batch_protocol(submission, self.overrides)
        return self.protocols[submission]

    def client_for(self, job: dict[str, Any]) -> BatchClient:
        if self.client is not None:
            return self.client
        submission = _submission(job)
        if submission not in self.clients:
            self.clients[submission] = self.protocol(job).client()
        return self.clients[submission]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def _adopt_or_finish(
    store: Store, client: BatchClient, job: dict[str, Any], protocol: BatchProtocol
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
        protocol.request_line(papers[pid], key) for key, pid in waiting.items() if pid in papers
    ]
    content = "\n".join(lines) + "\n"
    job["batch_id"] = _finish_sending(store, client, job["submission_id"], content)


def collect(
    store: Store, backend: AsyncBackend | None = None, *,
    settings: BatchSettings | None = None, client: BatchClient | None = None,
    wait: bool = False, poll: float = 60.0, sleep: Callable[[float], None] = time.sleep,
    overrides: BackendSettings | None = None,
) -> CollectReport:  # fmt: skip
    """Collect every finished batch (waiting for the open ones with ``wait``, the ones this
    call resubmits included).

    Each batch is collected with the backend, model, endpoint, mode and prompt it was
    submitted with; ``overrides`` (or ``backend``'s settings) only lend the API key, prices
    and timeouts."""
    settings = settings or BatchSettings()
    backends = _Backends(backend, overrides, client)
    collector = _Collector(store, settings)
    started = _now()
    try:
        while True:
            _collect_once(store, backends, collector, settings)
            collector.report.open = stored.open_count(store)
            if not wait or collector.report.open == 0:
                break
            sleep(poll)
    finally:
        collector.sink.close()
        backends.close()
    report = collector.report
    if report.finished:
        _record_run(store, collector, started)
    return report


def _record_run(store: Store, collector: _Collector, started: datetime) -> None:
    report, spend = collector.report, collector.sink.spend
    store.record_run(
        RunRow.new(
            started_at=started,
            backend=BATCH_RUN_BACKEND,
            model=", ".join(sorted(collector.models)) or "-",
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


def _collect_once(
    store: Store, backends: _Backends, collector: _Collector, settings: BatchSettings
) -> None:
    for job in stored.jobs(store, open_only=True):
        if job["status"] in stored.EXPORTS:
            continue  # answered by `batch import`, not by a provider
        protocol = backends.protocol(job)
        client = backends.client_for(job)
        if not job["batch_id"]:
            _adopt_or_finish(store, client, job, protocol)
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
        if batch["status"] not in protocol.terminal:
            continue
        answers = [
            answer
            for file_id in (job["output_file_id"], job["error_file_id"])
            if file_id
            for raw in client.content(file_id).splitlines()
            if (answer := protocol.parse_line(raw)) is not None
        ]
        again = collector.store_answers(job, protocol, answers, job["batch_id"])
        _retry(store, protocol, client, collector, settings, job, again)
        stored.update_job(
            store, job["submission_id"], status="collected", collected_at=_now(),
            cost_usd=stored.spent(store, job["batch_id"]),
        )  # fmt: skip
        collector.report.finished += 1


def _retry(
    store: Store, protocol: BatchProtocol, client: BatchClient, collector: _Collector,
    settings: BatchSettings, job: dict[str, Any], again: dict[str, str],
) -> None:  # fmt: skip
    """Resubmit once (or retry live); what has been resubmitted already fails for good."""
    if not again:
        return
    if int(job["attempt"]) >= 2:
        collector.fail(job, protocol, again, job["batch_id"])
        return
    waiting = stored.pending(store, job["submission_id"])
    papers = stored.papers(store, list({waiting[k] for k in again if k in waiting}))
    work = [(k, papers[waiting[k]]) for k in again if k in waiting and waiting[k] in papers]
    if settings.live_retry:
        collector.report.retried_live += _retry_live(store, protocol, collector, job, work)
        return
    entries = [(key, p.paper_id, protocol.request_line(p, key)) for key, p in work]
    stored.mark(store, job["submission_id"], [k for k, _ in work], "resubmitted")
    by_key = dict(work)
    for file in _files(entries, *_limits(protocol, settings)):
        estimated = _estimate(protocol, (by_key[key] for key, _, _ in file))
        batch_id = _send(store, protocol, client, file, estimated, attempt=2)
        collector.report.batch_ids.append(str(batch_id))
        collector.report.resubmitted += len(file)


def _retry_live(
    store: Store, protocol: BatchProtocol, collector: _Collector, job: dict[str, Any],
    work: list[tuple[str, Paper]],
) -> int:  # fmt: skip
    """Extract the leftovers through the live engine; what still fails is a failure."""
    from summarizer.run.engine import AsyncEngine
    from summarizer.run.jobs import EngineSettings, Job
    from summarizer.run.progress import Reporter

    backend = protocol.backend
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


def _read_output(path: Path) -> str:
    """The output file's text, once checked to hold answers only; nothing is changed before."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror}; give the output file's path"
        ) from None
    lines = [] if text is None else text.splitlines()
    bad = next((n for n, raw in enumerate(lines, 1) if raw.strip() and not _is_answer(raw)), None)
    if text is None or bad is not None or not any(raw.strip() for raw in lines):
        where = "it is empty" if text is not None and bad is None else (
            "it is not UTF-8 text" if text is None else f"line {bad} holds no answer"
        )  # fmt: skip
        raise ConfigError(
            f"{path} is not a batch output file ({where}; a request file?); give the file "
            "`vllm run-batch -o` (or the provider) wrote, with a custom_id and a response or "
            "an error on each line; nothing was imported"
        )
    return text


def _is_answer(raw: str) -> bool:
    """A line of a batch output or error file, in the shape every provider's batch API and
    ``vllm run-batch`` write: a custom_id with a response or an error."""
    try:
        line = json.loads(raw)
    except ValueError:
        return False
    return (
        isinstance(line, dict)
        and isinstance(line.get("custom_id"), str)
        and ("response" in line or "error" in line)
        and not ("body" in line and "url" in line)
    )


def import_results(
    store: Store, backend: AsyncBackend | None, path: Path, *,
    settings: BatchSettings | None = None, overrides: BackendSettings | None = None,
) -> CollectReport:  # fmt: skip
    """Store an output file in the batch output format (from ``vllm run-batch`` or another
    provider) by custom_id, against the requests an export recorded: each exported job is
    collected as a finished batch whose output file is ``path``, with the backend it was
    exported with (no API key is needed: nothing is sent). Answers that are errors or do
    not validate fail; requests the file does not answer stay exported."""
    settings = settings or BatchSettings()
    text = _read_output(path)
    if overrides is None:
        overrides = BackendSettings.from_env()
        if backend is not None:
            overrides = dataclasses.replace(backend.settings, extra=dict(backend.settings.extra))
    overrides = dataclasses.replace(overrides, offline=True)
    backends = _Backends(backend, overrides, OutputFile(path, text))
    collector = _Collector(store, settings)
    started = _now()
    try:
        for job in stored.open_exports(store):
            waiting = stored.pending(store, job["submission_id"])
            protocol = backends.protocol(job)
            answers = [
                answer
                for raw in text.splitlines()
                if (answer := protocol.parse_line(raw)) is not None and answer.custom_id in waiting
            ]
            if not answers:
                continue
            marker = str(job["submission_id"])
            again = collector.store_answers(job | {"status": "imported"}, protocol, answers, marker)
            answered = {a.custom_id for a in answers}
            unanswered = {k: v for k, v in again.items() if k in answered}
            if unanswered:
                collector.fail(job, protocol, unanswered, f"{path}")
            done = not stored.pending(store, job["submission_id"])
            completed, failed = stored.request_counts(store, job["submission_id"])
            stored.update_job(
                store, job["submission_id"], cost_usd=stored.spent(store, marker),
                output_file_id=str(path.resolve()), completed=completed, failed=failed,
                **({"status": "collected", "collected_at": _now()} if done else {}),
            )  # fmt: skip
            collector.report.finished += 1
    finally:
        collector.sink.close()
    if collector.report.finished:
        _record_run(store, collector, started)
    return collector.report


def collect_open(
    store: Store, backend: AnyBackend, *, settings: BatchSettings | None = None,
    overrides: BackendSettings | None = None,
) -> CollectReport | None:  # fmt: skip
    """What a plain run does first: store what finished batches answered.

    Reads the database first: with no batch open it returns None having loaded no provider
    package. With a backend that cannot batch (``rules``) it leaves them for ``batch collect``
    and says so in the report's notes; otherwise each job is collected with the backend it
    was submitted with, rebuilt through the registry."""
    waiting = stored.open_count(store)
    if not waiting:
        return None
    if not (isinstance(backend, AsyncBackend) and backend.capabilities.batch):
        report = CollectReport(open=waiting)
        report.notes.append(
            f"{waiting} provider batch job(s) open; collect them with `summarizer batch collect`"
        )
        return report
    if overrides is None:  # the run's key and prices; never its model or endpoint
        overrides = dataclasses.replace(backend.settings, extra=dict(backend.settings.extra))
    return collect(store, settings=settings, overrides=overrides)


def status(store: Store) -> list[dict[str, Any]]:
    """Every batch job, newest last, as the ``batches`` view shows it."""
    return stored.status(store)


def open_count(store: Store) -> int:
    """Batches a provider is running or has finished but not collected (exports not counted)."""
    return stored.open_count(store)
