"""Tests for the fake server's Files and Batches endpoints, through the real ``openai`` client.

The batch path is tested end to end at the HTTP boundary against this fake, so each test
pins a behaviour of the real API the fake must copy: object shapes the client parses, the
lifecycle, validation that fails a batch instead of refusing it, expiry, cancellation and
which requests are billed. Stage timing uses a clock the test moves, or ``batch_seconds=0``
and polling: nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Final

import httpx2
import openai
import pytest
from openai.types import Batch
from openai.types.chat import ChatCompletion, ChatCompletionMessageFunctionToolCall
from pydantic import ValidationError

from summarizer.core.schema import Summary
from summarizer.testing.fake_openai import (
    FakeConfig,
    FakeOpenAIServer,
    default_answerer,
    parse_args,
)

ENDPOINT: Final = "/v1/chat/completions"
ABSTRACTS = {
    f"paper-{i}": f"Topic {i} is studied here. We propose method {i}. It works." for i in range(6)
}
FINAL = ("completed", "failed", "expired", "cancelled")
START = 1_800_000_000.0


class Clock:
    """The server's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def body_for(abstract: str, mode: str = "json_object", model: str = "test-model") -> dict:
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {"role": "system", "content": "You extract structured summaries."},
            {"role": "user", "content": f"Summarise.\n<abstract>\n{abstract}\n</abstract>"},
        ],
    }
    schema = Summary.model_json_schema()
    if mode == "tools":
        function = {"name": "Summary", "parameters": schema}
        body["tools"] = [{"type": "function", "function": function}]
        body["tool_choice"] = {"type": "function", "function": {"name": "Summary"}}
    elif mode == "json_schema":
        json_schema = {"name": "Summary", "schema": schema}
        body["response_format"] = {"type": "json_schema", "json_schema": json_schema}
    else:
        body["response_format"] = {"type": "json_object"}
    return body


def line(custom_id: str, body: dict | None = None, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT}
    request["body"] = body if body is not None else body_for(ABSTRACTS[custom_id])
    return request | overrides


def jsonl(requests: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in requests).encode("utf-8")


def read_jsonl(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(row) for row in client.files.content(file_id).text.splitlines()]


def summary_in(completion: ChatCompletion) -> Summary:
    message = completion.choices[0].message
    if message.tool_calls:
        call = message.tool_calls[0]
        assert isinstance(call, ChatCompletionMessageFunctionToolCall)
        return Summary.model_validate_json(call.function.arguments)
    assert message.content is not None
    return Summary.model_validate_json(message.content)


@pytest.fixture
def start() -> Iterator[Any]:
    """start(clock=None, **config) -> (server, client); all are stopped after the test."""
    running: list[tuple[FakeOpenAIServer, openai.OpenAI]] = []

    def go(clock: Clock | None = None, **fields: Any) -> tuple[FakeOpenAIServer, openai.OpenAI]:
        server = FakeOpenAIServer(FakeConfig(**fields), clock=clock or time.time).start()
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-x", max_retries=0)
        running.append((server, client))
        return server, client

    yield go
    for server, client in running:
        client.close()
        server.stop()


def submit(client: openai.OpenAI, requests: list[dict[str, Any]], **extra: Any) -> Batch:
    uploaded = client.files.create(file=("input.jsonl", jsonl(requests)), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h", **extra
    )


def wait_final(client: openai.OpenAI, batch_id: str, guard: float = 30.0) -> Batch:
    """Retrieve until the batch ends; the guard only turns a hang into a failure."""
    deadline = time.monotonic() + guard
    while (batch := client.batches.retrieve(batch_id)).status not in FINAL:
        assert time.monotonic() < deadline, f"batch stuck in {batch.status}"
        time.sleep(0.005)
    return batch


