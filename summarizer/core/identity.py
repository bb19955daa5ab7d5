"""Cache identity: what, besides a paper's text, decides what an extraction returns.

The key covers the normalised title and abstract plus the backend's
:class:`CacheIdentity` (backend, model, prompt hash, schema version, generation
parameters), so changing any of them re-extracts exactly the papers it affects
and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from summarizer.core.vocabulary import SCHEMA_VERSION


@dataclass(frozen=True)
class CacheIdentity:
    """Everything besides the paper's text that decides what an extraction returns."""

    backend: str
    model: str
    prompt_hash: str = ""
    schema_version: int = SCHEMA_VERSION
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        payload = json.dumps(
            [self.backend, self.model, self.prompt_hash, self.schema_version, dict(self.params)],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def cache_key(content_hash: str, identity: CacheIdentity | str) -> str:
    """One key per (paper text, backend configuration); ``identity`` may be its digest."""
    digest = identity if isinstance(identity, str) else identity.digest
    return hashlib.sha256(f"{digest}:{content_hash}".encode()).hexdigest()[:32]
