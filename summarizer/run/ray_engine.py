"""``summarizer run --engine ray``: the main job as a Ray Data pipeline, for a cluster.

The same job as :func:`summarizer.run.pipeline.run` (the same cache keys, stored rows,
sightings, grounding and report), laid out so that everything per paper runs on the
cluster and only bulk work stays on the driver::

    files ──read tasks──▶ staged papers ──driver──▶ DuckDB papers, sightings, rejections
                                                   │ distinct papers, COPY to Parquet
    cached keys (DuckDB, Arrow) ─▶ dataset ──┐     ▼
                      candidates (read_parquet) ─ left-anti join ─▶ map_batches: extract,
                      ground, stage parts ──driver──▶ DuckDB bulk load (each part once)

Reading is one task per file through the project's own parsers, so every record keeps its
name (``line 12``) and a bad one is rejected alone, as in a local run. The driver stores
the papers in input order, so the same copy of an id wins as locally. Extraction runs as
CPU tasks (``rules``) or an actor pool of async clients (``openai``) that book every
request with one budget actor for the whole cluster. Workers stage results as Parquet
parts (:mod:`summarizer.store.staging`); the driver loads them in bulk, each part once,
and deletes the run's folder only after. A run that dies leaves the folder, and the next
run loads it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.backends.base import AnyBackend, AsyncBackend
from summarizer.core.endpoint import EndpointProfile
from summarizer.core.errors import (
    BudgetExceeded,
    ConfigError,
    InputError,
    SummarizerError,
)
from summarizer.core.paper import Paper
from summarizer.ingest import Skipped, folder_files
from summarizer.ingest.source import STDIN
from summarizer.run import lifecycle
from summarizer.run.jobs import EngineSettings, Job
from summarizer.run.journal import heal_staged
from summarizer.run.pipeline import DEFAULT_CHUNK
from summarizer.run.plan import Item, Plan, ingest_failure
from summarizer.run.progress import Reporter
from summarizer.run.report import RunReport
from summarizer.store import staging
from summarizer.store.store import Store

if TYPE_CHECKING:
    import pyarrow as pa

INSTALL = "pip install 'summarizer[ray]'"
LLM_BATCH = 64
"""Papers per batch an LLM actor takes: enough to keep its requests in flight."""
RULES_BATCH = 500
LLM_WORKER_CPUS = 0.25
"""An LLM actor waits on the network: it asks for a quarter of a CPU, so a 2-CPU machine
runs up to 8 of them beside the Ray Data operators."""


@dataclass
class RayOptions:
    """Where the cluster is and how the run uses it."""

    address: str | None = None
    """``ray://host:10001``, ``host:6379`` or ``auto``; None: a local Ray on this machine."""
    staging: Path | None = None
    """Where workers stage results; every node must reach it. None: beside the database."""
    workers: int | None = None
    """LLM actors (``openai``); None: two. ``rules`` uses every CPU of the cluster."""
    batch_size: int | None = None
    crash_once: Path | None = None
    """Tests only: the first worker to stage a part dies there (see ``ray_tasks``)."""


