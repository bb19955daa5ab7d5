"""OpenAI Files and Batch API state for the fake server (:mod:`fake_openai` serves it).

A batch lives on the server's clock and advances only when it is looked at (retrieve, list,
cancel): no timers. Over ``batch_seconds`` from its creation it spends the first third
``validating``, the second ``in_progress`` (its requests are answered one after another,
evenly spread), the last ``finalizing``, then ``completed`` with its output and error files.
Input the real API would refuse makes the batch ``failed`` with ``errors``, as the API does;
``batch_expire_after`` ends it ``expired`` and a cancel ``cancelling`` then ``cancelled``,
keeping the answers already given. Answering is the server's (the chat endpoint's own
answerer and reply shapes) through the ``answer`` callback; this module keeps files, batches
and billing.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BATCH_ENDPOINT = "/v1/chat/completions"
# Per-request faults: errors (the request lands in the error file) and damaged answers (a 200
# in the output file whose completion is broken as the chat endpoint's fault of that name).
BATCH_ERROR_KINDS = ("server_error", "bad_request", "invalid", "malformed", "length", "refusal")
ANSWER_FAULTS = ("invalid", "malformed", "length", "refusal")
FILE_PURPOSES = (
    "assistants",
    "assistants_output",
    "batch",
    "batch_output",
    "fine-tune",
    "fine-tune-results",
    "vision",
    "user_data",
)
BATCH_FILE_TTL = 30 * 24 * 3600  # files with purpose "batch" expire after 30 days by default
METADATA_PAIRS, METADATA_KEY, METADATA_VALUE = 16, 64, 512
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 20, 100
FILE_LIST_LIMIT = 10_000
_FINAL = ("failed", "completed", "expired", "cancelled")
_LINE_FIELDS = ("custom_id", "method", "url", "body")

# answer(body, fault) -> (status code, response body); fault is "ok" or a BATCH_ERROR_KINDS.
Answer = Callable[[Any, str], tuple[int, dict[str, Any]]]


class APIError(Exception):
    """An error the endpoint answers with OpenAI's ``{"error": {...}}`` body."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = (
            status,
            message,
            kind,
            param,
            code,
        )


@dataclass(frozen=True)
class BatchSettings:
    """The ``batch_*`` config a batch keeps from its creation on."""

    seconds: float = 0.5
    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024
    expire_after: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    error_rates: dict[str, float] = field(default_factory=dict)


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def public(self) -> dict[str, Any]:
        expires = self.created_at + BATCH_FILE_TTL if self.purpose == "batch" else None
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": expires,
        }


@dataclass
class _Line:
    custom_id: str
    body: Any


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None
    created: float  # the server clock's reading at creation; stages follow from it
    settings: BatchSettings
    lines: list[_Line]
    problems: list[dict[str, Any]]  # validation errors: the batch will fail
    model: str | None
    status: str = "validating"
    times: dict[str, float] = field(default_factory=dict)  # "in_progress" -> when, ...
    done: int = 0  # requests answered or errored so far, in file order
    outputs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    completed: int = 0
    failed: int = 0
    usage: Counter[str] = field(default_factory=Counter)
    output_file_id: str | None = None
    error_file_id: str | None = None

    def public(self) -> dict[str, Any]:
        def at(stage: str) -> int | None:
            return int(self.times[stage]) if stage in self.times else None

        total = len(self.lines) if "in_progress" in self.times else 0
        errors = {"object": "list", "data": self.problems} if self.status == "failed" else None
        usage = {
            "input_tokens": self.usage["input"],
            "input_tokens_details": {"cached_tokens": self.usage["cached"]},
            "output_tokens": self.usage["output"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": self.usage["input"] + self.usage["output"],
        }
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.model,
            "errors": errors,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": int(self.created),
            "in_progress_at": at("in_progress"),
            "expires_at": int(self.created) + 24 * 3600,
            "finalizing_at": at("finalizing"),
            "completed_at": at("completed"),
            "failed_at": at("failed"),
            "expired_at": at("expired"),
            "cancelling_at": at("cancelling"),
            "cancelled_at": at("cancelled"),
            "request_counts": {"total": total, "completed": self.completed, "failed": self.failed},
            "usage": usage,
            "metadata": self.metadata,
        }


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _problem(code: str, message: str, line: int | None, param: str | None = None) -> dict:
    return {"code": code, "message": message, "param": param, "line": line}


