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

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

GainUnit = Literal["%", "x", "points"]
LinkKind = Literal["code", "project", "hub", "other"]


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
    metric: str | None = Field(description="What improved, e.g. 'accuracy', 'speed'.")
    value: float = Field(description="The number as written, e.g. 2.1 for '2.1%'.")
    unit: GainUnit | None = Field(description="'%', 'x' (times) or 'points'; null if none.")
    benchmark: str | None = Field(description="Benchmark or dataset, if stated.")
    baseline: str | None = Field(description="What it is compared against, if stated.")
    evidence: str = Field(description="Verbatim span of the abstract stating the gain.")


class ModelSize(_Strict):
    text: str = Field(description="The size as written, e.g. '7B' or '1.3 billion parameters'.")
    params: float | None = Field(description="Parameter count as a plain number, e.g. 7e9.")
    vague: bool = Field(description="True for thresholds such as 'larger than 100B'.")
    evidence: str = Field(description="Verbatim span of the abstract stating the size.")


class Link(_Strict):
    url: str = Field(description="The link exactly as it appears in the abstract.")
    kind: LinkKind = Field(
        description="'code' repository, 'project' page, model/dataset 'hub', or 'other'."
    )


class Summary(_Strict):
    """One paper's structured summary, as extracted from its abstract alone."""

    task: str | None = Field(description="The problem the paper addresses, in one line.")
    task_evidence: str | None = Field(description="Verbatim span stating the problem.")
    method: Method
    claimed_gains: list[ClaimedGain] = Field(
        description="Improvements the paper claims for its own contribution, with numbers."
    )
    model_sizes: list[ModelSize] = Field(
        description="Sizes of models (parameter counts) stated in the abstract."
    )
    code_url: str | None = Field(
        description="Link to the paper's code (or where it says code is released); null if none."
    )
    code_url_evidence: str | None = Field(description="Verbatim span containing the code link.")
    links: list[Link] = Field(description="Every link that appears in the abstract.")

    @classmethod
    def empty(cls) -> Summary:
        return cls(
            task=None,
            task_evidence=None,
            method=Method(name=None, description=None, evidence=None),
            claimed_gains=[],
            model_sizes=[],
            code_url=None,
            code_url_evidence=None,
            links=[],
        )
