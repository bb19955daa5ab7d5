"""The stored rows, defined once: each table the run writes is a list of typed columns.

Everything else is derived from these specs:
- the DuckDB DDL (each column says which migration added it, so migrations create
  exactly the columns of their version and history stays reproducible);
- the Arrow schema and the Arrow tables bulk writes hand to DuckDB;
- the journal's encoding of a paid result (a row, as JSON) and its replay;
- the ``INSERT … BY NAME`` statements, so a column-order slip cannot store data in
  the wrong column.

The struct columns (links, model sizes, gains) take their fields from the typed dicts
grounding produces, so a new field there is a new field here.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, Literal, TypeVar, get_args, get_origin

import pyarrow as pa

from summarizer.core.calls import CallRecord
from summarizer.core.fields import FIELDS, ValueField
from summarizer.core.paper import Paper
from summarizer.core.results import Extraction, Failure
from summarizer.core.schema import Method, Summary

T = TypeVar("T")

_SCALARS: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int32(),
    float: pa.float64(),
    bool: pa.bool_(),
}


def _arrow_of(annotation: Any) -> pa.DataType:
    """Arrow type of a typed-dict field: ``X | None`` is X (nullable), Literals are strings."""
    origin = get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [a for a in get_args(annotation) if a is not type(None)]
        return _arrow_of(inner)
    if origin is Literal:
        return pa.string()
    return _SCALARS[annotation]


def struct_of(shape: type) -> pa.StructType:
    """The Arrow struct of a TypedDict, fields in declaration order."""
    hints = typing.get_type_hints(shape)
    return pa.struct([(name, _arrow_of(hint)) for name, hint in hints.items()])


def duck_type(arrow: pa.DataType) -> str:
    """The DuckDB type that Arrow type lands in."""
    if pa.types.is_struct(arrow):
        fields = ", ".join(f"{f.name} {duck_type(f.type)}" for f in arrow)
        return f"STRUCT({fields})"
    if pa.types.is_list(arrow):
        return f"{duck_type(arrow.value_type)}[]"
    names = {
        pa.string(): "VARCHAR",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.timestamp("us"): "TIMESTAMP",
    }
    return names[arrow]


def naive_utc(moment: datetime) -> datetime:
    """DuckDB TIMESTAMP is zone-less; everything is stored in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(frozen=True)
class Column(Generic[T]):
    name: str
    arrow: pa.DataType
    get: Callable[[T], Any]
    not_null: bool = False
    since: int | None = None
    """The migration that added the column to an existing table; None: created with it."""
    was: tuple[tuple[int, pa.DataType, str], ...] = ()
    """Earlier types: (migration that changed it, the type before, SQL turning old into new)."""
    from_sightings: str | None = None
    """For a table filled from a batch of sightings (``paper_records``): the SQL aggregate
    over one paper's sightings that gives this column (see :data:`PAPERS`)."""
    fill: bool = False
    """A later sighting fills this column when the stored paper has none (metadata such as
    the arXiv id); what is stored is never overwritten."""

    def type_at(self, version: int) -> pa.DataType:
        """The column's type once migration ``version`` has run."""
        for changed_in, before, _ in self.was:
            if version < changed_in:
                return before
        return self.arrow

    def ddl(self, version: int) -> str:
        kind = duck_type(self.type_at(version))
        return f"{self.name} {kind}" + (" NOT NULL" if self.not_null else "")


