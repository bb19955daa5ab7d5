"""`summarizer show PAPER`: one paper's whole extraction, every value at its evidence.

A paper is found by paper id, arXiv id (any spelling: ``2401.01234``, ``arXiv:2401.01234v2``,
an abs URL) or a fragment of its title. On a terminal the abstract is printed with each
value's evidence highlighted; ``--format json`` gives the same as one object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rich.console import Group
from rich.text import Text

from summarizer.core.errors import ConfigError
from summarizer.core.fields import BY_NAME, FIELDS
from summarizer.core.paper import parse_arxiv_id
from summarizer.grounding import locate
from summarizer.outputs.values import gain_text, result_text
from summarizer.store.store import Store

MAX_LISTED = 10


def _size_words(size: dict[str, Any]) -> str:
    text = f"{size['text']} ({size['params']:g})" if size["params"] else size["text"]
    return text + (f", {size['role']}" if size.get("role") else "")


@dataclass(frozen=True)
class Shown:
    """How ``show`` prints the values of one field of :data:`FIELDS`."""

    words: Callable[[dict[str, Any]], str]
    """One value in words, after its label ("gain: ")."""
    marked: str
    """The item key whose text is highlighted at the value's span (the value as written)."""
    style: str
    """Its highlight in the abstract."""
    quote: bool = True
    """Whether the line ends with the value's «evidence»."""


SHOWN: dict[str, Shown] = {
    "links": Shown(lambda link: f"{link['url']} ({link['kind']})", "url", "green", quote=False),
    "model_sizes": Shown(_size_words, "text", "bold cyan"),
    "gains": Shown(gain_text, "evidence", "bold yellow"),
    "results": Shown(result_text, "evidence", "bold magenta"),
}
"""Per field of :data:`FIELDS` (a contract test checks each has one)."""

_STYLES = {
    "task": "underline",
    "method": "bold",
    "code_url": "bold green",
    **{BY_NAME[name].label: shown.style for name, shown in SHOWN.items()},
}


@dataclass
class Evidence:
    field: str
    text: str
    start: int | None
    end: int | None


@dataclass
class PaperDetail:
    paper: dict[str, Any]
    extraction: dict[str, Any] | None
    failures: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


