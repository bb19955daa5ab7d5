"""The LLM backend: an instructor-patched async openai client filling the Summary schema.

This backend makes one logical attempt per call: instructor may re-ask on an
invalid answer (bounded by ``max_reasks``), but transport faults are raised as
:class:`~summarizer.core.errors.TransientError` for the engine's single retry layer;
the SDK's own retries are switched off so the layers never multiply.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.core.hooks import Hooks
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from summarizer.backends.base import AsyncBackend, BackendSettings, Capabilities
from summarizer.backends.openai.endpoint import (
    CONTEXT_MARGIN,
    MIN_ANSWER_TOKENS,
    MODE_ORDER,
    PROBE_ABSTRACT,
    PROBE_TITLE,
    context_limit,
    is_refusal,
    names_the_request,
    prompt_tokens,
    response_model,
    schema_chars,
    shorten,
)
from summarizer.backends.openai.pricing import cost, load_prices, price_of
from summarizer.backends.openai.prompts import DEFAULT_PROMPT, load_prompt
from summarizer.core.calls import CallRecord, current_call, redact, register_secret
from summarizer.core.endpoint import EndpointProfile
from summarizer.core.errors import BackendError, ConfigError, ExtractionError, TransientError
from summarizer.core.identity import CacheIdentity
from summarizer.core.paper import Paper
from summarizer.core.schema import Summary
from summarizer.text.numbers import parse_duration

if TYPE_CHECKING:
    from summarizer.backends.batch import BatchProtocol

DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_URL = "https://api.openai.com/v1"
CLIENT_OVERHEAD = 400
"""Characters instructor adds around the schema (its instructions, the tool's wrapper)."""
LEARNING_RATE = 0.2
"""Weight of each new answer in the learned token ratio and answer length, once the first
few (1/n each: a plain average) have set them."""
PROBE_RETRIES = 5
"""Times the probe asks a mode again after a server error that is no verdict (a 5xx that
does not name the request, 408, 409, 429): the probe's outcome is stored for every later
run, so a transient fault must not decide it."""
CLIENT_TIMEOUT = 600.0
"""The HTTP client's own bound; the engine's timeout, which follows latency, is shorter."""
MODES: dict[str, instructor.Mode] = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}


def is_openai_host(base_url: str | None) -> bool:
    return base_url is None or "api.openai.com" in base_url


