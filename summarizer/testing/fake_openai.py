"""A local fake of the OpenAI Chat Completions API, for tests and benchmarks.

The extraction client must cope with rate limits, flaky servers, truncated or refused
answers and local servers lacking structured-output features. A real endpoint gives none
of these on demand, costs money and is not reproducible, so this fake makes each one
configurable, seeded and counted while speaking the wire format ``openai``/``instructor``
expect. It can also refuse structured output as a given kind of real server does
(``dialect``), enforce a context window (``context_tokens``) and serve one request at a time
like a CPU-bound local server (``serial``), and it runs batch jobs through OpenAI's Files
and Batch APIs (:mod:`summarizer.testing.fake_batches`). Use :class:`FakeOpenAIServer`
in-process, or ``python -m summarizer.testing.fake_openai --help`` as a process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib
import json
import math
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Self

from pydantic import ValidationError

try:
    from aiohttp import BodyPartReader, web
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the fake OpenAI server needs aiohttp: pip install 'summarizer[testing]'"
    ) from missing

from summarizer.core.schema import Summary
from summarizer.testing.fake_batches import (
    ANSWER_FAULTS,
    BATCH_ERROR_KINDS,
    FILE_LIST_LIMIT,
    LIST_LIMIT_DEFAULT,
    APIError,
    BatchSettings,
    BatchStore,
)

HOST = "127.0.0.1"
FAULT_KINDS = ("429", "500", "timeout", "malformed", "length", "refusal", "invalid")
REFUSAL = "I can't help with that."
INVENTED_CODE_URL = "https://github.com/invented-org/invented-repo"
_OPEN, _CLOSE = "<abstract>", "</abstract>"
_SENTENCE = re.compile(r"\S[^.!?]*[.!?]?")
# Rejections name the offending field, as vLLM and llama.cpp do.
_REJECTIONS = {
    "json_schema": ("response_format", "'response_format' of type 'json_schema' is not supported"),
    "json_object": ("response_format", "'response_format' of type 'json_object' is not supported"),
    "tools": ("tools", "'tools' (function calling) is not supported"),
}
# How real OpenAI-compatible servers refuse structured output; see FakeConfig.dialect.
DIALECTS = (
    "no_tools_400",
    "tool_choice_flags_400",
    "json_schema_only_400",
    "pydantic_422",
    "validation_500",
    "plain_text_200",
)
MODES = ("tools", "json_schema", "json_object", "md_json")
PROSE_LEAD = "Here is the extraction:\n"
DEFAULT_MAX_TOKENS = 16

Answerer = Callable[[str], dict[str, Any]]


def estimate_tokens(text: str) -> int:
    """The fake's token count, ceil(chars / 4): close enough to exercise TPM handling."""
    return math.ceil(len(text) / 4)


def paper_key(abstract: str) -> str:
    """Key of per-paper scripts and stats: sha256 of the stripped abstract."""
    return hashlib.sha256(abstract.strip().encode("utf-8")).hexdigest()


def format_duration(seconds: float) -> str:
    """Format like OpenAI's ``x-ratelimit-reset-*`` headers: '250ms', '1s', '8.64s', '6m0s'."""
    ms = round(seconds * 1000)
    if 0 < ms < 1000:
        return f"{ms}ms"
    minutes, ms = divmod(ms, 60_000)
    hours, minutes = divmod(minutes, 60)
    head = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or hours else "")
    return f"{head}{ms / 1000:g}s"


def default_answerer(abstract: str) -> dict[str, Any]:
    """A deterministic, valid Summary whose evidence spans are verbatim abstract sentences."""
    sentences = [m.group().strip() for m in _SENTENCE.finditer(abstract)]
    task = sentences[0] if sentences else None
    contribution = sentences[1] if len(sentences) > 1 else task
    method = {"name": None, "description": contribution, "evidence": contribution}
    return Summary.empty().model_dump() | {"task": task, "task_evidence": task, "method": method}


def rules_answerer(abstract: str) -> dict[str, Any]:
    """What the offline rules extract, as a model would answer: every field of the schema
    filled (link kinds, size roles, the category), for tests of the whole LLM path."""
    from summarizer.backends.rules.extract import extract_summary

    return extract_summary("", abstract).model_dump()


def inventing_answerer(abstract: str) -> dict[str, Any]:
    """A valid Summary claiming a code URL, size and gain the abstract never states."""
    gain = {"metric": "accuracy", "value": 99.9, "unit": "%", "benchmark": "InventedBench"}
    gain |= {"baseline": "GPT-4", "evidence": "improves accuracy by 99.9% on InventedBench"}
    size = {"text": "175B", "params": 1.75e11, "vague": False, "role": "own"}
    size |= {"evidence": "a 175B model"}
    return default_answerer(abstract) | {
        "claimed_gains": [gain],
        "model_sizes": [size],
        "code_url": INVENTED_CODE_URL,
        "code_url_evidence": f"Code is available at {INVENTED_CODE_URL}",
        "links": [{"url": INVENTED_CODE_URL, "kind": "code"}],
    }