def require_ray() -> Any:
    """The ``ray`` module, or the one line that says how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError(f"--engine ray needs Ray, which is not installed: {INSTALL}") from None
    return ray


def check_options(inputs: list[str | Path], *, retry_failed: bool, shard: bool) -> None:
    """What --engine ray refuses, before anything is opened."""
    if any(str(p) == STDIN for p in inputs):
        raise ConfigError(
            "--engine ray reads files, not stdin (-): save the input to a file first, or "
            "use --engine local"
        )
    if not inputs:
        raise ConfigError(
            "--engine ray needs INPUT files; --retry-failed on its own runs with --engine local"
            if retry_failed
            else "give INPUT files or folders"
        )
    if shard:
        raise ConfigError("--engine ray cannot be combined with --shard: Ray splits the work")


def check_address(address: str | None, *, timeout: float = 5.0) -> None:
    """A cluster address that nothing answers at is one line now, not a minute of Ray's
    own retries: its host and port are tried first (``auto`` is left to Ray)."""
    if not address or address == "auto":
        return
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ConfigError(
            f"--ray-address {address!r} is not host:port (e.g. 10.0.0.5:6379 or "
            "ray://10.0.0.5:10001)"
        )
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
            "`ray start --head` or check --ray-address"
        ) from None


def check_staging(root: Path) -> None:
    """The staging folder must be a folder this process can write (and every node reach)."""
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--staging {root} is a file; give a folder every node can reach")
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / ".writable"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"cannot write the staging folder {root} ({exc.strerror or exc}); pass "
            "--staging DIR on storage every node can reach"
        ) from None


class _Cluster:
    """A connection to Ray for one run: joins the one this process has, or starts (and
    later stops) its own."""

    def __init__(self, ray: Any, address: str | None) -> None:
        self.ray = ray
        self.owned = not ray.is_initialized()
        self.empty: tempfile.TemporaryDirectory[str] | None = None
        for name in (
            "ray",
            "ray.data",
        ):  # its own notes (auth tokens, progress bars) are noise here
            logging.getLogger(name).setLevel(logging.ERROR)
        if self.owned:
            # Ray's C++ core logs to stderr on its own (an error-level note on every LLM
            # actor's restart policy, among others); the run's summary says what happened
            os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
            # Ray puts the driver's current folder first on every worker's sys.path, so a
            # click.py or json.py in the user's folder would shadow a package the workers
            # import; a working_dir of Ray's own (an empty folder) keeps it off the path, and
            # the read tasks open inputs by absolute path.
            self.empty = tempfile.TemporaryDirectory(prefix="summarizer-ray-")
            try:
                with _quiet_stderr():  # where the core says it read that setting
                    ray.init(
                        address=address,
                        include_dashboard=False,
                        log_to_driver=False,
                        logging_level=logging.ERROR,
                        configure_logging=True,
                        runtime_env={"working_dir": self.empty.name},
                    )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a local Ray"
                reason = " ".join(str(exc).split())[:200]
                raise ConfigError(
                    f"could not start or reach {where} ({reason}); check --ray-address"
                ) from None
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False

    def cpus(self) -> int:
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def close(self) -> None:
        if self.owned and self.ray.is_initialized():
            self.ray.shutdown()
        if self.empty is not None:
            self.empty.cleanup()


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send what C++ code writes to file descriptor 2 to /dev/null for a moment; Python's
    own errors are raised as exceptions and reported as usual."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def run(
    inputs: Iterable[str | Path],
    store: Store,
    backend: AnyBackend,
    *,
    fmt: str | None = None,
    limit: int | None = None,
    settings: EngineSettings | None = None,
    retry_failed: bool = False,
    reporter: Reporter | None = None,
    refresh: bool = False,
    notice: Callable[[str], None] | None = None,
    reprobe: bool = False,
    options: RayOptions | None = None,
) -> RunReport:
    """Ingest, extract every paper not already cached, and store the results, on Ray.

    The report and the stored rows are those :func:`summarizer.run.pipeline.run` gives for
    the same inputs; ``options`` say where the cluster and the staging folder are.
    """
    settings = settings or EngineSettings()
    options = options or RayOptions()
    reporter = reporter or Reporter()
    inputs = list(inputs)
    check_options(inputs, retry_failed=retry_failed, shard=False)
    ray = require_ray()
    identity = backend.identity
    report = RunReport(db_path=store.path, backend=identity.backend, model=identity.model)
    report.cost_known = lifecycle.price_known(backend)
    root = options.staging or staging.staging_root(store.path)
    check_address(options.address)
    check_staging(root)
    lifecycle.check_budget_is_priced(backend, settings)
    folder = root / uuid.uuid4().hex
    run = _RayRun(ray, store, backend, settings, report, reporter, folder, root, options)
    run.refresh, run.retry_failed, run.notice, run.reprobe = refresh, retry_failed, notice, reprobe

    def close() -> None:
        if run.cluster is not None:
            run.cluster.close()
        staging.drop_if_empty(root)

    with lifecycle.logged(store, report, closing=[close]):
        report.recovered = lifecycle.recover(store, root)
        report.expected = lifecycle.expected_papers(inputs, fmt, limit, None)
        if report.expected is not None:
            reporter.add_total(report.expected)
        try:
            run.cluster = _Cluster(ray, options.address)
            run.go(inputs, fmt, limit)
        except KeyboardInterrupt:
            run.salvage(verdicts=False)
            raise
        except BaseException as error:
            # what was paid for before the failure is stored now; if that fails too, the
            # folder stays and the next run loads it
            with contextlib.suppress(Exception):
                run.salvage()
            raise _unwrapped(error) from None
    return report


def _unwrapped(error: BaseException) -> BaseException:
    """Our own error raised in a worker, as itself, not wrapped in Ray's task error."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, SummarizerError):
            return cause
        cause = getattr(cause, "cause", None) or cause.__cause__
    return error


