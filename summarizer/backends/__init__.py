"""Extraction backends, picked by name through :func:`get_backend`."""

from summarizer.backends.base import (
    Backend,
    BackendSettings,
    CacheIdentity,
    Capabilities,
    backend_names,
    get_backend,
    register_backend,
)

__all__ = [
    "Backend",
    "BackendSettings",
    "CacheIdentity",
    "Capabilities",
    "backend_names",
    "get_backend",
    "register_backend",
]
