"""Scoring extracted summaries against hand-annotated gold (see tests/data/GOLD.md).

Pure functions only: the CLI and the database decide where predictions and gold
come from and where scores go. Papers are matched by normalised title because
gold files are keyed by title, not by id.

Gold comes in two formats. A v1 file lists links as URLs and sizes as numbers; a v2 file
adds link kinds, size roles, gain metrics, method aliases and a task category. Each v2
field is scored only over the gold papers that label it, so mixing formats never counts
an unlabelled field as a miss.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from summarizer.core.fields import FIELDS
from summarizer.core.paper import normalise_text
from summarizer.core.schema import Summary
from summarizer.text.metrics import metric_kind
from summarizer.text.urls import normalise_url

SIZE_TOLERANCE = 0.01
GAIN_TOLERANCE = 0.01


@dataclass(frozen=True, slots=True)
class GoldGain:
    value: float
    unit: str | None
    metric: str | None = None
    """v2: the metric class (accuracy, speed, memory, cost, error, other)."""


@dataclass(frozen=True, slots=True)
class GoldResult:
    """v3: an absolute score of the paper's own method."""

    value: float
    benchmark: str | None
    metric: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class GoldLink:
    url: str
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class GoldSize:
    value: float
    role: str | None = None


@dataclass(frozen=True, slots=True)
class GoldRecord:
    """One annotated paper."""

    title: str
    code_url: str | None
    links: tuple[GoldLink, ...]
    model_sizes: tuple[GoldSize, ...]
    gains: tuple[GoldGain, ...]
    method_name: str | None
    method_aliases: tuple[str, ...] = ()
    task_category: str | None = None
    results: tuple[GoldResult, ...] | None = None
    """v3 only: None in older gold, which never labelled results."""

    @property
    def key(self) -> str:
        return normalise_text(self.title)

    @property
    def has_roles(self) -> bool:
        return all(s.role is not None for s in self.model_sizes) and self.task_category is not None


@dataclass(frozen=True, slots=True)
class FieldScore:
    """Precision/recall/F1 for one field; ``support`` counts gold items (or papers)."""

    field: str
    precision: float
    recall: float
    f1: float
    support: int
    extra: dict[str, float] = dataclass_field(default_factory=dict)


def _link(item: Any) -> GoldLink:
    return GoldLink(item) if isinstance(item, str) else GoldLink(item["url"], item.get("kind"))


def _size(item: Any) -> GoldSize:
    if isinstance(item, int | float):
        return GoldSize(float(item))
    return GoldSize(float(item["value"]), item.get("role"))


def gold_record(row: Mapping[str, Any]) -> GoldRecord:
    """One gold line, v1 or v2."""
    return GoldRecord(
        title=row["title"],
        code_url=row.get("code_url"),
        links=tuple(_link(item) for item in row.get("links") or ()),
        model_sizes=tuple(_size(item) for item in row.get("model_sizes") or ()),
        gains=tuple(
            GoldGain(float(g["value"]), g.get("unit"), g.get("metric"))
            for g in row.get("gains") or ()
        ),
        method_name=row.get("method_name"),
        method_aliases=tuple(row.get("method_aliases") or ()),
        task_category=row.get("task_category"),
        results=None
        if "results" not in row
        else tuple(
            GoldResult(float(r["value"]), r.get("benchmark"), r.get("metric"), r.get("unit"))
            for r in row["results"] or ()
        ),
    )