@pytest.mark.parametrize("mode", ["json_object", "json_schema", "tools"])
def test_round_trip_answers_each_request_as_the_chat_endpoint_would(start: Any, mode: str) -> None:
    server, client = start(batch_seconds=0.05)
    ids = ["paper-0", "paper-1", "paper-2"]
    requests = [line(i, body_for(ABSTRACTS[i], mode)) for i in ids]
    created = submit(client, requests, metadata={"run": "r1"})
    assert created.id.startswith("batch_") and created.object == "batch"
    assert (created.status, created.endpoint, created.completion_window) == (
        "validating",
        ENDPOINT,
        "24h",
    )
    assert created.metadata == {"run": "r1"} and created.output_file_id is None

    batch = wait_final(client, created.id)
    assert batch.status == "completed"
    assert batch.request_counts is not None
    assert (batch.request_counts.total, batch.request_counts.completed) == (3, 3)
    assert batch.request_counts.failed == 0 and batch.error_file_id is None
    assert batch.model == "test-model"
    stamps = [batch.in_progress_at, batch.finalizing_at, batch.completed_at]
    assert all(s is not None for s in stamps)
    assert batch.created_at <= stamps[0] <= stamps[1] <= stamps[2]  # type: ignore[operator]

    output = client.files.retrieve(batch.output_file_id or "")
    assert (output.purpose, output.object) == ("batch_output", "file")
    rows = read_jsonl(client, batch.output_file_id)
    assert [row["custom_id"] for row in rows] == ids
    usage_in = 0
    for row, custom_id in zip(rows, ids, strict=True):
        assert row["id"].startswith("batch_req_") and row["error"] is None
        assert row["response"]["status_code"] == 200
        assert row["response"]["request_id"].startswith("req_")
        completion = ChatCompletion.model_validate(row["response"]["body"])
        assert completion.object == "chat.completion"
        assert summary_in(completion).model_dump() == default_answerer(ABSTRACTS[custom_id])
        # The same request on the chat endpoint gets the same answer and token counts.
        direct = client.chat.completions.create(**body_for(ABSTRACTS[custom_id], mode))
        assert summary_in(direct) == summary_in(completion)
        assert direct.choices[0].finish_reason == completion.choices[0].finish_reason
        assert completion.usage is not None and direct.usage is not None
        assert completion.usage.prompt_tokens == direct.usage.prompt_tokens
        assert completion.usage.completion_tokens == direct.usage.completion_tokens
        usage_in += completion.usage.prompt_tokens
    assert batch.usage is not None and batch.usage.input_tokens == usage_in
    stats = server.stats()
    assert stats["batch_billed_per_custom_id"] == dict.fromkeys(ids, 1)
    assert (stats["batches_created"], stats["files_uploaded"]) == (1, 1)
    assert stats["requests"] == len(ids)  # only the direct chat requests


def test_stages_follow_the_server_clock(start: Any) -> None:
    clock = Clock()
    _, client = start(clock, batch_seconds=3)
    batch = submit(client, [line(f"paper-{i}") for i in range(3)])
    assert (batch.status, batch.created_at) == ("validating", int(START))
    assert batch.request_counts is not None and batch.request_counts.total == 0

    def at(offset: float) -> Batch:
        clock.now = START + offset
        return client.batches.retrieve(batch.id)

    assert at(0.99).status == "validating"
    running = at(1.0)
    assert (running.status, running.in_progress_at) == ("in_progress", int(START + 1))
    assert running.request_counts is not None
    assert (running.request_counts.total, running.request_counts.completed) == (3, 0)
    # Requests are answered one after another across the in-progress second.
    part = at(1.5)
    assert part.request_counts is not None and part.request_counts.completed == 1
    finalizing = at(2.0)
    assert (finalizing.status, finalizing.finalizing_at) == ("finalizing", int(START + 2))
    assert finalizing.request_counts is not None and finalizing.request_counts.completed == 3
    assert finalizing.output_file_id is None
    done = at(100.0)  # looked at late: stamped when it finished, not when seen
    assert (done.status, done.completed_at) == ("completed", int(START + 3))
    assert done.output_file_id is not None


def test_list_pages_newest_first_with_after_and_limit(start: Any) -> None:
    server, client = start(batch_seconds=0)
    made = [submit(client, [line("paper-0")]).id for _ in range(5)]
    newest_first = made[::-1]
    first = client.batches.list(limit=2)
    assert [b.id for b in first.data] == newest_first[:2]
    assert first.has_more is True
    second = client.batches.list(limit=2, after=first.data[-1].id)
    assert [b.id for b in second.data] == newest_first[2:4]
    last = client.batches.list(limit=2, after=second.data[-1].id)
    assert [b.id for b in last.data] == newest_first[4:] and last.has_more is False
    # The client's auto-pagination follows the same cursors.
    assert [b.id for b in client.batches.list(limit=2)] == newest_first
    assert [b.id for b in client.batches.list()] == newest_first  # default limit 20
    raw = httpx2.get(f"{server.base_url}/batches", params={"limit": 2}, trust_env=False).json()
    assert (raw["object"], raw["first_id"], raw["last_id"]) == ("list", *newest_first[:2])
    # Listing advances batches too.
    assert {b.status for b in client.batches.list()} == {"completed"}
    for bad in (0, 101):
        with pytest.raises(openai.BadRequestError):
            client.batches.list(limit=bad)