ANSWERERS = {
    "rules": "summarizer.testing.fake_openai:rules_answerer",
    "minimal": "summarizer.testing.fake_openai:default_answerer",
    "inventing": "summarizer.testing.fake_openai:inventing_answerer",
}
"""Short names for the bundled answerers (``--answerer rules``)."""


def load_answerer(spec: Answerer | str) -> Answerer:
    """Resolve ``"module:function"`` or a short name of :data:`ANSWERERS`, so the CLI and
    ``/_config`` can pick an answerer."""
    if isinstance(spec, str):
        spec = ANSWERERS.get(spec, spec)
    if callable(spec):
        return spec
    module, _, name = spec.partition(":")
    answerer = getattr(importlib.import_module(module), name) if name else None
    if not callable(answerer):
        raise TypeError(f"answerer {spec!r} is not a 'module:function' callable")
    return answerer


@dataclass
class FakeConfig:
    """Server behaviour; every field can be changed at runtime (``configure``, ``/_config``).

    ``fault_script`` maps a paper key, or ``"*"`` for any paper, to the faults that paper's
    successive requests get (``"ok"``: answer normally). Past the end of its script, a
    request's fault is drawn from ``fault_rates`` with ``random.Random(seed)``.

    ``dialect`` (one of :data:`DIALECTS`) refuses request shapes as one kind of real server:

    - ``no_tools_400``: ``tools`` gets 400 "This model does not support tools...";
    - ``tool_choice_flags_400``: ``tools`` gets vLLM's 400 asking for
      ``--enable-auto-tool-choice``, whatever ``tool_choice`` is;
    - ``json_schema_only_400``: a ``json_object`` response_format gets 400; only
      ``json_schema``, tools and plain requests work;
    - ``pydantic_422``: ``tools`` or a ``json_schema`` response_format gets FastAPI's 422
      ``{"detail": [...]}`` (extra_forbidden, literal_error);
    - ``validation_500``: a ``json_schema`` response_format gets a 500 whose body, the same
      every time, carries a pydantic validation error;
    - ``plain_text_200``: ``tools`` and ``response_format`` are ignored; every answer is a
      sentence of prose and then the JSON in a fenced block, finish_reason ``stop``.

    ``context_tokens`` is the context window: a request whose prompt (message text plus the
    JSON of its ``tools``/``response_format``, as :func:`estimate_tokens` counts it) and
    ``max_completion_tokens``/``max_tokens`` (16 when absent) exceed it gets OpenAI's 400
    ``context_length_exceeded``.

    ``serial`` serves admitted requests one at a time in arrival order, each for
    ``service_time`` seconds (instead of ``latency`` and ``latency_jitter``); a request
    whose client hung up is still worked on to the end, holding up the ones behind it.

    Batches (``/v1/files``, ``/v1/batches``; see :mod:`summarizer.testing.fake_batches`)
    take ``batch_seconds`` from creation to completion on the server's clock, a third each
    validating, in progress and finalizing. An input file over ``batch_max_requests`` lines
    or ``batch_max_bytes`` bytes makes the batch ``failed``. ``batch_errors`` maps a
    custom_id to its request's fault, one of :data:`BATCH_ERROR_KINDS`: ``server_error``
    (500) and ``bad_request`` (400) land in the error file, ``invalid``, ``malformed``,
    ``length`` and ``refusal`` are answered (and billed) with the chat fault of that name;
    other requests draw from ``batch_error_rates`` with ``random.Random(seed + 2)``.
    ``batch_expire_after`` (N) ends a batch of more than N requests ``expired`` after
    answering its first N. A batch keeps the ``batch_*`` fields in effect at its creation;
    its requests are answered with the answerer, dialect and limits in effect when they run.
    The chat faults (``fault_script``, ``fault_rates``) do not apply to batches.
    """

    model: str = "fake-model"
    latency: float = 0.0
    latency_jitter: float = 0.0
    rpm: int | None = None
    tpm: int | None = None
    window_seconds: float = 60.0
    fault_rates: dict[str, float] = field(default_factory=dict)
    fault_script: dict[str, list[str]] = field(default_factory=dict)
    seed: int = 0
    retry_after: float = 0.05
    hang_seconds: float = 30.0
    reject_modes: set[str] = field(default_factory=set)
    require_api_key: str | None = None
    answerer: Answerer | str = default_answerer
    dialect: str | None = None
    context_tokens: int | None = None
    serial: bool = False
    service_time: float = 0.0
    batch_seconds: float = 0.5
    batch_max_requests: int = 50_000
    batch_max_bytes: int = 200 * 1024 * 1024
    batch_errors: dict[str, str] = field(default_factory=dict)
    batch_error_rates: dict[str, float] = field(default_factory=dict)
    batch_expire_after: int | None = None

    def __post_init__(self) -> None:
        self.reject_modes = set(self.reject_modes)
        if unknown := self.reject_modes - set(_REJECTIONS):
            raise ValueError(f"unknown reject_modes {sorted(unknown)}")
        scripted = {kind for script in self.fault_script.values() for kind in script}
        if unknown := (set(self.fault_rates) | scripted) - {*FAULT_KINDS, "ok"}:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if any(r < 0 for r in self.fault_rates.values()) or sum(self.fault_rates.values()) > 1:
            raise ValueError("fault_rates must be non-negative and sum to at most 1")
        if any(limit is not None and limit < 1 for limit in (self.rpm, self.tpm)):
            raise ValueError("rpm and tpm must be positive or None")
        if self.dialect is not None and self.dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {self.dialect!r}; known: {DIALECTS}")
        if self.context_tokens is not None and self.context_tokens < 1:
            raise ValueError("context_tokens must be positive or None")
        if self.service_time < 0:
            raise ValueError("service_time must not be negative")
        self._check_batch_fields()

    def _check_batch_fields(self) -> None:
        if self.batch_seconds < 0:
            raise ValueError("batch_seconds must not be negative")
        if self.batch_max_requests < 1 or self.batch_max_bytes < 1:
            raise ValueError("batch_max_requests and batch_max_bytes must be positive")
        if self.batch_expire_after is not None and self.batch_expire_after < 0:
            raise ValueError("batch_expire_after must not be negative")
        kinds = set(self.batch_errors.values()) | set(self.batch_error_rates)
        if unknown := kinds - {*BATCH_ERROR_KINDS, "ok"}:
            known = BATCH_ERROR_KINDS
            raise ValueError(f"unknown batch error kinds {sorted(unknown)}; known: {known}")
        rates = self.batch_error_rates.values()
        if any(r < 0 for r in rates) or sum(rates) > 1:
            raise ValueError("batch_error_rates must be non-negative and sum to at most 1")

    def batch_settings(self) -> BatchSettings:
        """What a batch created now keeps."""
        return BatchSettings(
            seconds=self.batch_seconds,
            max_requests=self.batch_max_requests,
            max_bytes=self.batch_max_bytes,
            expire_after=self.batch_expire_after,
            errors=dict(self.batch_errors),
            error_rates=dict(self.batch_error_rates),
        )