class _RayRun:
    """One run's state on the driver."""

    def __init__(
        self,
        ray: Any,
        store: Store,
        backend: AnyBackend,
        settings: EngineSettings,
        report: RunReport,
        reporter: Reporter,
        folder: Path,
        root: Path,
        options: RayOptions,
    ) -> None:
        self.ray = ray
        self.store = store
        self.backend = backend
        self.settings = settings
        self.report = report
        self.reporter = reporter
        self.folder = folder
        self.root = root
        self.options = options
        self.cluster: _Cluster | None = None
        self.refresh = False
        self.retry_failed = False
        self.reprobe = False
        self.notice: Callable[[str], None] | None = None
        self.awaiting: list[tuple[str, str]] = []
        """(paper_id, cache_key) of papers to point at this run's result once it is loaded."""
        self.profile: EndpointProfile | None = None
        self.between: dict[int, list[Skipped | InputError | _FolderVerdict]] = {}
        self.file_count = 0
        self.budget: Any = None
        self.skipped_files: set[int] = set()
        self.cutoff: tuple[int, int] | None = None
        """With --limit: the (file, position) of the last paper read."""

    # -- the stages ----------------------------------------------------------

    def go(self, inputs: list[str | Path], fmt: str | None, limit: int | None) -> None:
        if isinstance(self.backend, AsyncBackend):
            self.profile = asyncio.run(self._settle_endpoint(self.backend))
        self._read(inputs, fmt)
        candidates, todo = self._store_papers(limit)
        if todo:
            self._extract(candidates, todo)
        self.load_and_clean()

    async def _settle_endpoint(self, backend: AsyncBackend) -> EndpointProfile | None:
        """Check the key and settle the structured-output mode once, on the driver; the
        workers start from the outcome and never probe."""
        try:
            return await lifecycle.settle_endpoint(
                self.store, backend, self.report, reprobe=self.reprobe, notice=self.notice
            )
        finally:
            self.report.notes.extend(backend.notes)
            await backend.aclose()

    def _files(self, inputs: list[str | Path]) -> list[dict[str, Any]]:
        """The files to read, in a local run's order. What a local run reports between two
        files (a file skipped for its extension, a missing input, a folder's verdict) waits
        in ``between``, under the index of the file it comes before."""
        files: list[dict[str, Any]] = []
        for item in inputs:
            path = Path(item)
            if path.is_file():
                files.append(_file_row(path, in_folder=False))
            elif path.is_dir():
                children = folder_files(path)
                verdict = _FolderVerdict(str(path), len(children))
                for child in children:
                    if isinstance(child, Skipped):
                        self._between(len(files), child)
                        verdict.skipped += 1
                    else:
                        verdict.files.add(len(files))
                        files.append(_file_row(child, in_folder=True))
                self._between(len(files), verdict)
            else:
                self._between(len(files), InputError(str(path), None, "no such file or directory"))
        for index, row in enumerate(files):
            row["file_index"] = index
        self.file_count = len(files)
        return files

    def _between(self, before: int, event: Skipped | InputError | _FolderVerdict) -> None:
        self.between.setdefault(before, []).append(event)

    def _reject(self, error: InputError) -> None:
        self.report.reject(error)
        self.store.save(failures=[ingest_failure(error)])

    def _read(self, inputs: list[str | Path], fmt: str | None) -> None:
        """Every file through the project's parsers, one read task each, staged as Parquet."""
        from summarizer.run import ray_tasks

        files = self._files(inputs)
        if not files:
            return
        import pyarrow as pa

        listing = pa.Table.from_pylist(files)
        dataset = self.ray.data.from_arrow(listing).repartition(len(files))
        dataset.map_batches(
            ray_tasks.parse_files,
            batch_size=1,
            batch_format="pyarrow",
            fn_kwargs={"fmt": fmt},
        ).write_parquet(str(self.folder / "read"))

    def _staged_rows(self) -> Iterator[pa.RecordBatch]:
        """The staged read rows in input order, in chunks, from DuckDB's Parquet reader."""
        import duckdb

        files = sorted((self.folder / "read").glob("*.parquet"))
        if not files:
            return
        listed = ", ".join(f"'{_sql_path(f)}'" for f in files)
        with duckdb.connect() as con:
            yield from con.sql(
                f"SELECT * FROM read_parquet([{listed}]) ORDER BY file_index, position"
            ).to_arrow_reader(DEFAULT_CHUNK)

    def _items(self, limit: int | None) -> Iterator[list[Item]]:
        """Staged rows back as a local run's items (papers and rejections) in its order, in
        chunks; skipped files become notes; reading stops after ``limit`` papers."""
        accepted = 0
        passed = 0  # files whose turn has come: what comes before them is reported
        for batch in self._staged_rows():
            chunk: list[Item] = []
            for row in batch.to_pylist():
                index = row["file_index"]
                while passed <= index:
                    chunk.extend(self._reported_before(passed))
                    passed += 1
                kind = row["kind"]
                if kind == "skipped":
                    self.report.skip(Skipped(row["source"], row["reason"]))
                    self.skipped_files.add(index)
                elif kind == "rejected":
                    chunk.append(InputError(row["source"], row["record"], row["reason"]))
                else:
                    chunk.append(_paper(row))
                    accepted += 1
                    if limit is not None and accepted >= limit:
                        self.cutoff = (index, row["position"])
                        yield chunk
                        return
            if chunk:
                yield chunk
        rest: list[Item] = []
        while passed <= self.file_count:
            rest.extend(self._reported_before(passed))
            passed += 1
        if rest:
            yield rest

    def _reported_before(self, index: int) -> list[Item]:
        """Notes and rejections due before file ``index`` (or at the end)."""
        items: list[Item] = []
        for event in self.between.pop(index, []):
            if isinstance(event, Skipped):
                self.report.skip(event)
            elif isinstance(event, InputError):
                items.append(event)
            elif (error := event.verdict(self.skipped_files)) is not None:
                items.append(error)
        return items

    def _store_papers(self, limit: int | None) -> tuple[Path, int]:
        """The plan, chunk by chunk, exactly as a local run makes it (:class:`Plan`): papers,
        sightings and rejections stored, cached results made current, strict grounding
        applied; the papers to extract are written to ``candidates.parquet`` as they are
        decided. Returns the file and how many papers it holds."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from summarizer.run.ray_tasks import PAPER_COLUMNS

        plan = Plan(
            store=self.store,
            identity=self.backend.identity,
            report=self.report,
            refresh=self.refresh,
            retry_failed=self.retry_failed,
            strict=self.settings.strict_grounding,
            progress=self.reporter,
            count_total=self.report.expected is None,
        )
        candidates = self.folder / "candidates.parquet"
        self.folder.mkdir(parents=True, exist_ok=True)
        schema = pa.schema([(name, pa.string()) for name in PAPER_COLUMNS])
        planned_keys: set[int] = set()  # a copy of a paper further away than the plan's window
        todo = 0
        sample: list[Job] = []
        with pq.ParquetWriter(candidates, schema) as writer:
            for chunk in self._items(limit):
                planned = plan.chunk(chunk)
                self.awaiting.extend((j.paper.paper_id, j.cache_key) for j in planned.awaiting)
                jobs = []
                for job in planned.todo:
                    marker = int(job.cache_key[:16], 16)
                    if marker in planned_keys:
                        self.report.cached += 1  # extracted by this run, as locally
                        self.reporter.advance(1)
                        continue
                    planned_keys.add(marker)
                    jobs.append(job)
                if not jobs:
                    continue
                if len(sample) < 200:
                    sample.extend(jobs[: 200 - len(sample)])
                todo += len(jobs)
                writer.write_table(
                    pa.table(
                        {
                            "paper_id": [j.paper.paper_id for j in jobs],
                            "title": [j.paper.title for j in jobs],
                            "abstract": [j.paper.abstract for j in jobs],
                            "source": [j.paper.source for j in jobs],
                            "record": [j.paper.record for j in jobs],
                            "content_hash": [j.paper.content_hash for j in jobs],
                            "cache_key": [j.cache_key for j in jobs],
                        },
                        schema=schema,
                    )
                )
        self._announce(sample, todo)
        return candidates, todo

    def _point_landed(self) -> None:
        """The papers the plan left waiting on this run's result: current now, where the
        result is stored (a failure leaves the old one current)."""
        if not self.awaiting:
            return
        pointed = self.store.point_where_stored(self.awaiting)
        self.awaiting = [pair for pair in self.awaiting if pair[0] not in pointed]

    def _announce(self, sample: list[Job], todo: int) -> None:
        if not isinstance(self.backend, AsyncBackend) or self.notice is None or todo <= 0:
            return
        line = lifecycle.cost_notice(self.backend, sample, todo, approximate=False)
        if line is not None:
            self.notice(line)

    def _extract(self, candidates: Path, todo: int) -> None:
        """The planned papers, extracted on the cluster and staged."""
        from summarizer.run import ray_tasks

        data = self.ray.data
        papers = data.read_parquet(str(candidates))
        backend = self.backend
        llm = isinstance(backend, AsyncBackend)
        batch = self.options.batch_size or (LLM_BATCH if llm else RULES_BATCH)
        # one block per batch: every worker gets some, however few files the input was
        papers = papers.repartition(target_num_rows_per_block=batch)
        folder = str(self.folder)
        crash = str(self.options.crash_once) if self.options.crash_once else None
        if isinstance(backend, AsyncBackend):
            blocks = -(-todo // batch)  # an actor with no batch to take only idles
            workers = max(1, min(self.options.workers or 2, blocks))
            budget = self.ray.remote(num_cpus=0)(ray_tasks.BudgetActor).remote(self.settings)
            self.budget = budget
            outcome = papers.map_batches(
                ray_tasks.LLMWorker,
                batch_size=batch,
                batch_format="pyarrow",
                compute=data.ActorPoolStrategy(size=workers),
                num_cpus=LLM_WORKER_CPUS,
                fn_constructor_kwargs={
                    "backend": backend.name,
                    "settings": backend.settings,
                    "profile": self.profile,
                    "engine": self.settings,
                    "budget": budget,
                    "folder": folder,
                    "crash_once": crash,
                },
            )
        else:
            outcome = papers.map_batches(
                ray_tasks.extract_batch,
                batch_size=batch,
                batch_format="pyarrow",
                fn_kwargs={
                    "backend": backend.name,
                    "settings": backend.settings,
                    "strict": self.settings.strict_grounding,
                    "folder": folder,
                    "crash_once": crash,
                },
            )
        try:
            for summary in outcome.iter_batches(batch_format="pyarrow", batch_size=None):
                for row in summary.to_pylist():
                    done = int(row["extracted"]) + int(row["failed"])
                    self.report.calls += int(row["calls"]) or done
                    self.reporter.advance(done)
                    if row["stopped"] and self.report.stopped is None:
                        self.report.stopped = BudgetExceeded(row["stopped"])
        finally:
            if self.budget is not None:
                self.ray.kill(self.budget)
                self.budget = None

    def load_and_clean(self) -> None:
        self.load()
        staging.clean(self.root, self.folder)

    def salvage(self, *, verdicts: bool = True) -> None:
        """After a stop or a failure: store what the workers staged. Workers of a Ray this
        run started are stopped first, so nothing lands after the load; on a cluster it
        joined, they may still be finishing a batch, so the folder stays for the next run
        to load (each part once). Without ``verdicts`` (Ctrl-C), failures are not kept: a
        call cut off while the workers stop is no verdict on its paper, and a paper marked
        failed would be skipped by the next run; those papers are simply tried again."""
        kinds = staging.KINDS if verdicts else ("results", "calls")
        cluster = self.cluster
        if cluster is not None and cluster.owned:
            cluster.close()
            self.load(kinds=kinds)
            staging.clean(self.root, self.folder)
        else:
            self.load(heal=False, kinds=kinds)

    def load(self, *, heal: bool = True, kinds: tuple[str, ...] = staging.KINDS) -> None:
        """Everything the workers staged, into the store in bulk, each part once; with
        ``heal`` (no worker is left running), what dead workers only journaled too."""
        if not self.folder.is_dir():
            return
        if heal:
            heal_staged(self.folder)
        loaded = staging.load(self.store, self.root, self.folder, replace=self.refresh, kinds=kinds)
        report = self.report
        report.extracted += loaded.results
        report.failed += loaded.failures
        report.prompt_tokens += loaded.prompt_tokens
        report.completion_tokens += loaded.completion_tokens
        report.cost_usd += loaded.cost_usd
        if isinstance(self.backend, AsyncBackend):
            report.calls = max(report.calls, loaded.calls)
        self._point_landed()


@dataclass
class _FolderVerdict:
    """A local run's verdict on a folder it has read: empty, or nothing but skipped files."""

    folder: str
    children: int
    skipped: int = 0
    files: set[int] = field(default_factory=set)

    def verdict(self, skipped_files: set[int]) -> InputError | None:
        if not self.children:
            return InputError(self.folder, None, "directory holds no input files")
        if self.skipped + len(self.files & skipped_files) == self.children:
            return InputError(
                self.folder,
                None,
                f"no paper files in this folder ({self.children} skipped as not papers; "
                "see the notes)",
            )
        return None


def _paper(row: dict[str, Any]) -> Paper:
    """A staged paper row back as the Paper a local run builds (every field as stored)."""
    from summarizer.run.ray_tasks import PAPER_FIELDS

    paper = Paper.__new__(Paper)
    for name in PAPER_FIELDS:
        setattr(paper, name, row[name])
    paper.authors = list(row["authors"] or [])
    return paper


def _file_row(path: Path, *, in_folder: bool) -> dict[str, Any]:
    """A file for a read task: opened by its absolute path (workers never run in the user's
    folder), recorded under the name the user gave, as a local run records it."""
    return {"path": str(path.resolve()), "name": str(path), "in_folder": in_folder}


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


__all__ = ["INSTALL", "RayOptions", "check_options", "require_ray", "run"]
