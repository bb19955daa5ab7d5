"""summarizer: research-paper abstracts in, a structured and queryable DuckDB dataset out.

The library API mirrors the CLI: :func:`run` takes a :class:`RunRequest` (the fields are
the ``summarizer run`` flags) and does what the command does; :func:`ingest` and
:func:`export` take an open :class:`Store`.

The public names are loaded when first used (PEP 562), so ``import summarizer`` and the
command line start without pydantic, pyarrow, openai or instructor.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from summarizer.core.errors import (
    BackendError,
    BudgetExceeded,
    ConfigError,
    ExtractionError,
    InputError,
    Interrupted,
    RunStopped,
    StoreError,
    SummarizerError,
    TransientError,
)

if TYPE_CHECKING:
    from summarizer.backends import BackendSettings, get_backend
    from summarizer.core.schema import SCHEMA_VERSION, Summary
    from summarizer.outputs.export import export
    from summarizer.run.pipeline import RunReport, ingest
    from summarizer.run.request import RunOutcome, RunRequest, run
    from summarizer.store.store import Store

__version__ = "0.1.0"
"""The one place the version is written; the build reads it from here."""

__all__ = [
    "SCHEMA_VERSION",
    "BackendError",
    "BackendSettings",
    "BudgetExceeded",
    "ConfigError",
    "ExtractionError",
    "InputError",
    "Interrupted",
    "RunOutcome",
    "RunReport",
    "RunRequest",
    "RunStopped",
    "Store",
    "StoreError",
    "SummarizerError",
    "Summary",
    "TransientError",
    "export",
    "get_backend",
    "ingest",
    "run",
]

_LAZY = {
    "BackendSettings": "summarizer.backends",
    "get_backend": "summarizer.backends",
    "SCHEMA_VERSION": "summarizer.core.schema",
    "Summary": "summarizer.core.schema",
    "export": "summarizer.outputs.export",
    "RunReport": "summarizer.run.pipeline",
    "ingest": "summarizer.run.pipeline",
    "run": "summarizer.run.request",
    "RunRequest": "summarizer.run.request",
    "RunOutcome": "summarizer.run.request",
    "Store": "summarizer.store.store",
}
"""Where each public name lives; it is imported on first use."""

_FUNCTIONS_NOT_PACKAGES = frozenset(("ingest", "run"))


class _Package(types.ModuleType):
    """`run` and `ingest` name both a function and a subpackage. Loading a subpackage binds
    it on its parent; this package keeps no such binding, so ``summarizer.run`` and
    ``summarizer.ingest`` go on naming the functions (``__getattr__``), and neither
    subpackage is loaded before it is used (``summarizer --help`` needs neither)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTIONS_NOT_PACKAGES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
