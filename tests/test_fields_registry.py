"""Every value field of the registry reaches every output layer: `show`, the digest, the report.

A field added to :data:`summarizer.core.fields.FIELDS` without an entry in one of the outputs'
per-field mappings fails here, instead of being silently left out of that layer.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from summarizer.core.fields import FIELDS, ValueField
from summarizer.outputs import export, report, show

README = Path(__file__).resolve().parents[1] / "README.md"

PUBLISHED_DIGEST = [
    "paper_id", "title", "task", "method", "code_url", "model_sizes", "gains", "links",
    "first_seen", "sources", "status", "grounded_ratio", "backend", "model", "task_category",
]  # fmt: skip
"""The digest's columns as first published: a contract, so new columns only go after them."""


def missing_from_outputs(fields: tuple[ValueField, ...]) -> list[str]:
    """Each (layer, field) that has no entry for a field of ``fields``."""
    missing = []
    for field in fields:
        if field.name not in show.SHOWN:
            missing.append(f"show.SHOWN: {field.name}")
        if field.label not in show._STYLES:
            missing.append(f"show._STYLES: {field.label}")
        if field.name not in export.DIGEST:
            missing.append(f"export.DIGEST: {field.name}")
        if field.name not in report.REPORTED:
            missing.append(f"report.REPORTED: {field.name}")
        if field.label not in report.MARKS:
            missing.append(f"report.MARKS: {field.label}")
    return missing


def test_every_field_has_an_entry_in_every_output_layer() -> None:
    assert missing_from_outputs(FIELDS) == []


def test_a_new_field_without_entries_is_caught() -> None:
    class Score(BaseModel):
        value: float

    new = ValueField("scores", "scores", Score, dict, "score", spans_evidence=True, since=99)
    assert missing_from_outputs((*FIELDS, new)) == [
        "show.SHOWN: scores",
        "show._STYLES: score",
        "export.DIGEST: scores",
        "report.REPORTED: scores",
        "report.MARKS: score",
    ]


def test_no_layer_keeps_an_entry_for_a_field_that_is_gone() -> None:
    names = {f.name for f in FIELDS}
    assert set(show.SHOWN) == names
    assert set(report.REPORTED) == names
    assert set(report.MARKS) == {f.label for f in FIELDS} | {"code_url", "method", "task"}


def test_the_digest_keeps_its_published_columns_and_the_readme_lists_them_all() -> None:
    columns = list(export.DIGEST)
    assert columns[: len(PUBLISHED_DIGEST)] == PUBLISHED_DIGEST  # added after, never moved
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The CSV digest") :]
    listed = re.search(r"these columns, one row\s+per paper: `([^`]+)`", section)
    assert listed is not None
    assert re.split(r",\s+", listed.group(1)) == columns


def test_the_report_reads_each_field_from_its_view(tmp_path: Path) -> None:
    """Each field's view has the field's name and every column the report asks of it."""
    from summarizer.store.store import Store

    with Store(tmp_path / "db.duckdb") as store:
        data = report.collect(store)
    assert {f.name for f in FIELDS} <= set(data)


def test_every_field_is_grounded_scored_stored_and_viewed() -> None:
    """The layers below the outputs: grounding gives every field its values, `eval` has a
    scorer for each, the store a column and a view of each."""
    from summarizer.core.schema import ClaimedGain, Link, ModelSize, Result, Summary
    from summarizer.eval.score import FIELD_SCORERS
    from summarizer.grounding.ground import ground
    from summarizer.store.columns import EXTRACTIONS
    from summarizer.store.views import VIEWS

    abstract = (
        "Our Gizmo-7B improves accuracy by 2.5% and reaches 81.2% on MMLU. "
        "Code: https://github.com/acme/gizmo"
    )
    one_each = {
        "links": [Link(url="https://github.com/acme/gizmo", kind="code")],
        "model_sizes": [
            ModelSize(text="7B", params=7e9, vague=False, role="own", evidence="Gizmo-7B")
        ],
        "claimed_gains": [
            ClaimedGain(metric="accuracy", value=2.5, unit="%", benchmark=None, baseline=None,
                        evidence="improves accuracy by 2.5%")
        ],
        "results": [
            Result(benchmark="MMLU", metric=None, value=81.2, unit="%", setting=None,
                   evidence="reaches 81.2% on MMLU")
        ],
    }  # fmt: skip
    assert set(one_each) == {f.attribute for f in FIELDS}, "add the new field here"
    grounded = ground(Summary.empty().model_copy(update=one_each), abstract, strict=True)
    for field in FIELDS:
        values = grounded.values(field.name)
        assert len(values) == 1 and values[0]["grounded"], field.name
        assert field.name in FIELD_SCORERS, field.name
        assert field.name in EXTRACTIONS.names, field.name
    assert {"model_sizes", "gains", "results", "links"} <= set(VIEWS)
    assert grounded.checked == 4 and grounded.ungrounded == 0
