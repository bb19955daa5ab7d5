"""The backend interface and its lazy, name-based registry.

A backend turns one Paper into one Summary. Everything else a run needs
(caching, concurrency, retries, storage) lives outside, so a backend stays a
single method plus a few declared facts about itself.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from summarizer.core.errors import ConfigError
from summarizer.core.paper import Paper
from summarizer.core.schema import SCHEMA_VERSION, Summary


@dataclass(frozen=True)
class Capabilities:
    """What the engine must know to drive a backend well."""

    billable: bool = False
    """Each result costs money: journal it durably the moment it arrives."""
    is_async: bool = False
    """``extract`` is a coroutine doing I/O: run many at once, under rate limits."""
    parallel: bool = False
    """CPU-bound and rebuildable from its settings: large batches fan out over processes."""


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


@dataclass
class BackendSettings:
    """User-facing knobs, from flags or the environment; each backend reads what it needs."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    mode: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1024
    timeout: float = 60.0
    max_reasks: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> BackendSettings:
        settings = cls(
            model=os.environ.get("SUMMARIZER_MODEL"),
            base_url=os.environ.get("OPENAI_BASE_URL"),
            api_key=os.environ.get("OPENAI_API_KEY"),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(settings, key, value)
        return settings


class Backend(ABC):
    """Turns a paper into a Summary; subclasses declare ``name`` and ``capabilities``."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    @property
    @abstractmethod
    def identity(self) -> CacheIdentity:
        """What, besides the text, the result depends on (feeds the cache key)."""

    @abstractmethod
    def extract(self, paper: Paper) -> Summary:
        """Extract one paper; async backends implement this as ``async def``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; most backends hold none."""


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


def get_backend(name: str, settings: BackendSettings | None = None) -> Backend:
    settings = settings or BackendSettings.from_env()
    resolved = resolve_name(name, settings)
    target = _REGISTRY.get(resolved)
    if target is None:
        raise ConfigError(
            f"unknown backend {name!r}; choose one of: auto, {', '.join(backend_names())}"
        )
    module_name, _, class_name = target.partition(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    backend: Backend = backend_class(settings)
    return backend
