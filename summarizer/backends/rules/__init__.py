"""The offline ``rules`` backend: one module per concept (links, sizes, gains, method).

Names load on first use (PEP 562): building the backend for a cached re-run never compiles
the rules' patterns.
"""

from __future__ import annotations

import importlib
from typing import Any

from summarizer.backends.rules.version import RULES_VERSION

__all__ = ["RULES_VERSION", "RulesBackend", "extract_summary"]

_LAZY = {
    "RulesBackend": "summarizer.backends.rules.backend",
    "extract_summary": "summarizer.backends.rules.extract",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