def validate_input(
    content: bytes, endpoint: str, settings: BatchSettings
) -> tuple[list[_Line], list[dict[str, Any]], str | None]:
    """(requests, validation errors, model) of a batch input file, checked as the API does:
    size, JSON per line, required fields, unique custom_id, method, url, one model, count."""
    if len(content) > settings.max_bytes:
        message = f"The input file is {len(content)} bytes, over the limit of {settings.max_bytes}."
        return [], [_problem("file_too_large", message, None)], None
    lines: list[_Line] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    model: str | None = None
    text = content.decode("utf-8", errors="replace")
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            request = json.loads(raw)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            message = "This line is not parseable as valid JSON."
            problems.append(_problem("invalid_json_line", message, number))
            continue
        if missing := [name for name in _LINE_FIELDS if name not in request]:
            message = f"Missing required parameter: '{missing[0]}'."
            problems.append(_problem("missing_required_parameter", message, number, missing[0]))
            continue
        custom_id, body = request["custom_id"], request["body"]
        if not isinstance(custom_id, str) or not custom_id:
            message = "Invalid 'custom_id': expected a non-empty string."
            problems.append(_problem("invalid_value", message, number, "custom_id"))
            continue
        if custom_id in seen:
            message = (
                "The custom_id for this request is a duplicate of another request. The "
                "custom_id parameter must be unique for each request in a batch."
            )
            problems.append(_problem("duplicate_custom_id", message, number, "custom_id"))
            continue
        seen.add(custom_id)
        if request["method"] != "POST":
            message = f"Invalid 'method': {request['method']!r}. Only 'POST' is supported."
            problems.append(_problem("invalid_value", message, number, "method"))
            continue
        if request["url"] != endpoint:
            message = (
                f"The URL provided for this request does not match the batch endpoint {endpoint!r}."
            )
            problems.append(_problem("url_mismatch", message, number, "url"))
            continue
        if not isinstance(body, dict):
            message = "Invalid 'body': expected an object."
            problems.append(_problem("invalid_value", message, number, "body"))
            continue
        if not lines:
            model = body.get("model")
        elif body.get("model") != model:
            message = (
                f"The provided model {body.get('model')!r} does not match the model of the "
                f"other requests in this batch ({model!r})."
            )
            problems.append(_problem("model_mismatch", message, number, "body.model"))
            continue
        lines.append(_Line(custom_id, body))
    if not lines and not problems:
        problems.append(_problem("empty_file", "The batch input file is empty.", None))
    elif len(lines) + len(problems) > settings.max_requests:
        message = (
            f"The batch input file has {len(lines) + len(problems)} requests, over the limit "
            f"of {settings.max_requests}."
        )
        problems.insert(0, _problem("too_many_tasks", message, None))
    return lines, problems, model


def _page(items: list[Any], after: str | None, limit: int) -> dict[str, Any]:
    """A cursor page of ``public()`` objects, newest first, after the object ``after``."""
    ids = [item.id for item in items]
    start = 0
    if after is not None:
        if after not in ids:
            raise APIError(400, f"No such object for 'after': {after!r}.", param="after")
        start = ids.index(after) + 1
    chosen = items[start : start + limit]
    data = [item.public() for item in chosen]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(items),
    }


