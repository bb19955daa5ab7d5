"""summarizer: research-paper abstracts in, a structured and queryable DuckDB dataset out.

The library API mirrors the CLI: open a :class:`Store`, pick a backend with
:func:`get_backend`, and call :func:`run`, :func:`ingest` or :func:`export`.
"""

from summarizer.backends import BackendSettings, get_backend
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
from summarizer.core.schema import SCHEMA_VERSION, Summary
from summarizer.outputs.export import export
from summarizer.run.pipeline import RunReport, ingest, run
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
    "RunReport",
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
