"""Backends by name, imported on first use so that ``rules`` never pays for the LLM stack."""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from summarizer.backends.base import AnyBackend, AsyncBackend, Backend, BackendSettings
from summarizer.backends.batch import BatchProtocol, Submission
from summarizer.core.errors import ConfigError

if TYPE_CHECKING:
    from summarizer.core.schema import Summary

_REGISTRY: dict[str, str] = {
    "rules": "summarizer.backends.rules.backend:RulesBackend",
    "openai": "summarizer.backends.openai.backend:OpenAIBackend",
}
_REFERENCE = "summarizer.backends.rules.extract:extract_summary"
"""What grounding cross-checks an answer against: the rules' reading of the abstract."""


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


@functools.cache
def reference_extractor() -> Callable[[str, str], Summary]:
    """``(title, abstract) -> Summary`` of the offline rules: the reference grounding
    cross-checks an LLM's answer against (loaded on first use)."""
    module_name, _, name = _REFERENCE.partition(":")
    extract: Callable[[str, str], Summary] = getattr(importlib.import_module(module_name), name)
    return extract


def batch_protocol(
    submission: Submission, overrides: BackendSettings | None = None
) -> BatchProtocol:
    """Rebuild the backend that made a stored batch submission, and its batch protocol.

    The submission decides what the backend is (name, model, endpoint, mode, prompt,
    parameters); ``overrides`` (the flags and environment of the command collecting it)
    only lend what is not part of that identity: the API key, prices, timeouts."""
    base = overrides if overrides is not None else BackendSettings.from_env()
    params: dict[str, Any] = submission.params or {}
    settings = dataclasses.replace(
        base,
        model=submission.model,
        base_url=submission.base_url,
        mode=submission.mode,
        temperature=params.get("temperature", base.temperature),
        max_tokens=params.get("max_tokens", base.max_tokens),
        extra=dict(base.extra),
    )
    if params.get("prompt"):
        settings.extra["prompt"] = params["prompt"]
    backend = get_backend(submission.backend, settings)
    protocol = backend.batch if isinstance(backend, AsyncBackend) else None
    if protocol is None:
        raise ConfigError(
            f"backend {submission.backend!r} cannot collect provider batch jobs; its batches "
            "were submitted by another version or plugin"
        )
    protocol.restore(submission)
    made = protocol.submission.prompt_hash
    if submission.prompt_hash and made != submission.prompt_hash:
        raise ConfigError(
            f"the batches of {submission.model} were submitted with prompt {submission.prompt_hash}, "
            f"but the prompt now builds {made}; collect them with the summarizer version "
            "that submitted them"
        )
    return protocol
