"""Sources as inputs: the spellings ``hf:…``, ``arxiv:…@…`` and ``oai:…@…``, read into a
:class:`FeedSpec` (a public contract: add spellings, never change one).

- ``hf:START..END`` / ``hf:DATE``: Hugging Face daily papers, one day at a time;
- ``arxiv:CATEGORIES@START..END``: the arXiv API, papers submitted on each day in any of the
  comma-separated categories (``arxiv:cs.CL,cs.LG@2026-12-01..2026-12-07``);
- ``oai:SET@START..END`` / ``oai:SET/arXivRaw@START..END``: arXiv's OAI-PMH interface, the
  records of a set (``cs``, ``math``, ``physics:hep-th``) whose datestamp is each day, in the
  ``arXiv`` metadata format or ``arXivRaw``.

Both ends are included; a date is ``YYYY-MM-DD``, ``today`` or ``yesterday`` (UTC days, as
the sources count them). ``START`` may be ``last``: the day after the newest window of this
source fetched completely; ``since:last`` is ``last..today``. Every window is one day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from summarizer.core.errors import ConfigError

KINDS = ("hf", "arxiv", "oai")
EXPECTED = {
    "hf": "hf:START..END or hf:DATE (e.g. hf:2026-12-01..2026-12-07)",
    "arxiv": "arxiv:CATEGORIES@START..END (e.g. arxiv:cs.CL,cs.LG@2026-12-01..2026-12-07)",
    "oai": "oai:SET@START..END or oai:SET/arXivRaw@START..END (e.g. oai:cs@2026-12-01..2026-12-07)",
}
DATES = "dates are YYYY-MM-DD, today or yesterday (UTC); START may be last, and since:last means last..today"
OAI_PREFIXES = {"arxiv": "arXiv", "arxivraw": "arXivRaw"}
_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?$")
_SET = re.compile(r"^[A-Za-z][A-Za-z0-9.-]*(:[A-Za-z0-9][A-Za-z0-9.-]*)*$")
LAST = "last"


def kind_of(item: str | Path) -> str | None:
    """The source kind an input is spelled as (``hf``, ``arxiv``, ``oai``), or None for a
    file, a folder or stdin. A file that exists under such a name stays a file."""
    text = str(item)
    head, colon, _ = text.partition(":")
    if not colon or head.lower() not in KINDS or Path(text).exists():
        return None
    return head.lower()


def is_source(item: str | Path) -> bool:
    return kind_of(item) is not None


@dataclass(frozen=True)
class FeedSpec:
    """One source input: what to fetch and which days."""

    text: str
    """As the user wrote it."""
    kind: str
    selector: str = ""
    """The arXiv categories (sorted, comma-separated) or the OAI-PMH set; empty for hf."""
    prefix: str | None = None
    """The OAI-PMH metadataPrefix (``arXiv`` or ``arXivRaw``)."""
    start: date | None = None
    """None: the day after the newest window fetched completely (``last``)."""
    end: date = date.min
    clamped: date | None = None
    """The end as written, when it lay after today and was brought back to today."""

    @property
    def key(self) -> str:
        """The source as the ``fetches`` table names it: ``hf``, ``arxiv:cs.CL,cs.LG``,
        ``oai:cs/arXiv``."""
        if self.kind == "hf":
            return "hf"
        if self.kind == "oai":
            return f"oai:{self.selector}/{self.prefix}"
        return f"arxiv:{self.selector}"

    @property
    def categories(self) -> list[str]:
        return self.selector.split(",") if self.kind == "arxiv" else []

    @property
    def folder(self) -> Path:
        """Where its pages are kept, under the feeds folder: one folder per source."""
        if self.kind == "hf":
            return Path("hf")
        safe = self.selector.replace(",", "+").replace(":", "_")
        return Path(self.kind) / (f"{safe}_{self.prefix}" if self.kind == "oai" else safe)

    def days(self, start: date) -> list[date]:
        """Each day from ``start`` to the end, both included."""
        return [start + timedelta(days=n) for n in range((self.end - start).days + 1)]


def _refuse(text: str, kind: str, problem: str, *, dates: bool = False) -> ConfigError:
    advice = f"; {DATES}" if dates else ""
    return ConfigError(f"source {text!r}: {problem}; expected {EXPECTED[kind]}{advice}")


def _day(value: str, text: str, kind: str, today: date, *, start: bool) -> date | None:
    word = value.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    if word == LAST:
        if not start:
            raise _refuse(text, kind, "last can only start a range (last..today)", dates=True)
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _refuse(text, kind, f"{value.strip()!r} is not a date", dates=True) from None


def _window(value: str, text: str, kind: str, today: date) -> tuple[date | None, date]:
    if not value.strip():
        raise _refuse(text, kind, "no dates given", dates=True)
    if value.strip().lower() == "since:last":
        return None, today
    if ".." in value:
        first, _, second = value.partition("..")
        start = _day(first, text, kind, today, start=True)
        end = _day(second, text, kind, today, start=False)
    else:
        start = _day(value, text, kind, today, start=False)
        end = start
    assert end is not None
    if start is not None and start > end:
        raise _refuse(text, kind, f"the range starts on {start} after it ends on {end}", dates=True)
    return start, end


def parse_source(item: str | Path, today: date) -> FeedSpec:
    """Read one source spelling; a mistake is a ConfigError naming it and the spelling
    expected. ``today`` is the UTC date the words and the end are read against."""
    text = str(item).strip()
    kind = kind_of(text)
    if kind is None:
        raise ConfigError(
            f"{text!r} is not a source; expected one of: " + "; ".join(EXPECTED.values())
        )
    rest = text.partition(":")[2]
    selector, prefix = "", None
    if kind == "hf":
        window = rest
    else:
        if "@" not in rest:
            raise _refuse(text, kind, "no @ before the dates")
        selector, _, window = rest.rpartition("@")
        if kind == "arxiv":
            categories = sorted({c.strip() for c in selector.split(",") if c.strip()})
            wrong = [c for c in categories if not _CATEGORY.match(c)]
            if not categories or wrong:
                shown = ", ".join(repr(c) for c in wrong) or "no category"
                raise _refuse(text, kind, f"{shown}: not an arXiv category such as cs.CL")
            selector = ",".join(categories)
        else:
            name, slash, format_name = selector.partition("/")
            prefix = OAI_PREFIXES.get(format_name.strip().lower()) if slash else "arXiv"
            if prefix is None:
                raise _refuse(
                    text, kind, f"metadata format {format_name!r} is not arXiv or arXivRaw"
                )
            selector = name.strip()
            if not _SET.match(selector):
                raise _refuse(text, kind, f"{selector!r} is not an OAI-PMH set such as cs")
    start, end = _window(window, text, kind, today)
    clamped = None
    if start is not None and start > today:
        raise _refuse(
            text,
            kind,
            f"it starts on {start}, after today ({today}): nothing is listed yet",
            dates=True,
        )
    if end > today:
        clamped, end = end, today
    return FeedSpec(
        text=text, kind=kind, selector=selector, prefix=prefix, start=start, end=end,
        clamped=clamped,
    )  # fmt: skip