@dataclass
class _Stats:
    """``by_mode`` counts every request whose JSON body was read, refused or not;
    ``abandoned`` the requests whose client hung up before its answer; ``queued`` and
    ``peak_queue`` the requests waiting (now, and at most) behind the one in service when
    ``serial``."""

    requests: int = 0
    rate_limited: int = 0
    abandoned: int = 0
    queued: int = 0
    peak_queue: int = 0
    by_mode: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    per_paper: Counter[str] = field(default_factory=Counter)
    ok_per_paper: Counter[str] = field(default_factory=Counter)


class _RateWindow:
    """Admitted requests in the rolling window, as (monotonic time, token cost) pairs."""

    def __init__(self) -> None:
        self._events: deque[tuple[float, int]] = deque()

    def _prune(self, now: float, window: float) -> None:
        while self._events and self._events[0][0] <= now - window:
            self._events.popleft()

    def admit(self, now: float, cost: int, cfg: FakeConfig) -> tuple[float, str] | None:
        """Record the request, or return (seconds until capacity frees, limit hit)."""
        self._prune(now, cfg.window_seconds)
        waits = []
        if cfg.rpm is not None and len(self._events) >= cfg.rpm:
            freeing = self._events[len(self._events) - cfg.rpm][0]
            waits.append((freeing + cfg.window_seconds - now, "requests"))
        excess = sum(c for _, c in self._events) + cost - (cfg.tpm or 0)
        if cfg.tpm is not None and excess > 0:
            waits.append((self._time_to_free(excess, now, cfg.window_seconds), "tokens"))
        if waits:
            return max(waits)
        self._events.append((now, cost))
        return None

    def _time_to_free(self, tokens: int, now: float, window: float) -> float:
        freed = 0
        for at, cost in self._events:
            freed += cost
            if freed >= tokens:
                return at + window - now
        return window  # the request alone exceeds tpm: it never fits

    def headers(self, now: float, cfg: FakeConfig) -> dict[str, str]:
        """``x-ratelimit-*`` for each limit set; "reset" is when the window is fully drained."""
        self._prune(now, cfg.window_seconds)
        drained = self._events[-1][0] + cfg.window_seconds - now if self._events else 0.0
        used = {"requests": len(self._events), "tokens": sum(c for _, c in self._events)}
        out = {}
        for name, limit in (("requests", cfg.rpm), ("tokens", cfg.tpm)):
            if limit is not None:
                out[f"x-ratelimit-limit-{name}"] = str(limit)
                out[f"x-ratelimit-remaining-{name}"] = str(max(0, limit - used[name]))
                out[f"x-ratelimit-reset-{name}"] = format_duration(drained)
        return out


