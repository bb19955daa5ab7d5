"""The parts of the extraction contract (:mod:`summarizer.core.schema`) that need no pydantic:
its version and its closed vocabularies. The cache key needs the version and the stored
row shapes (:mod:`summarizer.core.results`) the vocabularies, so a cached run, the store's
reads and ``summarizer sql`` never load pydantic; :mod:`summarizer.core.schema` names them
all too.
"""

from __future__ import annotations

from typing import Literal

SCHEMA_VERSION = 3
"""2: link kinds (data, model, demo, paper), size roles, task_category, gain metrics read
from the words next to the number, sizes grounded only with their magnitude.
3: gains are improvements only (an absolute score is a result, a from->to pair a gain in
points, a range its upper bound); results (absolute scores of the paper's own method); a
size's role ``own`` only for models the paper trains, releases, proposes or applies its
method to; a repository on a code host is always the paper's code."""

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
