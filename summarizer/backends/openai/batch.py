"""Provider batch jobs, the provider's side: request lines, the Files and Batches API, results.

A batch request is built exactly as a live call would be: the same prompt, the same
``response_model`` for the mode, the same parameters, through instructor's own request
builder; its answer is parsed by instructor's own response parser. So a result collected
from a batch cannot be told from a live one. The ``custom_id`` of a request is the paper's
cache key.

:class:`OpenAIBatch` is the backend's :class:`~summarizer.backends.batch.BatchProtocol`.
The orchestration (what to submit, recording batches before returning, collecting,
resubmitting) lives in :mod:`summarizer.run.batches`; this module only speaks the API.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import openai
from instructor.v2.core.response import handle_response_model, process_response
from pydantic import ValidationError

from summarizer.backends import batch as contract
from summarizer.backends.batch import BatchAnswer, Submission
from summarizer.backends.openai.backend import MODES, NO_KEY, OpenAIBackend, is_openai_host
from summarizer.backends.openai.endpoint import response_model
from summarizer.backends.openai.pricing import batch_cost
from summarizer.core.endpoint import EndpointProfile
from summarizer.core.errors import BackendError, ConfigError, ExtractionError
from summarizer.core.paper import Paper
from summarizer.core.results import Usage
from summarizer.core.schema import Summary

ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
"""Batch states after which nothing more will be answered."""


def request_body(backend: OpenAIBackend, paper: Paper) -> dict[str, Any]:
    """The chat-completions body a live call for this paper would send."""
    mode = backend.mode
    _, kwargs = handle_response_model(
        response_model(mode, backend.context_tokens),
        MODES[mode],
        model=backend.model,
        messages=backend.prompt.messages(paper.title, paper.abstract),
        temperature=backend.settings.temperature,
        max_tokens=backend.settings.max_tokens,
    )
    if mode == "tools" and is_openai_host(backend.base_url) and kwargs.get("tools"):
        kwargs["tools"] = [
            {**tool, "function": {**tool["function"], "strict": True}} for tool in kwargs["tools"]
        ]
    return {k: v for k, v in kwargs.items() if v is not None}


def request_line(backend: OpenAIBackend, paper: Paper, custom_id: str) -> str:
    """One line of a batch input file (also what ``vllm run-batch`` reads)."""
    line = {
        "custom_id": custom_id,
        "method": "POST",
        "url": ENDPOINT,
        "body": request_body(backend, paper),
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def parse_line(backend: OpenAIBackend, raw: str) -> BatchAnswer | None:
    """A line of an output or error file; None for a line that is not one (blank, cut off)."""
    try:
        line = json.loads(raw)
        custom_id = str(line["custom_id"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(line, dict) or ("response" not in line and "error" not in line):
        return None  # a request line, or something else: no answer
    response = line.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    if line.get("error") or status != 200 or not isinstance(body, dict):
        error = line.get("error") or (body or {}).get("error") if isinstance(body, dict) else None
        message = _error_text(error) or f"status {status}"
        return BatchAnswer(custom_id, None, None, message, status)
    usage = _usage(backend, body.get("usage") or {})
    try:
        completion = openai.types.chat.ChatCompletion.model_validate(_upgraded(body))
        summary = process_response(
            completion,
            response_model=response_model(backend.mode, backend.context_tokens),
            stream=False,
            mode=MODES[backend.mode],
        )
    except (ValidationError, ValueError, TypeError, AttributeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return BatchAnswer(custom_id, None, usage, f"invalid answer: {first[:200]}", status)
    except Exception as exc:  # instructor's own errors (incomplete output, refusals)
        return BatchAnswer(custom_id, None, usage, f"invalid answer: {type(exc).__name__}", status)
    return BatchAnswer(custom_id, Summary.model_validate(summary.model_dump()), usage, None, 200)


def _upgraded(body: dict[str, Any]) -> dict[str, Any]:
    """An answer to a request sent under schema 2 (a batch still open across the upgrade) has
    no ``results``: it reads as having none, as a stored schema-2 row does, so the paid answer
    is kept rather than rejected."""
    for choice in body.get("choices") or []:
        message = (choice or {}).get("message") or {}
        calls = message.get("tool_calls") or []
        holders = [(c.get("function") or {}, "arguments") for c in calls] + [(message, "content")]
        for holder, key in holders:
            try:
                answer = json.loads(holder.get(key) or "")
            except (TypeError, ValueError):
                continue
            if isinstance(answer, dict) and "claimed_gains" in answer and "results" not in answer:
                holder[key] = json.dumps(answer | {"results": []})
    return body


def _error_text(error: Any) -> str | None:
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        return ": ".join(str(p) for p in (code, message) if p) or None
    return str(error) if error else None


def _usage(backend: OpenAIBackend, usage: dict[str, Any]) -> Usage:
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    details = usage.get("prompt_tokens_details") or {}
    cached = int(details.get("cached_tokens") or 0) if isinstance(details, dict) else 0
    price = batch_cost(backend.prices, backend.model, prompt, cached, completion)
    return Usage(prompt, completion, cached, price)


class OpenAIBatch(contract.BatchProtocol):
    """Batch jobs for an :class:`OpenAIBackend`: the OpenAI Batch API, which vLLM's
    ``run-batch`` also reads and writes."""

    max_requests = MAX_REQUESTS
    max_bytes = MAX_BYTES
    terminal = TERMINAL

    def __init__(self, backend: OpenAIBackend) -> None:
        self._backend = backend

    @property
    def backend(self) -> OpenAIBackend:
        return self._backend

    @property
    def submission(self) -> Submission:
        backend = self._backend
        params: dict[str, Any] = {
            "temperature": backend.settings.temperature,
            "max_tokens": backend.settings.max_tokens,
        }
        if backend.settings.extra.get("prompt"):
            params["prompt"] = str(backend.settings.extra["prompt"])
        if backend.context_tokens is not None:
            params["context_tokens"] = backend.context_tokens
        return Submission(
            backend=backend.name,
            model=backend.model,
            base_url=backend.base_url,
            mode=backend.mode,
            prompt_hash=backend.prompt.hash,
            params=params,
        )

    def restore(self, submission: Submission) -> None:
        if submission.mode in MODES:
            self._backend.mode = submission.mode
        context = (submission.params or {}).get("context_tokens")
        if context is not None:
            self._backend.context_tokens = int(context)

    def settle(self, known: EndpointProfile | None) -> None:
        if self._backend.settings.mode or known is None:
            return
        self._backend.mode = known.mode
        self._backend.context_tokens = known.context_tokens

    def request_line(self, paper: Paper, custom_id: str) -> str:
        return request_line(self._backend, paper, custom_id)

    def parse_line(self, raw: str) -> BatchAnswer | None:
        return parse_line(self._backend, raw)

    def estimate_cost(self, paper: Paper) -> float:
        backend = self._backend
        prompt, completion = backend.estimate_usage(paper)
        return batch_cost(backend.prices, backend.model, prompt, 0, completion)

    def client(self) -> BatchClient:
        backend = self._backend
        if not backend.settings.api_key and is_openai_host(backend.base_url):
            raise ConfigError(NO_KEY)
        return BatchClient(backend)


class BatchClient(contract.BatchClient):
    """The Files and Batches endpoints, with the same base URL and key as live calls.

    Synchronous: submitting and collecting are a handful of calls, not a stream."""

    def __init__(self, backend: OpenAIBackend) -> None:
        settings = backend.settings
        self._client = openai.OpenAI(
            api_key=settings.api_key or "not-needed",
            base_url=backend.base_url,
            max_retries=3,
            timeout=settings.timeout or 120.0,
        )

    def upload(self, name: str, content: bytes) -> str:
        try:
            created = self._client.files.create(file=(name, content), purpose="batch")
        except openai.OpenAIError as exc:
            raise _backend_error("uploading a batch file", exc) from None
        return created.id

    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        try:
            batch = self._client.batches.create(
                input_file_id=input_file_id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata=metadata,
            )
        except openai.OpenAIError as exc:
            raise _backend_error("creating a batch", exc) from None
        return batch.model_dump()

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        try:
            return self._client.batches.retrieve(batch_id).model_dump()
        except openai.OpenAIError as exc:
            raise _backend_error(f"reading batch {batch_id}", exc) from None

    def find(self, submission_id: str) -> dict[str, Any] | None:
        """The batch created for one of our submissions, if the provider has it (a kill may
        have come between creating it and recording its id)."""
        try:
            for batch in self._client.batches.list(limit=100):
                if (batch.metadata or {}).get("summarizer_submission") == submission_id:
                    return batch.model_dump()
        except openai.OpenAIError as exc:
            raise _backend_error("listing batches", exc) from None
        return None

    def content(self, file_id: str) -> str:
        try:
            return self._client.files.content(file_id).text
        except openai.OpenAIError as exc:
            raise _backend_error(f"downloading file {file_id}", exc) from None

    def cancel(self, batch_id: str) -> dict[str, Any]:
        try:
            return self._client.batches.cancel(batch_id).model_dump()
        except openai.OpenAIError as exc:
            raise _backend_error(f"cancelling batch {batch_id}", exc) from None

    def close(self) -> None:
        self._client.close()


def _backend_error(doing: str, exc: openai.OpenAIError) -> BackendError:
    status = getattr(exc, "status_code", None)
    what = f"{status} " if status else ""
    return BackendError(
        f"{doing} failed: {what}{str(exc).strip().splitlines()[0][:200]}; nothing was lost: "
        "run `summarizer batch collect` (or the same `run --batch`) again"
    )


__all__ = [
    "MAX_BYTES",
    "MAX_REQUESTS",
    "TERMINAL",
    "BatchAnswer",
    "BatchClient",
    "ExtractionError",
    "OpenAIBatch",
    "parse_line",
    "request_body",
    "request_line",
]