def _error(
    status: int, message: str, kind: str, param: str | None = None, code: str | None = None
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.json_response(body, status=status)


def _too_many(message: str, kind: str, retry_after: float) -> web.Response:
    response = _error(429, message, kind, code="rate_limit_exceeded")
    response.headers["Retry-After"] = f"{retry_after:g}"
    return response


def _message_texts(messages: Any) -> list[tuple[str, str]]:
    """(role, text) per message; the text parts of multi-part content are joined."""
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return []
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        out.append((str(message.get("role")), content if isinstance(content, str) else ""))
    return out


def _split_prompt(texts: list[tuple[str, str]]) -> tuple[str, str]:
    """(static prefix, abstract), from the last user message that carries the abstract.

    The last *tagged* user message wins, so instructor's re-asks (which append an
    untagged user message) still count for the same paper.
    """
    users = [i for i, (role, _) in enumerate(texts) if role == "user"]
    index = ([i for i in users if _OPEN in texts[i][1]] or users)[-1]
    before = "".join(text for _, text in texts[:index])
    head, tag, rest = texts[index][1].partition(_OPEN)
    return (before + head, rest.partition(_CLOSE)[0]) if tag else (before, head)


def _format_type(body: dict[str, Any]) -> Any:
    response_format = body.get("response_format")
    return response_format.get("type") if isinstance(response_format, dict) else None


def _mode(body: dict[str, Any]) -> str:
    """The structured-output mode the request asks for, named as in :data:`MODES`."""
    if body.get("tools"):
        return "tools"
    kind = _format_type(body)
    return kind if kind in ("json_schema", "json_object") else "md_json"


def _tool_name(body: dict[str, Any]) -> str | None:
    with contextlib.suppress(LookupError, TypeError, AttributeError):
        return str(body["tools"][0]["function"]["name"])
    return None


def _problem(
    body: dict[str, Any], texts: list[tuple[str, str]], cfg: FakeConfig
) -> tuple[str, str] | None:
    """(param, message) of the reason an OpenAI-like server would answer 400, if any."""
    if not any(role == "user" for role, _ in texts):
        return "messages", "'messages' must contain a user message."
    if body.get("stream"):
        return "stream", "'stream' is not supported by this server."
    mode = _mode(body)
    if mode in cfg.reject_modes:
        param, detail = _REJECTIONS[mode]
        return param, f"{mode} is not supported by this server: {detail}"
    if mode == "tools" and _tool_name(body) is None:
        return "tools", "'tools[0].function.name' is required."
    return None


def _dialect_refusal(dialect: str | None, body: dict[str, Any]) -> web.Response | None:
    """The reply a server of ``dialect`` gives a request shape it cannot serve, if any."""
    tools, kind = bool(body.get("tools")), _format_type(body)
    if dialect == "no_tools_400" and tools:
        message = "This model does not support tools. Please remove the tools parameter."
        return _error(400, message, "invalid_request_error", param="tools")
    if dialect == "tool_choice_flags_400" and tools:  # vLLM without a tool-call parser
        message = (
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
        )
        error = {"message": message, "type": "BadRequestError", "param": None, "code": 400}
        return web.json_response({"error": error}, status=400)
    if dialect == "json_schema_only_400" and kind == "json_object":
        message = "response_format.type must be 'json_schema'"
        return _error(400, message, "invalid_request_error", param="response_format")
    if dialect == "pydantic_422":  # a FastAPI server whose request model forbids extras
        detail = []
        if kind is not None and kind not in ("text", "json_object"):
            expected = "'text' or 'json_object'"
            detail.append(
                {
                    "type": "literal_error",
                    "loc": ["body", "response_format", "type"],
                    "msg": f"Input should be {expected}",
                    "input": kind,
                    "ctx": {"expected": expected},
                }
            )
        if "tools" in body:
            extra = {"type": "extra_forbidden", "loc": ["body", "tools"]}
            detail.append(extra | {"msg": "Extra inputs are not permitted", "input": body["tools"]})
        return web.json_response({"detail": detail}, status=422) if detail else None
    if dialect == "validation_500" and kind == "json_schema":  # a server that lets it escape
        message = (
            "1 validation error for ChatCompletionRequest\nresponse_format.type\n"
            "  Input should be 'text' or 'json_object' [type=literal_error, "
            "input_value='json_schema', input_type=str]"
        )
        error = {"message": message, "type": "InternalServerError", "code": 500}
        return web.json_response({"error": error}, status=500)
    return None


def _context_exceeded(
    limit: int | None, prompt_tokens: int, completion: int
) -> web.Response | None:
    """OpenAI's 400 for a prompt plus completion budget over the context window."""
    if limit is None or prompt_tokens + completion <= limit:
        return None
    message = (
        f"This model's maximum context length is {limit} tokens. However, you requested "
        f"{prompt_tokens + completion} tokens ({prompt_tokens} in the messages, {completion} "
        "in the completion). Please reduce the length of the messages or completion."
    )
    kind = "invalid_request_error"
    return _error(400, message, kind, param="messages", code="context_length_exceeded")


def _is_summary(answer: dict[str, Any]) -> bool:
    try:
        Summary.model_validate(answer)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class _Call:
    """One accepted completion request and the answer the fake will give it."""

    body: dict[str, Any]
    reply: str  # the answer's shape: the request's mode, or "prose" (plain_text_200)
    key: str
    prefix: str
    answer: dict[str, Any]
    prompt_tokens: int
    cost: int


@dataclass
class _Job:
    """A call waiting for, or in, the serial server; ``response`` is cancelled if its client
    hangs up, but the job is served all the same."""

    call: _Call
    fault: str
    response: asyncio.Future[web.Response]


def _completion(call: _Call, fault: str, cached_tokens: int) -> dict[str, Any]:
    """A chat.completion carrying the answer in the request's mode, damaged per ``fault``."""
    answer = call.answer
    if fault == "invalid":
        answer = {k: v for k, v in answer.items() if k != "method"}
    payload = json.dumps(answer)
    if fault == "malformed":
        payload = payload.replace('"', "'")
    if call.reply in ("md_json", "prose"):
        payload = f"```json\n{payload}\n```"
    if call.reply == "prose":
        payload = PROSE_LEAD + payload
    finish = "tool_calls" if call.reply == "tools" else "stop"
    if fault == "length":
        payload, finish = payload[: len(payload) // 2], "length"
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    if fault == "refusal":
        payload, finish = REFUSAL, "stop"
        message["refusal"] = REFUSAL
    elif call.reply == "tools":
        function = {"name": _tool_name(call.body), "arguments": payload}
        call_id = f"call_{uuid.uuid4().hex[:24]}"
        message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
    else:
        message["content"] = payload
    completion_tokens = estimate_tokens(payload)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": call.body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": call.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": call.prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens},
        },
    }


