"""Backends by name, imported on first use so that ``rules`` never pays for the LLM stack."""

from __future__ import annotations

import importlib

from summarizer.backends.base import AnyBackend, AsyncBackend, Backend, BackendSettings
from summarizer.core.errors import ConfigError

_REGISTRY: dict[str, str] = {
    "rules": "summarizer.backends.rules.backend:RulesBackend",
    "openai": "summarizer.backends.openai.backend:OpenAIBackend",
}


def register_backend(name: str, target: str) -> None:
    """Make ``--backend name`` load ``module:Class`` on first use (for plugins and tests)."""
    _REGISTRY[name] = target


def backend_names() -> list[str]:
    return sorted(_REGISTRY)


def resolve_name(name: str, settings: BackendSettings) -> str:
    """``auto`` means the LLM when an endpoint or key is configured, else offline rules."""
    if name != "auto":
        return name
    return "openai" if (settings.base_url or settings.api_key) else "rules"


def choose_backend(requested: str | None, *, llm_flags: bool) -> str:
    """Which backend a run uses. Offline ``rules`` unless an LLM is asked for: by name
    (``--backend``/``SUMMARIZER_BACKEND``), or by giving ``--model``/``--base-url`` on the
    command line. A key in the environment alone never switches to a paid backend."""
    if requested:
        return requested
    return "openai" if llm_flags else "rules"


def get_backend(name: str, settings: BackendSettings | None = None) -> AnyBackend:
    settings = settings or BackendSettings.from_env()
    resolved = resolve_name(name, settings)
    target = _REGISTRY.get(resolved)
    if target is None:
        raise ConfigError(
            f"unknown backend {name!r}; choose one of: auto, {', '.join(backend_names())}"
        )
    module_name, _, class_name = target.partition(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(backend_class, type) and issubclass(backend_class, Backend | AsyncBackend)):
        raise ConfigError(
            f"backend {name!r} ({target}) implements neither Backend nor AsyncBackend"
        )
    backend: AnyBackend = backend_class(settings)
    return backend
