"""`summarizer report`: a visual digest in ONE self-contained HTML file (or a Markdown digest).

The HTML file carries everything inline: the vendored Vega, Vega-Lite and Vega-Embed
builds (``outputs/vendor/``, written by ``scripts/vendor_js.sh``; about 0.85 MB together,
so 1,000 papers with their abstracts stay well under 3 MB), the styles, the script and the
data. A Content-Security-Policy (``default-src 'none'``) keeps the page from making any
network request when opened.

Data come from the public views (summaries, papers, runs and the view of each value field of
:data:`~summarizer.core.fields.FIELDS`: links, model_sizes, gains, results) with the same ``--where``/``--since`` semantics as ``export``: ``--where`` is a filter on the
summaries view and picks the papers; every other view is read for those papers. The
runs chart is not filtered by paper (a run has none); ``--since`` applies to its start.

Nothing read from the database is written into the page as markup: the data are one JSON
document in a ``<script type="application/json">`` with ``<`` escaped as ``\\u003c`` (no
``</script>`` can end it early), and the page's script builds the DOM with ``textContent``.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from summarizer.core.errors import ConfigError
from summarizer.core.fields import BY_NAME, FIELDS
from summarizer.outputs.values import gain_text, result_text, with_unit
from summarizer.store.paths import refuse_to_overwrite_a_database

if TYPE_CHECKING:
    from summarizer.store.store import Store

REPORT_FORMATS = ("html", "md")
VENDOR_FILES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
DEFAULT_TITLE = "Paper digest"
TOP_BENCHMARKS = 25
CHART_TEXT = 80
"""Characters of stored text a chart label or tooltip shows (a benchmark name can be long)."""
_CONTROLS = dict.fromkeys((*range(0x20), 0x7F), " ")
"""Control characters (a newline, an escape) read as spaces in one-line text."""


@dataclass(frozen=True)
class Reported:
    """How the report reads and shows the values of one field of :data:`FIELDS`."""

    columns: str
    """What it reads from the field's view, besides paper_id, grounded, start_char, end_char."""
    text: Callable[[dict[str, Any]], str]
    """One value in words: its highlight's label in the viewer, its entry in the table."""
    words: str
    """The field's name in the viewer's legend."""
    colour: str
    """Its highlight in the abstract."""


REPORTED: dict[str, Reported] = {
    "links": Reported("url, kind, is_code_url", lambda v: str(v["url"]), "link", "#d3f3d9"),
    "model_sizes": Reported(
        "params, text, coalesce(role, 'own') AS role, task_category",
        lambda v: str(v["text"]), "model size", "#b9dcff",
    ),
    "gains": Reported(
        "metric, value, unit, benchmark, baseline, evidence, title", gain_text, "gain", "#ffdf8a"
    ),
    "results": Reported(
        "benchmark, metric, value, unit, setting, evidence, title",
        result_text, "result", "#f5c2e0",
    ),
}  # fmt: skip
"""Per field of :data:`FIELDS` (a contract test checks each has one)."""

MARKS: dict[str, tuple[str, str]] = {
    "code_url": ("code URL", "#9be7a8"),
    **{BY_NAME[name].label: (shown.words, shown.colour) for name, shown in REPORTED.items()},
    "method": ("method", "#e3cdff"),
    "task": ("task", "#e07a5f"),
}
"""What the viewer highlights (``data-field``), in legend order: its words and colour."""


def _filters(where: str | None, since: date | None, new: bool = False) -> str:
    from summarizer.outputs.export import _filters as export_filters

    return export_filters(where, since, new)


_ABSTRACT_ONLY = {"links": "AND origin = 'abstract'"}
"""The viewer shows what the abstract says; a source's repository reaches the report as the
paper's ``code_url`` (``code_url_source``), not as a link of the abstract."""


