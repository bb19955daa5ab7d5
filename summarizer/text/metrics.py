"""What a claimed gain measures, read from the words next to its number.

``3x faster`` is speed, ``40% less memory`` is memory, ``2.1 points of accuracy`` is
accuracy. The rules use this to fill a gain's metric, and ``eval`` uses it to compare any
backend's metric text (an LLM may write "exact match" or "tokens/s") with the gold's class.
"""

from __future__ import annotations

import re

from summarizer.core.schema import GainMetric

_SPECIFIC: list[tuple[GainMetric, str]] = [
    (
        "speed",
        r"faster|speed[- ]?ups?|speeds?\s+up|accelerat\w*|throughput|latency|wall[- ]?clock|"
        r"(?:inference|training|decoding|generation|run)[- ]?time|quicker|tokens?/s|"
        r"FLOPs\s+utili[sz]ation|\bMFU\b|utili[sz]ation",
    ),
    (
        "memory",
        r"memory|footprint|storage|VRAM|KV[- ]?cache|cache\s+size|model\s+size|compress\w*|"
        r"disk\s+space",
    ),
    (
        "cost",
        r"costs?|cheaper|compute|computation\w*|FLOPs?|GPU[- ]hours?|energy|"
        r"(?:fewer|less)\s+(?:[\w-]+\s+){0,2}(?:parameters|tokens|data|samples|examples|steps|"
        r"calls|queries|GPU\s+hours)|(?:trainable|learnable|total)\s+parameters|budget|price|"
        r"sample[- ]efficien\w*|data[- ]efficien\w*|(?:fewer|less|smaller|only)\s+(?:\w+\s+)?parameters",
    ),
    (
        "error",
        r"error(?:\s+rates?)?|WER|CER|perplexity|PPL|hallucinations?|hallucination\s+rates?|"
        r"toxic\w*|attack\s+success(?:\s+rates?)?|failure\s+rates?|s?FID|regret|(?:validation\s+)?loss|"
        r"negative\s+flips?",
    ),
    (
        "accuracy",
        r"accuracy|accurate|F1(?:\s+scores?)?|BLEU|ROUGE[-\w]*|pass@\d+|win[- ]rates?|success\s+rates?|"
        r"exact\s+match|EM|mAP|AUC|top-\d\s+accuracy|scores?|recall|precision|rewards?|"
        r"performance|quality|Elo",
    ),
]
_GENERIC: list[tuple[GainMetric, str]] = [
    ("speed", r"speeds?|fast"),
    ("error", r"lower\s+error|fewer\s+errors"),
    (
        "accuracy",
        r"improv\w*|better|higher|outperform\w*|surpass\w*|gains?|boost\w*|SOTA|"
        r"state[- ]of[- ]the[- ]art|points?|pp",
    ),
]


def _compile(table: list[tuple[GainMetric, str]]) -> re.Pattern[str]:
    return re.compile(
        "|".join(f"(?P<{kind}_{i}>\\b(?:{pattern})\\b)" for i, (kind, pattern) in enumerate(table)),
        re.IGNORECASE,
    )


def _compile_lower(table: list[tuple[GainMetric, str]]) -> re.Pattern[str]:
    # the patterns hold no upper-case escape (\S, \W, \B, \D), so lower-casing them keeps
    # their meaning
    return re.compile(
        "|".join(
            f"(?P<{kind}_{i}>\\b(?:{pattern.lower()})\\b)"
            for i, (kind, pattern) in enumerate(table)
        )
    )


SPECIFIC = _compile(_SPECIFIC)
GENERIC = _compile(_GENERIC)
SPECIFIC_LOWER = _compile_lower(_SPECIFIC)
GENERIC_LOWER = _compile_lower(_GENERIC)
""":data:`SPECIFIC` and :data:`GENERIC` for lower-cased text, matched case-sensitively (much
faster than ignoring case); their spans are the original's when lower-casing keeps its length."""
_NAMED = re.compile(
    r"^(?:F1(?:\s+score)?|BLEU|ROUGE[-\w]*|pass@\d+|win[- ]rates?|success\s+rates?|exact\s+match|"
    r"EM|mAP|AUC|top-\d\s+accuracy|WER|CER|perplexity|PPL|FID|Elo|accuracy|recall|precision)$",
    re.IGNORECASE,
)


def kind_of(match: re.Match[str]) -> GainMetric:
    """The metric class of a match of :data:`SPECIFIC` or :data:`GENERIC`."""
    group = match.lastgroup or "other_0"
    return group.rsplit("_", 1)[0]  # type: ignore[return-value]


def metric_text(match: re.Match[str], original: str | None = None) -> str:
    """What to store as the metric: a named metric as written ("F1", "pass@1"), else its class.
    ``original``: the text as written, when ``match`` was made on its lower-cased copy."""
    written = match.group(0) if original is None else original[match.start() : match.end()]
    word = " ".join(written.split())
    return word if _NAMED.match(word) else kind_of(match)


def metric_kind(metric: str | None) -> GainMetric:
    """The class of any metric text: a class name itself, a metric name or words around one."""
    if not metric:
        return "other"
    lowered = metric.strip().lower()
    if lowered in ("accuracy", "speed", "memory", "cost", "error", "other"):
        return lowered  # type: ignore[return-value]
    for pattern in (SPECIFIC, GENERIC):
        match = pattern.search(metric)
        if match:
            return kind_of(match)
    return "other"
