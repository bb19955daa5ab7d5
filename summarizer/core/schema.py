"""The versioned extraction contract: what one paper's summary holds.

These models are what an LLM is asked to fill, so they follow OpenAI strict
structured-output rules: every field is required and "absent" is spelled
``null`` rather than expressed through a default. Grounding (offsets, the
``grounded`` flag) is computed afterwards by :mod:`summarizer.grounding.ground` and
is deliberately not part of what the model may claim.

Bump :data:`SCHEMA_VERSION` (in :mod:`summarizer.core.vocabulary`) whenever a field's meaning changes: it is part of
the cache key, so a bump re-extracts exactly the papers it invalidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from summarizer.core.taxonomy import TASK_CATEGORIES

# defined in vocabulary.py (bump the version there), named here too
from summarizer.core.vocabulary import GAIN_METRICS as GAIN_METRICS
from summarizer.core.vocabulary import LINK_KINDS as LINK_KINDS
from summarizer.core.vocabulary import SCHEMA_VERSION as SCHEMA_VERSION
from summarizer.core.vocabulary import SIZE_ROLES as SIZE_ROLES
from summarizer.core.vocabulary import GainMetric as GainMetric
from summarizer.core.vocabulary import GainUnit as GainUnit
from summarizer.core.vocabulary import LinkKind as LinkKind
from summarizer.core.vocabulary import SizeRole as SizeRole

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
    """An improvement claimed for the paper's own contribution over something else; never an
    absolute score (that is a :class:`Result`)."""

    metric: str | None = Field(
        description="What improved, from the words next to the number: 'accuracy', 'speed' "
        "('3x faster'), 'memory', 'cost', 'error' (a lower-is-better measure that went down) "
        "or the metric's own name ('F1', 'pass@1', 'win rate')."
    )
    value: float = Field(
        description="The improvement: 12 for 'by 12%', 3.1 for '+3.1 BLEU', 2.3 for '2.3x "
        "faster', 37.6 for 'from 4.8% to 42.4%' (the difference, in points); a range keeps "
        "its upper bound (10 for '5-10%')."
    )
    unit: GainUnit | None = Field(
        description="'%' (relative), 'points' (absolute difference, from->to pairs) or 'x' "
        "(a factor); null if none."
    )
    benchmark: str | None = Field(description="Benchmark or dataset, if stated.")
    baseline: str | None = Field(
        description="What the sentence compares against (a model or method), if stated."
    )
    evidence: str = Field(description="Verbatim span of the abstract stating the gain.")


class Result(_Strict):
    """An absolute score the paper reports for its own method: one leaderboard entry."""

    benchmark: str | None = Field(description="Benchmark or dataset, as stated.")
    metric: str | None = Field(
        description="The metric as the abstract names it ('accuracy', 'pass@1', 'mIoU'); null "
        "when it names none."
    )
    value: float = Field(description="The score as written: 84.5 for '84.5%'.")
    unit: str | None = Field(
        description="'%' when written with %, else the stated unit ('FPS'); null for a bare "
        "score (BLEU 27.3)."
    )
    setting: str | None = Field(
        description="The condition stated with it ('zero-shot', 'at 5% FPR', which of the "
        "paper's models), if any."
    )
    evidence: str = Field(description="Verbatim span of the abstract stating the score.")


class ModelSize(_Strict):
    text: str = Field(description="The size as written, e.g. '7B' or '1.3 billion parameters'.")
    params: float | None = Field(description="Parameter count as a plain number, e.g. 7e9.")
    vague: bool = Field(description="True for thresholds such as 'larger than 100B'.")
    role: SizeRole = Field(
        description="'own': a model the paper trains, fine-tunes, adapts, releases or "
        "proposes, or applies its method to and reports its results on; 'baseline': a model "
        "it only compares against, evaluates, probes, attacks or analyses ('outperforms "
        "CodeLlama-7B', 'we evaluate 125M to 30B models'); 'other': any other mention."
    )
    evidence: str = Field(description="Verbatim span of the abstract stating the size.")


class Link(_Strict):
    url: str = Field(description="The link exactly as it appears in the abstract.")
    kind: LinkKind = Field(
        description="What the link is: 'code' (any repository on a code host such as GitHub, "
        "GitLab, Bitbucket, Codeberg or Gitee, whatever it holds, or a page whose clause says "
        "code), released 'data', 'model' (models, checkpoints, "
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
        description="Improvements the paper claims for its own contribution over something "
        "else, with numbers; never absolute scores, size ratios or others' numbers."
    )
    results: list[Result] = Field(
        description="Absolute scores the paper reports for its own method (the 'to' of a "
        "from->to pair too); never scores of models it only evaluates."
    )
    model_sizes: list[ModelSize] = Field(
        description="Sizes of models (parameter counts) stated in the abstract."
    )
    code_url: str | None = Field(
        description="The paper's own repository: the first link of kind 'code' (any "
        "repository on a code host it releases, or a page said to hold its code); null if "
        "none."
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
            results=[],
            model_sizes=[],
            code_url=None,
            code_url_evidence=None,
            links=[],
        )


def upgrade_summary(data: dict[str, Any], schema_version: int) -> dict[str, Any]:
    """A summary written under an older schema (a journal left by a killed 0.1 run), made
    valid for this one. What the old schema never asked for is filled neutrally: the store
    keeps such a result as its old schema version, so it reads as unknown, not as a label."""
    if schema_version >= 3:
        return data
    data = {"results": []} | dict(data)
    if schema_version >= 2:
        return data
    sizes = [{"role": "own"} | dict(size) for size in data.get("model_sizes") or []]
    return {"task_category": "other"} | dict(data) | {"model_sizes": sizes}
