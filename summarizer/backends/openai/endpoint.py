"""Facts about an OpenAI-compatible server that no word list can guess: which structured-output
mode it accepts, how big its context is, and which of its errors are refusals.

Servers refuse a request shape in many dialects (400 "does not support tools", 422 with a
pydantic ``detail`` list, a 500 carrying a validation error, a 200 that ignores
``response_format``). Instead of reading their words, the probe sends one short extraction
per mode and keeps the first mode whose answer validates; a refusal is recognised by its
status (any 4xx but 408/409/429) or, for a 5xx, by a body that names the request
(:func:`names_the_request`); any other 5xx is transient.
"""

from __future__ import annotations

import json
import re
from typing import Any

from summarizer.core.schema import Summary

MODE_ORDER = {
    "openai": ["tools", "json_schema", "json", "md_json"],
    "other": ["json_schema", "tools", "json", "md_json"],
}
"""Modes to try, best first: OpenAI does strict function calling; local servers usually
constrain output with a JSON schema."""

RETRYABLE_STATUS = {408, 409, 429}
MIN_ANSWER_TOKENS = 256
"""Below this, a Summary answer would be cut off: the paper fails instead of the server."""
CONTEXT_MARGIN = 32

PROBE_TITLE = "ProbeNet: checking a server"
PROBE_ABSTRACT = (
    "We present ProbeNet, a 7B model for checking servers. ProbeNet improves accuracy by "
    "2.5% over the baseline. Code is available at https://github.com/example/probenet."
)

_CONTEXT = re.compile(
    r"(?:maximum context length|context (?:length|window|size)|n_ctx(?:_slot)?)"
    r"\D{0,40}?(\d[\d,]*)",
    re.IGNORECASE,
)


def is_refusal(status: int) -> bool:
    """A status that says 'not this request', not 'not now'."""
    return 400 <= status < 500 and status not in RETRYABLE_STATUS


REQUEST_FIELDS = (
    "response_format", "json_schema", "tool_choice", "tools", "functions", "function_call",
    "messages", "max_tokens", "max_completion_tokens", "temperature", "ChatCompletionRequest",
)  # fmt: skip
"""The parts of a chat request a server names when it rejects the request itself."""
_NAMES_REQUEST = re.compile(
    r"\b(?:" + "|".join(map(re.escape, REQUEST_FIELDS)) + r")\b|validation error", re.IGNORECASE
)


def names_the_request(status: int, body: object, message: str) -> bool:
    """A 5xx that names what we sent (a field of the request, a parameter, a schema
    validation error) is a refusal dressed as a server error: asking again gets the same
    answer. Any other 5xx ("The server had an error while processing your request") is the
    server's own trouble, and transient."""
    if status < 500:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("param"):
        return True
    if isinstance(body, dict) and isinstance(body.get("detail"), list):  # pydantic / FastAPI
        return True
    return bool(_NAMES_REQUEST.search(message))


def context_limit(message: str) -> int | None:
    """The context window a 'too long' error names, e.g. 'maximum context length is 2048'."""
    match = _CONTEXT.search(message)
    if match is None:
        return None
    value = int(match.group(1).replace(",", ""))
    return value if value >= 64 else None


_PROMPT_TOKENS = re.compile(
    r"(\d[\d,]*) (?:tokens )?in the messages|(\d[\d,]*) tokens? in (?:the )?prompt",
    re.IGNORECASE,
)


def prompt_tokens(message: str) -> int | None:
    """The prompt size a 'too long' error reports, e.g. '(1553 in the messages, ...)'."""
    match = _PROMPT_TOKENS.search(message)
    if match is None:
        return None
    return int((match.group(1) or match.group(2)).replace(",", ""))


def shorten(text: str, limit: int = 160) -> str:
    """A server's words, fit for one line: whitespace folded, control characters (an ANSI
    escape in an error page, say) dropped, cut at ``limit``."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shape(schema: dict[str, Any]) -> Any:
    """The schema as an example-shaped template: ``{"task": "string|null", "model_sizes":
    [{"params": "number|null", ...}], ...}``. A model fills it as well as the full JSON
    Schema, at a fifth of the tokens."""
    definitions = schema.get("$defs", {})

    def walk(node: dict[str, Any]) -> Any:
        if "$ref" in node:
            return walk(definitions[node["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in node:
            parts = [walk(option) for option in node["anyOf"]]
            if all(isinstance(part, str) for part in parts):
                return "|".join(parts)
            return next(part for part in parts if not isinstance(part, str))
        if "enum" in node:
            return "|".join(str(value) for value in node["enum"])
        kind = node.get("type")
        if kind == "object":
            return {name: walk(value) for name, value in node.get("properties", {}).items()}
        if kind == "array":
            return [walk(node.get("items", {}))]
        return {"integer": "number"}.get(str(kind), str(kind))

    return walk(schema)


class CompactSummary(Summary):
    """The same model, rendered as a compact template when a client embeds its schema in the
    prompt (instructor's json and md_json modes): the prompt template already explains every
    field, so the schema appears once, and a 2,048-token server has room for the abstract
    and the answer."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        template: dict[str, Any] = shape(Summary.model_json_schema(*args, **kwargs))
        return template


PROMPTED_MODES = {"json", "md_json"}
"""Modes whose schema travels inside the prompt, where the compact rendering is used."""


SMALL_CONTEXT = 8192
"""Below this, even a tool or response-format schema goes without its descriptions."""


def _plain(schema: Any, names: bool = False) -> Any:
    """The schema without annotations: ``names`` marks a ``properties`` mapping, whose keys
    are field names (a field called ``description`` stays). ``X | None`` is written as a type
    list, which says the same in half the characters."""
    if isinstance(schema, dict):
        plain = {
            k: _plain(v, names=k == "properties" and not names)
            for k, v in schema.items()
            if names or k not in ("description", "title")
        }
        options = plain.get("anyOf") or []
        if not names and set(plain) == {"anyOf"} and all(set(o) == {"type"} for o in options):
            return {"type": [o["type"] for o in options]}
        return plain
    if isinstance(schema, list):
        return [_plain(v) for v in schema]
    return schema


class PlainSummary(Summary):
    """The full JSON Schema without descriptions or titles, for a tool or response format
    on a server with a small context: still a valid schema, at half the size."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        full = Summary.model_json_schema(*args, **kwargs)
        plain: dict[str, Any] = _plain(full)
        plain["title"] = full["title"]  # clients name the tool after it
        return plain


def response_model(mode: str, context_tokens: int | None) -> type[Summary]:
    """What to ask instructor for: the schema as small as the mode and the context need."""
    if mode in PROMPTED_MODES:
        return CompactSummary
    if context_tokens is not None and context_tokens < SMALL_CONTEXT:
        return PlainSummary
    return Summary


def schema_chars(mode: str, context_tokens: int | None = None) -> int:
    """Characters the schema adds to a request in this mode (the prompt or the tool)."""
    model = response_model(mode, context_tokens)
    indent = 2 if mode in PROMPTED_MODES else None
    return len(json.dumps(model.model_json_schema(), indent=indent))
