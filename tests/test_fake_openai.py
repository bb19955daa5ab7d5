"""Tests for the fake OpenAI server, each over a real loopback port.

Every test pins one behaviour the extraction client and the benchmarks rely on, so a
regression in the fake shows up here rather than as a confusing client-side failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import httpx2
import instructor
import openai
import pytest
from pydantic import ValidationError

from summarizer.core.schema import Summary
from summarizer.testing.fake_openai import (
    INVENTED_CODE_URL,
    REFUSAL,
    FakeConfig,
    FakeOpenAIServer,
    default_answerer,
    format_duration,
    inventing_answerer,
    parse_args,
)

REPO = Path(__file__).resolve().parents[1]
SYSTEM = "You extract structured summaries of research papers."
ABSTRACT = (
    "We study how to summarise papers. We propose FakeSum, which extracts fields. It is fast."
)
OTHER = "Large models forget. We introduce a replay buffer that helps."
DURATION = re.compile(r"^(\d+ms|(\d+h)?(\d+m)?\d+(\.\d+)?s)$")
MODES = ("tools", "json_schema", "json_object", "md_json")
# asyncio runs a timer up to its clock resolution (1 ns) early, so a measured sleep may fall
# short of its delay by that much.
EARLY = 1e-6

Serve = Callable[..., FakeOpenAIServer]
# One pooled client: a fresh one per request spends ~20 ms building an SSL context.
HTTP = httpx2.Client(timeout=10, trust_env=False)


def sha(text: str) -> str:
    """The paper key, computed independently of the module under test."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def user_prompt(abstract: str, intro: str = "Summarise this paper.") -> str:
    return f"{intro}\n<abstract>\n{abstract}\n</abstract>"


def chat_body(mode: str = "json_object", abstract: str = ABSTRACT, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user_prompt(abstract)},
        ],
    }
    schema = Summary.model_json_schema()
    if mode == "tools":
        body["tools"] = [
            {"type": "function", "function": {"name": "Summary", "parameters": schema}}
        ]
    elif mode == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "Summary", "schema": schema},
        }
    elif mode == "json_object":
        body["response_format"] = {"type": "json_object"}
    return body | extra


