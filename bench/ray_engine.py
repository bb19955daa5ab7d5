"""The Ray engine (issue 16): `--engine ray` beside the local engine, on one machine, one run.

Run (from the repository root; the venv needs ``summarizer[ray]``):

    .venv/bin/python bench/ray_engine.py rules [--n 100000] [--files 8] [--one-file]
        [--ray-stats FILE]
    .venv/bin/python bench/ray_engine.py limiter [--papers 1500] [--rpm 1800] [--workers 2 4]
    .venv/bin/python bench/ray_engine.py all

``rules``: ``--n`` distinct abstracts from ``bench/synthetic.py`` (seed 0), split into
``--files`` JSONL files (contiguous blocks), through the ``rules`` backend twice into fresh
databases: the local engine (``pipeline.run``: two extraction worker processes on this
machine) and the Ray engine (``ray_engine.run``, which starts its own local Ray inside the
timed region: ``ray.init`` with every CPU). Both databases must hold the same number of
extractions and the same set of cache keys. Then the cached re-run of each (0 extraction
calls). Ray's time is split by wrapping the engine's stages from outside (no change to the
engine): Ray start and stop (``_Cluster``), read + stage (``_RayRun._read``: one read task per
file, staged as Parquet), the driver storing papers (``_store_papers`` without ``_plan``), the
driver's candidates query (``_plan``: DuckDB over the staged rows, COPY to Parquet), join +
extract (``_extract``: the left-anti join with the cached keys and ``map_batches``, as the
driver drains it) and the driver's bulk load of the staged parts (``load``). ``ray.init``
alone (and ``import ray``, apart) is timed in a fresh process, the way a CLI run pays it.
CPU time is this process's (the driver's) and that of the processes it reaped (the local
worker pool; Ray's GCS and raylet with their workers, once ``ray.shutdown`` stops them).
``--one-file`` also runs Ray over the same papers in one file (one read task);
``--ray-stats FILE`` writes Ray Data's own per-operator stats of the extraction datasets.

``limiter``: the fake OpenAI server in its own process (as ``bench/engine_throughput.py``
runs it), ``--papers`` distinct abstracts, the ``openai`` backend with the mode forced
(``tools``, no probe). Two server settings, each run against a reset server and a fresh
database: a rolling 1-second window of ``rpm/60`` requests with ``rpm`` given to the client
(``--rpm``), and a 60-second window of ``rpm`` requests with no ``--rpm`` given, so the limit is
learned from the ``x-ratelimit-*`` headers only (they state the window's limit, so only a
60-second window states requests per minute). Under each: the local engine, then the Ray
engine with each of ``--workers`` actors, all joining one local Ray started before (its
start-up is part 1's business). The theoretical limit is engine_throughput's
min(RPM, TPM / tokens per request, concurrency / latency); no TPM is set here, and
concurrency is per client (per actor on Ray), far above the RPM, so the limit is the RPM.
Share = answered requests per second / limit, over the engine's whole wall time (as
engine_throughput counts it) and over the sending window (first to last request sent, from
``llm_calls``: ``called_at`` − latency), which leaves out start-up and the tail.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import duckdb  # noqa: E402
from engine_throughput import ServerProcess  # noqa: E402
from synthetic import generate  # noqa: E402

from summarizer.backends import BackendSettings, get_backend  # noqa: E402
from summarizer.run import pipeline, ray_engine  # noqa: E402
from summarizer.run.jobs import EngineSettings  # noqa: E402
from summarizer.run.ray_engine import RayOptions  # noqa: E402
from summarizer.store.store import Store  # noqa: E402

PY = ".venv/bin/python"
SCRIPT = "bench/ray_engine.py"
FAKE_MODEL = "fake-model"  # not in the price table: cost is not tracked here
INIT_KWARGS: dict[str, Any] = {
    "include_dashboard": False,
    "log_to_driver": False,
    "logging_level": logging.ERROR,
    "configure_logging": True,
}
"""What the engine's ``_Cluster`` passes to ``ray.init`` for a local Ray."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


# -- inputs ----------------------------------------------------------------------------------------


