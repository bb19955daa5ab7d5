"""Scale benchmarks on synthetic abstracts: cached re-runs, rules throughput, the DuckDB write,
a 1M-paper streamed run (peak RSS) and the README's example queries on the 1M database.

Run one measurement or all of them (each prints a markdown table: figure, target, command):

    .venv/bin/python bench/scale.py cached-rerun --n 100000
    .venv/bin/python bench/scale.py rules-throughput --n 100000
    .venv/bin/python bench/scale.py store-write --n 100000
    .venv/bin/python bench/scale.py stream-1m --n 1000000
    .venv/bin/python bench/scale.py sql-1m
    .venv/bin/python bench/scale.py all

Inputs are JSONL files from ``bench/synthetic.py`` (seeded, so every run sees the same
papers). Each measurement works in a fresh temporary directory that is removed afterwards,
except ``stream-1m``: it keeps its 1M-paper database in ``--workdir`` (default
``$TMPDIR/summarizer-scale-1m``) for ``sql-1m``. Timings use ``time.perf_counter``; a figure
is the median of ``--repeat`` runs where a run is cheap, the 1M run happens once. The
machine this runs on is shared and noisy, so only medians are reported.

``--profile DIR`` (any subcommand but stream-1m/sql-1m) also runs the timed section once
under pyinstrument and writes a text and an HTML profile to DIR.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import duckdb  # noqa: E402
from synthetic import write_jsonl  # noqa: E402

from summarizer.backends.rules.backend import RulesBackend  # noqa: E402
from summarizer.backends.rules.extract import extract_summary  # noqa: E402
from summarizer.core.paper import Paper  # noqa: E402
from summarizer.core.results import Extraction  # noqa: E402
from summarizer.grounding.ground import ground  # noqa: E402
from summarizer.ingest import read_papers  # noqa: E402
from summarizer.run import pipeline  # noqa: E402
from summarizer.run.jobs import make_jobs  # noqa: E402
from summarizer.store.columns import EXTRACTIONS  # noqa: E402
from summarizer.store.store import Store  # noqa: E402

PY = ".venv/bin/python"
SCRIPT = "bench/scale.py"
SUMMARIZER = Path(sys.executable).with_name("summarizer")
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "summarizer-scale-1m"
GNU_TIME = Path("/usr/bin/time")


@dataclass
class Row:
    measurement: str
    figure: str
    target: str
    met: bool | None
    command: str


def code_fingerprint() -> str:
    """Hash and newest mtime of summarizer/**/*.py: others edit it while benchmarks run."""
    import hashlib

    digest = hashlib.sha256()
    newest = 0.0
    for path in sorted((ROOT / "summarizer").rglob("*.py")):
        digest.update(path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    return f"{digest.hexdigest()[:12]} (newest file {time.strftime('%H:%M:%S', time.localtime(newest))})"


def workers_note() -> str:
    try:
        from summarizer.run.workers import worker_count

        return f"{worker_count(RulesBackend())} extraction worker process(es)"
    except ImportError:
        return "single process"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**MISSED**")


def print_table(rows: list[Row], title: str | None = None) -> None:
    if title:
        print(f"\n### {title}\n")
    print("| measurement | figure | target | result | command |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.measurement} | {r.figure} | {r.target} | {verdict(r.met)} | `{r.command}` |")
    sys.stdout.flush()


@contextmanager
def fresh_dir(keep: Path | None = None) -> Iterator[Path]:
    """A fresh temporary directory (or ``keep``, emptied first and left in place)."""
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        yield keep
        return
    folder = Path(tempfile.mkdtemp(prefix="summarizer-scale-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def make_input(folder: Path, n: int, seed: int) -> tuple[Path, float]:
    path = folder / f"synthetic_{n}.jsonl"
    started = time.perf_counter()
    write_jsonl(n, path, seed)
    elapsed = time.perf_counter() - started
    log(f"generated {n:,} abstracts in {elapsed:.1f} s -> {path}")
    return path, elapsed


def load_papers(path: Path) -> list[Paper]:
    return [p for p in read_papers([path]) if isinstance(p, Paper)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if len(values) < 2:
        return ""
    return f" (runs: {', '.join(fmt.format(v) for v in values)})"


def maybe_profile(args: argparse.Namespace, name: str, fn: Callable[[], Any]) -> None:
    """Run ``fn`` once under pyinstrument when --profile is given; write text + HTML."""
    if not getattr(args, "profile", None):
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        log("--profile needs pyinstrument: .venv/bin/pip install pyinstrument")
        return
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    (out / f"{name}.txt").write_text(
        profiler.output_text(unicode=False, color=False, show_all=False)
    )
    (out / f"{name}.html").write_text(profiler.output_html())
    log(f"profile written to {out / name}.txt / .html")


# -- cached-rerun ----------------------------------------------------------------------------------


def cmd_cached_rerun(args: argparse.Namespace) -> list[Row]:
    command = f"{PY} {SCRIPT} cached-rerun --n {args.n}"
    backend = RulesBackend()
    with fresh_dir() as folder:
        source, _ = make_input(folder, args.n, args.seed)
        db = folder / "cached.duckdb"
        with Store(db) as store:
            log(f"first run over {args.n:,} papers (untimed) ...")
            first = pipeline.run([source], store, backend)
        log(f"first run: extracted {first.extracted:,} in {first.elapsed:.1f} s")
        times: list[float] = []
        reports = []
        for i in range(args.repeat):
            with Store(db) as store:
                elapsed, report = timed(lambda store=store: pipeline.run([source], store, backend))
            times.append(elapsed)
            reports.append(report)
            log(
                f"re-run {i + 1}: {elapsed:.2f} s, calls {report.calls}, extracted {report.extracted}, cached {report.cached:,}"
            )
        if getattr(args, "profile", None):
            with Store(db) as store:
                maybe_profile(args, "cached_rerun", lambda: pipeline.run([source], store, backend))
    t = median(times)
    calls = max(r.calls for r in reports)
    extracted = max(r.extracted for r in reports)
    cached = min(r.cached for r in reports)
    return [
        Row(
            f"cached re-run, {args.n:,} papers (rules, all cached)",
            f"{t:.2f} s median{spread(times)}; {args.n / t:,.0f} papers/s",
            "≤ 10 s",
            t <= 10,
            command,
        ),
        Row(
            "cached re-run: backend calls",
            f"calls {calls}, extracted {extracted}, cached {cached:,} of {args.n:,}",
            "0 calls",
            calls == 0 and extracted == 0 and cached == args.n,
            command,
        ),
    ]


# -- rules-throughput ------------------------------------------------------------------------------


def cmd_rules_throughput(args: argparse.Namespace) -> list[Row]:
    command = f"{PY} {SCRIPT} rules-throughput --n {args.n}"
    backend = RulesBackend()
    run_s: list[float] = []
    ingest_s: list[float] = []
    extract_s: list[float] = []
    ground_s: list[float] = []
    with fresh_dir() as folder:
        source, _ = make_input(folder, args.n, args.seed)
        for i in range(args.repeat):
            db = folder / f"run{i}.duckdb"
            with Store(db) as store:
                elapsed, report = timed(lambda store=store: pipeline.run([source], store, backend))
            assert report.extracted == args.n, report
            run_s.append(elapsed)
            log(f"pipeline.run {i + 1}: {elapsed:.1f} s ({args.n / elapsed:,.0f} papers/s)")
            db.unlink()
            db = folder / f"ingest{i}.duckdb"
            with Store(db) as store:
                elapsed, report = timed(lambda store=store: pipeline.ingest([source], store))
            assert report.read == args.n, report
            ingest_s.append(elapsed)
            log(f"pipeline.ingest {i + 1}: {elapsed:.1f} s ({args.n / elapsed:,.0f} papers/s)")
            db.unlink()
        papers = load_papers(source)
        for i in range(args.repeat):
            elapsed, summaries = timed(
                lambda: [extract_summary(p.title, p.abstract) for p in papers]
            )
            extract_s.append(elapsed)
            log(f"extract_summary {i + 1}: {elapsed:.1f} s ({args.n / elapsed:,.0f} papers/s)")
            elapsed, _ = timed(
                lambda summaries=summaries: [
                    ground(s, p.abstract) for s, p in zip(summaries, papers, strict=True)
                ]
            )
            ground_s.append(elapsed)
            log(f"ground {i + 1}: {elapsed:.1f} s ({args.n / elapsed:,.0f} papers/s)")
            del summaries
        if getattr(args, "profile", None):
            maybe_profile(
                args,
                "extract_summary",
                lambda: [extract_summary(p.title, p.abstract) for p in papers[:20000]],
            )
            with Store(folder / "profile.duckdb") as store:
                maybe_profile(args, "rules_run", lambda: pipeline.run([source], store, backend))
    n = args.n
    rate = n / median(run_s)
    t_run, t_ing, t_ext, t_gr = (median(x) for x in (run_s, ingest_s, extract_s, ground_s))
    parts = t_ing + t_ext + t_gr

    def part(label: str, t: float) -> Row:
        return Row(
            f"  split: {label}",
            f"{n / t:,.0f} papers/s single process ({t:.1f} s; {t / parts:.0%} of the parts)",
            "—",
            None,
            command,
        )

    return [
        Row(
            f"pipeline.run, rules, {n:,} papers, fresh DB (end to end; {workers_note()})",
            f"{rate:,.0f} papers/s ({t_run:.1f} s median{spread(run_s, '{:.1f}')})",
            "≥ 2,000 papers/s",
            rate >= 2000,
            command,
        ),
        part("ingest alone (pipeline.ingest: parse + store papers)", t_ing),
        part("rules extraction alone (extract_summary in-process)", t_ext),
        part("grounding alone (grounding.ground on those summaries)", t_gr),
        Row(
            "  split: sum of the parts vs end to end",
            f"{parts:.1f} s of single-process work vs {t_run:.1f} s end to end "
            f"(extraction + grounding run in worker processes, overlapping ingest and writes)",
            "—",
            None,
            command,
        ),
    ]


# -- store-write -----------------------------------------------------------------------------------


def cmd_store_write(args: argparse.Namespace) -> list[Row]:
    """The DuckDB write of one batch, apart from building its Arrow table.

    In a ``rules`` run the worker processes build each batch's Arrow table, so the parent's
    share is exactly ``Store.save(table)``; building the table from Python objects is
    reported on its own row (the ``openai`` path pays it, a few hundred rows at a time).
    """
    command = f"{PY} {SCRIPT} store-write --n {args.n}"
    backend = RulesBackend()
    identity = backend.identity
    write_times: list[float] = []
    build_times: list[float] = []
    with fresh_dir() as folder:
        source, _ = make_input(folder, args.n, args.seed)
        papers = load_papers(source)
        base = folder / "base.duckdb"
        with Store(base) as store:
            # as in a run: papers are stored pointing at the result they are about to get
            outcome = store.add_papers(papers, identity.digest)
        papers = outcome.papers
        log(f"stored {len(papers):,} papers; extracting + grounding (untimed) ...")
        jobs = make_jobs(papers, backend)
        extractions = [
            Extraction(
                job.paper.paper_id,
                job.cache_key,
                identity,
                ground(backend.extract(job.paper), job.paper.abstract),
            )
            for job in jobs
        ]
        log(f"built {len(extractions):,} extractions")
        for i in range(args.repeat):
            build_s, table = timed(lambda: EXTRACTIONS.arrow(extractions))
            build_times.append(build_s)
            db = folder / f"write{i}.duckdb"
            shutil.copyfile(base, db)
            with Store(db) as store:
                elapsed, _ = timed(lambda store=store, table=table: store.save(table))
                stored = store.query("select count(*) from extractions")[0][0]
                ok = store.query("select count(*) from summaries where status = 'ok'")[0][0]
            assert stored == len(extractions) and ok == len(papers), (stored, ok)
            write_times.append(elapsed)
            log(f"Store.save {i + 1}: {elapsed:.2f} s (Arrow table built in {build_s:.2f} s)")
            db.unlink()
        if getattr(args, "profile", None):
            db = folder / "profile.duckdb"
            shutil.copyfile(base, db)
            with Store(db) as store:
                maybe_profile(args, "store_save", lambda: store.save(table))
    t = median(write_times)
    b = median(build_times)
    return [
        Row(
            f"Store.save of {args.n:,} summaries as one Arrow table (the DuckDB write, committed)",
            f"{t:.2f} s median{spread(write_times)}; {args.n / t:,.0f} rows/s",
            "≤ 1 s",
            t <= 1,
            command,
        ),
        Row(
            "  building that Arrow table from Extraction objects (columns.EXTRACTIONS.arrow)",
            f"{b:.2f} s median{spread(build_times)} (done in the worker processes in a rules run)",
            "—",
            None,
            command,
        ),
    ]


# -- stream-1m -------------------------------------------------------------------------------------


def _parse_gnu_time(stderr: str) -> tuple[int | None, str | None]:
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", stderr)
    return (int(rss.group(1)) if rss else None), (wall.group(1) if wall else None)


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (worker processes included)."""
    found = [pid]
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            kids = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            found.extend(_tree(int(kid)))
    return found