def test_cancel_keeps_the_answers_given_before_it(start: Any) -> None:
    clock = Clock()
    server, client = start(clock, batch_seconds=3)
    ids = [f"paper-{i}" for i in range(4)]
    batch = submit(client, [line(i) for i in ids])
    clock.now = START + 1.5  # half way through the in-progress second: two answered
    cancelling = client.batches.cancel(batch.id)
    assert (cancelling.status, cancelling.cancelling_at) == ("cancelling", int(START + 1.5))
    assert client.batches.cancel(batch.id).status == "cancelling"  # cancelling again is fine
    clock.now = START + 2.49  # cancelling takes a third of batch_seconds; nothing more is run
    still = client.batches.retrieve(batch.id)
    assert still.status == "cancelling" and still.output_file_id is None
    clock.now = START + 2.5
    cancelled = client.batches.retrieve(batch.id)
    assert (cancelled.status, cancelled.cancelled_at) == ("cancelled", int(START + 2.5))
    assert cancelled.request_counts is not None
    counts = cancelled.request_counts
    assert (counts.total, counts.completed, counts.failed) == (4, 2, 2)
    assert [r["custom_id"] for r in read_jsonl(client, cancelled.output_file_id)] == ids[:2]
    errors = read_jsonl(client, cancelled.error_file_id)
    assert [r["custom_id"] for r in errors] == ids[2:]
    for row in errors:
        assert row["response"] is None and row["error"]["code"] == "batch_cancelled"
    assert server.stats()["batch_billed_per_custom_id"] == dict.fromkeys(ids[:2], 1)
    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(batch.id)


def test_cancel_while_validating_runs_nothing(start: Any) -> None:
    clock = Clock()
    server, client = start(clock, batch_seconds=3)
    batch = submit(client, [line("paper-0"), line("paper-1")])
    assert client.batches.cancel(batch.id).status == "cancelling"
    clock.now = START + 10
    cancelled = client.batches.retrieve(batch.id)
    assert cancelled.status == "cancelled" and cancelled.in_progress_at is None
    assert (cancelled.output_file_id, cancelled.error_file_id) == (None, None)
    assert server.stats()["batch_billed_per_custom_id"] == {}


def test_cancelling_a_finished_batch_is_refused(start: Any) -> None:
    _, client = start(batch_seconds=0)
    batch = wait_final(client, submit(client, [line("paper-0")]).id)
    with pytest.raises(openai.BadRequestError, match="completed"):
        client.batches.cancel(batch.id)


def test_expiry_keeps_the_first_n_and_lists_the_rest_as_expired(start: Any) -> None:
    clock = Clock()
    server, client = start(clock, batch_seconds=3, batch_expire_after=2)
    ids = [f"paper-{i}" for i in range(5)]
    batch = submit(client, [line(i) for i in ids])
    clock.now = START + 2.5  # past where it would finalize: still in progress, two done
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress"
    assert running.request_counts is not None and running.request_counts.completed == 2
    clock.now = START + 3
    expired = client.batches.retrieve(batch.id)
    assert (expired.status, expired.expired_at) == ("expired", int(START + 3))
    assert expired.completed_at is None and expired.finalizing_at is None
    assert expired.request_counts is not None
    counts = expired.request_counts
    assert (counts.total, counts.completed, counts.failed) == (5, 2, 3)
    outputs = read_jsonl(client, expired.output_file_id)
    assert [r["custom_id"] for r in outputs] == ids[:2]
    for row in outputs:
        ChatCompletion.model_validate(row["response"]["body"])
    errors = read_jsonl(client, expired.error_file_id)
    assert [r["custom_id"] for r in errors] == ids[2:]
    for row in errors:
        assert row["response"] is None
        assert row["error"]["code"] == "batch_expired" and row["error"]["message"]
    assert server.stats()["batch_billed_per_custom_id"] == dict.fromkeys(ids[:2], 1)


def test_a_batch_no_larger_than_expire_after_completes(start: Any) -> None:
    _, client = start(batch_seconds=0, batch_expire_after=2)
    batch = wait_final(client, submit(client, [line("paper-0"), line("paper-1")]).id)
    assert batch.status == "completed" and batch.error_file_id is None


