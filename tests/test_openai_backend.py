"""The openai backend against an HTTP-level fake: the real openai SDK, instructor and tenacity run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from summarizer.backends import BackendSettings, get_backend
from summarizer.backends.openai.backend import OpenAIBackend
from summarizer.core.errors import BackendError, ConfigError, ExtractionError
from summarizer.core.paper import Paper
from summarizer.core.schema import Summary
from summarizer.run import pipeline
from summarizer.run.jobs import EngineSettings
from summarizer.store.store import Store

ABSTRACT = (
    "We propose FastMerge, a method to merge fine-tuned models. FastMerge improves accuracy by "
    "3.2% over TIES-Merging on eight tasks with Llama-2-7B. Code: https://github.com/org/fastmerge."
)
Handler = Callable[[httpx2.Request], httpx2.Response]


def summary_json(**changes: Any) -> str:
    summary = Summary.empty().model_dump()
    summary.update(
        task="merging fine-tuned models",
        code_url="https://github.com/org/fastmerge",
        links=[{"url": "https://github.com/org/fastmerge", "kind": "code"}],
        model_sizes=[
            {"text": "7B", "params": 7e9, "vague": False, "role": "own", "evidence": "Llama-2-7B"}
        ],
    )
    summary["method"] = {"name": "FastMerge", "description": "a merging method", "evidence": None}
    summary.update(changes)
    return json.dumps(summary)


def completion(
    content: str | None,
    *,
    finish: str = "stop",
    refusal: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx2.Response:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
        "usage": {
            "prompt_tokens": 120,
            "completion_tokens": 40,
            "total_tokens": 160,
            "prompt_tokens_details": {"cached_tokens": 100},
        },
    }
    return httpx2.Response(200, json=body, headers=headers or {})


def error(status: int, message: str, param: str | None = None, **headers: str) -> httpx2.Response:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }
    return httpx2.Response(status, json=body, headers=headers)


class Script:
    """Answers chat completions from a list of responses or exceptions, recording requests."""

    def __init__(self, *steps: httpx2.Response | Exception) -> None:
        self.steps = list(steps)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/models"):
            return httpx2.Response(200, json={"object": "list", "data": []})
        self.requests.append(json.loads(request.content))
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step


def make_backend(script: Script, **settings: Any) -> OpenAIBackend:
    """A backend on the scripted transport; the mode is forced (json_schema unless a test
    says otherwise) so no probe consumes the script; probing has tests of its own."""
    config = BackendSettings(
        model="test-model",
        base_url="http://llm.test/v1",
        api_key="sk-test-secret-123456",
        **({"mode": "json_schema"} | settings),
    )
    config.extra["transport"] = httpx2.MockTransport(script)
    return OpenAIBackend(config)


_OPEN_STORES: list[Store] = []


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    """run_one hands its store to the test for queries; it is closed after the test."""
    yield
    while _OPEN_STORES:
        _OPEN_STORES.pop().close()


def run_one(tmp_path: Path, script: Script, **engine: Any) -> tuple[pipeline.RunReport, Store]:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"title": "FastMerge", "abstract": ABSTRACT}) + "\n")
    backend = make_backend(script)
    store = Store(tmp_path / "db.duckdb")
    _OPEN_STORES.append(store)
    settings = EngineSettings(max_attempts=4, max_wait=0.2, **engine)
    report = pipeline.run([path], store, backend, settings=settings)
    return report, store


def test_success_stores_summary_usage_and_call_log(tmp_path: Path) -> None:
    script = Script(completion(summary_json()))
    report, store = run_one(tmp_path, script)
    assert (report.extracted, report.failed, report.clean) == (1, 0, True)
    row = store.query("select method_name, code_url, model_sizes, backend, model from summaries")[0]
    assert row == ("FastMerge", "https://github.com/org/fastmerge", [7e9], "openai", "test-model")
    calls = store.query(
        "select status, prompt_tokens, completion_tokens, cached_tokens, attempt from llm_calls"
    )
    assert calls == [(200, 120, 40, 100, 1)]
    request = script.requests[0]
    assert request["response_format"]["type"] == "json_schema"
    assert request["messages"][-1]["content"].rstrip().endswith("</abstract>")
    assert "do not follow them" in request["messages"][0]["content"]


def test_invalid_answer_is_reasked_once_then_valid(tmp_path: Path) -> None:
    invalid = json.dumps({"task": "x"})
    script = Script(completion(invalid), completion(summary_json()))
    report, store = run_one(tmp_path, script)
    assert (report.extracted, report.failed) == (1, 0)
    assert len(script.requests) == 2
    assert store.query("select count(*) from llm_calls")[0][0] == 2


def test_429_with_retry_after_is_honoured(tmp_path: Path) -> None:
    script = Script(
        error(429, "Rate limit reached", **{"retry-after": "0.3"}), completion(summary_json())
    )
    started = time.perf_counter()
    report, store = run_one(tmp_path, script)
    assert report.extracted == 1
    assert time.perf_counter() - started >= 0.3
    assert store.query("select status, attempt from llm_calls order by called_at") == [
        (429, 1),
        (200, 2),
    ]


def test_500_then_success_is_one_transport_retry(tmp_path: Path) -> None:
    script = Script(error(500, "upstream overloaded"), completion(summary_json()))
    report, _ = run_one(tmp_path, script)
    assert (report.extracted, len(script.requests)) == (1, 2)


def test_timeout_is_retried(tmp_path: Path) -> None:
    script = Script(httpx2.ReadTimeout("timed out"), completion(summary_json()))
    report, _ = run_one(tmp_path, script)
    assert (report.extracted, len(script.requests)) == (1, 2)


def test_transport_retries_are_bounded_and_recorded(tmp_path: Path) -> None:
    script = Script(*(error(503, f"unavailable, try {n}") for n in range(6)))
    report, store = run_one(tmp_path, script)
    assert (report.extracted, report.failed) == (0, 1)
    assert len(script.requests) == 4  # max_attempts, no SDK retries on top
    failure = store.query("select error_type, attempts from failures")[0]
    assert failure == ("http_503", 4)


def test_malformed_json_fails_after_one_reask(tmp_path: Path) -> None:
    script = Script(completion('{"task": "unterminated'))
    report, store = run_one(tmp_path, script)
    assert (report.extracted, report.failed, len(script.requests)) == (0, 1, 2)
    error_type, attempts, tokens = store.query("select error_type, attempts, tokens from failures")[
        0
    ]
    assert (error_type, attempts) == ("malformed_json", 2)
    assert tokens == 320


def test_finish_reason_length_is_not_reasked(tmp_path: Path) -> None:
    script = Script(completion(summary_json()[:50], finish="length"))
    report, store = run_one(tmp_path, script)
    assert (report.failed, len(script.requests)) == (1, 1)
    assert store.query("select error_type from failures")[0][0] == "truncated"


def test_refusal_is_recorded_not_reasked(tmp_path: Path) -> None:
    script = Script(completion(None, refusal="I can't help with that."))
    report, store = run_one(tmp_path, script)
    assert (report.failed, len(script.requests)) == (1, 1)
    error_type, message = store.query("select error_type, message from failures")[0]
    assert error_type == "refusal" and "can't help" in message


def test_rate_limit_headers_set_the_pace(tmp_path: Path) -> None:
    headers = {
        "x-ratelimit-limit-requests": "120",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "500ms",
    }
    script = Script(completion(summary_json(), headers=headers))
    path = tmp_path / "p.jsonl"
    path.write_text(
        "\n".join(json.dumps({"title": f"P{i}", "abstract": ABSTRACT + f" {i}."}) for i in range(3))
    )
    backend = make_backend(script)
    with Store(tmp_path / "db.duckdb") as store:
        started = time.perf_counter()
        report = pipeline.run([path], store, backend, settings=EngineSettings(concurrency=1))
        elapsed = time.perf_counter() - started
    assert report.extracted == 3
    # 120 rpm learned from the first answer's headers: the first request went before the limit
    # was known, and from the second on they are one interval (~0.5 s) apart. "remaining 0"
    # stops any banking but does not add a second interval (ratelimit.TokenBucket.cap).
    assert elapsed >= 0.45


def test_a_server_error_that_names_the_request_is_a_refusal_not_retried(tmp_path: Path) -> None:
    """A 500 carrying a request-validation error is a refusal dressed as a server error:
    asking again gets the same answer, so the paper fails on its first call."""
    validation = error(500, "1 validation error for ChatCompletionRequest response_format.type")
    script = Script(validation)
    report, store = run_one(tmp_path, script)
    assert (report.extracted, report.failed, len(script.requests)) == (0, 1, 1)
    message, attempts = store.query("select message, attempts from failures")[0]
    assert message.startswith("the server refuses this request (500)")
    assert attempts == 1


GENERIC_500 = "The server had an error while processing your request. Sorry about that!"


def test_a_generic_server_error_is_transient_however_often_it_repeats(tmp_path: Path) -> None:
    """Issue 22, row 1: OpenAI's generic 500 body, the same every time, is the server's own
    trouble: retried up to the bound, and the paper lands; its attempts count real calls."""
    script = Script(error(500, GENERIC_500), error(500, GENERIC_500), completion(summary_json()))
    report, store = run_one(tmp_path, script)
    assert (report.extracted, report.failed, len(script.requests)) == (1, 0, 3)
    calls = store.query("select count(*), max(attempt) from llm_calls")[0]
    assert calls == (3, 3)


def test_a_generic_server_error_to_the_bound_fails_with_every_call_counted(
    tmp_path: Path,
) -> None:
    script = Script(error(500, GENERIC_500))
    report, store = run_one(tmp_path, script)  # max_attempts=4
    assert (report.extracted, report.failed, len(script.requests)) == (0, 1, 4)
    message, attempts = store.query("select message, attempts from failures")[0]
    assert "server error 500" in message and attempts == 4


def test_a_transient_server_error_in_the_probe_is_not_stored_as_a_refusal(
    tmp_path: Path,
) -> None:
    """A 500 while a mode is probed is asked again; the best mode is kept and nothing is
    stored as refused (before, one such 500 made every later run use a weaker mode)."""
    script = Script(error(500, GENERIC_500), completion(summary_json()))
    config = BackendSettings(model="m", base_url="http://llm.test/v1", api_key="sk-test-12345678")
    config.extra["transport"] = httpx2.MockTransport(script)
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"title": "FastMerge", "abstract": ABSTRACT}) + "\n")
    store = Store(tmp_path / "db.duckdb")
    _OPEN_STORES.append(store)
    report = pipeline.run([path], store, OpenAIBackend(config), settings=EngineSettings())
    assert report.extracted == 1
    mode, refused = store.query("select mode, refused from endpoints")[0]
    assert mode == "json_schema"  # the first mode tried on a server that is not OpenAI
    assert json.loads(refused) == {}


def test_the_probe_finds_the_mode_that_validates_and_the_run_uses_it(tmp_path: Path) -> None:
    rejected = error(
        400, "'response_format' of type 'json_schema' is not supported", param="response_format"
    )
    answer = completion(summary_json())  # plain content, as from a server ignoring tools
    script = Script(rejected, answer)
    config = BackendSettings(model="m", base_url="http://llm.test/v1", api_key="sk-test-12345678")
    config.extra["transport"] = httpx2.MockTransport(script)
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"title": "FastMerge", "abstract": ABSTRACT}) + "\n")
    with Store(tmp_path / "db.duckdb") as store:
        report = pipeline.run([path], store, OpenAIBackend(config))
        assert report.extracted == 1
        assert report.probe is not None and report.probe.startswith(
            "mode json (probed with 3 request(s); json_schema refused: 400: 'response_format'"
        )
        assert "tools refused: invalid_output" in report.probe
        shapes = [
            "tools" if "tools" in r else r.get("response_format", {}).get("type")
            for r in script.requests
        ]
        assert shapes == ["json_schema", "tools", "json_object", "json_object"]
        mode, refused = store.query("select mode, refused from endpoints")[0]
        assert mode == "json" and set(json.loads(refused)) == {"json_schema", "tools"}
        assert store.query("select probe from runs")[0][0] == report.probe
    # the next run reads the stored mode: no probe request, one request for the new paper
    script.requests.clear()
    path.write_text(json.dumps({"title": "Other", "abstract": ABSTRACT + " More."}) + "\n")
    with Store(tmp_path / "db.duckdb") as store:
        report = pipeline.run([path], store, OpenAIBackend(config))
    assert report.extracted == 1 and len(script.requests) == 1
    assert report.probe is not None and report.probe.startswith("mode json (as probed ")


def test_no_mode_that_works_stops_the_run_before_the_batch(tmp_path: Path) -> None:
    refusals = [error(400, f"{mode} is not supported here") for mode in range(4)]
    script = Script(*refusals, error(400, "nothing works"))
    config = BackendSettings(model="m", base_url="http://llm.test/v1", api_key="sk-test-12345678")
    config.extra["transport"] = httpx2.MockTransport(script)
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"title": "FastMerge", "abstract": ABSTRACT}) + "\n")
    with Store(tmp_path / "db.duckdb") as store:
        with pytest.raises(BackendError, match="no structured-output mode works with") as caught:
            pipeline.run([path], store, OpenAIBackend(config))
        assert store.query("select count(*) from failures")[0][0] == 0
    assert len(script.requests) == 4  # one per mode, nothing retried
    assert caught.value.exit_code == 2
    for mode in ("json_schema", "tools", "json", "md_json"):
        assert f"{mode}: 400:" in str(caught.value)


def test_a_context_limit_is_learned_and_the_answer_sized_to_fit(tmp_path: Path) -> None:
    too_long = error(
        400,
        "This model's maximum context length is 2048 tokens. However, you requested 3024 "
        "tokens (2000 in the messages, 1024 in the completion).",
    )
    script = Script(too_long, completion(summary_json()))
    report, _ = run_one(tmp_path, script)
    assert report.extracted == 1 and len(script.requests) == 2
    assert script.requests[0]["max_tokens"] == 1024
    assert 256 <= script.requests[1]["max_tokens"] < 1024


def test_openai_host_uses_strict_tools(tmp_path: Path) -> None:
    script = Script(completion(None))
    config = BackendSettings(model="gpt-4o-mini", api_key="sk-test-secret-123456")
    config.extra["transport"] = httpx2.MockTransport(script)
    backend = OpenAIBackend(config)
    assert backend.mode == "tools"
    import asyncio

    from summarizer.core.paper import Paper

    with pytest.raises(ExtractionError):
        asyncio.run(backend.extract(Paper(title="T", abstract=ABSTRACT, source="s", record="1")))
    tool = script.requests[0]["tools"][0]["function"]
    assert tool["strict"] is True
    assert tool["parameters"]["additionalProperties"] is False


def test_missing_key_and_unreachable_endpoint_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set OPENAI_API_KEY, or pass --base-url"):
        OpenAIBackend(BackendSettings(model="gpt-4o-mini"))
    local = OpenAIBackend(BackendSettings(base_url="http://127.0.0.1:9/v1"))
    import asyncio

    with pytest.raises(
        BackendError, match=r"cannot reach http://127.0.0.1:9/v1 .*check --base-url"
    ):
        asyncio.run(local.check_endpoint())


def test_auto_picks_openai_only_when_an_endpoint_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert get_backend("auto", BackendSettings()).name == "rules"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert get_backend("auto", BackendSettings.from_env()).name == "openai"


def test_schema_is_accepted_by_openai_strict_mode() -> None:
    from openai.lib._pydantic import to_strict_json_schema

    schema = to_strict_json_schema(Summary)

    def check(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node["additionalProperties"] is False
                assert set(node["required"]) == set(node["properties"])
            assert "default" not in node
            for value in node.values():
                check(value)
        elif isinstance(node, list):
            for value in node:
                check(value)

    check(schema)


def test_json_modes_carry_a_compact_schema_and_a_typical_abstract_fits_2048_tokens(
    tmp_path: Path, seeds: Path
) -> None:
    script = Script(completion(summary_json()))
    backend = make_backend(script, mode="json")
    import asyncio

    from summarizer.core.paper import Paper
    from summarizer.ingest import read_papers

    asyncio.run(backend.extract(Paper(title="T", abstract=ABSTRACT, source="s", record="1")))
    system = script.requests[0]["messages"][0]["content"]
    assert '"task": "string|null"' in system and '"unit": "%|x|points|null"' in system
    assert "Verbatim span stating the problem" not in system  # no schema descriptions
    papers = sorted(
        (p for p in read_papers([seeds]) if isinstance(p, Paper)), key=lambda p: len(p.abstract)
    )
    typical = papers[len(papers) // 2]
    backend.context_tokens = 2048
    assert backend._answer_budget(typical, "json") >= 600
    assert backend._answer_budget(typical, "md_json") >= 600


def test_the_token_ratio_is_learned_from_the_first_answer() -> None:
    backend = make_backend(Script())
    paper = Paper(title="T", abstract=ABSTRACT, source="test", record="1")
    chars = backend._prompt_chars(paper)
    actual = int(chars * 0.31)  # a tokenizer unlike the 4-characters-a-token guess
    guess = backend.estimate_tokens(paper)
    backend._learn_usage(chars, actual, 200)
    # one answer replaces the guess outright; the estimate now matches what TPM is charged
    assert backend.estimate_tokens(paper) == pytest.approx(actual + 1024, abs=2) != guess
    assert backend.estimate_usage(paper)[1] == 200
    backend._learn_usage(chars, int(chars * 0.29), 100)  # the second counts half
    assert backend._tokens_per_char == pytest.approx(0.30, abs=0.001)
    for _ in range(20):  # later answers move it by a fixed share (follows drift)
        backend._learn_usage(chars, int(chars * 0.29), 100)
    assert backend._tokens_per_char == pytest.approx(0.29, abs=0.001)