def _kib(path: str, key: str) -> int:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _poll_tree(
    pid: int, done: threading.Event, box: dict[str, Any], timeline: list[tuple[int, int, int]]
) -> None:
    """Peak over time of the whole process tree: sum of VmRSS, sum of PSS, max VmHWM."""
    while not done.is_set():
        pids = _tree(pid)
        rss = sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
        pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
        hwm = max(_kib(f"/proc/{p}/status", "VmHWM:") for p in pids)
        box["rss_sum"] = max(box.get("rss_sum", 0), rss)
        box["pss_sum"] = max(box.get("pss_sum", 0), pss)
        box["hwm_max"] = max(box.get("hwm_max", 0), hwm)
        box["procs"] = max(box.get("procs", 0), len(pids))
        now = time.perf_counter()
        if now - box.get("last", 0) >= 15:
            box["last"] = now
            timeline.append((round(now - box.setdefault("t0", now)), pss // 1024, rss // 1024))
        done.wait(0.2)


def run_measured(cmd: list[str], log_path: Path) -> dict[str, Any]:
    """Run a command; return elapsed, exit code, output and its memory peaks (KiB).

    A single process's peak is what ``/usr/bin/time -v`` reports (ru_maxrss: the largest
    single process, *not* a sum over worker processes). Because ``summarizer run`` may fork
    extraction workers, the process tree is also polled every 0.2 s from /proc: the peak of
    the summed VmRSS (over-counts pages shared after fork) and of the summed PSS (shared
    pages split between the processes: the tree's real footprint).
    """
    full = [str(GNU_TIME), "-v", *cmd] if GNU_TIME.exists() else cmd
    box: dict[str, Any] = {}
    timeline: list[tuple[int, int, int]] = []
    done = threading.Event()
    started = time.perf_counter()
    popen = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    poller = threading.Thread(target=_poll_tree, args=(popen.pid, done, box, timeline), daemon=True)
    poller.start()
    out_b, err_b = popen.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    poller.join()
    stdout, stderr = out_b.decode(errors="replace"), err_b.decode(errors="replace")
    gnu_kib, wall = _parse_gnu_time(stderr) if GNU_TIME.exists() else (None, None)
    trace = "\n".join(f"{t:>6} s  PSS {p:>6} MiB  RSS {r:>6} MiB" for t, p, r in timeline)
    log_path.write_text(
        f"$ {' '.join(full)}\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n"
        f"--- process-tree memory every 15 s (summed over processes)\n{trace}\n"
    )
    return {
        "elapsed": elapsed,
        "gnu_kib": gnu_kib,
        "wall": wall,
        "code": popen.returncode,
        "timeline": timeline,
        "stdout": stdout,
        "stderr": stderr,
        **{k: v for k, v in box.items() if k not in ("last", "t0")},
    }


def cmd_stream_1m(args: argparse.Namespace) -> list[Row]:
    command = f"{PY} {SCRIPT} stream-1m --n {args.n}"
    workdir = Path(args.workdir)
    with fresh_dir(keep=workdir) as folder:
        source, gen_s = make_input(folder, args.n, args.seed)
        db = folder / "scale.duckdb"
        cli = [str(SUMMARIZER), "run", str(source), "--backend", "rules", "--db", str(db), "-q"]
        log(f"running: {' '.join(cli)} (this takes a while) ...")
        result = run_measured(cli, folder / "stream_run.log")
        log(
            f"exit {result['code']} after {result['elapsed']:.0f} s; peak KiB: PSS sum "
            f"{result.get('pss_sum')}, RSS sum {result.get('rss_sum')}, single {result.get('gnu_kib')}"
        )
        if result["code"] != 0:
            log(result["stderr"][-2000:])
        con = duckdb.connect(str(db), read_only=True)
        papers, ok = con.execute(
            "select count(*), count(*) filter (where status = 'ok') from summaries"
        ).fetchone()
        distinct = con.execute("select count(distinct content_hash) from paper_records").fetchone()[
            0
        ]
        con.close()
        size = db.stat().st_size
    cli_shown = f".venv/bin/summarizer run {source.name} --backend rules --db {db.name} -q"

    def mb(kib: int | None) -> str:
        return f"{kib * 1024 / 1e6:,.0f} MB" if kib else "n/a"

    pss = result.get("pss_sum")
    peak_text = (
        f"{mb(pss)} total PSS over {result.get('procs', 1)} processes "
        f"(summed RSS {mb(result.get('rss_sum'))}; largest single process "
        f"{mb(result.get('gnu_kib'))} by /usr/bin/time -v, {mb(result.get('hwm_max'))} VmHWM)"
    )
    rows = [
        Row(
            f"generate {args.n:,} synthetic abstracts to JSONL (bench/synthetic.py)",
            f"{gen_s:.1f} s ({args.n / gen_s:,.0f} papers/s), {source.stat().st_size / 1e6:,.0f} MB",
            "well under 2 min",
            gen_s < 120,
            f"{PY} bench/synthetic.py --n {args.n} --out FILE.jsonl",
        ),
        Row(
            f"`summarizer run` {args.n:,} papers, rules, subprocess: peak RSS",
            peak_text,
            "≤ 500 MB",
            pss is not None and pss * 1024 / 1e6 <= 500,
            f"{command}  →  {cli_shown}",
        ),
        Row(
            f"`summarizer run` {args.n:,} papers, rules, subprocess: elapsed",
            f"{result['elapsed']:,.0f} s ({args.n / result['elapsed']:,.0f} papers/s), exit {result['code']}; "
            f"DB {size / 1e9:.2f} GB, {papers:,} papers ({ok:,} ok, {distinct:,} distinct texts)",
            "— (once)",
            None,
            f"{command}  →  {cli_shown}",
        ),
    ]
    log(f"kept {db} for sql-1m")
    return rows


# -- sql-1m ----------------------------------------------------------------------------------------


def readme_queries(readme: Path = ROOT / "README.md") -> list[tuple[str, str]]:
    """(label, sql) for each statement of the README's "Example queries" sql block."""
    text = readme.read_text()
    anchor = text.index("Example queries")
    block = re.search(r"```sql\n(.*?)```", text[anchor:], re.DOTALL)
    if block is None:
        raise SystemExit("README.md: no ```sql block after 'Example queries'")
    queries = []
    for chunk in block.group(1).split(";"):
        lines = [ln for ln in chunk.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        label = " ".join(ln.strip()[2:].strip() for ln in lines if ln.strip().startswith("--"))
        sql = "\n".join(ln for ln in lines if not ln.strip().startswith("--")).strip()
        if sql:
            queries.append((label or sql.splitlines()[0], sql))
    return queries


def cmd_sql_1m(args: argparse.Namespace) -> list[Row]:
    command = f"{PY} {SCRIPT} sql-1m"
    db = Path(args.db) if args.db else Path(args.workdir) / "scale.duckdb"
    if not db.exists():
        raise SystemExit(f"no database at {db}; run `{PY} {SCRIPT} stream-1m` first or pass --db")
    queries = readme_queries()
    medians: dict[tuple[str, str], tuple[float, list[float], int]] = {}
    papers = 0

    def plain() -> Any:
        return duckdb.connect(str(db), read_only=True)

    def as_cli() -> Any:
        return Store(db, read_only=True)  # exactly how `summarizer sql` opens it

    for variant, opener in (("plain", plain), ("cli", as_cli)):
        handle = opener()
        con = handle.con if isinstance(handle, Store) else handle
        papers = con.execute("select count(*) from papers").fetchone()[0]
        for label, sql in queries:
            times: list[float] = []
            count = 0
            for _ in range(args.repeat_sql):
                elapsed, result = timed(lambda sql=sql, con=con: con.execute(sql).fetchall())
                times.append(elapsed)
                count = len(result)
            medians[(variant, label)] = (median(times), times, count)
            log(f"[{variant}] {label}: {median(times) * 1000:.0f} ms median, {count:,} rows")
        handle.close()
    rows: list[Row] = []
    for label, _ in queries:
        t, times, count = medians[("plain", label)]
        figure = f"{t * 1000:,.0f} ms median of {len(times)}{spread([x * 1000 for x in times], '{:.0f}')}; {count:,} rows"
        met = t < 1
        if ("cli", label) in medians:
            t_cli, _, _ = medians[("cli", label)]
            figure += (
                f"; {t_cli * 1000:,.0f} ms via Store(read_only=True), as `summarizer sql` opens it"
            )
            met = met and t_cli < 1
        rows.append(
            Row(f"README query on {papers:,} papers: “{label}”", figure, "< 1 s", met, command)
        )
    with tempfile.TemporaryDirectory(prefix="summarizer-scale-export-") as tmp:
        out = Path(tmp) / "x.csv"
        cli = [str(SUMMARIZER), "export", "--out", str(out), "--db", str(db)]
        times = []
        size = 0
        failure = ""
        for _ in range(args.repeat_export):
            out.unlink(missing_ok=True)
            elapsed, proc = timed(
                lambda: subprocess.run(cli, capture_output=True, text=True, check=False)
            )
            times.append(elapsed)
            size = out.stat().st_size if out.exists() else 0
            log(f"export: {elapsed:.1f} s, exit {proc.returncode}, {size / 1e6:,.0f} MB")
            if proc.returncode != 0:
                failure = f"exit {proc.returncode}: {' '.join(proc.stderr.split())[:160]}"
                log(proc.stderr[-2000:])
                break
    t = median(times)
    figure = f"{t:.1f} s median of {len(times)}{spread(times, '{:.1f}')}; {size / 1e6:,.0f} MB CSV"
    rows.append(
        Row(
            f"`summarizer export --out x.csv` on {papers:,} papers (subprocess)",
            f"FAILED after {t:.1f} s ({failure})" if failure else figure,
            "— (no target; must succeed)",
            False if failure else None,
            f"{command}  →  .venv/bin/summarizer export --out x.csv --db scale.duckdb",
        )
    )
    return rows


# -- main ------------------------------------------------------------------------------------------


def cmd_all(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    steps: list[tuple[str, Callable[[argparse.Namespace], list[Row]], int]] = [
        ("cached-rerun", cmd_cached_rerun, args.n),
        ("rules-throughput", cmd_rules_throughput, args.n),
        ("store-write", cmd_store_write, args.n),
        ("stream-1m", cmd_stream_1m, args.n_1m),
        ("sql-1m", cmd_sql_1m, 0),
    ]
    for name, fn, n in steps:
        sub = argparse.Namespace(**vars(args))
        sub.n = n
        log(f"=== {name} ===")
        part = fn(sub)
        print_table(part, name)
        rows.extend(part)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, fn: Callable[[argparse.Namespace], list[Row]], n: int | None
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name)
        if n is not None:
            p.add_argument("--n", type=int, default=n, help=f"papers (default {n:,})")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--repeat", type=int, default=3, help="timed repeats (median)")
        p.add_argument(
            "--workdir", default=str(DEFAULT_WORKDIR), help="where stream-1m keeps its DB"
        )
        p.add_argument(
            "--profile", metavar="DIR", help="also profile the timed section with pyinstrument"
        )
        p.set_defaults(fn=fn)
        return p

    add("cached-rerun", cmd_cached_rerun, 100_000)
    add("rules-throughput", cmd_rules_throughput, 100_000)
    add("store-write", cmd_store_write, 100_000)
    add("stream-1m", cmd_stream_1m, 1_000_000)
    p = add("sql-1m", cmd_sql_1m, None)
    p.add_argument("--db", help="database to query (default: the one stream-1m kept)")
    p.add_argument("--repeat-sql", type=int, default=5)
    p.add_argument("--repeat-export", type=int, default=3)
    p = add("all", cmd_all, 100_000)
    p.add_argument("--n-1m", type=int, default=1_000_000)
    p.add_argument("--db", default=None)
    p.add_argument("--repeat-sql", type=int, default=5)
    p.add_argument("--repeat-export", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    before = code_fingerprint()
    log(f"summarizer code {before}; {workers_note()} for rules")
    rows = args.fn(args)
    after = code_fingerprint()
    title = "all scale measurements" if args.command == "all" else args.command
    print_table(
        rows,
        f"{title} (machine: {os.cpu_count()} cores; total {time.perf_counter() - started:,.0f} s)",
    )
    print(f"\nsummarizer code: {before} at start, {after} at end", end="")
    print(" (unchanged)" if before == after else " -- CHANGED DURING THE RUN: re-run to be sure")


if __name__ == "__main__":
    main()