def _rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def collect(
    store: Store, where: str | None = None, since: date | None = None, new: bool = False
) -> dict[str, Any]:
    """Everything the report shows, read from the views, as plain Python values; ``new``:
    only the papers first stored since the last run started."""
    import duckdb

    chosen = f"SELECT paper_id FROM summaries {_filters(where, since, new)}"
    with store.session() as con:
        try:
            papers = _rows(
                con,
                f"""
                WITH sel AS (SELECT * FROM summaries {_filters(where, since, new)})
                SELECT sel.paper_id, sel.title, sel.task_category, sel.method_name,
                       sel.code_url, sel.code_url_grounded,
                       CAST(sel.first_seen AS VARCHAR) AS first_seen, sel.grounded_ratio,
                       sel.task_evidence, sel.status, p.abstract
                FROM sel JOIN papers p USING (paper_id)
                ORDER BY sel.first_seen, sel.paper_id
                """,
            )
        except duckdb.Error as exc:
            if where:
                text = str(exc).strip().splitlines()
                raise ConfigError(
                    f"--where {where!r} is not a valid filter on the summaries view: "
                    f"{text[0] if text else type(exc).__name__}"
                ) from None
            raise
        values = {
            f.name: _rows(
                con,
                f"SELECT paper_id, {REPORTED[f.name].columns}, grounded, start_char, end_char "
                f"FROM {f.name} WHERE paper_id IN ({chosen}) {_ABSTRACT_ONLY.get(f.name, '')}"
                f"ORDER BY paper_id, start_char NULLS LAST",
            )
            for f in FIELDS
        }
        run_filter = f"AND started_at >= DATE '{since.isoformat()}'" if since else ""
        runs = _rows(
            con,
            "SELECT CAST(started_at AS VARCHAR) AS started_at, backend, model, tokens, "
            "cost_usd, extracted FROM runs "
            f"WHERE coalesce(backend, '') NOT IN ('', 'rules') {run_filter} ORDER BY started_at",
        )
    return {"papers": papers, **values, "runs": runs}


# -- shaping ------------------------------------------------------------------------------------