def is_local_host(base_url: str | None) -> bool:
    """A server on this machine or a private network (a llama.cpp, Ollama, vLLM box)."""
    if not base_url:
        return False
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith((".local", ".internal", ".lan")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def mode_order(base_url: str | None) -> list[str]:
    """Structured-output modes to try on this host, best first."""
    return MODE_ORDER["openai" if is_openai_host(base_url) else "other"]


def default_mode(base_url: str | None) -> str:
    """The mode used before (or without) a probe: the host's first choice."""
    return mode_order(base_url)[0]


def server_message(error: openai.APIStatusError) -> str:
    """The server's own words, without the SDK's 'Error code: 400 - {...}' wrapping."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(error.message)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for name in ("retry-after-ms", "retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        seconds = parse_duration(value)
        if seconds is not None:
            return seconds / 1000 if name == "retry-after-ms" else seconds
    return None


class _Recorder:
    """Per-extraction view of each HTTP call instructor makes: timing, usage, refusals."""

    def __init__(self, backend: OpenAIBackend, prompt_chars: int) -> None:
        self.backend = backend
        self.prompt_chars = prompt_chars
        self.started = 0.0
        self.refused: str | None = None
        self.hooks = Hooks()
        self.hooks.on("completion:kwargs", self._start)
        self.hooks.on("completion:response", self._response)
        self.hooks.on("completion:error", self._error)

    def _start(self, *args: Any, **kwargs: Any) -> None:
        self.started = time.perf_counter()

    def _response(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        prompt = getattr(usage, "prompt_tokens", 0) or 0
        completion = getattr(usage, "completion_tokens", 0) or 0
        details = getattr(usage, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", 0) or 0
        choices = getattr(response, "choices", None) or []
        message = choices[0].message if choices else None
        refusal = getattr(message, "refusal", None) if message is not None else None
        if refusal:
            self.refused = str(refusal)
        self.backend._learn_usage(self.prompt_chars, prompt, completion)
        self.backend.record(self, 200, prompt, completion, cached, "refusal" if refusal else None)

    def _error(self, error: Exception, *args: Any, **kwargs: Any) -> None:
        status = getattr(error, "status_code", None)
        self.backend.record(self, status, 0, 0, 0, type(error).__name__)


NO_KEY = (
    "no API key: set OPENAI_API_KEY, or pass --base-url (or OPENAI_BASE_URL) for a local "
    "OpenAI-compatible server"
)


class OpenAIBackend(AsyncBackend):
    name = "openai"
    capabilities = Capabilities(billable=True, batch=True)

    def __init__(self, settings: BackendSettings | None = None) -> None:
        settings = settings or BackendSettings.from_env()
        super().__init__(settings)
        self.model = settings.model or DEFAULT_MODEL
        self.base_url = settings.base_url
        api_key = settings.api_key
        if not api_key:
            if is_openai_host(self.base_url) and not settings.offline:
                raise ConfigError(NO_KEY)
            api_key = "not-needed"  # a local server; or offline: nothing is sent
        register_secret(api_key)
        requested = settings.mode or default_mode(self.base_url)  # until prepare() decides
        if requested not in MODES:
            raise ConfigError(f"unknown --mode {requested!r}; choose one of {', '.join(MODES)}")
        self.mode = requested
        self.prompt = load_prompt(settings.extra.get("prompt", DEFAULT_PROMPT))
        self.prices = load_prices(settings.extra.get("prices"))
        self.context_tokens: int | None = None
        self._probe_requests = 0
        self._prompt_tokens: dict[str, tuple[int, int]] = {}
        """Prompt sizes a server reported in a context error, per paper (for its retry)."""
        transport = settings.extra.get("transport")
        self._http = httpx2.AsyncClient(
            transport=transport,
            timeout=settings.timeout or CLIENT_TIMEOUT,
            limits=httpx2.Limits(max_connections=None, max_keepalive_connections=256),
            event_hooks={"response": [self._observe_response]},
        )
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=settings.timeout or CLIENT_TIMEOUT,
            http_client=self._http,
        )
        self._instructors: dict[str, Any] = {}
        self._tokens_per_char = 0.25
        self._completion_tokens = float(min(settings.max_tokens, 400))
        self._prompt_samples = 0
        self._completion_samples = 0

    @property
    def identity(self) -> CacheIdentity:
        params = {"temperature": self.settings.temperature, "max_tokens": self.settings.max_tokens}
        return CacheIdentity(
            backend=self.name, model=self.model, prompt_hash=self.prompt.hash, params=params
        )

    def _instructor(self, mode: str) -> Any:
        if mode not in self._instructors:
            client = self._client
            if mode == "tools" and is_openai_host(self.base_url):
                client = _with_strict_tools(client)
            self._instructors[mode] = instructor.from_openai(client, mode=MODES[mode])
        return self._instructors[mode]

    async def _observe_response(self, response: httpx2.Response) -> None:
        self.emit_headers(response.status_code, response.headers)

    def record(
        self,
        recorder: _Recorder,
        status: int | None,
        prompt: int,
        completion: int,
        cached: int,
        error: str | None,
    ) -> None:
        cache_key, attempt = current_call.get()
        latency = (time.perf_counter() - recorder.started) * 1000 if recorder.started else 0.0
        self.emit_call(
            CallRecord(
                cache_key=cache_key,
                model=self.model,
                attempt=attempt,
                status=status,
                latency_ms=latency,
                prompt_tokens=prompt,
                completion_tokens=completion,
                cached_tokens=cached,
                cost_usd=cost(self.prices, self.model, prompt, cached, completion),
                mode=self.mode,
                error=error,
            )
        )

    def _prompt_chars(self, paper: Paper, mode: str | None = None) -> int:
        """Characters the request carries: prompt, schema (as this mode sends it) and the
        client's own wrapping, plus the paper."""
        schema = schema_chars(mode or self.mode, self.context_tokens)
        fixed = len(self.prompt.system) + len(self.prompt.user) + schema + CLIENT_OVERHEAD
        return fixed + len(paper.title) + len(paper.abstract)

    def estimate_tokens(self, paper: Paper) -> int:
        """Prompt tokens plus the completion budget, as providers count a request against TPM.

        Starts at ~4 characters a token and takes the real ratio from the first reported
        usage (see ``_learn_usage``).
        """
        prompt = self._prompt_chars(paper) * self._tokens_per_char
        return int(prompt) + self.settings.max_tokens

    def estimate_usage(self, paper: Paper) -> tuple[int, int]:
        """Prompt at the learned tokens-per-character, answer at the learned average length."""
        prompt = int(self._prompt_chars(paper) * self._tokens_per_char)
        return prompt, int(self._completion_tokens)

    def estimate_cost(self, paper: Paper) -> float | None:
        if price_of(self.prices, self.model) is None:
            return None
        prompt, completion = self.estimate_usage(paper)
        return cost(self.prices, self.model, prompt, 0, completion)

    def _learn_usage(self, chars: int, prompt_tokens: int, completion_tokens: int) -> None:
        """Follow the reported usage: the first answer replaces the initial guess outright,
        the next few are averaged in, then a moving average follows drift."""
        if chars > 0 and prompt_tokens > 0:
            self._prompt_samples += 1
            weight = max(LEARNING_RATE, 1 / self._prompt_samples)
            self._tokens_per_char += weight * (prompt_tokens / chars - self._tokens_per_char)
        if completion_tokens > 0:
            self._completion_samples += 1
            weight = max(LEARNING_RATE, 1 / self._completion_samples)
            self._completion_tokens += weight * (completion_tokens - self._completion_tokens)

    @property
    def local(self) -> bool:
        return is_local_host(self.base_url)

    @property
    def endpoint(self) -> tuple[str, str]:
        return (self.base_url or OPENAI_URL, self.model)

    async def prepare(
        self, known: EndpointProfile | None, *, reprobe: bool = False
    ) -> EndpointProfile | None:
        """Settle the mode before the batch: forced by --mode, stored by an earlier probe, or
        probed now (one short extraction per mode, best first, until one validates)."""
        base_url, model = self.endpoint
        if known is not None:
            self.context_tokens = known.context_tokens
        if self.settings.mode:
            self.mode = self.settings.mode
            return EndpointProfile(
                base_url, model, self.mode, context_tokens=self.context_tokens, origin="forced"
            )
        if known is not None and not reprobe:
            self.mode = known.mode
            known.origin = "stored"
            return known
        profile = await self._probe()
        self.mode = profile.mode
        return profile

    async def _probe(self) -> EndpointProfile:
        """One request per mode, best first, until an answer validates. A server error that
        does not name the request is not a verdict: the mode is asked again (honouring
        Retry-After), and a server that keeps failing stops the run with nothing stored. A
        context-window error is learned, and the same mode is asked again with the answer
        sized to fit."""
        self._probe_requests = 0
        refused: dict[str, str] = {}
        for mode in mode_order(self.base_url):
            outcome = await self._probe_mode(mode)
            if outcome is None:
                return self._profile(mode, refused)
            refused[mode] = outcome
        base_url, model = self.endpoint
        tried = "; ".join(f"{mode}: {why}" for mode, why in refused.items())
        raise BackendError(
            f"no structured-output mode works with {base_url} ({model}); {tried}. "
            "Check the server and model, or force a mode with --mode"
        )

    def _profile(self, mode: str, refused: dict[str, str]) -> EndpointProfile:
        base_url, model = self.endpoint
        return EndpointProfile(
            base_url, model, mode, refused, self.context_tokens, requests=self._probe_requests
        )

    async def _probe_mode(self, mode: str) -> str | None:
        """None when the mode works, else why not (a server error starts with its status)."""
        paper = Paper(title=PROBE_TITLE, abstract=PROBE_ABSTRACT, source="probe", record="probe")
        busy = resized = 0
        while True:
            self._probe_requests += 1
            current_call.set(("probe", self._probe_requests))
            try:
                await self._attempt(paper, mode, reasks=0)
            except openai.APIStatusError as error:
                message = redact(server_message(error))
                status = error.status_code
                if status in (401, 403, 404):
                    raise self._classify(error) from None
                limit = context_limit(message) if is_refusal(status) else None
                if limit is not None and resized < 2:
                    learned = self._learn_prompt_size(paper, prompt_tokens(message), mode)
                    if limit != self.context_tokens or learned:
                        self.context_tokens = limit
                        resized += 1
                        continue
                refuses = is_refusal(status) or names_the_request(status, error.body, message)
                if not refuses:  # the server's own trouble: not a verdict on this mode
                    if busy < PROBE_RETRIES:
                        busy += 1
                        await asyncio.sleep(_retry_after(error.response.headers) or 1.0)
                        continue
                    raise TransientError(
                        f"the server kept failing while its structured-output mode was probed "
                        f"({status}: {shorten(message)}); nothing was stored, try again later",
                        status=status,
                        error_type=f"http_{status}",
                    ) from None
                return f"{status}: {shorten(message)}"
            except openai.APITimeoutError:
                return f"timed out after {self.settings.timeout or CLIENT_TIMEOUT:g}s"
            except openai.APIConnectionError as error:
                raise self._classify(error) from None
            except ExtractionError as error:
                return f"{error.error_type}: {shorten(str(error))}"
            except (BackendError, TransientError):
                raise
            except Exception as error:  # a client-side failure in this mode is its verdict too
                return f"{type(error).__name__}: {shorten(str(error))}"
            return None

    async def extract(self, paper: Paper) -> Summary:
        try:
            return await self._attempt(paper, self.mode)
        except openai.APIStatusError as error:
            raise self._classify(error, paper) from None
        except openai.OpenAIError as error:
            raise self._classify(error) from None

    def _learn_prompt_size(
        self, paper: Paper | None, reported: int | None, mode: str | None = None
    ) -> bool:
        """The server counted this paper's prompt for us: remember it (with the request's size
        in characters, since another mode or a smaller schema sends less) for the retry, and
        correct the characters-per-token estimate for the papers after it. True when the
        retry can now be sized better than the last request was."""
        if paper is None or reported is None:
            return False
        chars = self._prompt_chars(paper, mode or self.mode)
        known = self._prompt_tokens.get(paper.content_hash)
        self._prompt_tokens[paper.content_hash] = (reported, chars)
        self._tokens_per_char = max(self._tokens_per_char, reported / max(chars, 1))
        return known != (reported, chars)

    def _answer_budget(self, paper: Paper, mode: str) -> int:
        """max_tokens for this request: the configured cap, or what the server's context
        leaves after the prompt; an abstract that leaves too little fails on its own."""
        cap = self.settings.max_tokens
        if self.context_tokens is None:
            return cap
        chars = self._prompt_chars(paper, mode)
        known = self._prompt_tokens.get(paper.content_hash)
        prompt = int(known[0] * chars / known[1]) if known else int(chars * self._tokens_per_char)
        room = self.context_tokens - prompt - CONTEXT_MARGIN
        if room < MIN_ANSWER_TOKENS:
            raise ExtractionError(
                f"abstract too long for the server's {self.context_tokens:,}-token context: the "
                f"prompt takes about {prompt:,} tokens, leaving {max(room, 0):,} for the answer "
                f"(at least {MIN_ANSWER_TOKENS} needed)",
                error_type="context_length",
            )
        return min(cap, room)

    async def _attempt(self, paper: Paper, mode: str, *, reasks: int | None = None) -> Summary:
        max_tokens = self._answer_budget(paper, mode)
        recorder = _Recorder(self, self._prompt_chars(paper, mode))
        allowed = self.settings.max_reasks if reasks is None else reasks
        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + max(0, allowed)),
            retry=retry_if_exception(
                lambda exc: (
                    isinstance(exc, ValidationError | json.JSONDecodeError)
                    and recorder.refused is None
                )
            ),
            reraise=True,
        )
        try:
            summary, _ = await self._instructor(mode).create_with_completion(
                model=self.model,
                messages=self.prompt.messages(paper.title, paper.abstract),
                response_model=response_model(mode, self.context_tokens),
                max_retries=retrying,
                temperature=self.settings.temperature,
                max_tokens=max_tokens,
                hooks=recorder.hooks,
            )
        except IncompleteOutputException:
            raise ExtractionError(
                f"answer cut off at max_tokens={max_tokens} (finish_reason=length); "
                "raise --max-tokens (or use a server with a larger context)",
                error_type="truncated",
            ) from None
        except InstructorRetryException as error:
            cause = error.__cause__
            if isinstance(cause, openai.APIStatusError | openai.APIConnectionError):
                raise cause from None
            if recorder.refused is not None:
                raise ExtractionError(
                    f"model refused: {redact(recorder.refused)[:200]}",
                    error_type="refusal",
                    attempts=error.n_attempts,
                ) from None
            if isinstance(cause, IncompleteOutputException):
                raise ExtractionError(
                    "answer cut off (finish_reason=length)", error_type="truncated"
                ) from None
            kind = "malformed_json" if isinstance(cause, json.JSONDecodeError) else "invalid_output"
            if isinstance(cause, ValidationError) and "json_invalid" in str(cause):
                kind = "malformed_json"
            raise ExtractionError(
                f"{kind.replace('_', ' ')} after {error.n_attempts} attempt(s): "
                f"{redact(' '.join(str(cause or error).split()))[:300]}",
                error_type=kind,
                attempts=error.n_attempts,
            ) from None
        except (ValidationError, json.JSONDecodeError) as error:
            raise ExtractionError(
                f"invalid output: {redact(str(error))[:300]}", error_type="invalid_output"
            ) from None
        return summary

    def _classify(self, error: Exception, paper: Paper | None = None) -> Exception:
        """Map SDK errors onto ours: transient ones go to the engine's retry layer, refusals
        (any 4xx but 408/409/429, or a 5xx whose body names the request) never do."""
        text = server_message(error) if isinstance(error, openai.APIStatusError) else str(error)
        message = redact(" ".join(text.split()))[:300]
        if isinstance(error, openai.APITimeoutError):
            return TransientError(
                f"request timed out after {self.settings.timeout or CLIENT_TIMEOUT:g}s",
                error_type="timeout",
            )
        if isinstance(error, openai.APIConnectionError):
            return TransientError(
                f"cannot reach {self.base_url or 'the OpenAI API'} ({message}); "
                "check --base-url / OPENAI_BASE_URL",
                error_type="connection",
            )
        if isinstance(error, openai.APIStatusError):
            status = error.status_code
            retry_after = _retry_after(error.response.headers if error.response else None)
            if status == 429:
                return TransientError(
                    f"rate limited (429): {message}",
                    status=429,
                    retry_after=retry_after,
                    error_type="rate_limited",
                )
            if is_refusal(status) and (limit := context_limit(message)) is not None:
                learned = self._learn_prompt_size(paper, prompt_tokens(message))
                if limit != self.context_tokens or learned:
                    self.context_tokens = limit  # now known: the retry is sized to fit
                    return TransientError(
                        f"request too long for the server's {limit:,}-token context; "
                        "retrying with the answer sized to fit",
                        status=status,
                        retry_after=0.0,
                        error_type="context_length",
                    )
                return ExtractionError(
                    f"request too long for the server's {limit:,}-token context: {message}",
                    error_type="context_length",
                )
            if names_the_request(status, error.body, message):
                return ExtractionError(
                    f"the server refuses this request ({status}): {message}",
                    error_type=f"http_{status}",
                )
            if status >= 500 or status in (408, 409):
                return TransientError(
                    f"server error {status}: {message}",
                    status=status,
                    retry_after=retry_after,
                    error_type=f"http_{status}",
                )
            if status in (401, 403):
                return BackendError(
                    f"the server rejected the API key ({status}); set a valid OPENAI_API_KEY"
                )
            if status == 404:
                return BackendError(
                    f"model {self.model!r} or endpoint not found (404); check --model and --base-url"
                )
            return ExtractionError(
                f"request rejected ({status}): {message}", error_type=f"http_{status}"
            )
        return ExtractionError(message or type(error).__name__, error_type=type(error).__name__)

    async def check_endpoint(self) -> None:
        """Fail fast, in one clear line, when the endpoint is unreachable or the key is wrong."""
        try:
            await self._client.models.list()
        except openai.APIConnectionError as error:
            raise BackendError(
                f"cannot reach {self.base_url or 'the OpenAI API'} "
                f"({redact(str(error))}); check --base-url / OPENAI_BASE_URL"
            ) from None
        except openai.AuthenticationError:
            raise BackendError(
                "the server rejected the API key (401); set a valid OPENAI_API_KEY"
            ) from None
        except openai.APIStatusError:
            return  # many local servers have no /models; the first real call will tell

    async def aclose(self) -> None:
        await self._client.close()

    @property
    def batch(self) -> BatchProtocol:
        from summarizer.backends.openai.batch import OpenAIBatch

        return OpenAIBatch(self)


def _with_strict_tools(client: openai.AsyncOpenAI) -> openai.AsyncOpenAI:
    """Ask OpenAI for strict structured outputs: mark the forced tool ``strict``.

    instructor builds the tool schema but has no switch for OpenAI's strict flag
    on chat completions; our schema is strict-compatible (every field required,
    no defaults), so the flag is set on the way out.
    """
    completions = client.chat.completions
    create = completions.create

    async def create_strict(*args: Any, **kwargs: Any) -> Any:
        tools = kwargs.get("tools")
        if tools:
            kwargs["tools"] = [
                {**tool, "function": {**tool["function"], "strict": True}} for tool in tools
            ]
        return await create(*args, **kwargs)

    completions.create = create_strict  # type: ignore[method-assign]
    return client
