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
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.backends.base import AnyBackend, AsyncBackend
from summarizer.core.endpoint import EndpointProfile
from summarizer.core.errors import (
    BudgetExceeded,
    ConfigError,
    InputError,
    Interrupted,
    SummarizerError,
)
from summarizer.core.paper import Paper
from summarizer.ingest import Skipped, folder_files
from summarizer.ingest.source import STDIN
from summarizer.run.jobs import EngineSettings
from summarizer.run.journal import heal_staged
from summarizer.run.pipeline import (
    DEFAULT_CHUNK,
    Item,
    RunReport,
    check_budget_is_priced,
    cost_notice,
    expected_papers,
    ingest_failure,
    run_row,
    store_chunk,
)
from summarizer.run.progress import Reporter
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
        for name in (
            "ray",
            "ray.data",
        ):  # its own notes (auth tokens, progress bars) are noise here
            logging.getLogger(name).setLevel(logging.ERROR)
        if self.owned:
            # Ray's C++ core logs to stderr on its own (an error-level note on every LLM
            # actor's restart policy, among others); the run's summary says what happened
            os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
            try:
                with _quiet_stderr():  # where the core says it read that setting
                    ray.init(
                        address=address,
                        include_dashboard=False,
                        log_to_driver=False,
                        logging_level=logging.ERROR,
                        configure_logging=True,
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
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    settings = settings or EngineSettings()
    options = options or RayOptions()
    reporter = reporter or Reporter()
    inputs = list(inputs)
    check_options(inputs, retry_failed=retry_failed, shard=False)
    ray = require_ray()
    identity = backend.identity
    report = RunReport(db_path=store.path, backend=identity.backend, model=identity.model)
    root = options.staging or staging.staging_root(store.path)
    check_address(options.address)
    check_staging(root)
    for left in staging.run_folders(root):  # a dead run's workers are all gone
        heal_staged(left)
    report.recovered = staging.recover(store, root).results
    report.expected = expected_papers(inputs, fmt, limit, None)
    if report.expected is not None:
        reporter.add_total(report.expected)
    folder = root / uuid.uuid4().hex
    run = _RayRun(ray, store, backend, settings, report, reporter, folder, root, options)
    run.refresh, run.retry_failed, run.notice, run.reprobe = refresh, retry_failed, notice, reprobe
    failed: BaseException | None = None
    cluster: _Cluster | None = None
    try:
        cluster = _Cluster(ray, options.address)
        run.cluster = cluster
        run.go(inputs, fmt, limit)
    except KeyboardInterrupt:
        report.stopped = Interrupted("interrupted (Ctrl-C); finished results are stored")
        run.salvage(verdicts=False)
    except BaseException as error:
        failed = error
        # what was paid for before the failure is stored now; if that fails too, the folder
        # stays and the next run loads it
        with contextlib.suppress(Exception):
            run.salvage()
        raise _unwrapped(error) from None
    finally:
        if cluster is not None:
            cluster.close()
        staging.drop_if_empty(root)
        report.finish_reading()
        report.elapsed = time.perf_counter() - started
        store.record_run(run_row(report, started_at, failed))
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
        self.repoint: set[str] = set()
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
            check_budget_is_priced(self.backend, self.settings)
            self.profile = asyncio.run(self._settle_endpoint(self.backend))
        self._read(inputs, fmt)
        candidates, keys, todo = self._store_papers(limit)
        if todo:
            self._extract(candidates, keys, todo)
        self.load_and_clean()

    async def _settle_endpoint(self, backend: AsyncBackend) -> EndpointProfile | None:
        """Check the key and settle the structured-output mode once, on the driver; the
        workers start from the outcome and never probe."""
        try:
            await backend.check_endpoint()
            key = backend.endpoint
            known = self.store.endpoint(*key) if key is not None else None
            profile = await backend.prepare(known, reprobe=self.reprobe)
            if profile is None:
                return None
            if profile.origin == "probed":
                self.store.save_endpoint(profile)
            self.report.probe = profile.describe()
            line = f"endpoint {profile.base_url} ({profile.model}): {self.report.probe}"
            if self.notice is not None:
                self.notice(line)
            else:
                self.report.notes.append(line)
            return profile
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
                files.append({"path": str(path), "in_folder": False})
            elif path.is_dir():
                children = folder_files(path)
                verdict = _FolderVerdict(str(path), len(children))
                for child in children:
                    if isinstance(child, Skipped):
                        self._between(len(files), child)
                        verdict.skipped += 1
                    else:
                        verdict.files.add(len(files))
                        files.append({"path": str(child), "in_folder": True})
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
            fn_kwargs={"fmt": fmt, "digest": self.backend.identity.digest},
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

    def _store_papers(self, limit: int | None) -> tuple[Path, pa.Table, int]:
        """Store papers and sightings as a local run does; then write the distinct papers to
        extract and the cache keys that rule some out. Returns (candidates, keys, to do)."""
        report, store = self.report, self.store
        digest = self.backend.identity.digest
        reread: set[str] = set()
        settle = not self.refresh and store.has_papers()
        for chunk in self._items(limit):
            with store.session():  # one open of the database a chunk
                taken, sources = self._settle(chunk, digest) if settle else (0, set())
                report.read += taken  # stored, cached and current: counted, nothing to do
                outcome, failures = store_chunk(chunk, store, report, reread, digest, sources)
                store.save(failures=failures)
            self.repoint |= outcome.repoint
        return self._plan()

    def _settle(self, chunk: list[Item], digest: str) -> tuple[int, set[str]]:
        """Take out of ``chunk`` the papers that need nothing at all (stored, this sighting
        recorded, current and cached: :meth:`Store.settled`), as a local run does; returns
        how many and their sources. The plan still counts them, from the staged rows."""
        by_source: dict[str, list[int]] = {}
        for index, item in enumerate(chunk):
            if isinstance(item, Paper):
                by_source.setdefault(item.source, []).append(index)
        today = datetime.now(UTC).date()
        taken: set[int] = set()
        for source, indices in by_source.items():
            probe = []
            for i in indices:
                paper = chunk[i]
                assert isinstance(paper, Paper)
                probe.append(
                    (paper.content_hash, paper.listing_date or paper.published, paper.record)
                )
            taken.update(indices[i] for i in self.store.settled(source, probe, digest, today))
        sources = {item.source for i, item in enumerate(chunk) if i in taken}
        chunk[:] = [item for i, item in enumerate(chunk) if i not in taken]
        return len(taken), sources

    def _plan(self) -> tuple[Path, pa.Table, int]:
        """Distinct papers of this run (as stored) to ``candidates.parquet``; the keys of
        those already extracted, or failed before, as an Arrow table; counts for the report."""

        report, digest = self.report, self.backend.identity.digest
        candidates = self.folder / "candidates.parquet"
        read = [str(f) for f in sorted((self.folder / "read").glob("*.parquet"))]
        skip_failed = not (self.retry_failed or self.refresh)
        within = "true"
        if self.cutoff is not None:  # --limit: the papers read up to the last one taken
            within = f"(file_index, position) <= ({self.cutoff[0]}, {self.cutoff[1]})"
        with self.store.transaction() as con:
            # ids, hashes and keys only: the text is joined back while the COPY streams it
            # out, so no step holds every abstract of the run (the store's memory is capped)
            con.execute(
                f"""
                CREATE TEMP TABLE run_papers AS
                WITH first_sighting AS (
                    SELECT content_hash, arg_min(source, (file_index, position)) AS source,
                           arg_min(record, (file_index, position)) AS record
                    FROM read_parquet($read)
                    WHERE kind = 'paper' AND {within} GROUP BY content_hash
                ),
                chosen AS (
                    SELECT min(paper_id) AS paper_id, content_hash FROM paper_records
                    SEMI JOIN first_sighting USING (content_hash) GROUP BY content_hash
                )
                SELECT c.paper_id, f.source, f.record, c.content_hash,
                       sha256('{digest}:' || c.content_hash)[1:32] AS cache_key
                FROM chosen c JOIN first_sighting f USING (content_hash)
                """,
                {"read": read},
            )
            keys = con.sql(
                "SELECT cache_key, true AS cached FROM run_papers SEMI JOIN extractions "
                "USING (cache_key)"
                + (
                    " UNION ALL SELECT cache_key, false FROM run_papers SEMI JOIN failure_log "
                    "USING (cache_key) ANTI JOIN extractions USING (cache_key)"
                    if skip_failed
                    else ""
                )
            ).to_arrow_table()
            distinct = con.execute("SELECT count(*) FROM run_papers").fetchone()
            self.folder.mkdir(parents=True, exist_ok=True)
            # The hash table on this run's ids, never on the stored text: DuckDB may pick the
            # side with the abstracts when both are the same size, so it is told; and row
            # groups by size (the default 122,880 rows would not fit the cap either).
            con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
            try:
                con.execute(
                    f"""
                    COPY (
                        SELECT r.paper_id, p.title, p.abstract, r.source, r.record,
                               r.content_hash, r.cache_key
                        FROM paper_records p JOIN run_papers r USING (paper_id)
                    ) TO '{_sql_path(candidates)}' (FORMAT parquet, ROW_GROUP_SIZE_BYTES '2MB')
                    """
                )
            finally:
                con.execute("RESET disabled_optimizers")
            con.execute("DROP TABLE run_papers")
        keys_table: pa.Table = keys
        cached = [
            k for k, c in zip(*(keys_table.column(i).to_pylist() for i in (0, 1)), strict=True) if c
        ]
        report.distinct = int(distinct[0]) if distinct else 0
        report.cached = 0 if self.refresh else len(cached)
        report.skipped_failed = 0 if self.refresh else keys_table.num_rows - len(cached)
        if self.refresh:
            keys_table = keys_table.slice(0, 0)
        self._point_cached(cached)
        if self.settings.strict_grounding and cached and not self.refresh:
            self.store.drop_ungrounded(cached)
        todo = report.distinct - keys_table.num_rows
        self.reporter.advance(max(0, report.read - todo))  # the rest advance as they land
        self._announce(candidates, todo)
        return candidates, keys_table.select(["cache_key"]), todo

    def _point_cached(self, cached: list[str]) -> None:
        """Papers stored before that point at another result: at the cached one now."""
        if not self.repoint or not cached or self.refresh:
            return
        self._point_landed()

    def _point_landed(self) -> None:
        """Point each paper of ``repoint`` at this run's result for it, where one is stored."""
        if not self.repoint:
            return
        import pyarrow as pa

        digest = self.backend.identity.digest
        with self.store.session() as con:
            con.register("repoint", pa.table({"paper_id": sorted(self.repoint)}))
            pairs = con.execute(
                f"""
                SELECT p.paper_id, e.cache_key FROM paper_records p SEMI JOIN repoint USING (paper_id)
                JOIN extractions e ON e.cache_key = sha256('{digest}:' || p.content_hash)[1:32]
                """
            ).fetchall()
            con.unregister("repoint")
        if pairs:
            self.store.save(current=[(a, b) for a, b in pairs])
            self.repoint -= {a for a, _ in pairs}

    def _announce(self, candidates: Path, todo: int) -> None:
        if not isinstance(self.backend, AsyncBackend) or self.notice is None or todo <= 0:
            return
        import pyarrow.parquet as pq

        from summarizer.run.ray_tasks import papers_of

        sample = papers_of(pq.ParquetFile(candidates).read_row_group(0).slice(0, 200))
        line = cost_notice(self.backend, sample, todo, approximate=False)
        if line is not None:
            self.notice(line)

    def _extract(self, candidates: Path, keys: pa.Table, todo: int) -> None:
        """The candidates not ruled out by ``keys``, extracted on the cluster and staged."""
        from summarizer.run import ray_tasks

        data = self.ray.data
        cpus = self.cluster.cpus() if self.cluster is not None else 1
        papers = data.read_parquet(str(candidates))
        if keys.num_rows:
            papers = papers.join(
                data.from_arrow(keys),
                join_type="left_anti",
                num_partitions=max(2, cpus),
                on=("cache_key",),
            )
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
    paper = Paper.__new__(Paper)
    for name in (
        "title", "abstract", "source", "record", "arxiv_id", "url", "published",
        "listing_date", "content_hash", "paper_id",
    ):  # fmt: skip
        setattr(paper, name, row[name])
    paper.authors = list(row["authors"] or [])
    return paper


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


__all__ = ["INSTALL", "RayOptions", "check_options", "require_ray", "run"]
