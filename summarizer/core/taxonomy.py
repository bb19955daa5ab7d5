"""The task taxonomy: the fixed labels ``task_category`` is chosen from, with definitions.

The labels live in one data file (``task_categories.toml``) so that the README, the LLM's
enum, the rules and the gold sets all read the same list. Changing the file changes what
an extraction means, so it requires a :data:`~summarizer.core.schema.SCHEMA_VERSION` bump;
a test pins the file's digest to the schema version.
"""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from importlib import resources
from typing import NamedTuple


class Taxonomy(NamedTuple):
    version: int
    labels: dict[str, str]
    """label -> one-line definition, in file order."""
    digest: str


@cache
def taxonomy() -> Taxonomy:
    raw = resources.files("summarizer.core").joinpath("task_categories.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    labels = {str(k): str(v) for k, v in data["labels"].items()}
    return Taxonomy(int(data["version"]), labels, hashlib.sha256(raw).hexdigest()[:16])


TASK_CATEGORIES: tuple[str, ...] = tuple(taxonomy().labels)
"""Every allowed ``task_category`` label, in the file's order; ``other`` is the last."""