def _rows(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with store.session() as con:
        cursor = con.execute(sql, params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def find_paper(store: Store, query: str) -> dict[str, Any]:
    """The one paper ``query`` names; a clear error when it names none or several."""
    wanted = query.strip()
    if not wanted:
        raise ConfigError("show needs a paper id, an arXiv id or part of a title")
    columns = (
        "paper_id, title, abstract, arxiv_id, url, published, authors, first_seen, sources, "
        "upvotes, repo_url"
    )
    matches = _rows(store, f"SELECT {columns} FROM papers WHERE paper_id = ?", [wanted])
    arxiv = parse_arxiv_id(wanted)
    if not matches and arxiv:
        matches = _rows(store, f"SELECT {columns} FROM papers WHERE arxiv_id = ?", [arxiv])
    if not matches:
        escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches = _rows(
            store,
            f"SELECT {columns} FROM papers WHERE title ILIKE ? ESCAPE '\\' "
            "ORDER BY first_seen DESC, paper_id LIMIT ?",
            [f"%{escaped}%", MAX_LISTED + 1],
        )
    if not matches:
        raise ConfigError(
            f"no paper matches {wanted!r}; give a paper id, an arXiv id or part of a title "
            '(see `summarizer sql "select paper_id, title from papers"`)'
        )
    if len(matches) > 1:
        listed = "; ".join(f"{m['paper_id']} {m['title'][:60]!r}" for m in matches[:MAX_LISTED])
        more = " and more" if len(matches) > MAX_LISTED else ""
        raise ConfigError(
            f"{len(matches) if len(matches) <= MAX_LISTED else 'several'} papers match "
            f"{wanted!r}: {listed}{more}; pass a paper id"
        )
    return matches[0]


def paper_detail(store: Store, query: str) -> PaperDetail:
    paper = find_paper(store, query)
    extractions = _rows(
        store,
        "SELECT e.* FROM extractions e JOIN paper_records p ON e.cache_key = p.current_key "
        "WHERE p.paper_id = ?",
        [paper["paper_id"]],
    )
    failures = _rows(
        store,
        "SELECT stage, error_type, message, attempts, source, record, failed_at, backend, model "
        "FROM failures WHERE paper_id = ? ORDER BY failed_at",
        [paper["paper_id"]],
    )
    extraction = extractions[0] if extractions else None
    if extraction is not None:
        _evidence_text(paper["abstract"], extraction)
    detail = PaperDetail(paper, extraction, failures)
    if extraction is not None:
        detail.evidence = _evidence(paper["abstract"], extraction)
    return detail


def _evidence_text(abstract: str, row: dict[str, Any]) -> None:
    """Evidence stored as a span of the abstract (migration 8), read back as text."""

    def text(value: Any, start: Any, end: Any) -> Any:
        return abstract[start:end] if value is None and start is not None else value

    for name in ("task_evidence", "method_evidence", "code_url_evidence"):
        row[name] = text(row.get(name), row.get(f"{name}_start"), row.get(f"{name}_end"))
    for f in FIELDS:
        if not f.spans_evidence:
            continue
        for item in row.get(f.name) or []:
            item["evidence"] = text(
                item.get("evidence"), item.get("evidence_start"), item.get("evidence_end")
            )


def _evidence(abstract: str, row: dict[str, Any]) -> list[Evidence]:
    found: list[Evidence] = []

    def quoted(name: str, text: str | None) -> None:
        span = locate(text, abstract) if text else None
        if text:
            found.append(
                Evidence(name, text, span.start if span else None, span.end if span else None)
            )

    quoted("task", row.get("task_evidence"))
    quoted("method", row.get("method_evidence"))
    quoted("code_url", row.get("code_url_evidence"))
    for f in FIELDS:
        marked = SHOWN[f.name].marked
        for value in row.get(f.name) or []:
            found.append(
                Evidence(f.label, str(value[marked]), value["start_char"], value["end_char"])
            )
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def detail_json(detail: PaperDetail) -> dict[str, Any]:
    return _plain(
        {
            "paper": detail.paper,
            "extraction": detail.extraction,
            "evidence": [e.__dict__ for e in detail.evidence],
            "failures": detail.failures,
        }
    )


def _grounded(flag: Any) -> Text:
    if flag is None:
        return Text("")
    return Text(" grounded", style="green") if flag else Text(" UNGROUNDED", style="bold red")


def render(detail: PaperDetail) -> Group:
    """The paper for a terminal; every piece of stored text is shown literally."""
    paper, row = detail.paper, detail.extraction
    parts: list[Any] = [Text(paper["title"], style="bold")]
    ids = f"paper_id {paper['paper_id']}"
    if paper.get("arxiv_id"):
        ids += f" · arXiv {paper['arxiv_id']}"
    if paper.get("first_seen"):
        ids += f" · first seen {paper['first_seen']}"
    if paper.get("upvotes") is not None:
        ids += f" · upvotes {paper['upvotes']}"
    parts.append(Text(ids, style="dim"))
    abstract = Text(paper["abstract"])
    for evidence in detail.evidence:
        if evidence.start is not None and evidence.end is not None:
            abstract.stylize(_STYLES.get(evidence.field, "bold"), evidence.start, evidence.end)
    parts += [Text(""), abstract, Text("")]
    if row is None:
        status = "failed" if detail.failures else "pending (not extracted yet)"
        parts.append(Text(f"status: {status}"))
    else:
        parts.append(
            Text(f"backend {row['backend']} ({row['model']}) · extracted {row['extracted_at']}")
        )
        parts.append(Text.assemble(("task: ", "bold"), row.get("task") or "-"))
        if row.get("task_category"):
            parts.append(Text.assemble(("category: ", "bold"), row["task_category"]))
        method = row.get("method_name") or "-"
        if row.get("method_description"):
            method += f": {row['method_description']}"
        parts.append(Text.assemble(("method: ", "bold"), method))
        code = Text.assemble(("code_url: ", "bold"), row.get("code_url") or "-")
        if row.get("code_url"):
            code += _grounded(row.get("code_url_grounded"))
        elif paper.get("repo_url"):  # none in the abstract: the repository a source lists
            code = Text.assemble(
                ("code_url: ", "bold"), paper["repo_url"], (" (listed by the source)", "dim")
            )
        parts.append(code)
        for f in FIELDS:
            shown = SHOWN[f.name]
            for value in row.get(f.name) or []:
                line = Text.assemble((f"{f.label.replace('_', ' ')}: ", "bold"), shown.words(value))
                line += _grounded(value["grounded"])
                if shown.quote:
                    line += Text(f"  «{value['evidence']}»", style="dim")
                parts.append(line)
        if row.get("grounded_ratio") is not None:
            parts.append(Text(f"grounded {row['grounded_ratio']:.0%} of checked values"))
    for failure in detail.failures:
        parts.append(
            Text(
                f"failed ({failure['stage']}, {failure['error_type']}): {failure['message']}",
                style="red",
            )
        )
    return Group(*parts)


def recent_runs(store: Store, limit: int | None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The newest ``limit`` rows of the ``runs`` view (None: all), newest first."""
    with store.session() as con:
        cursor = con.execute(
            "SELECT started_at, seconds, backend, model, papers_read, cached, extracted, failed, "
            "rejected, tokens, cost_usd, status, probe FROM runs ORDER BY started_at DESC LIMIT ?",
            [limit],
        )
        return [d[0] for d in cursor.description or []], cursor.fetchall()
