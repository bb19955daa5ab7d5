"""summarizer: research-paper abstracts in, a structured and queryable DuckDB dataset out.

The library API mirrors the CLI: open a :class:`Store`, pick a backend with
:func:`get_backend`, and call :func:`run`, :func:`ingest` or :func:`export`.
"""

from summarizer.backends import BackendSettings, get_backend
from summarizer.core.errors import (
    BackendError,
    ConfigError,
    ExtractionError,
    InputError,
    StoreError,
    SummarizerError,
)
from summarizer.core.schema import SCHEMA_VERSION, Summary
from summarizer.outputs.export import export
from summarizer.run.pipeline import RunReport, ingest, run
from summarizer.store.store import Store

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "BackendError",
    "BackendSettings",
    "ConfigError",
    "ExtractionError",
    "InputError",
    "RunReport",
    "Store",
    "StoreError",
    "SummarizerError",
    "Summary",
    "export",
    "get_backend",
    "ingest",
    "run",
]