def test_per_request_errors_and_invalid_answers(start: Any) -> None:
    errors = {"paper-1": "server_error", "paper-2": "invalid", "paper-3": "bad_request"}
    server, client = start(batch_seconds=0, batch_errors=errors)
    no_user = {"model": "test-model", "messages": [{"role": "system", "content": "Hi."}]}
    requests = [line(f"paper-{i}") for i in range(4)] + [line("paper-4", no_user)]
    batch = wait_final(client, submit(client, requests).id)
    assert batch.status == "completed"  # per-request failures do not fail the batch
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (2, 3)

    outputs = {r["custom_id"]: r for r in read_jsonl(client, batch.output_file_id)}
    assert list(outputs) == ["paper-0", "paper-2"]
    damaged = ChatCompletion.model_validate(outputs["paper-2"]["response"]["body"])
    content = damaged.choices[0].message.content
    assert content is not None
    answer = json.loads(content)  # valid JSON, but not a valid Summary
    assert "method" not in answer
    with pytest.raises(ValidationError):
        Summary.model_validate(answer)

    failed = {r["custom_id"]: r for r in read_jsonl(client, batch.error_file_id)}
    assert list(failed) == ["paper-1", "paper-3", "paper-4"]
    statuses = {cid: r["response"]["status_code"] for cid, r in failed.items()}
    assert statuses == {"paper-1": 500, "paper-3": 400, "paper-4": 400}
    for row in failed.values():
        assert row["error"] is None and row["response"]["request_id"].startswith("req_")
        assert row["response"]["body"]["error"]["message"]
    assert failed["paper-1"]["response"]["body"]["error"]["type"] == "server_error"
    assert failed["paper-4"]["response"]["body"]["error"]["param"] == "messages"
    # Answered requests are billed, damaged or not; failed ones are not.
    assert server.stats()["batch_billed_per_custom_id"] == {"paper-0": 1, "paper-2": 1}


def test_all_requests_failing_still_completes_without_an_output_file(start: Any) -> None:
    _, client = start(batch_seconds=0, batch_error_rates={"server_error": 1.0})
    batch = wait_final(client, submit(client, [line("paper-0"), line("paper-1")]).id)
    assert (batch.status, batch.output_file_id) == ("completed", None)
    assert len(read_jsonl(client, batch.error_file_id)) == 2


def test_error_rates_are_seeded_and_reset_replays_them(start: Any) -> None:
    def failing(client: openai.OpenAI) -> list[str]:
        requests = [line(f"paper-{i}") for i in range(6)]
        batch = wait_final(client, submit(client, requests).id)
        if batch.error_file_id is None:
            return []
        return [r["custom_id"] for r in read_jsonl(client, batch.error_file_id)]

    rates = {"server_error": 0.5}
    first, client = start(batch_seconds=0, batch_error_rates=rates, seed=5)
    run = failing(client)
    assert 0 < len(run) < 6
    assert failing(start(batch_seconds=0, batch_error_rates=rates, seed=5)[1]) == run
    first.reset()
    assert failing(client) == run


def test_billing_counts_each_answer_once_however_often_it_is_read(start: Any) -> None:
    server, client = start(batch_seconds=0)
    requests = [line("paper-0"), line("paper-1")]
    batch = wait_final(client, submit(client, requests).id)
    for _ in range(3):
        client.batches.retrieve(batch.id)
        list(client.batches.list())
        read_jsonl(client, batch.output_file_id)
    assert server.stats()["batch_billed_per_custom_id"] == {"paper-0": 1, "paper-1": 1}
    wait_final(client, submit(client, [line("paper-0")]).id)  # resubmitted: billed again
    stats = server.stats()
    assert stats["batch_billed_per_custom_id"] == {"paper-0": 2, "paper-1": 1}
    assert (stats["batches_created"], stats["files_uploaded"]) == (2, 2)


GOOD = line("paper-0")
INVALID_INPUT = {
    "not_json": (b'{"custom_id": "x", \n', "invalid_json_line", 1),
    "missing_custom_id": (
        jsonl([GOOD, {k: v for k, v in line("paper-1").items() if k != "custom_id"}]),
        "missing_required_parameter",
        2,
    ),
    "duplicate_custom_id": (jsonl([GOOD, line("paper-1"), GOOD]), "duplicate_custom_id", 3),
    "method_get": (jsonl([line("paper-1", method="GET")]), "invalid_value", 1),
    "url_mismatch": (jsonl([GOOD, line("paper-1", url="/v1/embeddings")]), "url_mismatch", 2),
    "model_mismatch": (
        jsonl([GOOD, line("paper-1", body_for(ABSTRACTS["paper-1"], model="other"))]),
        "model_mismatch",
        2,
    ),
    "empty_file": (b"\n", "empty_file", None),
}