@dataclass(frozen=True)
class TableSpec(Generic[T]):
    """One stored table: its columns, and how an object of type T becomes a row."""

    table: str
    columns: tuple[Column[T], ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.arrow) for c in self.columns])

    def create(self, version: int) -> str:
        """CREATE TABLE as migration ``version`` created it: its columns, their types then."""
        body = ",\n    ".join(c.ddl(version) for c in self.columns if c.since is None)
        return f"CREATE TABLE {self.table} (\n    {body}\n)"

    def added_in(self, version: int) -> list[str]:
        """ALTER TABLE statements for the columns that migration ``version`` adds or retypes."""
        statements = [
            f"ALTER TABLE {self.table} ADD COLUMN {c.ddl(version)}"
            for c in self.columns
            if c.since == version
        ]
        for c in self.columns:
            for changed_in, _, using in c.was:
                if changed_in == version:
                    statements.append(
                        f"ALTER TABLE {self.table} ALTER COLUMN {c.name} "
                        f"TYPE {duck_type(c.type_at(version))} USING {using}"
                    )
        return statements

    def insert(self, source: str, where: str = "") -> str:
        """Insert a registered Arrow table (or any relation) matching columns by name."""
        return f"INSERT INTO {self.table} BY NAME SELECT * FROM {source} {where}".rstrip()

    def arrow(self, items: Sequence[T]) -> pa.Table:
        """Column-wise Arrow table of ``items``: one pass per column, the fast path."""
        return pa.table(
            [pa.array([c.get(item) for item in items], c.arrow) for c in self.columns],
            schema=self.schema,
        )

    def row(self, item: T) -> dict[str, Any]:
        """One item as a JSON-ready row (the journal's encoding)."""
        return {c.name: _jsonable(c.get(item)) for c in self.columns}

    def from_rows(self, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
        """Rows written by :meth:`row` back into an Arrow table."""
        parsed = [dict(r) for r in rows]
        for column in self.columns:
            if pa.types.is_timestamp(column.arrow):
                for r in parsed:
                    value = r.get(column.name)
                    if isinstance(value, str):
                        r[column.name] = datetime.fromisoformat(value)
        return pa.Table.from_pylist(parsed, schema=self.schema)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


STRUCTS = {field.name: struct_of(field.grounded) for field in FIELDS}
"""Each value field's stored struct, fields in the order of its grounded TypedDict."""
LINK_STRUCT, SIZE_STRUCT, GAIN_STRUCT = STRUCTS["links"], STRUCTS["model_sizes"], STRUCTS["gains"]
_SPANS = ("evidence_start", "evidence_end")
_SIZE_STRUCT_V7 = pa.struct([f for f in SIZE_STRUCT if f.name not in _SPANS])
_SIZE_STRUCT_V1 = pa.struct([f for f in _SIZE_STRUCT_V7 if f.name != "role"])
_GAIN_STRUCT_V7 = pa.struct([f for f in GAIN_STRUCT if f.name not in _SPANS])
_ADD_SPANS = "evidence_start := NULL::INTEGER, evidence_end := NULL::INTEGER"
_HISTORY: dict[str, tuple[tuple[int, pa.DataType, str], ...]] = {
    "model_sizes": (
        (6, pa.list_(_SIZE_STRUCT_V1), "[struct_insert(s, role := NULL::VARCHAR) FOR s IN model_sizes]"),
        (8, pa.list_(_SIZE_STRUCT_V7), f"[struct_insert(s, {_ADD_SPANS}) FOR s IN model_sizes]"),
    ),
    "gains": (
        (8, pa.list_(_GAIN_STRUCT_V7), f"[struct_insert(g, {_ADD_SPANS}) FOR g IN gains]"),
    ),
}  # fmt: skip
"""The earlier types of the value columns (see :attr:`Column.was`)."""


def _value_column(field: ValueField) -> Column[Extraction]:
    def get(r: Extraction) -> list[Any]:
        values = r.grounded.values(field.name)
        return _spanned(values) if field.spans_evidence else values

    return Column(
        field.name,
        pa.list_(STRUCTS[field.name]),
        get,
        since=field.since,
        was=_HISTORY.get(field.name, ()),
    )


def _spanned(values: list[Any]) -> list[Any]:
    """Struct values whose evidence is an exact slice of the abstract keep only its span:
    the views put the text back (migration 8; evidence used to be a fifth of the text)."""
    return [v if v.get("evidence_start") is None else {**v, "evidence": None} for v in values]


def _evidence(name: str) -> Callable[[Extraction], Any]:
    def get(r: Extraction) -> Any:
        if name in r.grounded.evidence_spans:
            return None  # kept as a span (below); the views read it back from the abstract
        summary = r.grounded.summary
        return {
            "task": summary.task_evidence,
            "method": summary.method.evidence,
            "code_url": summary.code_url_evidence,
        }[name]

    return get


def _span(name: str, index: int) -> Callable[[Extraction], Any]:
    def get(r: Extraction) -> Any:
        span = r.grounded.evidence_spans.get(name)
        return span[index] if span else None

    return get


def _usage(attribute: str) -> Callable[[Extraction], Any]:
    def get(r: Extraction) -> Any:
        return getattr(r.usage, attribute) if r.usage is not None else None

    return get


def _task_category(r: Extraction) -> str | None:
    """Unknown (NULL) for a result made under schema 1, which never asked for a category."""
    return r.grounded.summary.task_category if r.identity.schema_version >= 2 else None


E = Column[Extraction]
EXTRACTIONS: TableSpec[Extraction] = TableSpec(
    "extractions",
    (
        E("cache_key", pa.string(), lambda r: r.cache_key, not_null=True),
        E("paper_id", pa.string(), lambda r: r.paper_id, not_null=True),
        E("backend", pa.string(), lambda r: r.identity.backend, not_null=True),
        E("model", pa.string(), lambda r: r.identity.model, not_null=True),
        E("prompt_hash", pa.string(), lambda r: r.identity.prompt_hash or None),
        E("schema_version", pa.int32(), lambda r: r.identity.schema_version, not_null=True),
        E("status", pa.string(), lambda r: r.status, not_null=True),
        E("task", pa.string(), lambda r: r.grounded.summary.task),
        E("task_evidence", pa.string(), _evidence("task")),
        E("method_name", pa.string(), lambda r: r.grounded.summary.method.name),
        E("method_description", pa.string(), lambda r: r.grounded.summary.method.description),
        E("method_evidence", pa.string(), _evidence("method")),
        E("code_url", pa.string(), lambda r: r.grounded.code_url),
        E("code_url_evidence", pa.string(), _evidence("code_url")),
        E("code_url_grounded", pa.bool_(), lambda r: r.grounded.code_url_grounded),
        *(_value_column(field) for field in FIELDS if field.since is None),
        E("grounded_ratio", pa.float64(), lambda r: r.grounded.grounded_ratio),
        E("ungrounded", pa.int32(), lambda r: r.grounded.ungrounded),
        E("prompt_tokens", pa.int64(), _usage("prompt_tokens")),
        E("completion_tokens", pa.int64(), _usage("completion_tokens")),
        E("cached_tokens", pa.int64(), _usage("cached_tokens")),
        E("cost_usd", pa.float64(), _usage("cost_usd")),
        E("extracted_at", pa.timestamp("us"), lambda r: naive_utc(r.extracted_at), not_null=True),
        E("recall_warnings", pa.list_(pa.string()), lambda r: r.grounded.recall_warnings, since=3),
        E("task_category", pa.string(), _task_category, since=6),
        E("task_evidence_start", pa.int32(), _span("task", 0), since=8),
        E("task_evidence_end", pa.int32(), _span("task", 1), since=8),
        E("method_evidence_start", pa.int32(), _span("method", 0), since=8),
        E("method_evidence_end", pa.int32(), _span("method", 1), since=8),
        E("code_url_evidence_start", pa.int32(), _span("code_url", 0), since=8),
        E("code_url_evidence_end", pa.int32(), _span("code_url", 1), since=8),
        *(_value_column(field) for field in FIELDS if field.since is not None),
    ),
)
"""One stored summary: the grounded values plus the identity and usage that produced them."""

F = Column[Failure]
FAILURES: TableSpec[Failure] = TableSpec(
    "failure_log",
    (
        F("paper_id", pa.string(), lambda f: f.paper_id),
        F("cache_key", pa.string(), lambda f: f.cache_key),
        F("stage", pa.string(), lambda f: f.stage, not_null=True),
        F("error_type", pa.string(), lambda f: f.error_type, not_null=True),
        F("message", pa.string(), lambda f: f.message, not_null=True),
        F("attempts", pa.int32(), lambda f: f.attempts, not_null=True),
        F("tokens", pa.int64(), lambda f: f.tokens),
        F("source", pa.string(), lambda f: f.source),
        F("record", pa.string(), lambda f: f.record),
        F("failed_at", pa.timestamp("us"), lambda f: naive_utc(f.failed_at), not_null=True),
        F("backend", pa.string(), lambda f: f.backend, since=4),
        F("model", pa.string(), lambda f: f.model, since=4),
    ),
)

C = Column[CallRecord]
CALLS: TableSpec[CallRecord] = TableSpec(
    "llm_calls",
    (
        C("cache_key", pa.string(), lambda c: c.cache_key),
        C("model", pa.string(), lambda c: c.model),
        C("attempt", pa.int32(), lambda c: c.attempt),
        C("status", pa.int32(), lambda c: c.status),
        C("latency_ms", pa.float64(), lambda c: c.latency_ms),
        C("prompt_tokens", pa.int64(), lambda c: c.prompt_tokens),
        C("completion_tokens", pa.int64(), lambda c: c.completion_tokens),
        C("cached_tokens", pa.int64(), lambda c: c.cached_tokens),
        C("cost_usd", pa.float64(), lambda c: c.cost_usd),
        C("mode", pa.string(), lambda c: c.mode),
        C("error", pa.string(), lambda c: c.error),
        C("called_at", pa.timestamp("us"), lambda c: naive_utc(c.called_at)),
        C("batch_id", pa.string(), lambda c: c.batch_id, since=7),
    ),
)


@dataclass(frozen=True, slots=True)
class Sighted:
    """One sighting on its way into the store: the paper as read, the result it should
    point at, and when it was read."""

    paper: Paper
    current_key: str | None
    ingested_at: datetime

    @property
    def seen_on(self) -> date:
        """The day a sighting counts for: its listing's date, else its publication date, else
        the day it was read."""
        p = self.paper
        return p.listing_date or p.published or self.ingested_at.date()


S = Column[Sighted]
SIGHTED: TableSpec[Sighted] = TableSpec(
    "sighted",
    (
        S("paper_id", pa.string(), lambda r: r.paper.paper_id),
        S("content_hash", pa.string(), lambda r: r.paper.content_hash),
        S("title", pa.string(), lambda r: r.paper.title),
        S("abstract", pa.string(), lambda r: r.paper.abstract),
        S("arxiv_id", pa.string(), lambda r: r.paper.arxiv_id),
        S("url", pa.string(), lambda r: r.paper.url),
        S("published", pa.date32(), lambda r: r.paper.published),
        S("authors", pa.list_(pa.string()), lambda r: r.paper.authors),
        S("source", pa.string(), lambda r: r.paper.source),
        S("record", pa.string(), lambda r: r.paper.record),
        S("listing_date", pa.date32(), lambda r: r.paper.listing_date),
        S("seen_on", pa.date32(), lambda r: r.seen_on),
        S("ingested_at", pa.timestamp("us"), lambda r: r.ingested_at),
        S("current_key", pa.string(), lambda r: r.current_key),
        S("upvotes", pa.int32(), lambda r: r.paper.upvotes),
        S("repo_url", pa.string(), lambda r: r.paper.repo_url),
    ),
)
"""A chunk of sightings as the store takes it in (a registered Arrow table, not stored):
``paper_records`` and ``sightings`` are filled from it by the statements derived below."""


def _no_getter(row: Sighted) -> Any:  # paper_records columns come from SQL aggregates
    raise NotImplementedError


P = Column[Sighted]
PAPERS: TableSpec[Sighted] = TableSpec(
    "paper_records",
    (
        P("paper_id", pa.string(), _no_getter, not_null=True, from_sightings="paper_id"),
        P("content_hash", pa.string(), _no_getter, not_null=True,
          from_sightings="any_value(content_hash)"),
        P("title", pa.string(), _no_getter, not_null=True, from_sightings="any_value(title)"),
        P("abstract", pa.string(), _no_getter, not_null=True,
          from_sightings="any_value(abstract)"),
        P("arxiv_id", pa.string(), _no_getter, from_sightings="any_value(arxiv_id)", fill=True),
        P("url", pa.string(), _no_getter, from_sightings="any_value(url)", fill=True),
        P("published", pa.date32(), _no_getter, from_sightings="any_value(published)",
          fill=True),
        P("authors", pa.list_(pa.string()), _no_getter, from_sightings="any_value(authors)",
          fill=True),
        P("first_seen", pa.date32(), _no_getter, from_sightings="min(seen_on)"),
        P("sources", pa.list_(pa.string()), _no_getter,
          from_sightings="list_sort(list_distinct(list(source)))"),
        P("current_key", pa.string(), _no_getter, from_sightings="any_value(current_key)"),
        P("ingested_at", pa.timestamp("us"), _no_getter, not_null=True,
          from_sightings="min(ingested_at)"),
        P("upvotes", pa.int32(), _no_getter, since=12, from_sightings="max(upvotes)",
          fill=True),
        P("repo_url", pa.string(), _no_getter, since=12, from_sightings="any_value(repo_url)",
          fill=True),
    ),
)  # fmt: skip
"""One paper, whatever number of times it was seen: the text, the metadata its sightings
brought (the first to bring a value wins; a later one fills what is missing), when and
where it was seen first, and the result it points at (:mod:`summarizer.store.current`)."""

PAPER_FILLS = tuple(c.name for c in PAPERS.columns if c.fill)
"""The metadata columns a later sighting fills in."""


def papers_from(batch: str, where: str) -> str:
    """INSERT new papers from a registered batch of :data:`SIGHTED` rows, one per paper."""
    selected = ", ".join(f"{c.from_sightings} AS {c.name}" for c in PAPERS.columns)
    return (
        f"INSERT INTO {PAPERS.table} BY NAME SELECT {selected} FROM {batch} WHERE {where} "
        "GROUP BY paper_id"
    )


K = Column[Sighted]
SIGHTINGS: TableSpec[Sighted] = TableSpec(
    "sightings",
    (
        K("paper_id", pa.string(), lambda r: r.paper.paper_id, not_null=True),
        K("source", pa.string(), lambda r: r.paper.source, not_null=True),
        K("record", pa.string(), lambda r: r.paper.record, not_null=True),
        K("listing_date", pa.date32(), lambda r: r.paper.listing_date),
        K("ingested_at", pa.timestamp("us"), lambda r: r.ingested_at, not_null=True),
    ),
)
"""Every time a paper was read: which file, which record, which listing day."""


def _item(field: ValueField, stored: Mapping[str, Any], evidence: str | None) -> Any:
    """One stored struct back to the value a backend stated; a field an older schema did not
    have reads as its declared default."""
    values = {name: stored.get(name) for name in field.item.model_fields}
    for name, default in field.defaults:
        if values.get(name) is None:
            values[name] = default
    if "evidence" in values:
        values["evidence"] = evidence or ""
    return field.item.model_validate(values)


def summary_of(row: Mapping[str, Any], abstract: str | None = None) -> Summary:
    """A stored extractions row back to the Summary it was made from: the inverse of
    :data:`EXTRACTIONS`, kept next to it. Evidence stored as a span is read back from
    ``abstract`` (without it, such evidence comes back empty)."""

    def text(value: Any, start: Any, end: Any) -> Any:
        if value is None and start is not None and abstract is not None:
            return abstract[start:end]
        return value

    row = dict(row)
    for name in ("task_evidence", "method_evidence", "code_url_evidence"):
        row[name] = text(row.get(name), row.get(f"{name}_start"), row.get(f"{name}_end"))
    lists = {
        field.attribute: [
            _item(field, v, text(v.get("evidence"), v.get("evidence_start"), v.get("evidence_end")))
            for v in row.get(field.name) or []
        ]
        for field in FIELDS
    }
    return Summary(
        task=row["task"],
        task_evidence=row.get("task_evidence"),
        task_category=row.get("task_category") or "other",
        method=Method(
            name=row["method_name"],
            description=row["method_description"],
            evidence=row.get("method_evidence"),
        ),
        **lists,
        code_url=row["code_url"],
        code_url_evidence=row.get("code_url_evidence"),
    )