def _short(text: Any, limit: int = CHART_TEXT) -> str:
    """Stored text cut for a chart's label or tooltip: one line, at most ``limit`` characters."""
    one_line = " ".join(str(text or "").translate(_CONTROLS).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "\u2026"


def _utf16(text: str) -> Any:
    """A function mapping a code-point offset of ``text`` to its UTF-16 offset (JavaScript's)."""
    if all(ord(c) < 0x10000 for c in text):
        return lambda i: i
    prefix = [0]
    for c in text:
        prefix.append(prefix[-1] + (2 if ord(c) >= 0x10000 else 1))
    return lambda i: prefix[max(0, min(i, len(text)))]


def _find(needle: str | None, haystack: str) -> tuple[int, int] | None:
    if not needle:
        return None
    at = haystack.find(needle)
    if at < 0:
        at = haystack.lower().find(needle.lower())
    if at < 0:
        from summarizer.grounding import locate

        span = locate(needle, haystack)
        return (span.start, span.end) if span else None
    return at, at + len(needle)


def _span_ok(start: Any, end: Any, length: int) -> bool:
    return isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length


def shape(data: dict[str, Any], title: str) -> dict[str, Any]:
    """The JSON document the page reads: papers (compact rows) and one dataset per chart."""
    by_paper: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for f in FIELDS:
        for row in data[f.name]:
            by_paper.setdefault(row["paper_id"], {}).setdefault(f.name, []).append(row)
    papers = []
    for p in data["papers"]:
        abstract = p["abstract"] or ""
        n = len(abstract)
        to16 = _utf16(abstract)
        extra = by_paper.get(p["paper_id"], {})
        spans: list[list[Any]] = []  # [field, start, end, label, grounded]
        loose: list[list[Any]] = []  # [field, label, grounded]: no span in the abstract

        def add(field: str, start: Any, end: Any, label: str, grounded: Any) -> None:
            ok = 1 if grounded is None or grounded else 0
            if _span_ok(start, end, n):  # noqa: B023 (used at once)
                # a label that is the span's own text is not repeated: the page slices it
                same = abstract[start:end] == label  # noqa: B023
                spans.append([field, to16(start), to16(end), None if same else label, ok])  # noqa: B023
            else:
                loose.append([field, label, ok])  # noqa: B023

        code_span = None
        for f in FIELDS:
            for v in extra.get(f.name, []):
                code_link = f.name == "links" and v["is_code_url"]
                if code_link and _span_ok(v["start_char"], v["end_char"], n):
                    code_span = (v["start_char"], v["end_char"])  # highlighted as code_url
                    continue
                add(
                    f.label, v["start_char"], v["end_char"], REPORTED[f.name].text(v), v["grounded"]
                )
        if p.get("code_url"):
            code_span = code_span or _find(p["code_url"], abstract)
            start, end = code_span or (None, None)
            add("code_url", start, end, p["code_url"], p.get("code_url_grounded"))
        own_sizes = [
            s["text"]
            for s in extra.get("model_sizes", [])
            if s["role"] == "own" and s["params"] is not None
        ]
        gains = [gain_text(g) for g in extra.get("gains", [])]
        results = [result_text(r) for r in extra.get("results", [])]
        if p.get("method_name"):
            start, end = _find(p["method_name"], abstract) or (None, None)
            add("method", start, end, p["method_name"], start is not None)
        if p.get("task_evidence"):
            start, end = _find(p["task_evidence"], abstract) or (None, None)
            add("task", start, end, p["task_evidence"], start is not None)
        ratio = p.get("grounded_ratio")
        papers.append(
            [
                p["paper_id"],
                p["title"] or "",
                p.get("task_category") or "",
                p.get("method_name") or "",
                p.get("code_url") or "",
                p.get("first_seen") or "",
                None if ratio is None else round(float(ratio), 3),
                abstract,
                own_sizes,
                gains,
                spans,
                loose,
                results,
            ]
        )
    return {"title": title, "papers": papers, "charts": _charts(data)}


def _charts(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    days: dict[str, list[int]] = {}
    for p in data["papers"]:
        day = p.get("first_seen") or "unknown"
        counts = days.setdefault(day, [0, 0])
        counts[0] += 1
        counts[1] += 1 if p.get("code_url") else 0
    per_day = [
        {"day": d, "papers": c[0], "share_code": round(c[1] / c[0], 4)}
        for d, c in sorted(days.items())
    ]
    sizes = [
        {"category": s["task_category"] or "(none)", "params": s["params"], "text": s["text"]}
        for s in data["model_sizes"]
        if s["role"] == "own" and s["params"] and s["params"] > 0
    ]
    best: dict[str, dict[str, Any]] = {}
    for g in data["gains"]:
        bench = g.get("benchmark")
        if not bench or g.get("value") is None:
            continue
        if bench not in best or g["value"] > best[bench]["value"]:
            best[bench] = g
    top = sorted(best.values(), key=lambda g: -g["value"])[:TOP_BENCHMARKS]
    gains = [
        {
            "benchmark": g["benchmark"],
            "value": g["value"],
            "unit": g.get("unit") or "",
            "claim": gain_text(g),
            "evidence": g.get("evidence") or "",
            "paper": g.get("title") or "",
        }
        for g in top
    ]
    tally: dict[str, list[int]] = {}

    def count(field: str, grounded: Any) -> None:
        if grounded is None:
            return
        t = tally.setdefault(field, [0, 0])
        t[0] += 1
        t[1] += 1 if grounded else 0

    for p in data["papers"]:
        if p.get("code_url"):
            count("code_url", p.get("code_url_grounded"))
    for f in FIELDS:
        for row in data[f.name]:
            count(f.label, row["grounded"])
    grounded = [
        {"field": f, "values": t[0], "share": round(t[1] / t[0], 4)}
        for f, t in sorted(tally.items())
    ]
    runs = [
        {
            "run": f"{r['started_at'][:19]} {r['model'] or r['backend']}",
            "tokens": r["tokens"] or 0,
            "cost": r["cost_usd"] or 0.0,
        }
        for r in data["runs"]
    ]
    return {
        "per_day": per_day,
        "sizes": sizes,
        "gains": gains,
        "results": best_results(data["results"]),
        "grounded": grounded,
        "runs": runs,
    }


LOWER_IS_BETTER = re.compile(
    r"\b(?:error|errors|wer|cer|ter|fid|fvd|kid|perplexity|ppl|loss|nll|mae|mse|rmse|eer|"
    r"latency|distance|bpc|bpb|bits per)\b",
    re.IGNORECASE,
)
"""Metrics whose best value is the lowest (word error rate, FID, perplexity, latency)."""


def best_results(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The best grounded result on each benchmark, metric and unit, with its paper: for the
    :data:`TOP_BENCHMARKS` reported by the most papers. Highest wins, lowest for a metric
    :data:`LOWER_IS_BETTER` names."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if not r.get("grounded") or not r.get("benchmark") or r.get("value") is None:
            continue
        key = (
            str(r["benchmark"]).casefold(),
            str(r.get("metric") or "").casefold(),
            r.get("unit") or "",
        )
        groups.setdefault(key, []).append(r)
    ranked = sorted(groups.items(), key=lambda kv: (-len({r["paper_id"] for r in kv[1]}), kv[0]))
    best = []
    for _key, group in ranked[:TOP_BENCHMARKS]:
        lower = bool(LOWER_IS_BETTER.search(str(group[0].get("metric") or "")))
        top = (min if lower else max)(group, key=lambda r: r["value"])
        named = " \u00b7 ".join(
            str(part) for part in (top["benchmark"], top.get("metric"), top.get("unit")) if part
        )
        best.append(
            {
                "label": _short(named),
                "value": top["value"],
                "unit": top.get("unit") or "(none)",
                "best": _short(
                    f"{with_unit(top['value'], top.get('unit'))} \u00b7 {top.get('title')}"
                ),
                "result": _short(result_text(top)),
                "paper": _short(top.get("title")),
                "better": "lower" if lower else "higher",
                "papers": len({r["paper_id"] for r in group}),
                "evidence": _short(top.get("evidence"), 4 * CHART_TEXT),
            }
        )
    return best


# -- writing ------------------------------------------------------------------------------------


_BIDI_CONTROLS = {c: 0xFFFD for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
"""Right-to-left overrides and isolates: shown as a replacement mark, so a stored title can
never make the page show its text reordered (``txt.exe`` read as ``exe.txt``)."""


def _script_json(document: Any) -> str:
    """JSON safe inside a <script> element: no ``<`` (so no ``</script>`` or ``<!--``), and no
    bidirectional control characters."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    text = text.translate(_BIDI_CONTROLS)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _vendor() -> str:
    folder = resources.files("summarizer.outputs") / "vendor"
    parts = []
    for name in VENDOR_FILES:
        code = (folder / name).read_text(encoding="utf-8")
        if "</script" in code.lower() or "<!--" in code:
            raise ConfigError(f"vendored {name} cannot be inlined safely; re-run vendor_js.sh")
        parts.append(f'<script data-vendor="{name}">{code}</script>')
    return "\n".join(parts)


def _marks_js() -> str:
    """The viewer's fields (``data-field`` to legend words), a JavaScript object literal."""
    return (
        "{"
        + ", ".join(f"{field}: {json.dumps(words)}" for field, (words, _) in MARKS.items())
        + "}"
    )


def _marks_css() -> str:
    """One highlight colour per field; ``task`` is underlined rather than filled."""
    rules = [f".f-{field}{{background:{colour}}}" for field, (_, colour) in MARKS.items()]
    return (
        "".join(rules)
        + f"mark.f-task{{background:none;border-bottom:2px solid {MARKS['task'][1]}}}"
    )


def render_html(document: dict[str, Any]) -> str:
    from summarizer.outputs.report_assets import CSS, JS, TEMPLATE

    return (
        TEMPLATE.replace("%%TITLE%%", html.escape(document["title"]))
        .replace("%%CSS%%", CSS.replace("%%MARKS%%", _marks_css()))
        .replace("%%VENDOR%%", _vendor())
        .replace("%%DATA%%", _script_json(document))
        .replace("%%JS%%", JS.replace("%%MARKS%%", _marks_js()))
    )


def _md_cell(value: Any) -> str:
    text = " ".join(str(value if value is not None else "").translate(_CONTROLS).split())
    return (
        html.escape(text, quote=False).replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")
    )


def render_md(document: dict[str, Any], table_rows: int = 50) -> str:
    papers = document["papers"]
    total = len(papers)
    with_code = sum(1 for p in papers if p[4])
    categories: dict[str, int] = {}
    for p in papers:
        if p[2]:
            categories[p[2]] = categories.get(p[2], 0) + 1
    top_categories = sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    lines = [f"# {_md_cell(document['title'])}", ""]
    lines.append(f"- **Papers:** {total}")
    share = f"{with_code / total:.0%}" if total else "n/a"
    lines.append(f"- **Share with code:** {share} ({with_code} of {total})")
    if top_categories:
        cats = ", ".join(f"{_md_cell(c)} ({n})" for c, n in top_categories)
        lines.append(f"- **Top task categories:** {cats}")
    gains = document["charts"]["gains"][:5]
    if gains:
        lines.append("- **Largest claimed gains:**")
        for g in gains:
            lines.append(f"  - {_md_cell(g['claim'])}: {_md_cell(g['paper'])}")
    results = document["charts"]["results"][:5]
    if results:
        lines.append("- **Best results per benchmark:**")
        for r in results:
            lines.append(
                f"  - {_md_cell(r['result'])}: {_md_cell(r['paper'])} ({r['better']} is better; "
                f"{r['papers']} paper{'s' if r['papers'] != 1 else ''} reporting)"
            )
    lines += [
        "",
        "| title | task category | method | code | own sizes | gains | results | grounded |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in papers[:table_rows]:
        ratio = "" if p[6] is None else f"{p[6]:.0%}"
        cells = (p[1], p[2], p[3], p[4], *("; ".join(p[i]) for i in (8, 9, 12)), ratio)
        lines.append("| " + " | ".join(_md_cell(v) for v in cells) + " |")
    if total > table_rows:
        lines += ["", f"… and {total - table_rows} more papers (see the HTML report)."]
    return "\n".join(lines) + "\n"


_BY_SUFFIX = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


def format_for(out: str | Path) -> str:
    """The format ``out``'s extension names (.md, .markdown, .html, .htm), else HTML."""
    return "html" if str(out) == "-" else _BY_SUFFIX.get(Path(out).suffix.lower(), "html")


def report(
    store: Store,
    out: str | Path,
    where: str | None = None,
    since: date | None = None,
    title: str | None = None,
    fmt: str | None = None,
    stdout: TextIO | None = None,
    new: bool = False,
) -> int:
    """Write the report to ``out`` (``-``: to ``stdout``); returns the number of papers in it.

    The format is ``fmt``, else the one ``out``'s extension names, else HTML. ``new``: only
    the papers first stored since the last run started."""
    fmt = fmt if fmt is not None else format_for(out)
    if fmt not in REPORT_FORMATS:
        raise ConfigError(f"unknown --format {fmt!r}; choose one of {', '.join(REPORT_FORMATS)}")
    if str(out).lower().endswith(".duckdb"):
        raise ConfigError(f"--out {out} names a database; the report is an .html or .md file")
    target = None if str(out) == "-" else Path(out)
    if target is not None:
        refuse_to_overwrite_a_database(target, store.path)
        if target.is_dir():
            raise ConfigError(f"--out {target} is a directory; name a file, e.g. digest.{fmt}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the folder for --out {target} ({exc.strerror})"
            ) from None
        if not os.access(target.parent, os.W_OK) or (
            target.exists() and not os.access(target, os.W_OK)
        ):
            raise ConfigError(
                f"cannot write --out {target} (permission denied); choose a writable location"
            )
    document = shape(collect(store, where, since, new), title or DEFAULT_TITLE)
    text = render_html(document) if fmt == "html" else render_md(document)
    if target is None:
        (stdout or sys.stdout).write(text)
    else:
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write --out {target} ({exc.strerror})") from None
    return len(document["papers"])