@pytest.mark.parametrize("case", sorted(INVALID_INPUT))
def test_input_the_api_refuses_fails_the_batch(start: Any, case: str) -> None:
    content, code, line_number = INVALID_INPUT[case]
    server, client = start(batch_seconds=0)
    uploaded = client.files.create(file=("input.jsonl", content), purpose="batch")
    created = client.batches.create(
        input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h"
    )
    assert created.status == "validating"  # accepted first, as the API does
    batch = wait_final(client, created.id)
    assert batch.status == "failed" and batch.failed_at is not None
    assert batch.in_progress_at is None
    assert batch.errors is not None and batch.errors.data
    (error,) = batch.errors.data
    assert (error.code, error.line) == (code, line_number)
    assert error.message
    assert batch.request_counts is not None and batch.request_counts.total == 0
    assert (batch.output_file_id, batch.error_file_id) == (None, None)
    assert server.stats()["batch_billed_per_custom_id"] == {}


def test_request_and_byte_limits_fail_the_batch_beyond_them(start: Any) -> None:
    requests = [line(f"paper-{i}") for i in range(3)]
    size = len(jsonl(requests))
    _, client = start(batch_seconds=0, batch_max_requests=2)
    batch = wait_final(client, submit(client, requests).id)
    assert batch.status == "failed" and batch.errors is not None and batch.errors.data
    assert batch.errors.data[0].code == "too_many_tasks"
    assert wait_final(client, submit(client, requests[:2]).id).status == "completed"

    _, client = start(batch_seconds=0, batch_max_bytes=size - 1)
    batch = wait_final(client, submit(client, requests).id)
    assert batch.status == "failed" and batch.errors is not None and batch.errors.data
    assert [e.code for e in batch.errors.data] == ["file_too_large"]
    _, client = start(batch_seconds=0, batch_max_bytes=size)
    assert wait_final(client, submit(client, requests).id).status == "completed"


def test_default_limits_are_the_apis(start: Any) -> None:
    config = FakeConfig()
    assert (config.batch_max_requests, config.batch_max_bytes) == (50_000, 200 * 1024 * 1024)
    assert 0 < config.batch_seconds <= 1


def test_files_upload_retrieve_content_list_and_delete(start: Any) -> None:
    server, client = start()
    content = jsonl([line("paper-0")])
    uploaded = client.files.create(file=("requests.jsonl", content), purpose="batch")
    assert uploaded.id.startswith("file-") and uploaded.object == "file"
    assert (uploaded.bytes, uploaded.filename, uploaded.purpose) == (
        len(content),
        "requests.jsonl",
        "batch",
    )
    assert client.files.retrieve(uploaded.id) == uploaded
    assert client.files.content(uploaded.id).content == content
    other = client.files.create(file=("notes.txt", b"hello"), purpose="user_data")
    assert [f.id for f in client.files.list()] == [other.id, uploaded.id]
    assert [f.id for f in client.files.list(purpose="batch")] == [uploaded.id]
    assert [f.id for f in client.files.list(order="asc", limit=1)] == [uploaded.id, other.id]
    deleted = client.files.delete(uploaded.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (uploaded.id, True, "file")
    for call in (client.files.retrieve, client.files.content, client.files.delete):
        with pytest.raises(openai.NotFoundError):
            call(uploaded.id)
    assert server.stats()["files_uploaded"] == 2


def test_uploads_and_creates_the_api_refuses(start: Any) -> None:
    _, client = start()
    with pytest.raises(openai.BadRequestError, match="jsonl"):
        client.files.create(file=("requests.csv", b"a,b"), purpose="batch")
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("x.jsonl", b"{}"), purpose="homework")
    with pytest.raises(openai.NotFoundError):
        client.batches.create(
            input_file_id="file-missing", endpoint=ENDPOINT, completion_window="24h"
        )
    notes = client.files.create(file=("notes.jsonl", b"{}"), purpose="user_data")
    good = client.files.create(file=("in.jsonl", jsonl([line("paper-0")])), purpose="batch")
    bad_creates: list[dict[str, Any]] = [
        {"input_file_id": notes.id},  # not uploaded for batches
        {"input_file_id": good.id, "endpoint": "/v1/embeddings"},
        {"input_file_id": good.id, "completion_window": "1h"},
        {"input_file_id": good.id, "metadata": {"k": "v" * 513}},
    ]
    for fields in bad_creates:
        arguments = {"endpoint": ENDPOINT, "completion_window": "24h"} | fields
        with pytest.raises(openai.BadRequestError):
            client.batches.create(**arguments)
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")
    with pytest.raises(openai.NotFoundError):
        client.batches.cancel("batch_missing")


