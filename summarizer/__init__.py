"""summarizer: research-paper abstracts in, a structured and queryable DuckDB dataset out.

The library API mirrors the CLI: open a :class:`Store`, pick a backend with
:func:`get_backend`, and call :func:`run`, :func:`ingest` or :func:`export`.
"""

from .backends.base import BackendSettings, get_backend
from .errors import (
    BackendError,
    ConfigError,
    ExtractionError,
    InputError,
    StoreError,
    SummarizerError,
)
from .export import export
from .pipeline import RunReport, ingest, run
from .schema import SCHEMA_VERSION, Summary
from .store import Store

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