class FakeOpenAIServer:
    """The fake, served by aiohttp on its own event loop in a background thread.

    All mutable state sits behind one lock, so callers may read :meth:`stats` and call
    :meth:`configure` from their own thread while requests are in flight.

    ``clock`` (default :func:`time.time`) is the server's clock: batches' timestamps and
    stages follow it, so a test may pass one it moves by hand.
    """

    def __init__(
        self,
        config: FakeConfig | None = None,
        *,
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.port = port
        self.clock = clock
        self._lock = threading.RLock()  # re-entered when a batch answers its requests
        self._config = config or FakeConfig()
        self._answerer = load_answerer(self._config.answerer)
        self._thread: threading.Thread | None = None
        self._startup_error: Exception | None = None
        self.reset()

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    @property
    def config(self) -> FakeConfig:
        return self._config

    def configure(self, **fields: Any) -> FakeConfig:
        """Change config fields; a new ``seed`` reseeds, a new ``fault_script`` starts over."""
        with self._lock:
            config = replace(self._config, **fields)
            self._answerer = load_answerer(config.answerer)
            self._config = config
            if "seed" in fields:
                self._fault_rng, self._jitter_rng = self._rngs()
                self._batches.reseed(config.seed)
            if "fault_script" in fields:
                self._script_pos.clear()
        return config

    def reset(self) -> None:
        """Forget stats, rate windows, script positions, seen prefixes, files and batches;
        reseed."""
        with self._lock:
            self._batches = BatchStore(lambda: self.clock(), self._config.seed)
            self._stats = _Stats()
            self._window = _RateWindow()
            self._script_pos: Counter[str] = Counter()
            self._prefixes: set[str] = set()
            self._fault_rng, self._jitter_rng = self._rngs()

    def _rngs(self) -> tuple[random.Random, random.Random]:
        # Two streams, so enabling jitter does not change which faults are drawn.
        return random.Random(self._config.seed), random.Random(self._config.seed + 1)

    def stats(self) -> dict[str, Any]:
        """A copy of the counters: requests, by_status, faults, per_paper, ok_per_paper...,
        and for batches ``batch_billed_per_custom_id`` (how many times each custom_id was
        answered in any batch), ``batches_created`` and ``files_uploaded``."""
        with self._lock:
            chat = {
                k: dict(v) if isinstance(v, Counter) else v for k, v in vars(self._stats).items()
            }
            return chat | self._batches.stats()

    def start(self) -> Self:
        """Serve in a background thread; returns once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        ready = threading.Event()
        self._startup_error = RuntimeError("fake OpenAI server thread died while starting")
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._serve(ready),), name="fake-openai", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Stop serving; requests held by a "timeout" fault get their 504 at once, and those
        queued for the serial server a 503."""
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._jobs: deque[_Job] = deque()  # the serial server's line; the head is in service
        self._job_added = asyncio.Event()
        self._serial_task: asyncio.Task[None] | None = None
        # Batch input files may be up to 200 MB (the limit is batch_max_bytes, checked later).
        app = web.Application(client_max_size=1024**3)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/files", self._upload_file)
        app.router.add_get("/v1/files", self._list_files)
        app.router.add_get("/v1/files/{file_id}", self._get_file)
        app.router.add_get("/v1/files/{file_id}/content", self._file_content)
        app.router.add_delete("/v1/files/{file_id}", self._delete_file)
        app.router.add_post("/v1/batches", self._create_batch)
        app.router.add_get("/v1/batches", self._list_batches)
        app.router.add_get("/v1/batches/{batch_id}", self._get_batch)
        app.router.add_post("/v1/batches/{batch_id}/cancel", self._cancel_batch)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/_stats", self._get_stats)
        app.router.add_post("/_reset", self._reset)
        app.router.add_post("/_config", self._configure)
        # Cancel handlers whose client hung up, so abandoned "timeout" requests do not linger.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1)
        try:
            await runner.setup()
            await web.TCPSite(runner, HOST, self.port).start()
            self.port = runner.addresses[0][1]
            self._startup_error = None
        except OSError as exc:  # e.g. port in use; start() re-raises it in the caller's thread
            self._startup_error = exc
        finally:
            ready.set()
        if self._startup_error is None:
            await self._stopping.wait()
        if self._serial_task is not None:
            self._serial_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._serial_task
        for job in self._jobs:  # in service or waiting
            if not job.response.done():
                job.response.set_result(_error(503, "The server is shutting down.", "server_error"))
        await runner.cleanup()

    def _denied(self, request: web.Request) -> web.Response | None:
        key = self._config.require_api_key
        if key is None or request.headers.get("Authorization") == f"Bearer {key}":
            return None
        message = "Incorrect API key provided."
        return _error(401, message, "invalid_request_error", code="invalid_api_key")

    async def _models(self, request: web.Request) -> web.Response:
        model = {"id": self._config.model, "object": "model", "created": 0, "owned_by": "fake"}
        denied = self._denied(request)
        models = {"object": "list", "data": [model]}
        return denied if denied is not None else web.json_response(models)

    async def _get_stats(self, _: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _reset(self, _: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})

    async def _configure(self, request: web.Request) -> web.Response:
        try:
            fields = await request.json()
            self.configure(**fields)
        except (TypeError, ValueError, ImportError, AttributeError) as exc:
            return _error(400, f"bad config: {exc}", "invalid_request_error")
        return web.json_response({"updated": sorted(fields)})

    async def _chat(self, request: web.Request) -> web.Response:
        """Count the request, answer it, then stamp the rate-limit headers on the reply."""
        with self._lock:
            self._stats.requests += 1
        try:
            call = await self._parse(request)
            response = call if isinstance(call, web.Response) else await self._answer(call)
        except asyncio.CancelledError:  # the client hung up (handler_cancellation)
            with self._lock:
                self._stats.abandoned += 1
            raise
        with self._lock:
            self._stats.by_status[str(response.status)] += 1
            response.headers.update(self._window.headers(time.monotonic(), self._config))
        return response

    async def _parse(self, request: web.Request) -> _Call | web.Response:
        """Accept the request as an OpenAI-like server would, or return the 4xx reply."""
        if (denied := self._denied(request)) is not None:
            return denied
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "We could not parse the JSON body.", "invalid_request_error")
        if isinstance(body, dict):
            with self._lock:
                self._stats.by_mode[_mode(body)] += 1
        return self._accept(body)

    def _accept(self, body: Any) -> _Call | web.Response:
        """The call for a request body, or the 4xx an OpenAI-like server would answer."""
        cfg = self._config
        texts = _message_texts(body.get("messages")) if isinstance(body, dict) else []
        if (problem := _problem(body, texts, cfg)) is not None:
            return _error(400, problem[1], "invalid_request_error", param=problem[0])
        if (refusal := _dialect_refusal(cfg.dialect, body)) is not None:
            return refusal
        schema = "".join(json.dumps(body[k]) for k in ("tools", "response_format") if k in body)
        prompt_tokens = estimate_tokens(schema + "".join(text for _, text in texts))
        budget = body.get("max_completion_tokens") or body.get("max_tokens")
        completion = int(budget or DEFAULT_MAX_TOKENS)
        too_long = _context_exceeded(cfg.context_tokens, prompt_tokens, completion)
        if too_long is not None:
            return too_long
        prefix, abstract = _split_prompt(texts)
        answer = self._answerer(abstract.strip())
        cost = prompt_tokens + int(budget or estimate_tokens(json.dumps(answer)))
        key = paper_key(abstract)
        reply = "prose" if cfg.dialect == "plain_text_200" else _mode(body)
        return _Call(body, reply, key, schema + prefix, answer, prompt_tokens, cost)

    async def _answer(self, call: _Call) -> web.Response:
        """Admit the call under the limits, draw its fault, then serve it: after its latency,
        or in turn on the serial server."""
        cfg = self._config
        with self._lock:
            self._stats.per_paper[call.key] += 1
            limited = self._window.admit(time.monotonic(), call.cost, cfg)
            self._stats.rate_limited += limited is not None
        if limited is not None:
            wait = math.ceil(limited[0] * 1000) / 1000  # retrying after it must succeed
            return _too_many(f"Rate limit reached on {limited[1]}.", limited[1], wait)
        with self._lock:
            fault = self._draw_fault(call.key, cfg)
            delay = cfg.latency + self._jitter_rng.uniform(0, cfg.latency_jitter)
        if cfg.serial:
            return await self._queue(call, fault)
        return await self._work(call, fault, delay)

    async def _queue(self, call: _Call, fault: str) -> web.Response:
        """Join the serial server's line and wait for the answer."""
        job = _Job(call, fault, self._loop.create_future())
        self._jobs.append(job)
        self._job_added.set()
        self._count_queued()
        if self._serial_task is None:
            self._serial_task = asyncio.create_task(self._serve_serially(), name="fake-serial")
        return await job.response  # cancelled if the client hangs up; the job stays queued

    def _count_queued(self) -> None:
        with self._lock:
            self._stats.queued = max(0, len(self._jobs) - 1)
            self._stats.peak_queue = max(self._stats.peak_queue, self._stats.queued)

    async def _serve_serially(self) -> None:
        """Work on queued jobs one at a time, oldest first, whether or not anyone waits."""
        while True:
            while not self._jobs:
                self._job_added.clear()
                await self._job_added.wait()
            job = self._jobs[0]
            try:
                response = await self._work(job.call, job.fault, self._config.service_time)
            except Exception as exc:  # e.g. an answer that is not JSON: the line must go on
                response = _error(500, f"The fake failed: {exc!r}", "server_error")
            if not job.response.done():  # done: cancelled, as its client hung up
                job.response.set_result(response)
            self._jobs.popleft()
            self._count_queued()

    async def _work(self, call: _Call, fault: str, delay: float) -> web.Response:
        """Apply the fault (or spend ``delay`` seconds) and reply."""
        cfg = self._config
        if fault == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), cfg.hang_seconds)
            return _error(504, "The upstream model timed out.", "timeout")
        await asyncio.sleep(delay)
        if fault == "429":
            return _too_many("Rate limit reached (injected fault).", "requests", cfg.retry_after)
        if fault == "500":
            message = "The server had an error while processing your request. Sorry about that!"
            return _error(500, message, "server_error")
        valid = fault == "ok" and _is_summary(call.answer)
        digest = hashlib.sha256(call.prefix.encode("utf-8")).hexdigest()
        with self._lock:
            cached = estimate_tokens(call.prefix) if digest in self._prefixes else 0
            self._prefixes.add(digest)
            if valid:
                self._stats.ok_per_paper[call.key] += 1
        return web.json_response(_completion(call, fault, cached))

    def _draw_fault(self, key: str, cfg: FakeConfig) -> str:
        """The paper's next scripted fault, else a seeded draw from ``fault_rates``."""
        script = cfg.fault_script.get(key, cfg.fault_script.get("*", []))
        step = self._script_pos[key]
        self._script_pos[key] += 1
        fault = script[step] if step < len(script) else self._roll(cfg.fault_rates)
        if fault != "ok":
            self._stats.faults[fault] += 1
        return fault

    def _roll(self, rates: dict[str, float]) -> str:
        roll = self._fault_rng.random()
        for kind in FAULT_KINDS:
            roll -= rates.get(kind, 0.0)
            if roll < 0:
                return kind
        return "ok"

    # Files and batches: thin handlers over BatchStore, which holds the state.

    def _batch_answer(self, body: Any, fault: str) -> tuple[int, dict[str, Any]]:
        """(status, body) the chat endpoint would give ``body`` (without its latency, rate
        limits or chat faults), with the batch ``fault`` applied."""
        try:
            call = self._accept(body)
        except Exception as exc:  # e.g. an answerer that raises: the batch must go on
            return 500, _error_body(f"The fake failed: {exc!r}", "server_error")
        if isinstance(call, web.Response):
            return call.status, json.loads(call.text or "{}")
        if fault == "server_error":
            message = "The server had an error while processing your request. Sorry about that!"
            return 500, _error_body(message, "server_error")
        if fault == "bad_request":
            return 400, _error_body("Invalid request (injected fault).", "invalid_request_error")
        digest = hashlib.sha256(call.prefix.encode("utf-8")).hexdigest()
        cached = estimate_tokens(call.prefix) if digest in self._prefixes else 0
        self._prefixes.add(digest)
        return 200, _completion(call, fault if fault in ANSWER_FAULTS else "ok", cached)

    async def _batch_call(
        self, request: web.Request, action: Callable[[], dict[str, Any]]
    ) -> web.Response:
        if (denied := self._denied(request)) is not None:
            return denied
        try:
            with self._lock:
                return web.json_response(action())
        except APIError as exc:
            return _error(exc.status, exc.message, exc.kind, exc.param, exc.code)

    async def _upload_file(self, request: web.Request) -> web.Response:
        if (denied := self._denied(request)) is not None:
            return denied
        fields: dict[str, str] = {}
        content, filename = None, "upload"
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "file":
                    content, filename = bytes(await part.read()), part.filename or filename
                elif part.name:
                    fields[part.name] = await part.text()
        except (AssertionError, ValueError, KeyError) as exc:  # not multipart/form-data
            message = f"Expected a multipart/form-data upload: {exc}"
            return _error(400, message, "invalid_request_error")
        if content is None or "purpose" not in fields:
            name = "file" if content is None else "purpose"
            message = f"Missing required parameter: '{name}'."
            return _error(400, message, "invalid_request_error", param=name)
        purpose, data = fields["purpose"], content
        return await self._batch_call(
            request, lambda: self._batches.upload(filename, purpose, data)
        )

    async def _list_files(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            limit = int(query.get("limit", FILE_LIST_LIMIT))
        except ValueError:
            return _error(400, "'limit' must be an integer.", "invalid_request_error", "limit")
        after, order, purpose = query.get("after"), query.get("order", "desc"), query.get("purpose")
        return await self._batch_call(
            request, lambda: self._batches.list_files(after, limit, order, purpose)
        )

    async def _get_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        return await self._batch_call(request, lambda: self._batches.file(file_id).public())

    async def _file_content(self, request: web.Request) -> web.Response:
        if (denied := self._denied(request)) is not None:
            return denied
        try:
            with self._lock:
                stored = self._batches.file(request.match_info["file_id"])
        except APIError as exc:
            return _error(exc.status, exc.message, exc.kind, exc.param, exc.code)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    async def _delete_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        return await self._batch_call(request, lambda: self._batches.delete_file(file_id))

    async def _create_batch(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        settings = self._config.batch_settings()
        return await self._batch_call(request, lambda: self._batches.create(body, settings))

    async def _list_batches(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", LIST_LIMIT_DEFAULT))
        except ValueError:
            return _error(400, "'limit' must be an integer.", "invalid_request_error", "limit")
        after = request.query.get("after")
        return await self._batch_call(
            request, lambda: self._batches.list_batches(after, limit, self._batch_answer)
        )

    async def _get_batch(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        return await self._batch_call(
            request, lambda: self._batches.retrieve(batch_id, self._batch_answer)
        )

    async def _cancel_batch(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        return await self._batch_call(
            request, lambda: self._batches.cancel(batch_id, self._batch_answer)
        )


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _fault_rates(spec: str) -> dict[str, float]:
    """Parse ``429=0.2,500=0.1``."""
    pairs = (item.partition("=") for item in spec.split(",") if item)
    return {kind.strip(): float(rate) for kind, _, rate in pairs}


def parse_args(argv: list[str] | None = None) -> tuple[FakeConfig, int]:
    """The config and port the command line asks for; exits with usage on a bad one."""
    parser = argparse.ArgumentParser(
        prog="python -m summarizer.testing.fake_openai",
        description="Fake OpenAI Chat Completions server on 127.0.0.1 (see FakeConfig).",
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    for flag, kind in (
        ("--model", str),
        ("--latency", float),
        ("--latency-jitter", float),
        ("--rpm", int),
        ("--tpm", int),
        ("--window-seconds", float),
        ("--seed", int),
        ("--retry-after", float),
        ("--hang-seconds", float),
        ("--context-tokens", int),
        ("--service-time", float),
        ("--batch-seconds", float),
        ("--batch-max-requests", int),
        ("--batch-max-bytes", int),
        ("--batch-expire-after", int),
    ):
        parser.add_argument(flag, type=kind)
    parser.add_argument("--faults", dest="fault_rates", type=_fault_rates, help="429=0.2,500=0.1")
    parser.add_argument("--fault-script", type=json.loads, help='JSON: {"*": ["429", "ok"]}')
    choices = sorted(_REJECTIONS)
    parser.add_argument("--reject-mode", dest="reject_modes", action="append", choices=choices)
    parser.add_argument("--api-key", dest="require_api_key", help="require this bearer key")
    parser.add_argument(
        "--answerer",
        default="rules",
        help="rules (default: every field filled as the offline rules find it), minimal "
        "(task and method only), inventing (values the abstract never states), or an import "
        "path module:function",
    )
    parser.add_argument("--dialect", choices=DIALECTS, help="refuse requests as this server kind")
    parser.add_argument("--serial", action="store_true", help="serve one request at a time")
    parser.add_argument(
        "--batch-errors", type=json.loads, help='JSON: {"custom_id": "server_error"}'
    )
    parser.add_argument(
        "--batch-error-rates", type=_fault_rates, help="server_error=0.1,invalid=0.05"
    )
    fields = vars(parser.parse_args(argv))
    port = fields.pop("port")
    try:
        config = FakeConfig(**fields)
        load_answerer(config.answerer)
    except (TypeError, ValueError, ImportError, AttributeError) as exc:
        parser.error(str(exc))
    return config, port


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM/SIGINT, after printing one ``listening on <base_url>`` line.

    With ``-- COMMAND…`` after the server's own options, run COMMAND against the server
    instead (``OPENAI_BASE_URL`` set to it, ``SUMMARIZER_MODEL`` to its model unless set),
    then stop, exiting with COMMAND's code: the LLM path tried offline in one command."""
    args = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in args:
        split = args.index("--")
        args, command = args[:split], args[split + 1 :]
    config, port = parse_args(args)
    server = FakeOpenAIServer(config, port=port)
    if command:
        import subprocess

        with server:
            env = dict(os.environ, OPENAI_BASE_URL=server.base_url)
            env.setdefault("SUMMARIZER_MODEL", config.model)
            print(f"fake server on {server.base_url} (model {config.model})", file=sys.stderr)
            try:
                child = subprocess.Popen(command, env=env)
            except OSError as exc:
                print(f"cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
                raise SystemExit(2) from None
            try:
                code = child.wait()
            except KeyboardInterrupt:  # the command stops cleanly on its own Ctrl-C: wait
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
                code = child.wait()
        raise SystemExit(code)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with server:
        print(f"listening on {server.base_url}", flush=True)
        stopped.wait()


if __name__ == "__main__":
    main()