def test_batch_endpoints_require_the_api_key(start: Any) -> None:
    server, client = start(require_api_key="sekret")
    with pytest.raises(openai.AuthenticationError):
        client.files.create(file=("in.jsonl", jsonl([line("paper-0")])), purpose="batch")
    with pytest.raises(openai.AuthenticationError):
        client.batches.list()
    keyed = openai.OpenAI(base_url=server.base_url, api_key="sekret", max_retries=0)
    try:
        assert wait_final(keyed, submit(keyed, [line("paper-0")]).id).status == "completed"
    finally:
        keyed.close()


def test_reset_forgets_files_batches_and_billing(start: Any) -> None:
    server, client = start(batch_seconds=0)
    batch = wait_final(client, submit(client, [line("paper-0")]).id)
    base = server.base_url.removesuffix("/v1")
    stats = httpx2.get(f"{base}/_stats", trust_env=False).json()
    assert stats["batch_billed_per_custom_id"] == {"paper-0": 1}
    assert (stats["batches_created"], stats["files_uploaded"]) == (1, 1)
    assert httpx2.post(f"{base}/_reset", trust_env=False).is_success
    stats = server.stats()
    assert stats["batch_billed_per_custom_id"] == {}
    assert (stats["batches_created"], stats["files_uploaded"]) == (0, 0)
    assert client.batches.list().data == [] and client.files.list().data == []
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve(batch.id)


def test_batch_fields_through_config_endpoint_and_validation(start: Any) -> None:
    server, client = start()
    base = server.base_url.removesuffix("/v1")
    fields = {"batch_seconds": 0, "batch_expire_after": 1, "batch_errors": {"paper-0": "invalid"}}
    assert httpx2.post(f"{base}/_config", json=fields, trust_env=False).is_success
    batch = wait_final(client, submit(client, [line("paper-0"), line("paper-1")]).id)
    assert batch.status == "expired"
    assert batch.request_counts is not None and batch.request_counts.completed == 1
    for bad in (
        {"batch_seconds": -1},
        {"batch_max_requests": 0},
        {"batch_max_bytes": 0},
        {"batch_expire_after": -1},
        {"batch_errors": {"x": "boom"}},
        {"batch_error_rates": {"server_error": 0.7, "invalid": 0.6}},
        {"batch_error_rates": {"timeout": 0.1}},
    ):
        response = httpx2.post(f"{base}/_config", json=bad, trust_env=False)
        assert response.status_code == 400, bad
        with pytest.raises(ValueError):
            FakeConfig(**bad)


def test_batch_config_keeps_its_creation_settings(start: Any) -> None:
    clock = Clock()
    server, client = start(clock, batch_seconds=3)
    batch = submit(client, [line("paper-0")])
    server.configure(batch_seconds=0, batch_expire_after=0)
    clock.now = START + 2.99
    assert client.batches.retrieve(batch.id).status == "finalizing"
    clock.now = START + 3
    assert client.batches.retrieve(batch.id).status == "completed"


def test_cli_flags_for_batches() -> None:
    flags = [
        "--batch-seconds",
        "0.1",
        "--batch-max-requests",
        "10",
        "--batch-max-bytes",
        "1000",
        "--batch-expire-after",
        "3",
        "--batch-errors",
        '{"a": "server_error", "b": "invalid"}',
        "--batch-error-rates",
        "server_error=0.1,malformed=0.05",
    ]
    config, _ = parse_args(flags)
    assert (config.batch_seconds, config.batch_max_requests) == (0.1, 10)
    assert (config.batch_max_bytes, config.batch_expire_after) == (1000, 3)
    assert config.batch_errors == {"a": "server_error", "b": "invalid"}
    assert config.batch_error_rates == {"server_error": 0.1, "malformed": 0.05}
    for bad in (["--batch-seconds", "-1"], ["--batch-errors", '{"a": "boom"}']):
        with pytest.raises(SystemExit):
            parse_args(bad)