def load_gold(path: str | Path) -> list[GoldRecord]:
    """Read a gold JSONL file; blank lines are ignored."""
    return [
        gold_record(json.loads(line))
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 1.0


def _prf(
    name: str, tp: float, n_pred: float, n_gold: float, support: int, **extra: float
) -> FieldScore:
    precision = _ratio(tp, n_pred)
    recall = _ratio(tp, n_gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return FieldScore(name, precision, recall, f1, support, dict(extra))


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def _matched(pred: Sequence[Any], gold: Sequence[Any], same: Callable[[Any, Any], bool]) -> int:
    """Greedy one-to-one matching, so one prediction never satisfies two gold items."""
    used: set[int] = set()
    hits = 0
    for g in gold:
        for i, p in enumerate(pred):
            if i not in used and same(p, g):
                used.add(i)
                hits += 1
                break
    return hits


def score_code_url(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """Exact match after URL normalisation; null vs null is a true negative."""
    tp = n_pred = n_gold = 0
    correct = total = 0
    for pred, gold in pairs:
        p = normalise_url(pred.code_url) if pred.code_url else None
        g = normalise_url(gold.code_url) if gold.code_url else None
        total += 1
        correct += p == g
        n_pred += p is not None
        n_gold += g is not None
        tp += p is not None and p == g
    return _prf("code_url", tp, n_pred, n_gold, n_gold, accuracy=_ratio(correct, total))


def score_links(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """Micro P/R/F1 over normalised link sets, plus the share of papers exactly right."""
    tp = n_pred = n_gold = exact = papers = 0
    for pred, gold in pairs:
        p = {normalise_url(link.url) for link in pred.links}
        g = {normalise_url(link.url) for link in gold.links}
        tp += len(p & g)
        n_pred += len(p)
        n_gold += len(g)
        exact += p == g
        papers += 1
    return _prf("links", tp, n_pred, n_gold, n_gold, exact_share=_ratio(exact, papers))


def _size_close(a: float, b: GoldSize) -> bool:
    return _close(a, b.value, SIZE_TOLERANCE)


def score_model_sizes(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """Set match on parameter counts (any role) with a 1% relative tolerance."""
    tp = n_pred = n_gold = 0
    for pred, gold in pairs:
        values = _distinct([s.params for s in pred.model_sizes if s.params is not None])
        tp += _matched(values, gold.model_sizes, _size_close)
        n_pred += len(values)
        n_gold += len(gold.model_sizes)
    return _prf("model_sizes", tp, n_pred, n_gold, n_gold)


def score_own_model_sizes(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """The paper's own sizes only (v2 gold): a baseline's size counted as the paper's is a
    false positive, an own size called a baseline a miss. ``role_accuracy`` is the share of
    gold sizes found with the right role."""
    tp = n_pred = n_gold = found = right = 0
    for pred, gold in pairs:
        if not gold.has_roles:
            continue
        own = _distinct([s.params for s in pred.model_sizes if s.params and s.role == "own"])
        gold_own = [s for s in gold.model_sizes if s.role == "own"]
        tp += _matched(own, gold_own, _size_close)
        n_pred += len(own)
        n_gold += len(gold_own)
        for size in gold.model_sizes:
            roles = [s.role for s in pred.model_sizes if s.params and _size_close(s.params, size)]
            found += bool(roles)
            right += size.role in roles
    return _prf("own_sizes", tp, n_pred, n_gold, n_gold, role_accuracy=_ratio(right, found))


def score_gains(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """A gain matches on value (1% tolerance) and unit."""
    tp = n_pred = n_gold = 0
    for pred, gold in pairs:
        predicted = list({(g.value, g.unit) for g in pred.claimed_gains})
        tp += _matched(
            predicted,
            gold.gains,
            lambda p, g: p[1] == g.unit and _close(p[0], g.value, GAIN_TOLERANCE),
        )
        n_pred += len(predicted)
        n_gold += len(gold.gains)
    return _prf("gains", tp, n_pred, n_gold, n_gold)


def _words(text: str | None) -> set[str]:
    return {w for w in normalise_text(text or "").split() if len(w) > 1}


def benchmark_matches(predicted: str | None, gold: str | None) -> bool:
    """Benchmarks are named loosely ("COCO person detection" vs "COCO"): the same when both
    are unnamed, or one's words hold the other's."""
    p, g = _words(predicted), _words(gold)
    if not p or not g:
        return not p and not g
    return p <= g or g <= p


def score_results(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """A result matches on value (1% tolerance) and benchmark (v3 gold only)."""
    tp = n_pred = n_gold = 0
    for pred, gold in pairs:
        if gold.results is None:
            continue
        predicted = list({(r.value, r.benchmark) for r in pred.results})
        tp += _matched(
            predicted,
            gold.results,
            lambda p, g: (
                _close(p[0], g.value, GAIN_TOLERANCE) and benchmark_matches(p[1], g.benchmark)
            ),
        )
        n_pred += len(predicted)
        n_gold += len(gold.results)
    return _prf("results", tp, n_pred, n_gold, n_gold)


def score_gain_metrics(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """Value, unit and metric class together (v2 gold): ``3x faster`` stored as accuracy
    is wrong here even though its number is right."""
    tp = n_pred = n_gold = 0
    for pred, gold in pairs:
        if not gold.has_roles:
            continue
        predicted = list({(g.value, g.unit, metric_kind(g.metric)) for g in pred.claimed_gains})
        tp += _matched(
            predicted,
            gold.gains,
            lambda p, g: (
                p[1] == g.unit and p[2] == g.metric and _close(p[0], g.value, GAIN_TOLERANCE)
            ),
        )
        n_pred += len(predicted)
        n_gold += len(gold.gains)
    return _prf("gain_metrics", tp, n_pred, n_gold, n_gold)


def score_link_kinds(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """Share of gold links found with the right kind (v2 gold); a link not found is wrong."""
    right = total = 0
    for pred, gold in pairs:
        kinds = {normalise_url(link.url): link.kind for link in pred.links}
        for link in gold.links:
            if link.kind is None:
                continue
            total += 1
            right += kinds.get(normalise_url(link.url)) == link.kind
    accuracy = _ratio(right, total)
    return FieldScore("link_kinds", accuracy, accuracy, accuracy, total)


def score_task_category(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """Accuracy of the one label per paper (v2 gold)."""
    right = total = 0
    for pred, gold in pairs:
        if gold.task_category is None:
            continue
        total += 1
        right += pred.task_category == gold.task_category
    accuracy = _ratio(right, total)
    return FieldScore("task_category", accuracy, accuracy, accuracy, total)


_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "ο": "omicron", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau",
    "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "µ": "mu",
}  # fmt: skip


def ascii_name(text: str) -> str:
    """A name compared in ASCII: Greek letters spelled out (``μP`` = ``muP``), accents off."""
    lowered = normalise_text(text)
    spelled = "".join(_GREEK.get(char, char) for char in lowered)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def method_name_matches(pred: Summary, gold_name: str, aliases: Sequence[str] = ()) -> bool:
    """A gold name (or alias) found, case-insensitively and in ASCII transliteration either
    way, in the predicted name or description."""
    texts = [ascii_name(t) for t in (pred.method.name, pred.method.description) if t]
    return any(ascii_name(target) in text for target in (gold_name, *aliases) for text in texts)


def score_method_name(pairs: Iterable[tuple[Summary, GoldRecord]]) -> FieldScore:
    """Recall over gold names; precision over predicted names.

    A predicted name where gold has none (an analysis paper) counts against precision.
    """
    hits = n_pred = n_gold = pred_hits = 0
    for pred, gold in pairs:
        has_pred = bool(pred.method.name)
        n_pred += has_pred
        if gold.method_name:
            n_gold += 1
            matched = method_name_matches(pred, gold.method_name, gold.method_aliases)
            hits += matched
            pred_hits += has_pred and matched
    precision = _ratio(pred_hits, n_pred)
    recall = _ratio(hits, n_gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return FieldScore("method_name", precision, recall, f1, n_gold)


def _distinct(values: Iterable[float]) -> list[float]:
    kept: list[float] = []
    for v in values:
        if not any(_close(v, k, SIZE_TOLERANCE) for k in kept):
            kept.append(v)
    return kept


def pair_up(
    predictions: Mapping[str, Summary], gold: Sequence[GoldRecord]
) -> tuple[list[tuple[Summary, GoldRecord]], list[GoldRecord]]:
    """Pair gold rows with predictions keyed by (any spelling of) title; report unmatched gold."""
    by_key = {normalise_text(title): summary for title, summary in predictions.items()}
    pairs, missing = [], []
    for record in gold:
        summary = by_key.get(record.key)
        if summary is None:
            missing.append(record)
        else:
            pairs.append((summary, record))
    return pairs, missing


def score(predictions: Mapping[str, Summary], gold: Sequence[GoldRecord]) -> list[FieldScore]:
    """Per-field scores over the gold papers that have a prediction.

    A gold paper with no prediction is scored as an empty summary, so missing
    extractions cost recall instead of silently vanishing.
    """
    pairs, missing = pair_up(predictions, gold)
    pairs.extend((Summary.empty(), record) for record in missing)
    scorers = [score_code_url, *PAPER_SCORERS]
    for field in FIELDS:
        scorers.extend(FIELD_SCORERS[field.name])
    labelled = [s for s in scorers if s is not score_results or _labels_results(gold)]
    return [scorer(pairs) for scorer in labelled]


def _labels_results(gold: Sequence[GoldRecord]) -> bool:
    """Results are scored only against gold that labels them (v3): an older file has none
    to miss."""
    return any(record.results is not None for record in gold)


Scorer = Callable[[list[tuple[Summary, GoldRecord]]], FieldScore]
FIELD_SCORERS: dict[str, tuple[Scorer, ...]] = {
    "links": (score_links, score_link_kinds),
    "model_sizes": (score_model_sizes, score_own_model_sizes),
    "gains": (score_gains, score_gain_metrics),
    "results": (score_results,),
}
"""How each value field of :data:`summarizer.core.fields.FIELDS` is scored."""
PAPER_SCORERS: tuple[Scorer, ...] = (score_method_name, score_task_category)
"""The one-per-paper fields besides ``code_url``."""


def format_table(scores: Sequence[FieldScore]) -> str:
    """A fixed-width table for terminals and logs."""
    lines = [f"{'field':<13} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}  extra"]
    for s in scores:
        extra = " ".join(f"{k}={v:.3f}" for k, v in s.extra.items())
        scores_text = f"{s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}"
        lines.append(f"{s.field:<13} {scores_text} {s.support:>8}  {extra}")
    return "\n".join(lines)