def post(
    server: FakeOpenAIServer, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx2.Response:
    url = server.base_url + "/chat/completions"
    return HTTP.post(url, json=body, headers=headers)


def control(server: FakeOpenAIServer, method: str, path: str, **kwargs: Any) -> httpx2.Response:
    url = server.base_url.removesuffix("/v1") + path
    return HTTP.request(method, url, **kwargs)


def message_of(response: httpx2.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]


def summary_of(response: httpx2.Response, mode: str) -> Summary:
    """The Summary a 200 answer carries where the request's mode puts it."""
    message = message_of(response)
    if mode == "tools":
        return Summary.model_validate_json(message["tool_calls"][0]["function"]["arguments"])
    content = message["content"]
    if mode == "md_json":
        content = content.removeprefix("```json\n").removesuffix("\n```")
    return Summary.model_validate_json(content)


def wait_until(condition: Callable[[], bool], what: str, guard: float = 10.0) -> None:
    """Poll until ``condition`` holds; the guard only turns a hang into a failure."""
    deadline = time.monotonic() + guard
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.005)


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start servers with the given config fields; all are stopped after the test."""
    servers: list[FakeOpenAIServer] = []

    def start(**fields: Any) -> FakeOpenAIServer:
        server = FakeOpenAIServer(FakeConfig(**fields)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


_real_sleep = asyncio.sleep


class ServerSleeps:
    """Stands in for ``asyncio.sleep`` and records the waits the fake server's thread asks
    for (its latency and jitter), then really waits them.

    With ``hold_until=n`` each of those waits first holds until ``n`` of them are under way
    at once, so whether requests overlap does not depend on how fast the clients are; a
    server that answered one request at a time would never get there, and after ``GUARD``
    seconds every wait goes ahead and ``peak`` tells.
    """

    GUARD = 5.0

    def __init__(self, hold_until: int = 1) -> None:
        self.hold_until = hold_until
        self.delays: list[float] = []
        self.waiting = self.peak = 0
        self._all_in = asyncio.Event()

    def __call__(self, delay: float) -> Awaitable[None]:
        if threading.current_thread().name != "fake-openai":
            return _real_sleep(delay)
        return self._wait(delay)

    async def _wait(self, delay: float) -> None:
        self.delays.append(delay)
        self.waiting += 1
        self.peak = max(self.peak, self.waiting)
        try:
            if self.waiting >= self.hold_until:
                self._all_in.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_in.wait(), self.GUARD)
            self._all_in.set()
            await _real_sleep(delay)
        finally:
            self.waiting -= 1


@pytest.fixture
def server_sleeps(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ServerSleeps]:
    def spy(hold_until: int = 1) -> ServerSleeps:
        sleeps = ServerSleeps(hold_until)
        monkeypatch.setattr(asyncio, "sleep", sleeps)
        return sleeps

    return spy


class ServiceGate:
    """Stands in for ``asyncio.sleep`` on the fake server's thread (the serial server's
    service time): holds every such wait until :attr:`released` is set, then really waits
    and records when the wait began and ended.

    ``entered`` counts waits under way or done, so a test knows a request is in service;
    ``peak`` is the most waits under way at once. After ``GUARD`` seconds a held wait goes
    ahead anyway, so a broken server fails the test rather than hanging it.
    """

    GUARD = 10.0

    def __init__(self) -> None:
        self.released = threading.Event()
        self.entered = self.busy = self.peak = 0
        self.delays: list[float] = []
        self.spans: list[tuple[float, float]] = []

    def __call__(self, delay: float) -> Awaitable[None]:
        if threading.current_thread().name != "fake-openai" or delay <= 0:
            return _real_sleep(delay)
        return self._wait(delay)

    async def _wait(self, delay: float) -> None:
        self.entered += 1
        self.busy += 1
        self.peak = max(self.peak, self.busy)
        self.delays.append(delay)
        try:
            deadline = time.monotonic() + self.GUARD
            while not self.released.is_set() and time.monotonic() < deadline:
                await _real_sleep(0.005)
            began = time.monotonic()
            await _real_sleep(delay)
            self.spans.append((began, time.monotonic()))
        finally:
            self.busy -= 1


@pytest.fixture
def service_gate(monkeypatch: pytest.MonkeyPatch) -> ServiceGate:
    gate = ServiceGate()
    monkeypatch.setattr(asyncio, "sleep", gate)
    return gate


def test_models_lists_the_configured_model(serve: Serve) -> None:
    server = serve(model="my-model")
    assert server.base_url.startswith("http://127.0.0.1:")
    listing = HTTP.get(server.base_url + "/models").json()
    assert [m["id"] for m in listing["data"]] == ["my-model"]


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json_object", "md_json"])
def test_answers_in_the_requested_mode(serve: Serve, mode: str) -> None:
    response = post(serve(), chat_body(mode))
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert isinstance(data["created"], int)
    assert data["model"] == "test-model"
    choice = data["choices"][0]
    message = choice["message"]
    if mode == "tools":
        assert choice["finish_reason"] == "tool_calls"
        assert message["content"] is None
        (call,) = message["tool_calls"]
        assert call["id"] and call["type"] == "function"
        assert call["function"]["name"] == "Summary"
        payload = call["function"]["arguments"]
    else:
        assert choice["finish_reason"] == "stop"
        assert "tool_calls" not in message
        payload = message["content"]
    if mode == "md_json":
        assert payload.startswith("```json\n") and payload.endswith("\n```")
        payload = payload.removeprefix("```json\n").removesuffix("\n```")
    expected = Summary.model_validate(default_answerer(ABSTRACT))
    assert Summary.model_validate_json(payload) == expected


def test_default_answer_is_valid_and_verbatim() -> None:
    summary = Summary.model_validate(default_answerer(ABSTRACT))
    assert summary.task == summary.task_evidence == "We study how to summarise papers."
    assert summary.method.evidence == "We propose FakeSum, which extracts fields."
    for span in (summary.task_evidence, summary.method.evidence):
        assert span is not None and span in ABSTRACT
    assert summary.claimed_gains == summary.model_sizes == summary.links == []
    assert Summary.model_validate(default_answerer("")) == Summary.empty()


def test_inventing_answer_claims_what_the_abstract_lacks() -> None:
    summary = Summary.model_validate(inventing_answerer(ABSTRACT))
    assert summary.code_url == INVENTED_CODE_URL
    assert [link.url for link in summary.links] == [INVENTED_CODE_URL]
    (size,) = summary.model_sizes
    assert (size.text, size.params) == ("175B", 1.75e11)
    (gain,) = summary.claimed_gains
    assert (gain.value, gain.unit) == (99.9, "%")
    for invented in (INVENTED_CODE_URL, "175B", "99.9"):
        assert invented not in ABSTRACT


def test_usage_estimates_tokens_and_reports_cached_prefix(serve: Serve) -> None:
    server = serve()
    body = chat_body()
    first = post(server, body).json()
    chars = len(json.dumps(body["response_format"])) + sum(
        len(m["content"]) for m in body["messages"]
    )
    content = first["choices"][0]["message"]["content"]
    prompt, completion = math.ceil(chars / 4), math.ceil(len(content) / 4)
    assert first["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    prefix = json.dumps(body["response_format"]) + SYSTEM + "Summarise this paper.\n"
    second = post(server, chat_body(abstract=OTHER)).json()
    assert second["usage"]["prompt_tokens_details"]["cached_tokens"] == math.ceil(len(prefix) / 4)
    new_system = chat_body()
    new_system["messages"][0]["content"] = "A different static prompt."
    third = post(server, new_system).json()
    assert third["usage"]["prompt_tokens_details"]["cached_tokens"] == 0


def test_stats_key_papers_by_stripped_abstract(serve: Serve) -> None:
    server = serve()
    post(server, chat_body(abstract=ABSTRACT))
    post(server, chat_body(abstract=f"  {ABSTRACT}\n\n"))
    post(server, chat_body(abstract=OTHER))
    untagged = {"messages": [{"role": "user", "content": f" {OTHER} "}]}
    post(server, untagged)
    expected = {sha(ABSTRACT): 2, sha(OTHER): 2}
    stats = server.stats()
    assert stats["requests"] == 4
    assert stats["by_status"] == {"200": 4}
    assert stats["per_paper"] == stats["ok_per_paper"] == expected
    assert control(server, "GET", "/_stats").json() == stats


def test_rpm_limit_answers_429_until_the_window_frees(serve: Serve) -> None:
    server = serve(rpm=2, window_seconds=0.5)
    first, second, limited = (post(server, chat_body()) for _ in range(3))
    assert [first.status_code, second.status_code] == [200, 200]
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert limited.headers["x-ratelimit-limit-requests"] == "2"
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert DURATION.match(limited.headers["x-ratelimit-reset-requests"])
    assert "x-ratelimit-limit-tokens" not in limited.headers
    retry_after = float(limited.headers["Retry-After"])
    assert 0 < retry_after <= 0.5
    time.sleep(retry_after)
    assert post(server, chat_body()).status_code == 200
    assert server.stats()["rate_limited"] == 1


def test_tpm_limit_charges_prompt_plus_max_tokens(serve: Serve) -> None:
    server = serve(tpm=1000)
    first = post(server, chat_body(max_tokens=10))
    prompt = first.json()["usage"]["prompt_tokens"]
    assert first.headers["x-ratelimit-limit-tokens"] == "1000"
    assert first.headers["x-ratelimit-remaining-tokens"] == str(1000 - prompt - 10)
    assert DURATION.match(first.headers["x-ratelimit-reset-tokens"])
    too_big = post(server, chat_body(max_completion_tokens=1000))
    assert too_big.status_code == 429
    assert too_big.json()["error"]["type"] == "tokens"
    assert float(too_big.headers["Retry-After"]) > 0
    # Without a max, the estimated completion is charged instead.
    third = post(server, chat_body())
    completion = third.json()["usage"]["completion_tokens"]
    left = 1000 - (prompt + 10) - (prompt + completion)
    assert third.headers["x-ratelimit-remaining-tokens"] == str(left)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.25, "250ms"), (1.0, "1s"), (8.64, "8.64s"), (360.0, "6m0s"), (0.0, "0s"), (3723, "1h2m3s")],
)
def test_format_duration_matches_openai_headers(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_fault_script_applies_per_paper_and_star(serve: Serve) -> None:
    server = serve(fault_script={"*": ["429", "ok"], sha(OTHER): ["500"]})
    first = post(server, chat_body(abstract=ABSTRACT))
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "0.05"
    assert post(server, chat_body(abstract=ABSTRACT)).status_code == 200
    failed = post(server, chat_body(abstract=OTHER))
    assert failed.status_code == 500
    assert failed.json()["error"]["type"] == "server_error"
    assert post(server, chat_body(abstract=OTHER)).status_code == 200
    stats = server.stats()
    assert stats["faults"] == {"429": 1, "500": 1}
    assert stats["ok_per_paper"] == {sha(ABSTRACT): 1, sha(OTHER): 1}
    assert stats["by_status"] == {"200": 2, "429": 1, "500": 1}


@pytest.mark.parametrize("mode", ["json_object", "tools"])
def test_malformed_fault_sends_broken_json(serve: Serve, mode: str) -> None:
    message = message_of(post(serve(fault_script={"*": ["malformed"]}), chat_body(mode)))
    payload = message["tool_calls"][0]["function"]["arguments"] if mode == "tools" else None
    with pytest.raises(json.JSONDecodeError):
        json.loads(payload or message["content"])


def test_length_fault_truncates_with_finish_reason_length(serve: Serve) -> None:
    server = serve(fault_script={"*": ["length"]})
    choice = post(server, chat_body("md_json")).json()["choices"][0]
    assert choice["finish_reason"] == "length"
    content = choice["message"]["content"]
    assert content.startswith("```json\n") and not content.endswith("```")
    with pytest.raises(json.JSONDecodeError):
        json.loads(content.removeprefix("```json\n"))
    assert server.stats()["ok_per_paper"] == {}


def test_refusal_fault_sets_refusal_and_no_content(serve: Serve) -> None:
    choice = post(serve(fault_script={"*": ["refusal"]}), chat_body("tools")).json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"] is None
    assert choice["message"]["refusal"] == REFUSAL
    assert "tool_calls" not in choice["message"]


def test_invalid_fault_sends_json_that_fails_the_schema(serve: Serve) -> None:
    server = serve(fault_script={"*": ["invalid"]})
    answer = json.loads(message_of(post(server, chat_body("json_schema")))["content"])
    assert "method" not in answer and "task" in answer
    with pytest.raises(ValidationError):
        Summary.model_validate(answer)
    assert server.stats()["faults"] == {"invalid": 1}


def test_timeout_fault_holds_then_answers_504(serve: Serve) -> None:
    server = serve(fault_script={"*": ["timeout"]}, hang_seconds=0.3)
    started = time.monotonic()
    response = post(server, chat_body())
    assert response.status_code == 504
    assert time.monotonic() - started >= 0.3


def test_stop_releases_a_hanging_request_at_once() -> None:
    # The hang has an hour left and the client gives up after 10 s: only stop() can answer it.
    config = FakeConfig(fault_script={"*": ["timeout"]}, hang_seconds=3600)
    server = FakeOpenAIServer(config).start()
    responses: list[httpx2.Response] = []
    client = threading.Thread(target=lambda: responses.append(post(server, chat_body())))
    client.start()
    while server.stats()["faults"].get("timeout") != 1:
        time.sleep(0.01)
    server.stop()
    client.join()
    assert [r.status_code for r in responses] == [504]


def test_fault_rates_are_seeded_and_reset_replays_them(serve: Serve) -> None:
    def statuses(server: FakeOpenAIServer) -> list[int]:
        return [post(server, chat_body()).status_code for _ in range(24)]

    first = serve(fault_rates={"500": 0.5}, seed=7)
    run = statuses(first)
    assert set(run) == {200, 500}
    assert statuses(serve(fault_rates={"500": 0.5}, seed=7)) == run
    assert statuses(serve(fault_rates={"500": 0.5}, seed=8)) != run
    control(first, "POST", "/_reset")
    assert statuses(first) == run
    assert first.stats()["faults"] == {"500": run.count(500)}
    assert all(s == 500 for s in statuses(serve(fault_rates={"500": 1.0})))


def test_rejected_modes_get_a_400_naming_the_field(serve: Serve) -> None:
    server = serve(reject_modes={"json_schema", "tools"})
    for mode, param in (("json_schema", "response_format"), ("tools", "tools")):
        response = post(server, chat_body(mode))
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["param"] == param and error["code"] is None
        assert error["message"].startswith(f"{mode} is not supported by this server: '{param}'")
    assert post(server, chat_body("json_object")).status_code == 200


def test_api_key_is_required_when_configured(serve: Serve) -> None:
    server = serve(require_api_key="sekret")
    missing = post(server, chat_body())
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert post(server, chat_body(), {"Authorization": "Bearer wrong"}).status_code == 401
    assert post(server, chat_body(), {"Authorization": "Bearer sekret"}).status_code == 200
    assert HTTP.get(server.base_url + "/models").status_code == 401


def test_config_and_reset_endpoints_change_a_running_server(serve: Serve) -> None:
    server = serve()
    assert control(server, "POST", "/_config", json={"rpm": 1, "window_seconds": 30}).is_success
    assert [post(server, chat_body()).status_code for _ in range(2)] == [200, 429]
    assert control(server, "POST", "/_reset").is_success
    assert server.stats()["requests"] == 0
    assert post(server, chat_body()).status_code == 200
    for bad in ({"no_such_field": 1}, {"fault_rates": {"bogus": 0.1}}, {"answerer": "nope:x"}):
        assert control(server, "POST", "/_config", json=bad).status_code == 400
    path = "summarizer.testing.fake_openai:inventing_answerer"
    control(server, "POST", "/_config", json={"answerer": path, "rpm": None})
    answer = json.loads(message_of(post(server, chat_body()))["content"])
    assert answer["code_url"] == INVENTED_CODE_URL


def test_configure_and_config_validation() -> None:
    server = FakeOpenAIServer()
    assert server.configure(latency=0.5, reject_modes=["tools"]).reject_modes == {"tools"}
    assert server.config.latency == 0.5
    for bad in (
        {"fault_rates": {"404": 0.1}},
        {"fault_rates": {"429": 0.7, "500": 0.6}},
        {"fault_script": {"*": ["boom"]}},
        {"reject_modes": {"streaming"}},
        {"rpm": 0},
    ):
        with pytest.raises(ValueError):
            FakeConfig(**bad)


def test_latency_delays_answers_but_requests_run_concurrently(
    serve: Serve, server_sleeps: Callable[..., ServerSleeps]
) -> None:
    server = serve(latency=0.2)
    sleeps = server_sleeps(hold_until=8)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: post(server, chat_body()).status_code, range(8)))
    assert statuses == [200] * 8
    assert time.monotonic() - started >= 0.2
    assert sleeps.delays == [0.2] * 8
    assert sleeps.peak == 8  # all eight were waiting out their latency at the same time


def test_latency_jitter_adds_a_bounded_random_delay(
    serve: Serve, server_sleeps: Callable[..., ServerSleeps]
) -> None:
    sleeps = server_sleeps()

    def timed_requests(server: FakeOpenAIServer, count: int) -> list[float]:
        elapsed = []
        for _ in range(count):
            started = time.monotonic()
            post(server, chat_body())
            elapsed.append(time.monotonic() - started)
        return elapsed

    elapsed = timed_requests(serve(latency=0.01, latency_jitter=0.05, seed=3), 12)
    delays = list(sleeps.delays)
    assert len(set(delays)) == 12  # drawn afresh for each request
    assert all(0.01 <= delay <= 0.01 + 0.05 for delay in delays)  # latency plus at most jitter
    assert max(delays) > 0.01 + 0.05 * 0.75  # and the draws reach across that range
    assert all(took >= delay for took, delay in zip(elapsed, delays, strict=True))
    timed_requests(serve(latency=0.01, latency_jitter=0.05, seed=3), 3)
    assert sleeps.delays[12:] == delays[:3]  # the same seed draws the same delays


def test_port_in_use_raises_from_start(serve: Serve) -> None:
    taken = serve().port
    with pytest.raises(OSError):
        FakeOpenAIServer(port=taken).start()


def test_cli_prints_one_line_serves_and_exits_on_sigterm() -> None:
    command = [sys.executable, "-m", "summarizer.testing.fake_openai", "--port", "0"]
    command += ["--latency", "0.05", "--rpm", "600", "--tpm", "100000"]
    command += ["--faults", "429=0.2,500=0.1", "--reject-mode", "json_schema", "--seed", "1"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+/v1)\n", line)
        assert match, line
        base_url = match.group(1)
        assert HTTP.get(base_url + "/models").status_code == 200
        url = base_url + "/chat/completions"
        rejected = HTTP.post(url, json=chat_body("json_schema"))
        assert rejected.status_code == 400
        assert rejected.headers["x-ratelimit-limit-requests"] == "600"
        assert rejected.headers["x-ratelimit-limit-tokens"] == "100000"
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: HTTP.post(url, json=chat_body()), range(8)))
        # Seed 1 draws one 429 and one 500 in its first eight rolls.
        assert HTTP.get(base_url.removesuffix("/v1") + "/_stats").json()["faults"] == {
            "429": 1,
            "500": 1,
        }
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0  # the timeout only turns a hang into a failure
        assert proc.stdout.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


async def _extract(base_url: str, mode: instructor.Mode, retries: int = 0) -> Summary:
    client = openai.AsyncOpenAI(base_url=base_url, api_key="test", max_retries=0)
    try:
        extractor = instructor.from_openai(client, mode=mode)
        return await extractor.chat.completions.create(
            model="test-model",
            response_model=Summary,
            max_retries=retries,
            messages=[
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": user_prompt(ABSTRACT)},
            ],
        )
    finally:
        await client.close()


@pytest.mark.parametrize(
    "mode",
    [
        instructor.Mode.TOOLS,
        instructor.Mode.JSON_SCHEMA,
        instructor.Mode.JSON,
        instructor.Mode.MD_JSON,
    ],
)
def test_instructor_extracts_summary_in_each_mode(serve: Serve, mode: instructor.Mode) -> None:
    server = serve()
    summary = asyncio.run(_extract(server.base_url, mode))
    assert summary.model_dump() == default_answerer(ABSTRACT)
    assert server.stats()["ok_per_paper"] == {sha(ABSTRACT): 1}


def test_instructor_reask_counts_for_the_same_paper(serve: Serve) -> None:
    server = serve(fault_script={"*": ["invalid", "ok"]})
    summary = asyncio.run(_extract(server.base_url, instructor.Mode.JSON, retries=1))
    assert summary.task == "We study how to summarise papers."
    stats = server.stats()
    assert stats["per_paper"] == {sha(ABSTRACT): 2}
    assert stats["faults"] == {"invalid": 1}


def test_openai_sdk_honours_injected_retry_after(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(fault_script={"*": ["429", "ok"]}, retry_after=0.05)
    waits: list[float] = []
    real_sleep = anyio.sleep

    async def sleep(delay: float) -> None:  # the SDK waits out its retries with anyio.sleep
        waits.append(delay)
        await real_sleep(delay)

    monkeypatch.setattr(anyio, "sleep", sleep)

    async def call() -> str | None:
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=1) as c:
            result = await c.chat.completions.create(**chat_body())
            return result.choices[0].message.content

    content = asyncio.run(call())
    # The SDK's own backoff would wait ~0.5 s; it waits the parsed Retry-After instead.
    assert waits == [0.05]
    assert content is not None and Summary.model_validate_json(content)
    assert server.stats()["by_status"] == {"429": 1, "200": 1}


TOOLS = chat_body("tools")["tools"]
LITERAL_422 = {
    "type": "literal_error",
    "loc": ["body", "response_format", "type"],
    "msg": "Input should be 'text' or 'json_object'",
    "input": "json_schema",
    "ctx": {"expected": "'text' or 'json_object'"},
}
EXTRA_422 = {
    "type": "extra_forbidden",
    "loc": ["body", "tools"],
    "msg": "Extra inputs are not permitted",
    "input": TOOLS,
}
VALIDATION_500 = (
    "1 validation error for ChatCompletionRequest\nresponse_format.type\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema', "
    "input_type=str]"
)
# Per dialect, the (status, body) of each request shape it refuses; it serves the others.
REFUSED: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {
    "no_tools_400": {
        "tools": (
            400,
            {
                "error": {
                    "message": "This model does not support tools. Please remove the tools parameter.",
                    "type": "invalid_request_error",
                    "param": "tools",
                    "code": None,
                }
            },
        )
    },
    "tool_choice_flags_400": {
        "tools": (
            400,
            {
                "error": {
                    "message": '"auto" tool choice requires --enable-auto-tool-choice and '
                    "--tool-call-parser to be set",
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                }
            },
        )
    },
    "json_schema_only_400": {
        "json_object": (
            400,
            {
                "error": {
                    "message": "response_format.type must be 'json_schema'",
                    "type": "invalid_request_error",
                    "param": "response_format",
                    "code": None,
                }
            },
        )
    },
    "pydantic_422": {
        "tools": (422, {"detail": [EXTRA_422]}),
        "json_schema": (422, {"detail": [LITERAL_422]}),
    },
    "validation_500": {
        "json_schema": (
            500,
            {"error": {"message": VALIDATION_500, "type": "InternalServerError", "code": 500}},
        )
    },
}


@pytest.mark.parametrize("dialect", sorted(REFUSED))
def test_dialect_refuses_its_shapes_exactly_and_serves_the_others(
    serve: Serve, dialect: str
) -> None:
    server = serve(dialect=dialect)
    expected = Summary.model_validate(default_answerer(ABSTRACT))
    statuses = Counter[str]()
    for mode in MODES:
        response = post(server, chat_body(mode))
        statuses[str(response.status_code)] += 1
        if mode in REFUSED[dialect]:
            assert (response.status_code, response.json()) == REFUSED[dialect][mode], mode
        else:
            assert summary_of(response, mode) == expected, mode
    stats = server.stats()
    assert stats["by_mode"] == dict.fromkeys(MODES, 1)
    assert stats["by_status"] == statuses
    assert stats["ok_per_paper"] == {sha(ABSTRACT): len(MODES) - len(REFUSED[dialect])}


@pytest.mark.parametrize(
    "tool_choice", [None, "auto", "required", {"type": "function", "function": {"name": "Summary"}}]
)
def test_tool_choice_flags_dialect_refuses_tools_whatever_the_tool_choice(
    serve: Serve, tool_choice: Any
) -> None:
    body = chat_body("tools") | ({"tool_choice": tool_choice} if tool_choice else {})
    response = post(serve(dialect="tool_choice_flags_400"), body)
    assert (response.status_code, response.json()) == REFUSED["tool_choice_flags_400"]["tools"]


def test_pydantic_dialect_lists_every_field_it_forbids(serve: Serve) -> None:
    body = chat_body("json_schema") | {"tools": TOOLS}
    response = post(serve(dialect="pydantic_422"), body)
    assert response.status_code == 422
    assert response.json() == {"detail": [LITERAL_422, EXTRA_422]}


def test_validation_500_is_the_same_every_time_unlike_a_transient_500(serve: Serve) -> None:
    server = serve(dialect="validation_500", fault_script={sha(OTHER): ["500"]})
    first, second = (post(server, chat_body("json_schema")) for _ in range(2))
    assert [first.status_code, second.status_code] == [500, 500]
    assert first.content == second.content
    assert first.json()["error"]["message"] == VALIDATION_500
    transient = post(server, chat_body("json_object", abstract=OTHER))
    assert transient.status_code == 500
    assert transient.json()["error"]["message"] != VALIDATION_500
    assert server.stats()["faults"] == {"500": 1}  # the dialect's 500s are not faults


@pytest.mark.parametrize("mode", MODES)
def test_plain_text_dialect_answers_prose_and_a_fenced_json_block(serve: Serve, mode: str) -> None:
    server = serve(dialect="plain_text_200")
    choice = post(server, chat_body(mode)).json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert "tool_calls" not in choice["message"]
    prose, fence, block = choice["message"]["content"].partition("\n```json\n")
    assert fence and re.fullmatch(r"[A-Z][\w ]+[.:]", prose), prose
    assert block.endswith("\n```")
    answer = Summary.model_validate_json(block.removesuffix("\n```"))
    assert answer == Summary.model_validate(default_answerer(ABSTRACT))
    assert server.stats()["by_mode"] == {mode: 1}


def test_plain_text_dialect_parses_with_instructor_md_json(serve: Serve) -> None:
    server = serve(dialect="plain_text_200")
    summary = asyncio.run(_extract(server.base_url, instructor.Mode.MD_JSON))
    assert summary.model_dump() == default_answerer(ABSTRACT)
    assert server.stats()["by_status"] == {"200": 1}


def context_error(limit: int, prompt: int, completion: int) -> dict[str, Any]:
    message = (
        f"This model's maximum context length is {limit} tokens. However, you requested "
        f"{prompt + completion} tokens ({prompt} in the messages, {completion} in the "
        "completion). Please reduce the length of the messages or completion."
    )
    kind, code = "invalid_request_error", "context_length_exceeded"
    return {"error": {"message": message, "type": kind, "param": "messages", "code": code}}


def test_context_window_refuses_prompt_plus_max_tokens_over_it(serve: Serve) -> None:
    server = serve(context_tokens=2048)
    long = {"messages": [{"role": "user", "content": "x" * 10_800}], "max_tokens": 1024}
    response = post(server, long)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "This model's maximum context length is 2048 tokens. However, you requested 3724 "
        "tokens (2700 in the messages, 1024 in the completion). Please reduce the length of "
        "the messages or completion."
    )
    assert response.json() == context_error(2048, 2700, 1024)
    # The schema a request carries counts as prompt; the window is inclusive.
    body = chat_body("tools", max_tokens=1024)
    chars = len(json.dumps(body["tools"])) + sum(len(m["content"]) for m in body["messages"])
    prompt = math.ceil(chars / 4)
    server.configure(context_tokens=prompt + 1023)
    assert post(server, body).json() == context_error(prompt + 1023, prompt, 1024)
    server.configure(context_tokens=prompt + 1024)
    assert post(server, body).status_code == 200
    # Without max_tokens the completion is 16 tokens.
    body = chat_body("tools")
    server.configure(context_tokens=prompt + 15)
    assert post(server, body).json() == context_error(prompt + 15, prompt, 16)
    server.configure(context_tokens=prompt + 16)
    assert post(server, body).status_code == 200
    assert server.stats()["by_status"] == {"400": 3, "200": 2}


def test_serial_server_answers_one_at_a_time_in_arrival_order(
    serve: Serve, service_gate: ServiceGate
) -> None:
    service, count = 0.1, 4
    # Latency is for the concurrent server; the serial one spends service_time instead.
    server = serve(serial=True, service_time=service, latency=5.0)
    abstracts = [f"Paper {i} is studied here. We propose method {i}." for i in range(count)]
    responses: dict[int, httpx2.Response] = {}
    served_by_then: dict[int, int] = {}
    received: dict[int, float] = {}

    def client(i: int) -> None:
        responses[i] = post(server, chat_body(abstract=abstracts[i]))
        received[i] = time.monotonic()
        served_by_then[i] = len(service_gate.spans)

    def queued(n: int) -> Callable[[], bool]:
        return lambda: server.stats()["queued"] == n

    clients = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    clients[0].start()
    wait_until(lambda: service_gate.entered == 1, "the first request to be in service")
    for i in range(1, count):  # each arrives after the one before, and waits behind it
        clients[i].start()
        wait_until(queued(i), f"request {i} to queue")
    released = time.monotonic()
    service_gate.released.set()
    for thread in clients:
        thread.join()

    for i in range(count):
        assert summary_of(responses[i], "json_object").task == f"Paper {i} is studied here."
        # Answered only once i + 1 services were over: its own, after every earlier arrival's.
        assert served_by_then[i] >= i + 1
        assert received[i] - released >= (i + 1) * service - EARLY
    assert service_gate.delays == [service] * count
    assert service_gate.peak == 1
    spans = service_gate.spans
    assert all(end - began >= service - EARLY for began, end in spans)
    for (_, end), (began, next_end) in itertools.pairwise(spans):
        assert began >= end  # the next starts only when the previous has finished
        assert next_end - end >= service - EARLY
    stats = server.stats()
    assert (stats["peak_queue"], stats["queued"], stats["abandoned"]) == (count - 1, 0, 0)
    assert stats["by_status"] == {"200": count}


def test_serial_server_works_on_abandoned_requests_before_the_next(
    serve: Serve, service_gate: ServiceGate
) -> None:
    service = 0.2
    server = serve(serial=True, service_time=service)
    url = server.base_url + "/chat/completions"
    third = "Robots learn to walk. We train a policy in simulation."

    async def give_up(abstract: str, once: Callable[[], bool]) -> None:
        async with httpx2.AsyncClient(timeout=10, trust_env=False) as client:
            request = asyncio.create_task(client.post(url, json=chat_body(abstract=abstract)))
            deadline = time.monotonic() + 10  # turns a hang into a failure
            while not once():
                assert time.monotonic() < deadline, "the request never got where expected"
                await asyncio.sleep(0.005)
            request.cancel()  # as a client timeout does: the connection is dropped
            with contextlib.suppress(asyncio.CancelledError):
                await request

    def stat(name: str, value: int) -> Callable[[], bool]:
        return lambda: server.stats()[name] == value

    # One client gives up while its request is in service, one while its request waits.
    asyncio.run(give_up(ABSTRACT, lambda: service_gate.entered == 1))
    wait_until(stat("abandoned", 1), "the server to see the first client go")
    asyncio.run(give_up(OTHER, stat("queued", 1)))
    wait_until(stat("abandoned", 2), "the server to see the second client go")
    assert server.stats()["queued"] == 1  # still in line
    answers: list[tuple[httpx2.Response, float]] = []
    patient = threading.Thread(
        target=lambda: answers.append((post(server, chat_body(abstract=third)), time.monotonic()))
    )
    patient.start()
    wait_until(stat("queued", 2), "the patient request to queue behind both")
    released = time.monotonic()
    service_gate.released.set()
    patient.join()

    ((response, received),) = answers
    assert summary_of(response, "json_object").task == "Robots learn to walk."
    # Both abandoned requests' whole service times came first, then this one's.
    assert received - released >= 3 * service - EARLY
    spans = service_gate.spans
    assert len(spans) == 3
    assert all(end - began >= service - EARLY for began, end in spans)
    assert all(began >= end for (_, end), (began, _) in itertools.pairwise(spans))
    stats = server.stats()
    assert (stats["abandoned"], stats["peak_queue"], stats["queued"]) == (2, 2, 0)
    assert stats["by_status"] == {"200": 1}
    assert stats["ok_per_paper"] == dict.fromkeys(map(sha, (ABSTRACT, OTHER, third)), 1)


def test_stop_answers_the_serial_line_at_once() -> None:
    # An hour each: only stop() can answer them before the client gives up after 10 s.
    server = FakeOpenAIServer(FakeConfig(serial=True, service_time=3600)).start()
    statuses: list[int] = []
    clients = [
        threading.Thread(target=lambda: statuses.append(post(server, chat_body()).status_code))
        for _ in range(2)
    ]
    for thread in clients:
        thread.start()
    wait_until(lambda: server.stats()["queued"] == 1, "one in service and one waiting")
    server.stop()
    for thread in clients:
        thread.join()
    assert statuses == [503, 503]


def test_new_fields_change_through_config_and_validate(serve: Serve) -> None:
    server = serve()
    fields = {"dialect": "no_tools_400", "serial": True, "service_time": 0.01}
    assert control(server, "POST", "/_config", json=fields).is_success
    assert post(server, chat_body("tools")).status_code == 400
    assert post(server, chat_body("json_schema")).status_code == 200
    assert server.config.serial and server.config.service_time == 0.01
    assert control(server, "POST", "/_config", json={"context_tokens": 10}).is_success
    too_long = post(server, chat_body("json_schema"))
    assert too_long.json()["error"]["code"] == "context_length_exceeded"
    for bad in ({"dialect": "chatty"}, {"context_tokens": 0}, {"service_time": -1}):
        assert control(server, "POST", "/_config", json=bad).status_code == 400
        with pytest.raises(ValueError):
            FakeConfig(**bad)
    assert server.config.dialect == "no_tools_400"


def test_cli_flags_for_dialect_context_and_serial() -> None:
    flags = "--dialect pydantic_422 --context-tokens 2048 --serial --service-time 0.5"
    config, port = parse_args([*flags.split(), "--port", "8123"])
    assert port == 8123
    assert (config.dialect, config.context_tokens) == ("pydantic_422", 2048)
    assert (config.serial, config.service_time) == (True, 0.5)
    assert parse_args([]) == (FakeConfig(answerer="rules"), 0)  # realistic answers by default
    for bad in (["--dialect", "chatty"], ["--context-tokens", "0"], ["--service-time", "-1"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
