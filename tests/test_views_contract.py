"""The README documents the public views and example queries; users' scripts rely on both."""

from __future__ import annotations

import re
from pathlib import Path

from summarizer.backends.rules.backend import RulesBackend
from summarizer.run import pipeline
from summarizer.store.store import Store

README = Path(__file__).resolve().parents[1] / "README.md"


def _documented_views() -> dict[str, list[str]]:
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| `([^`]+)` \|$", README.read_text(), re.MULTILINE)
    return {view: [c.split()[0] for c in columns.split(", ")] for view, columns in rows}


def _example_queries() -> list[str]:
    text = README.read_text()
    block = re.search(r"```sql\n(.*?)```", text[text.index("Example queries") :], re.DOTALL)
    assert block is not None
    return [q.strip() for q in block.group(1).split(";") if q.strip()]


def test_views_have_the_documented_columns(seeds: Path, db_path: Path) -> None:
    documented = _documented_views()
    assert set(documented) >= {"papers", "summaries", "model_sizes", "gains", "links", "failures"}
    with Store(db_path) as store:
        pipeline.run([seeds], store, RulesBackend())
        for view, columns in documented.items():
            actual = [row[0] for row in store.query(f"DESCRIBE {view}")]
            assert actual == columns, view


def test_readme_example_queries_run_and_find_rows(seeds: Path, db_path: Path) -> None:
    with Store(db_path) as store:
        pipeline.run([seeds], store, RulesBackend())
        answers = [store.query(sql) for sql in _example_queries()]
    assert len(answers) == 5
    code, sizes_by_category, released, gains, _ungrounded = answers
    assert code and all(url.startswith("http") for _, url in code)
    # the seed listings are from the past: this month has no sizes, but the query runs
    assert sizes_by_category == [] or all(row[0] for row in sizes_by_category)
    assert released and all(kind != "code" for kind, _ in released)
    assert gains and all(unit == "%" for _, _, unit, _, _ in gains)
    assert [value for _, value, *_ in gains] == sorted((v for _, v, *_ in gains), reverse=True)


def test_the_digest_lists_own_sizes_and_the_category(tmp_path: Path) -> None:
    import csv

    from summarizer.outputs.export import export

    papers = tmp_path / "p.jsonl"
    papers.write_text(
        '{"title": "Gizmo: Merging Models", "abstract": "We propose Gizmo, a model merging '
        'method. Our Gizmo-7B outperforms CodeLlama-34B on code."}\n'
    )
    with Store(tmp_path / "db.duckdb") as store:
        pipeline.run([papers], store, RulesBackend())
        assert store.query("select role from model_sizes order by params") == [
            ("own",),
            ("baseline",),
        ]
        export(store, tmp_path / "digest.csv")
    with (tmp_path / "digest.csv").open(encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert row["model_sizes"] == "7B"
    assert row["task_category"] == "model-merging"
    assert list(row)[-2:] == ["task_category", "results"]  # appended: the others keep places
