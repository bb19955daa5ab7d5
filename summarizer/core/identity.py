"""Content-addressed cache keys: one key per (paper text, backend configuration).

The key covers the normalised title and abstract plus the backend's
:class:`~summarizer.backends.base.CacheIdentity` (backend, model, prompt hash,
schema version, generation parameters), so changing any of them re-extracts
exactly the papers it affects and nothing else.
"""

from __future__ import annotations

import hashlib

from summarizer.backends.base import CacheIdentity


def cache_key(content_hash: str, identity: CacheIdentity | str) -> str:
    digest = identity if isinstance(identity, str) else identity.digest
    return hashlib.sha256(f"{digest}:{content_hash}".encode()).hexdigest()[:32]
