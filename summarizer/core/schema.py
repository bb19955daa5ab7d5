"""The versioned extraction contract: what one paper's summary holds.

These models are what an LLM is asked to fill, so they follow OpenAI strict
structured-output rules: every field is required and "absent" is spelled
``null`` rather than expressed through a default. Grounding (offsets, the
``grounded`` flag) is computed afterwards by :mod:`summarizer.grounding.ground` and
is deliberately not part of what the model may claim.

Bump :data:`SCHEMA_VERSION` whenever a field's meaning changes: it is part of
the cache key, so a bump re-extracts exactly the papers it invalidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from summarizer.core.taxonomy import TASK_CATEGORIES

SCHEMA_VERSION = 2
"""2: link kinds (data, model, demo, paper), size roles, task_category, gain metrics read
from the words next to the number, sizes grounded only with their magnitude."""

GainUnit = Literal["%", "x", "points"]
LinkKind = Literal["code", "data", "model", "demo", "project", "hub", "paper", "other"]
SizeRole = Literal["own", "baseline", "other"]
GainMetric = Literal["accuracy", "speed", "memory", "cost", "error", "other"]
LINK_KINDS: tuple[LinkKind, ...] = (
    "code",
    "data",
    "model",
    "demo",
    "project",
    "hub",
    "paper",
    "other",
)
SIZE_ROLES: tuple[SizeRole, ...] = ("own", "baseline", "other")
GAIN_METRICS: tuple[GainMetric, ...] = ("accuracy", "speed", "memory", "cost", "error", "other")

if TYPE_CHECKING:
    TaskCategory = str
else:
    # An enum for the LLM's schema, built from the taxonomy file.
    TaskCategory = Literal[TASK_CATEGORIES]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Method(_Strict):
    name: str | None = Field(
        description="Short name of the paper's own contribution as written (e.g. 'DSIR', "
        "'Model Breadcrumbs'); null when the contribution is not named."
    )
    description: str | None = Field(
        description="One line saying what the contribution is, in the abstract's words."
    )
    evidence: str | None = Field(
        description="Verbatim span of the abstract that introduces the contribution."
    )


class ClaimedGain(_Strict):
    metric: str | None = Field(
        description="What improved, from the words next to the number: 'accuracy', 'speed' "
        "('3x faster'), 'memory', 'cost', 'error' (a lower-is-better measure that went down) "
        "or the metric's own name ('F1', 'pass@1', 'win rate')."
    )
    value: float = Field(description="The number as written, e.g. 2.1 for '2.1%'.")
    unit: GainUnit | None = Field(description="'%', 'x' (times) or 'points'; null if none.")
    benchmark: str | None = Field(description="Benchmark or dataset, if stated.")
    baseline: str | None = Field(
        description="What the sentence compares against (a model or method), if stated."
    )
    evidence: str = Field(description="Verbatim span of the abstract stating the gain.")


class ModelSize(_Strict):
    text: str = Field(description="The size as written, e.g. '7B' or '1.3 billion parameters'.")
    params: float | None = Field(description="Parameter count as a plain number, e.g. 7e9.")
    vague: bool = Field(description="True for thresholds such as 'larger than 100B'.")
    role: SizeRole = Field(
        description="'own': a model the paper trains, releases or applies its method to; "
        "'baseline': a model it compares against ('outperforms CodeLlama-7B'); 'other': "
        "any other mention (background, examples)."
    )
    evidence: str = Field(description="Verbatim span of the abstract stating the size.")


class Link(_Strict):
    url: str = Field(description="The link exactly as it appears in the abstract.")
    kind: LinkKind = Field(
        description="What the sentence presents the link as: 'code' (a repository, or any "
        "link whose clause says code), released 'data', 'model' (models, checkpoints, "
        "weights), 'demo', 'project' page, a model/dataset 'hub' page it says nothing about, "
        "the 'paper' itself (arXiv, DOI), or 'other'."
    )


class Summary(_Strict):
    """One paper's structured summary, as extracted from its abstract alone."""

    task: str | None = Field(
        description="The problem the paper addresses, in one line, from the abstract's own "
        "problem statement (never the title)."
    )
    task_evidence: str | None = Field(description="Verbatim span stating the problem.")
    task_category: TaskCategory = Field(
        description="The one label of the task taxonomy the contribution is mainly about."
    )
    method: Method
    claimed_gains: list[ClaimedGain] = Field(
        description="Improvements the paper claims for its own contribution, with numbers."
    )
    model_sizes: list[ModelSize] = Field(
        description="Sizes of models (parameter counts) stated in the abstract."
    )
    code_url: str | None = Field(
        description="The paper's code link: a link of kind 'code', never one presented only "
        "as data, models, a demo or a project page; null if none."
    )
    code_url_evidence: str | None = Field(description="Verbatim span containing the code link.")
    links: list[Link] = Field(description="Every link that appears in the abstract.")

    @classmethod
    def empty(cls) -> Summary:
        return cls(
            task=None,
            task_evidence=None,
            task_category="other",
            method=Method(name=None, description=None, evidence=None),
            claimed_gains=[],
            model_sizes=[],
            code_url=None,
            code_url_evidence=None,
            links=[],
        )


def upgrade_summary(data: dict[str, Any], schema_version: int) -> dict[str, Any]:
    """A summary written under an older schema (a journal left by a killed 0.1 run), made
    valid for this one. What the old schema never asked for is filled neutrally: the store
    keeps such a result as its old schema version, so it reads as unknown, not as a label."""
    if schema_version >= 2:
        return data
    sizes = [{"role": "own"} | dict(size) for size in data.get("model_sizes") or []]
    return {"task_category": "other"} | dict(data) | {"model_sizes": sizes}
