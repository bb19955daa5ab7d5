"""The CLI converts its parameters' plain values itself (cli._PlainValue) instead of through
typer's per-parameter pydantic adapters (issue 24: start-up). Every parameter of every
command, given the values a user might type, comes out as typer's own conversion makes it:
the same value, or the same error."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.main import get_command

from summarizer import cli

SAMPLES: dict[Any, list[Any]] = {
    str: ["x", "", "a b", "-", "ünï", None],
    bool: [True, False, None],
    int: ["0", "5", "-3", "05", "+5", " 5", "1_000", "1e3", "5.0", "x", "٣", 7, None],
    float: ["0.5", "5", "-1", "0", "1e3", " 2", "inf", ".5", "x", 3, 2.5, None],
    Path: ["a/b", "-", "", ".", "~/x", Path("p"), None],
}


def _params() -> list[tuple[Any, Any, Any]]:
    found = []

    def walk(command: Any, parent: Any) -> None:
        ctx = command.make_context(command.name or "summarizer", [], parent=parent,
                                   resilient_parsing=True)  # fmt: skip
        for param in command.params:
            if hasattr(param, "type_descriptor"):
                found.append((command, ctx, param))
        for sub in getattr(command, "commands", {}).values():
            walk(sub, ctx)

    walk(get_command(cli.app), None)
    return found


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", runtime.coerce(value, param=param, ctx=ctx)
    except BadParameter as error:
        return "error", error.format_message()


PARAMS = _params()


@pytest.mark.parametrize(
    ("command", "ctx", "param"), PARAMS, ids=[f"{c.name}:{p.name}" for c, _, p in PARAMS]
)
def test_each_parameter_converts_as_typer_would(command: Any, ctx: Any, param: Any) -> None:
    descriptor = param.type_descriptor
    annotation = descriptor.annotation
    listed = get_origin(annotation) is list
    kind = get_args(annotation)[0] if listed else annotation
    plain = cli._PlainValue(descriptor.parameter_info, annotation)
    typer_own = build_runtime_param(descriptor)
    for sample in SAMPLES[kind]:
        value = ([sample] if sample is not None else None) if listed else sample
        assert _outcome(plain, value, param, ctx) == _outcome(typer_own, value, param, ctx), (
            f"{command.name} {param.name} {value!r}"
        )


def test_every_parameter_is_covered() -> None:
    kinds = set()
    for _, _, param in PARAMS:
        annotation = param.type_descriptor.annotation
        kinds.add(get_args(annotation)[0] if get_origin(annotation) is list else annotation)
    assert kinds <= set(SAMPLES), f"no samples for {kinds - set(SAMPLES)}"


def test_a_typer_without_its_private_conversion_layer_still_runs_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another typer release (the dependency allows 0.12 to 1) may not have the private
    module the plain conversion replaces (its import fails, and `build_runtime_param` is
    None): the CLI then lets typer convert every value."""
    from typer.testing import CliRunner

    monkeypatch.setattr(cli, "build_runtime_param", None)
    db = str(tmp_path / "x.duckdb")
    assert CliRunner().invoke(cli.app, ["ingest", "-", "--db", db], input="").exit_code in (0, 1)
    result = CliRunner().invoke(cli.app, ["sql", "select 41 + 1", "--db", db, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "42" in result.output