class BatchStore:
    """Files, batches and batch billing; the server holds its lock around every call."""

    def __init__(self, clock: Callable[[], float], seed: int) -> None:
        self.clock = clock
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, _Batch] = {}
        self.billed: Counter[str] = Counter()
        self.batches_created = 0
        self.files_uploaded = 0
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        self._rng = random.Random(seed + 2)  # apart from the chat endpoint's two streams

    def stats(self) -> dict[str, Any]:
        return {
            "batch_billed_per_custom_id": dict(self.billed),
            "batches_created": self.batches_created,
            "files_uploaded": self.files_uploaded,
        }

    # Files

    def upload(self, filename: str, purpose: str, content: bytes) -> dict[str, Any]:
        if purpose not in FILE_PURPOSES:
            message = f"Invalid value for 'purpose': {purpose!r}. Expected one of {FILE_PURPOSES}."
            raise APIError(400, message, param="purpose")
        if purpose == "batch" and not filename.endswith(".jsonl"):
            raise APIError(400, "Invalid file format for Batch API. Must be .jsonl", param="file")
        stored = self._store(filename, purpose, content)
        self.files_uploaded += 1
        return stored.public()

    def _store(self, filename: str, purpose: str, content: bytes) -> StoredFile:
        stored = StoredFile(_new_id("file-"), filename, purpose, content, int(self.clock()))
        self.files[stored.id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        if file_id not in self.files:
            raise APIError(404, f"No such File object: {file_id}", param="id")
        return self.files[file_id]

    def delete_file(self, file_id: str) -> dict[str, Any]:
        self.file(file_id)
        del self.files[file_id]
        return {"id": file_id, "object": "file", "deleted": True}

    def list_files(
        self, after: str | None, limit: int, order: str, purpose: str | None
    ) -> dict[str, Any]:
        if not 1 <= limit <= FILE_LIST_LIMIT:
            raise APIError(400, f"'limit' must be between 1 and {FILE_LIST_LIMIT}.", param="limit")
        if order not in ("asc", "desc"):
            raise APIError(400, "'order' must be 'asc' or 'desc'.", param="order")
        files = [f for f in self.files.values() if purpose is None or f.purpose == purpose]
        return _page(files if order == "asc" else files[::-1], after, limit)

    # Batches

    def create(self, body: Any, settings: BatchSettings) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise APIError(400, "We could not parse the JSON body.")
        for name in ("input_file_id", "endpoint", "completion_window"):
            if name not in body:
                raise APIError(400, f"Missing required parameter: '{name}'.", param=name)
        endpoint, window = body["endpoint"], body["completion_window"]
        if endpoint != BATCH_ENDPOINT:
            message = f"Invalid 'endpoint': {endpoint!r}; this server batches {BATCH_ENDPOINT}."
            raise APIError(400, message, param="endpoint")
        if window != "24h":
            message = f"Invalid 'completion_window': {window!r}; only '24h' is supported."
            raise APIError(400, message, param="completion_window")
        metadata = body.get("metadata")
        _check_metadata(metadata)
        source = self.file(str(body["input_file_id"]))
        if source.purpose != "batch":
            message = f"The input file {source.id} must be uploaded with purpose 'batch'."
            raise APIError(400, message, param="input_file_id")
        lines, problems, model = validate_input(source.content, endpoint, settings)
        batch = _Batch(
            _new_id("batch_"),
            source.id,
            endpoint,
            window,
            metadata,
            self.clock(),
            settings,
            lines,
            problems,
            model,
        )
        self.batches[batch.id] = batch
        self.batches_created += 1
        return batch.public()

    def _batch(self, batch_id: str) -> _Batch:
        if batch_id not in self.batches:
            raise APIError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return self.batches[batch_id]

    def retrieve(self, batch_id: str, answer: Answer) -> dict[str, Any]:
        batch = self._batch(batch_id)
        self._advance(batch, self.clock(), answer)
        return batch.public()

    def list_batches(self, after: str | None, limit: int, answer: Answer) -> dict[str, Any]:
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise APIError(400, f"'limit' must be between 1 and {LIST_LIMIT_MAX}.", param="limit")
        now = self.clock()
        batches = list(self.batches.values())[::-1]
        for batch in batches:
            self._advance(batch, now, answer)
        return _page(batches, after, limit)

    def cancel(self, batch_id: str, answer: Answer) -> dict[str, Any]:
        batch = self._batch(batch_id)
        now = self.clock()
        self._advance(batch, now, answer)
        if batch.status not in ("validating", "in_progress", "cancelling"):
            message = f"Cannot cancel a batch with status '{batch.status}'."
            raise APIError(400, message)
        if batch.status != "cancelling":
            batch.status = "cancelling"
            batch.times["cancelling"] = now
        return batch.public()

    def _advance(self, batch: _Batch, now: float, answer: Answer) -> None:
        """Bring the batch to where the clock says it is, answering requests on the way."""
        third = batch.settings.seconds / 3
        start = batch.created
        while batch.status not in _FINAL:
            if batch.status == "validating":
                if now < start + third:
                    return
                stage = "failed" if batch.problems else "in_progress"
                batch.status, batch.times[stage] = stage, start + third
            elif batch.status == "in_progress":
                self._work(batch, now, answer)
                limit = batch.settings.expire_after
                expiring = limit is not None and limit < len(batch.lines)
                if now < start + (3 if expiring else 2) * third:
                    return
                if expiring:
                    message = (
                        "This request could not be executed before the completion window expired."
                    )
                    self._finish(batch, "expired", start + 3 * third, "batch_expired", message)
                else:
                    batch.status, batch.times["finalizing"] = "finalizing", start + 2 * third
            elif batch.status == "finalizing":
                if now < start + 3 * third:
                    return
                self._finish(batch, "completed", start + 3 * third)
            else:  # cancelling
                at = batch.times["cancelling"] + third
                if now < at:
                    return
                message = "This request was not executed because the batch was cancelled."
                self._finish(batch, "cancelled", at, "batch_cancelled", message)

    def _work(self, batch: _Batch, now: float, answer: Answer) -> None:
        """Answer the requests due by ``now``: request i (of n) is done at in_progress_at plus
        (i + 1) / n of the in-progress third; never past ``expire_after``."""
        count = len(batch.lines)
        began, span = batch.times["in_progress"], batch.settings.seconds / 3
        due = count if span <= 0 else min(count, math.floor((now - began) / span * count))
        if batch.settings.expire_after is not None:
            due = min(due, batch.settings.expire_after)
        while batch.done < due:
            self._answer_one(batch, batch.lines[batch.done], answer)
            batch.done += 1

    def _answer_one(self, batch: _Batch, line: _Line, answer: Answer) -> None:
        fault = batch.settings.errors.get(line.custom_id) or self._roll(batch.settings)
        status, body = answer(line.body, fault)
        response = {"status_code": status, "request_id": _new_id("req_"), "body": body}
        record: dict[str, Any] = {"id": _new_id("batch_req_"), "custom_id": line.custom_id}
        record |= {"response": response, "error": None}
        if status == 200:
            batch.outputs.append(record)
            batch.completed += 1
            self.billed[line.custom_id] += 1
            usage = body.get("usage") or {}
            batch.usage["input"] += usage.get("prompt_tokens", 0)
            batch.usage["output"] += usage.get("completion_tokens", 0)
            details = usage.get("prompt_tokens_details") or {}
            batch.usage["cached"] += details.get("cached_tokens", 0)
        else:
            batch.errors.append(record)
            batch.failed += 1

    def _roll(self, settings: BatchSettings) -> str:
        if not settings.error_rates:
            return "ok"
        roll = self._rng.random()
        for kind in BATCH_ERROR_KINDS:
            roll -= settings.error_rates.get(kind, 0.0)
            if roll < 0:
                return kind
        return "ok"

    def _finish(
        self,
        batch: _Batch,
        status: str,
        at: float,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """End the batch: requests never run get ``code`` in the error file; the output and
        error files are written if they have lines."""
        if code is not None and "in_progress" in batch.times:
            for line in batch.lines[batch.done :]:
                error = {"code": code, "message": message}
                record: dict[str, Any] = {"id": _new_id("batch_req_"), "custom_id": line.custom_id}
                batch.errors.append(record | {"response": None, "error": error})
                batch.failed += 1
            batch.done = len(batch.lines)
        for records, kind in ((batch.outputs, "output"), (batch.errors, "error")):
            if records:
                content = "".join(json.dumps(record) + "\n" for record in records)
                name = f"batch_{batch.id}_{kind}.jsonl"
                stored = self._store(name, "batch_output", content.encode("utf-8"))
                setattr(batch, f"{kind}_file_id", stored.id)
        batch.status, batch.times[status] = status, at


def _check_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict) or len(metadata) > METADATA_PAIRS:
        message = f"'metadata' must be an object of at most {METADATA_PAIRS} pairs."
        raise APIError(400, message, param="metadata")
    for key, value in metadata.items():
        if len(key) > METADATA_KEY or not isinstance(value, str) or len(value) > METADATA_VALUE:
            message = (
                f"'metadata' keys are at most {METADATA_KEY} characters and values strings "
                f"of at most {METADATA_VALUE}."
            )
            raise APIError(400, message, param="metadata")
