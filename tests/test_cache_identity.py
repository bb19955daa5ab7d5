"""Every part of the cache identity is in the key: backend, model, prompt, schema version and
each generation parameter change the digest and the key, for the identity type itself, for
the real openai backend, and end to end (a changed model re-extracts, an identical run calls
the server 0 times). The key a stored paper points at is the Python ``cache_key``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.backends import BackendSettings, get_backend
from summarizer.cli import app
from summarizer.core.identity import CacheIdentity, cache_key
from summarizer.testing.fake_openai import FakeConfig, FakeOpenAIServer

MODEL = "gpt-4o-mini"
RULES_ANSWERER = "summarizer.testing.fake_openai:rules_answerer"
CONTENT = "0" * 64  # any content hash: the key is a function of it and the identity

BASE = CacheIdentity(
    backend="openai",
    model=MODEL,
    prompt_hash="abc123",
    schema_version=2,
    params={"temperature": 0.0, "max_tokens": 1024},
)
CHANGED = {
    "backend": dataclasses.replace(BASE, backend="rules"),
    "model": dataclasses.replace(BASE, model="gpt-4o"),
    "prompt hash": dataclasses.replace(BASE, prompt_hash="abc124"),
    "schema version": dataclasses.replace(BASE, schema_version=3),
    "a param's value": dataclasses.replace(BASE, params={"temperature": 0.7, "max_tokens": 1024}),
    "another param's value": dataclasses.replace(
        BASE, params={"temperature": 0.0, "max_tokens": 2048}
    ),
    "a param added": dataclasses.replace(BASE, params={**BASE.params, "top_p": 0.9}),
    "a param removed": dataclasses.replace(BASE, params={"temperature": 0.0}),
}


@pytest.mark.parametrize("part", list(CHANGED))
def test_changing_one_part_of_the_identity_changes_the_digest_and_the_key(part: str) -> None:
    changed = CHANGED[part]
    assert changed.digest != BASE.digest
    assert cache_key(CONTENT, changed) != cache_key(CONTENT, BASE)
    assert cache_key(CONTENT, changed.digest) == cache_key(CONTENT, changed)  # either spelling


def test_the_same_identity_gives_the_same_key_and_the_text_is_in_it() -> None:
    again = dataclasses.replace(BASE, params=dict(reversed(list(BASE.params.items()))))
    assert again.digest == BASE.digest  # the order params are given in is not part of it
    assert cache_key(CONTENT, again) == cache_key(CONTENT, BASE)
    assert cache_key("1" * 64, BASE) != cache_key(CONTENT, BASE)


# -- the real openai backend ---------------------------------------------------------------------


def openai_digest(**changes: Any) -> str:
    extra = changes.pop("extra", {})
    settings = BackendSettings(
        base_url="http://127.0.0.1:9/v1", api_key="sk-test", model=MODEL, mode="json_schema"
    )
    settings = dataclasses.replace(settings, extra=dict(extra), **changes)
    return get_backend("openai", settings).identity.digest


OPENAI_CHANGES: dict[str, dict[str, Any]] = {
    "model": {"model": "gpt-4o"},
    "prompt": {"extra": {"prompt": "extract_v1"}},  # prompts/extract_v1*.md, not v2's
    "temperature": {"temperature": 0.3},
    "max_tokens": {"max_tokens": 512},
}


@pytest.mark.parametrize("setting", list(OPENAI_CHANGES))
def test_each_openai_setting_that_shapes_the_answer_changes_the_backends_identity(
    setting: str,
) -> None:
    assert openai_digest(**OPENAI_CHANGES[setting]) != openai_digest()


def test_openai_settings_that_do_not_shape_the_answer_keep_the_identity() -> None:
    """The endpoint, key, timeout and re-asks change how an answer is fetched, not what it
    is; a stable identity is what lets a cache outlive a key rotation."""
    same = openai_digest(
        base_url="http://127.0.0.1:10/v1", api_key="sk-other", timeout=60.0, max_reasks=3
    )
    assert same == openai_digest()


def test_each_backends_identity_names_it() -> None:
    rules = get_backend("rules", BackendSettings()).identity
    assert rules.digest != openai_digest()
    assert rules.backend == "rules"


# -- end to end, through the CLI against the fake server -----------------------------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    config = FakeConfig(model=MODEL, answerer=RULES_ANSWERER, batch_seconds=0.0)
    with FakeOpenAIServer(config) as fake:
        yield fake


def papers_file(folder: Path, count: int = 4) -> Path:
    path = folder / "papers.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "title": f"Widget {i}: Sparse Routing for Mixtures",
                    "abstract": f"We propose Widget {i}, a 7B mixture-of-experts model. It "
                    f"improves accuracy by {i + 1}.5% on GSM8K. Code: https://github.com/w/w{i}.",
                }
            )
            + "\n"
            for i in range(count)
        )
    )
    return path


def extraction_calls(server: FakeOpenAIServer) -> int:
    """Extraction requests the server has answered or refused, summed over papers."""
    return sum(server.stats()["per_paper"].values())


def run_cli(db: Path, *args: str) -> str:
    done = CliRunner().invoke(app, ["run", *args, "--db", str(db), "-q"])
    assert done.exit_code == 0, done.output
    return done.output


def llm_flags(server: FakeOpenAIServer, model: str = MODEL) -> list[str]:
    return ["--base-url", server.base_url, "--model", model, "--mode", "json_schema"]


def test_an_identical_run_calls_the_server_zero_times(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    source, db = str(papers_file(tmp_path)), tmp_path / "db.duckdb"
    run_cli(db, source, *llm_flags(server))
    first = extraction_calls(server)
    assert first == 4
    run_cli(db, source, *llm_flags(server))
    assert extraction_calls(server) == first


def test_a_run_with_another_model_extracts_every_paper_again(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    source, db = str(papers_file(tmp_path)), tmp_path / "db.duckdb"
    run_cli(db, source, *llm_flags(server))
    run_cli(db, source, *llm_flags(server, "gpt-4o"))
    assert extraction_calls(server) == 8
    models = CliRunner().invoke(
        app, ["sql", "SELECT DISTINCT model FROM summaries", "--format", "json", "--db", str(db)]
    )
    assert json.loads(models.stdout) == [{"model": "gpt-4o"}]  # the new answers are current
    run_cli(db, source, *llm_flags(server, "gpt-4o"))  # and each model is cached on its own
    run_cli(db, source, *llm_flags(server))
    assert extraction_calls(server) == 8


def stored_keys(db: Path) -> list[dict[str, Any]]:
    done = CliRunner().invoke(
        app,
        [
            "sql",
            "SELECT content_hash, current_key FROM paper_records ORDER BY paper_id",
            "--format",
            "json",
            "--db",
            str(db),
        ],
    )
    assert done.exit_code == 0, done.output
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


@pytest.mark.parametrize("how", ["rules", "openai live", "openai batch"])
def test_the_key_a_stored_paper_points_at_is_the_python_cache_key(
    tmp_path: Path, server: FakeOpenAIServer, how: str
) -> None:
    """Pins any copy of the key's definition (in SQL, in a batch's custom_id) to
    ``cache_key(content_hash, backend.identity)``."""
    source, db = str(papers_file(tmp_path)), tmp_path / "db.duckdb"
    if how == "rules":
        run_cli(db, source, "--backend", "rules")
        identity = get_backend("rules", BackendSettings()).identity
    else:
        batch = ["--batch", "--wait", "--poll", "0"] if how == "openai batch" else []
        run_cli(db, source, *llm_flags(server), *batch)
        settings = BackendSettings(
            base_url=server.base_url, api_key="sk-test", model=MODEL, mode="json_schema"
        )
        identity = get_backend("openai", settings).identity
    rows = stored_keys(db)
    assert len(rows) == 4
    for row in rows:
        assert row["current_key"] == cache_key(row["content_hash"], identity), row
