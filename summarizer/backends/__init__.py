"""Extraction backends, picked by name through :func:`get_backend`."""

from summarizer.backends.base import (
    AnyBackend,
    AsyncBackend,
    Backend,
    BackendSettings,
    Capabilities,
    HeaderObserver,
)
from summarizer.backends.registry import (
    backend_names,
    choose_backend,
    get_backend,
    register_backend,
)

__all__ = [
    "AnyBackend",
    "AsyncBackend",
    "Backend",
    "BackendSettings",
    "Capabilities",
    "HeaderObserver",
    "backend_names",
    "choose_backend",
    "get_backend",
    "register_backend",
]
