"""The evidence-bearing value fields, declared once.

A field here is a list of values a backend extracts, each traced to where the abstract
states it: links, model sizes, gains and results. Everything that handles such values
iterates :data:`FIELDS` instead of naming them: the grounded counts, strict grounding (in
Python and in SQL), the stored struct columns and their inverse, the views, the digest, ``show``,
the report and ``eval``. Each of those layers keeps its per-field behaviour in a mapping keyed
by :attr:`ValueField.name`, and a contract test checks every mapping covers every field, so a
new field is one entry here plus one entry in each mapping, never a hunt through the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from summarizer.core.results import GroundedGain, GroundedLink, GroundedResult, GroundedSize
from summarizer.core.schema import ClaimedGain, Link, ModelSize, Result


@dataclass(frozen=True)
class ValueField:
    name: str
    """The stored column, the grounded list on GroundedSummary, the view and digest column."""
    attribute: str
    """The list on :class:`~summarizer.core.schema.Summary` a backend fills."""
    item: type[BaseModel]
    """One value as a backend states it."""
    grounded: type
    """One value as stored (a TypedDict: the struct column's fields, in order)."""
    label: str
    """One value in words ("gain"): show, the report's highlights, warnings."""
    spans_evidence: bool
    """Its evidence is usually a slice of the abstract, stored as a span (migration 8)."""
    since: int | None = None
    """The migration that added its column (None: the table was created with it)."""
    defaults: tuple[tuple[str, object], ...] = ()
    """Item fields a row from an older schema may lack, with the value they read as."""


FIELDS: tuple[ValueField, ...] = (
    ValueField("links", "links", Link, GroundedLink, "link", spans_evidence=False),
    ValueField(
        "model_sizes", "model_sizes", ModelSize, GroundedSize, "model_size",
        spans_evidence=True, defaults=(("role", "own"), ("text", ""), ("vague", False)),
    ),
    ValueField("gains", "claimed_gains", ClaimedGain, GroundedGain, "gain", spans_evidence=True),
    ValueField(
        "results", "results", Result, GroundedResult, "result", spans_evidence=True, since=11
    ),
)  # fmt: skip
"""Every evidence-bearing list field, in the order they are shown and stored."""

BY_NAME = {f.name: f for f in FIELDS}
