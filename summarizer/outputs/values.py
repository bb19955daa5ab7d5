"""A stored gain or result in words, the same in `show` and the report.

The digest says the same in SQL (:data:`summarizer.outputs.export.DIGEST`), so a value reads
alike in a terminal, a page and a spreadsheet: ``2.5 points accuracy on GSM8K vs TIES``,
``84.5% person recall on COCO (zero-shot)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def number(value: float) -> str:
    """At most four decimals, no trailing zeros: 84.5, 7, 0.1235."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def with_unit(value: float, unit: str | None) -> str:
    """``%`` and ``x`` are written against the number (``12%``, ``2.3x``), any other unit
    after a space (``3.1 points``, ``120 FPS``)."""
    if not unit:
        return number(value)
    return number(value) + (unit if unit in ("%", "x") else f" {unit}")


def gain_text(g: Mapping[str, Any]) -> str:
    parts = [with_unit(g["value"], g.get("unit"))]
    if g.get("metric"):
        parts.append(str(g["metric"]))
    if g.get("benchmark"):
        parts.append(f"on {g['benchmark']}")
    if g.get("baseline"):
        parts.append(f"vs {g['baseline']}")
    return " ".join(parts)


def result_text(r: Mapping[str, Any]) -> str:
    parts = [with_unit(r["value"], r.get("unit"))]
    if r.get("metric"):
        parts.append(str(r["metric"]))
    if r.get("benchmark"):
        parts.append(f"on {r['benchmark']}")
    if r.get("setting"):
        parts.append(f"({r['setting']})")
    return " ".join(parts)