def write_inputs(folder: Path, n: int, files: int, seed: int, one_file: bool) -> list[Path]:
    """``n`` synthetic papers in ``files`` JSONL files of contiguous blocks (and, with
    ``one_file``, the same papers in ``all.jsonl`` too), in one pass of the generator."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    paths = [folder / f"part-{i:02d}.jsonl" for i in range(files)]
    handles = [p.open("w", encoding="utf-8") for p in paths]
    whole = (folder / "all.jsonl").open("w", encoding="utf-8") if one_file else None
    try:
        for index, paper in enumerate(generate(n, seed)):
            line = dumps(paper) + "\n"
            handles[index * files // n].write(line)
            if whole is not None:
                whole.write(line)
    finally:
        for handle in handles:
            handle.close()
        if whole is not None:
            whole.close()
    return paths


# -- stage timers (wrapping the engine's methods from outside) -------------------------------------

STAGES = (
    ("_Cluster", "__init__", "Ray start (ray.init in the run)"),
    ("_RayRun", "_read", "read + stage (read tasks → Parquet)"),
    ("_RayRun", "_store_papers", "driver: store papers, sightings"),
    ("_RayRun", "_plan", "driver: candidates + cached keys (DuckDB)"),
    ("_RayRun", "_extract", "join + extract (cluster; driver drains)"),
    ("_RayRun", "load", "driver: bulk load of staged parts"),
    ("_Cluster", "close", "Ray stop (ray.shutdown)"),
)


class StageTimers:
    """Wall seconds spent in each wrapped method of the engine (``_plan`` runs inside
    ``_store_papers``; :meth:`breakdown` takes it out)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.datasets: list[Any] = []
        self.ray_cpu: float | None = None
        for owner, name, _ in STAGES:
            cls = getattr(ray_engine, owner)
            original = getattr(cls, name)
            setattr(cls, name, self._wrap(f"{owner}.{name}", original))

    def _wrap(self, key: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if key == "_RayRun._extract":
                self._capture_datasets()
            if key == "_Cluster.close" and args[0].owned:
                self.ray_cpu = tree_cpu(os.getpid())
            started, cpu = time.perf_counter(), cpu_seconds()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started
                self.cpu[key] = self.cpu.get(key, 0.0) + cpu_seconds() - cpu

        return timed

    def _capture_datasets(self) -> None:
        """Keep the dataset the driver drains in ``_extract``, for Ray Data's own stats of
        each operator (ray.data is imported by then: patching it earlier would move its
        import out of the timed run)."""
        from ray.data import Dataset

        if getattr(Dataset.iter_batches, "_bench", False):
            return
        original = Dataset.iter_batches

        @functools.wraps(original)
        def iter_batches(dataset: Any, *args: Any, **kwargs: Any) -> Any:
            self.datasets.append(dataset)
            return original(dataset, *args, **kwargs)

        iter_batches._bench = True  # type: ignore[attr-defined]
        Dataset.iter_batches = iter_batches  # type: ignore[method-assign]

    def ray_stats(self) -> str:
        """Ray Data's per-operator stats of the datasets drained since the last reset."""
        return "\n\n".join(dataset.stats() for dataset in self.datasets)

    def reset(self) -> None:
        self.seconds.clear()
        self.cpu.clear()
        self.datasets: list[Any] = []
        self.ray_cpu: float | None = None

    def breakdown(self) -> list[tuple[str, float, float]]:
        """(stage, wall seconds, driver CPU seconds), with ``_plan`` out of ``_store_papers``."""
        seconds, cpu = dict(self.seconds), dict(self.cpu)
        for table in (seconds, cpu):
            table["_RayRun._store_papers"] = table.get("_RayRun._store_papers", 0.0) - table.get(
                "_RayRun._plan", 0.0
            )
        return [
            (label, seconds.get(f"{o}.{n}", 0.0), cpu.get(f"{o}.{n}", 0.0))
            for o, n, label in STAGES
        ]


# -- part 1: rules, 100k ---------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds every process on the machine has spent so far (``/proc/stat``)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root``'s live descendants, with what they reaped (Ray's GCS, raylet,
    workers): read from ``/proc`` just before ``ray.shutdown`` stops them."""
    parents: dict[int, list[int]] = {}
    spent: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        parents.setdefault(int(fields[1]), []).append(int(entry))
        spent[int(entry)] = sum(int(x) for x in fields[11:15]) / CLOCK_TICKS
    total, todo = 0.0, list(parents.get(root, []))
    while todo:
        pid = todo.pop()
        total += spent.get(pid, 0.0)
        todo.extend(parents.get(pid, []))
    return total


def rules_backend() -> Any:
    return get_backend("rules", BackendSettings())


def timed_run(fn: Callable[[], pipeline.RunReport], timers: StageTimers | None) -> dict[str, Any]:
    """Wall time of one run; CPU time of this process (the driver), of the processes the run
    started (the local worker pool, reaped at its end; Ray's, read before its shutdown), and
    of everything else on the machine meanwhile (other users' load: ``/proc/stat`` less ours)."""
    children = cpu_seconds(resource.RUSAGE_CHILDREN)
    busy, started, cpu = machine_busy(), time.perf_counter(), cpu_seconds()
    if timers is not None:
        timers.reset()
    report = fn()
    wall, driver = time.perf_counter() - started, cpu_seconds() - cpu
    if timers is not None and timers.ray_cpu is not None:
        others = timers.ray_cpu  # what Ray's processes reaped is counted there already
    else:
        others = cpu_seconds(resource.RUSAGE_CHILDREN) - children
    result = {
        "wall": wall,
        "driver_cpu": driver,
        "children_cpu": others,
        "outside_cpu": max(0.0, machine_busy() - busy - driver - others),
        "report": report,
    }
    if timers is not None:
        result["stages"] = timers.breakdown()
        try:
            result["ray_stats"] = timers.ray_stats()
        except Exception as error:  # Ray Data keeps the stats; if not, say so
            result["ray_stats"] = f"(no stats: {error})"
    return result


def run_local(db: Path, inputs: list[Path]) -> dict[str, Any]:
    def go() -> pipeline.RunReport:
        with Store(db, hold=False) as store:
            return pipeline.run(inputs, store, rules_backend())

    return timed_run(go, None)


def run_ray(db: Path, inputs: list[Path], timers: StageTimers) -> dict[str, Any]:
    def go() -> pipeline.RunReport:
        with Store(db, hold=False) as store:
            return ray_engine.run(inputs, store, rules_backend(), options=RayOptions())

    return timed_run(go, timers)


def ray_init_alone() -> dict[str, float]:
    """``import ray``, ``ray.init`` (the engine's arguments) and ``ray.shutdown`` timed in a
    fresh process, as a CLI run pays them."""
    code = (
        "import json, logging, time\n"
        "t = time.perf_counter()\n"
        "import ray, ray.data\n"
        "imported = time.perf_counter() - t\n"
        "t = time.perf_counter()\n"
        "ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,"
        " configure_logging=True)\n"
        "init = time.perf_counter() - t\n"
        "cpus = ray.cluster_resources().get('CPU')\n"
        "t = time.perf_counter()\n"
        "ray.shutdown()\n"
        "print(json.dumps({'import': imported, 'init': init, 'shutdown': time.perf_counter() - t,"
        " 'cpus': cpus}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare_dbs(local: Path, distributed: Path) -> dict[str, int]:
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{local}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{distributed}' AS b (READ_ONLY)")

        def scalar(sql: str) -> int:
            row = con.execute(sql).fetchone()
            return int(row[0]) if row else 0

        only = "SELECT count(*) FROM (SELECT cache_key FROM {}.extractions EXCEPT SELECT cache_key FROM {}.extractions)"
        return {
            "local_extractions": scalar("SELECT count(*) FROM a.extractions"),
            "ray_extractions": scalar("SELECT count(*) FROM b.extractions"),
            "local_papers": scalar("SELECT count(*) FROM a.paper_records"),
            "ray_papers": scalar("SELECT count(*) FROM b.paper_records"),
            "keys_only_local": scalar(only.format("a", "b")),
            "keys_only_ray": scalar(only.format("b", "a")),
        }


def fresh_db(path: Path) -> Path:
    """``path`` with no database, WAL, lock or staging folder left from an earlier run."""
    for leftover in path.parent.glob(path.name + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    return path


def cmd_rules(args: argparse.Namespace) -> dict[str, Any]:
    n = args.n
    timers = StageTimers()
    with workdir(args.workdir) as folder:
        started = time.perf_counter()
        inputs = write_inputs(folder, n, args.files, args.seed, args.one_file)
        size = sum(p.stat().st_size for p in inputs)
        log(f"wrote {n:,} papers in {args.files} files ({size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        local_db, ray_db = folder / "local.duckdb", folder / "ray.duckdb"
        init: dict[str, float] | None = None
        pairs: list[dict[str, Any]] = []
        for repeat in range(args.repeat):
            pair: dict[str, Any] = {}
            order = ("local", "ray") if repeat % 2 == 0 else ("ray", "local")
            for engine in order:
                if engine == "ray" and init is None:
                    log("ray.init alone, in a fresh process")
                    init = ray_init_alone()
                    log(f"  import {init['import']:.2f} s, init {init['init']:.2f} s, "
                        f"shutdown {init['shutdown']:.2f} s, {init['cpus']} CPUs")  # fmt: skip
                log(f"pair {repeat + 1}: {engine} ({load_note()})")
                if engine == "local":
                    pair["local"] = run_local(fresh_db(local_db), inputs)
                else:
                    pair["ray"] = run_ray(fresh_db(ray_db), inputs, timers)
                row = pair[engine]
                log(f"  {row['wall']:.1f} s, extracted {row['report'].extracted:,}, CPU "
                    f"{row['driver_cpu']:.0f} + {row['children_cpu']:.0f} s, others "
                    f"{row['outside_cpu']:.0f} s")  # fmt: skip
            pair["check"] = compare_dbs(local_db, ray_db)
            log(f"  check: {pair['check']}")
            pairs.append(pair)
        cached: list[dict[str, Any]] = []
        for repeat in range(args.repeat):
            log(f"cached re-runs {repeat + 1}")
            pair = {}
            order = ("local", "ray") if repeat % 2 == 0 else ("ray", "local")
            for engine in order:
                if engine == "local":
                    pair["local"] = run_local(local_db, inputs)
                else:
                    pair["ray"] = run_ray(ray_db, inputs, timers)
            cached.append(pair)
        one_file = None
        if args.one_file:
            log(f"one file through --engine ray ({load_note()})")
            one_file = run_ray(fresh_db(folder / "ray_one.duckdb"), [folder / "all.jsonl"], timers)
            one_file["check"] = compare_dbs(local_db, folder / "ray_one.duckdb")
            log(f"  {one_file['wall']:.1f} s; check: {one_file['check']}")
    assert init is not None
    results = {"n": n, "mb": size / 1e6, "pairs": pairs, "init": init, "cached": cached,
               "one_file": one_file}  # fmt: skip
    if args.ray_stats is not None:
        runs = [(f"pair {i + 1}", p["ray"]) for i, p in enumerate(pairs)]
        runs.append(("one file", one_file))
        args.ray_stats.write_text(
            "".join(f"## {name}\n\n{row['ray_stats']}\n\n" for name, row in runs if row)
        )
        log(f"Ray Data stats of the extraction datasets -> {args.ray_stats}")
    print_rules(results, args)
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_rules(r: dict[str, Any], args: argparse.Namespace) -> None:
    n, pairs = r["n"], r["pairs"]
    print(f"\n### {n:,} papers through `rules`: local engine vs `--engine ray`\n")
    print(
        f"`{PY} {SCRIPT} rules --n {n} --files {args.files} --repeat {args.repeat}"
        f"{' --one-file' if args.one_file else ''}`; {os.cpu_count()} CPUs; "
        f"{r['mb']:.0f} MB of JSONL in {args.files} files; pairs alternate which engine runs "
        "first; each run into a fresh database\n"
    )
    print(
        "| pair | local: wall, papers/s | ray: wall, papers/s | ray / local | overhead | "
        "CPU local: driver + workers | CPU ray: driver + Ray processes | others' CPU "
        "during local / ray | same 100% of cache keys |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for index, pair in enumerate(pairs):
        local, ray = pair["local"], pair["ray"]
        check = pair["check"]
        same = (
            check["keys_only_local"] == check["keys_only_ray"] == 0
            and check["local_extractions"] == check["ray_extractions"] == n
        )
        print(
            f"| {index + 1} | {local['wall']:.1f} s, {n / local['wall']:,.0f} | "
            f"{ray['wall']:.1f} s, {n / ray['wall']:,.0f} | {ray['wall'] / local['wall']:.2f}× | "
            f"{ray['wall'] - local['wall']:+.1f} s ({(ray['wall'] - local['wall']) / local['wall']:+.0%}) | "
            f"{local['driver_cpu']:.0f} + {local['children_cpu']:.0f} s | "
            f"{ray['driver_cpu']:.0f} + {ray['children_cpu']:.0f} s | "
            f"{local['outside_cpu']:.0f} / {ray['outside_cpu']:.0f} s | "
            f"{'yes' if same else f'**no** {check}'} |"
        )
    ratios = [p["ray"]["wall"] / p["local"]["wall"] for p in pairs]
    local_med = median([p["local"]["wall"] for p in pairs])
    ray_med = median([p["ray"]["wall"] for p in pairs])
    print(
        f"| median | {local_med:.1f} s, {n / local_med:,.0f} | {ray_med:.1f} s, "
        f"{n / ray_med:,.0f} | {median(ratios):.2f}× (pairs) | {ray_med - local_med:+.1f} s "
        f"({(ray_med - local_med) / local_med:+.0%}) | | | | |"
    )
    if r["one_file"] is not None:
        one = r["one_file"]
        check = one["check"]
        same = check["keys_only_local"] == check["keys_only_ray"] == 0
        print(
            f"\nThe same {n:,} papers in one file (one read task), once: {one['wall']:.1f} s "
            f"({n / one['wall']:,.0f} papers/s, {one['wall'] / local_med:.2f}× the median local "
            f"run; others' CPU {one['outside_cpu']:.0f} s); cache keys "
            f"{'the same' if same else f'**differ** {check}'}."
        )
    init = r["init"]
    print(
        f"\n`ray.init` alone, fresh process: import ray + ray.data {init['import']:.2f} s, "
        f"`ray.init` {init['init']:.2f} s, `ray.shutdown` {init['shutdown']:.2f} s "
        f"({init['cpus']:.0f} CPUs).\n"
    )
    runs = [(f"pair {i + 1}", p["ray"]) for i, p in enumerate(pairs)]
    if r["one_file"] is not None:
        runs.append(("one file", r["one_file"]))
    print_stages("Where the Ray runs' time goes", runs)
    cached = r["cached"]
    print("| cached re-run (0 extraction calls) | local | ray | ray / local |")
    print("|---|---|---|---|")
    for index, pair in enumerate(cached):
        local, ray = pair["local"], pair["ray"]
        calls = (local["report"].calls, ray["report"].calls)
        print(
            f"| {index + 1} (calls {calls[0]} / {calls[1]}) | {local['wall']:.2f} s | "
            f"{ray['wall']:.2f} s | {ray['wall'] / local['wall']:.2f}× |"
        )
    print()
    print_stages("Where the cached Ray re-runs' time goes", [
        (f"re-run {i + 1}", p["ray"]) for i, p in enumerate(cached)
    ])  # fmt: skip


def print_stages(title: str, runs: list[tuple[str, dict[str, Any]]]) -> None:
    print(f"{title}:\n")
    print("| stage | " + " | ".join(name for name, _ in runs) + " | median share |")
    print("|---|" + "---|" * len(runs) + "---|")
    labels = [label for label, _, _ in runs[0][1]["stages"]]
    for position, label in enumerate(labels):
        cells, shares = [], []
        for _, row in runs:
            seconds, cpu = row["stages"][position][1:]
            cells.append(f"{seconds:.1f} s (CPU {cpu:.1f})")
            shares.append(seconds / row["wall"])
        print(f"| {label} | " + " | ".join(cells) + f" | {median(shares):.1%} |")
    rests = []
    for _, row in runs:
        rests.append(row["wall"] - sum(seconds for _, seconds, _ in row["stages"]))
    print(
        "| rest (imports, recover, run log, report) | "
        + " | ".join(f"{rest:.1f} s" for rest in rests)
        + f" | {median([x / row['wall'] for x, (_, row) in zip(rests, runs, strict=True)]):.1%} |"
    )
    walls = " | ".join(f"**{row['wall']:.1f} s**" for _, row in runs)
    print(f"| whole run | {walls} | |")
    driver = [
        sum(s for label, s, _ in row["stages"] if label.startswith("driver")) / row["wall"]
        for _, row in runs
    ]
    print(
        f"\nDriver-side stages (storing papers, the plan, the load): "
        f"{', '.join(f'{d:.1%}' for d in driver)} of the run.\n"
    )


# -- part 2: the shared limiter --------------------------------------------------------------------


ARRIVALS_ENV = "BENCH_ARRIVALS"
_arrivals: Any = None


def record_arrival(abstract: str) -> dict[str, Any]:
    """The fake server's answerer here (``--answerer ray_engine:record_arrival``): the default
    answer, and the time each request reached the server (before its admission under the
    limit, so refused ones count), one line each in the file ``$BENCH_ARRIVALS`` names."""
    global _arrivals
    from summarizer.testing.fake_openai import default_answerer

    if _arrivals is None:
        _arrivals = open(os.environ[ARRIVALS_ENV], "a", buffering=1)  # noqa: SIM115
    _arrivals.write(f"{time.time():.4f}\n")
    return default_answerer(abstract)


class FakeServer(ServerProcess):
    """The fake server in its own process (``bench/engine_throughput.py``'s way), with only
    the limits given (no TPM), recording when each request arrives (:func:`record_arrival`)."""

    def __init__(self, *, rpm: int, window: float, latency: float, arrivals: Path) -> None:
        flags = [
            "--model", FAKE_MODEL, "--latency", str(latency), "--rpm", str(rpm),
            "--window-seconds", str(window), "--seed", "1",
            "--answerer", "ray_engine:record_arrival",
        ]  # fmt: skip
        self.arrivals_file = arrivals
        arrivals.write_text("")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "summarizer.testing.fake_openai", *flags],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
                ARRIVALS_ENV: str(arrivals),
            },
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip().removeprefix("listening on ")

    def arrivals(self) -> list[float]:
        """Seconds since the first request, of every request since the last reset."""
        times = sorted(float(x) for x in self.arrivals_file.read_text().split())
        return [t - times[0] for t in times] if times else []

    def reset(self) -> None:
        super().reset()
        self.arrivals_file.write_text("")  # the server appends: it writes on from the start


def openai_backend(base_url: str) -> Any:
    settings = BackendSettings(base_url=base_url, model=FAKE_MODEL, api_key="sk-x", mode="tools")
    return get_backend("openai", settings)


def limiter_run(
    server: FakeServer,
    db: Path,
    source: Path,
    engine: EngineSettings,
    workers: int | None,
    timers: StageTimers,
) -> dict[str, Any]:
    server.reset()
    timers.reset()
    backend = openai_backend(server.base_url)
    started = time.perf_counter()
    with Store(db, hold=False) as store:
        if workers is None:
            report = pipeline.run([source], store, backend, settings=engine)
        else:
            options = RayOptions(workers=workers)
            report = ray_engine.run([source], store, backend, settings=engine, options=options)
    wall = time.perf_counter() - started
    stats = server.stats()
    by_status = stats["by_status"]
    arrivals = server.arrivals()
    busiest = max(
        (bisect.bisect_left(arrivals, t + 1.0) - i for i, t in enumerate(arrivals)), default=0
    )
    with duckdb.connect(str(db), read_only=True) as con:
        stored, keys, failed = con.execute(
            "SELECT (SELECT count(*) FROM extractions), "
            "(SELECT count(DISTINCT cache_key) FROM extractions), "
            "(SELECT count(*) FROM summaries WHERE status = 'failed')"
        ).fetchone()  # type: ignore[misc]
        ok, first, last = con.execute(
            "SELECT count(*), min(epoch(called_at) - latency_ms / 1000), "
            "max(epoch(called_at) - latency_ms / 1000) FROM llm_calls WHERE status = 200"
        ).fetchone()  # type: ignore[misc]
    return {
        "wall": wall,
        "requests": stats["requests"],
        "refused": by_status.get("429", 0),
        "answered": by_status.get("200", 0),
        "ok_calls": ok,
        "sending": (last - first) if ok > 1 else 0.0,
        "distinct": report.distinct,
        "stored": stored,
        "stored_keys": keys,
        "failed": failed,
        "lost": report.distinct - stored - failed,
        "extracted": report.extracted,
        "stages": {label: seconds for label, seconds, _ in timers.breakdown()},
        "busiest_second": busiest,
        "first_seconds": [sum(1 for t in arrivals if i <= t < i + 1) for i in range(3)],
    }


def cmd_limiter(args: argparse.Namespace) -> dict[str, Any]:
    import ray

    limit = args.rpm / 60
    timers = StageTimers()
    settings_list = [
        ("1 s window, `rpm` given", int(args.rpm / 60), 1.0, args.rpm),
        ("60 s window, learned from headers", int(args.rpm), 60.0, None),
    ]
    results: list[tuple[str, str, dict[str, Any]]] = []
    with workdir(args.workdir) as folder:
        source = folder / "papers.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for paper in generate(args.papers, args.seed + 1):
                handle.write(json.dumps(paper, ensure_ascii=False) + "\n")
        started = time.perf_counter()
        ray.init(**INIT_KWARGS)
        ray_start = time.perf_counter() - started
        log(f"local Ray for the limiter runs: {ray_start:.1f} s to start, "
            f"{ray.cluster_resources().get('CPU')} CPUs")  # fmt: skip
        try:
            for title, per_window, window, rpm in settings_list:
                with FakeServer(
                    rpm=per_window, window=window, latency=args.latency,
                    arrivals=folder / "arrivals.txt",
                ) as server:  # fmt: skip
                    engine = EngineSettings(concurrency=args.concurrency, rpm=rpm)
                    for workers in (None, *args.workers):
                        name = "local engine" if workers is None else f"ray, {workers} workers"
                        db = folder / f"limiter-{window:g}-{workers or 0}.duckdb"
                        log(f"{title}: {name} ({load_note()})")
                        row = limiter_run(server, db, source, engine, workers, timers)
                        log(f"  {row}")
                        results.append((title, name, row))
        finally:
            ray.shutdown()
    print(f"\n### The shared limiter: {args.papers:,} papers against the fake server\n")
    print(
        f"`{PY} {SCRIPT} limiter --papers {args.papers} --rpm {args.rpm:g} --latency "
        f"{args.latency} --concurrency {args.concurrency} --workers "
        f"{' '.join(map(str, args.workers))}`; limit {args.rpm:g} RPM = {limit:.1f} requests/s "
        f"(concurrency {args.concurrency} per client / {args.latency} s latency = "
        f"{args.concurrency / args.latency:.0f}/s per client, not binding); mode `tools` forced; "
        f"Ray started once before the runs ({ray_start:.1f} s, not counted)\n"
    )
    print(
        "| server | client | requests | 429 (share) | stored / distinct | lost | wall | "
        "share of limit (wall) | sending window | share while sending | most arrivals in "
        "1 s | arrivals in seconds 1, 2, 3 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for title, name, row in results:
        answered = row["answered"]
        whole = answered / row["wall"] / limit
        sending = (row["ok_calls"] - 1) / row["sending"] / limit if row["sending"] else 0.0
        print(
            f"| {title} | {name} | {row['requests']:,} | {row['refused']} "
            f"({row['refused'] / max(1, row['requests']):.1%}) | {row['stored']:,} / "
            f"{row['distinct']:,} | {row['lost']} | {row['wall']:.1f} s | {whole:.1%} | "
            f"{row['sending']:.1f} s | {sending:.1%} | {row['busiest_second']} | "
            f"{', '.join(map(str, row['first_seconds']))} |"
        )
    print(
        "\nRay runs, where the wall time goes (stage timers as in part 1; the endpoint check "
        "is in the rest):\n"
    )
    print("| server | client | wall | read + store + plan | extraction stage | load | rest |")
    print("|---|---|---|---|---|---|---|")
    for title, name, row in results:
        if name == "local engine":
            continue
        stages = row["stages"]
        before = sum(
            v for k, v in stages.items() if k.startswith(("read", "driver: s", "driver: c"))
        )
        extract = stages["join + extract (cluster; driver drains)"]
        load = stages["driver: bulk load of staged parts"]
        rest = row["wall"] - before - extract - load
        print(
            f"| {title} | {name} | {row['wall']:.1f} s | {before:.1f} s | {extract:.1f} s "
            f"(sending {row['sending']:.1f} s) | {load:.1f} s | {rest:.1f} s |"
        )
    print()
    return {"results": results, "ray_start": ray_start}


# -- CLI -------------------------------------------------------------------------------------------


@contextmanager
def workdir(keep: Path | None) -> Iterator[Path]:
    """A fresh temporary folder, or ``keep`` emptied first and left in place."""
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="summarizer-ray-bench-") as folder:
        yield Path(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("part", choices=("rules", "limiter", "all"))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--one-file", action="store_true", help="also Ray over one file")
    parser.add_argument("--repeat", type=int, default=3, help="local/ray pairs (part 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--papers", type=int, default=1500)
    parser.add_argument("--rpm", type=float, default=1800)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--ray-stats", type=Path, help="write Ray Data's operator stats here")
    parser.add_argument("--workdir", type=Path, help="keep inputs here (default: a temp dir)")
    args = parser.parse_args()
    for name in ("ray", "ray.data", "instructor"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if args.part in ("rules", "all"):
        cmd_rules(args)
    if args.part in ("limiter", "all"):
        cmd_limiter(args)


if __name__ == "__main__":
    main()
