"""Daily-papers listing text: page header, a date line, then title / abstract paragraphs.

The layout is recognised by shape, not by line numbers. Paragraphs are separated by blank
lines. A date line sets the listing date. A title is a short paragraph with at most one
sentence break; the paragraph after it is its abstract. Until the listing starts (a date
line or a first paper) only an unmistakable abstract counts, so page header lines are
never read as papers; once it has started, any paragraph after a title with a sentence
ending in '.' or '!' is its abstract, however short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from summarizer.core.errors import InputError
from summarizer.ingest.records import Sighting, read_record
from summarizer.ingest.source import NotPapers, Source, decoded_lines

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DATE_LINE = re.compile(
    r"^(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?$"
    r"|^(?P<iso>\d{4}-\d{2}-\d{2})$"
)
MIN_ABSTRACT_CHARS = 120
"""Before the listing starts, an abstract needs this many characters (and two sentences)."""
MAX_TITLE_CHARS = 300
LONG_PARAGRAPH_CHARS = 2 * MAX_TITLE_CHARS


def parse_listing_date(line: str, reference: date) -> date | None:
    """Read 'Mar 14', 'March 14, 2024' or '2024-03-14'; a missing year comes from the file date."""
    match = _DATE_LINE.match(line.strip())
    if not match:
        return None
    if match.group("iso"):
        try:
            return date.fromisoformat(match.group("iso"))
        except ValueError:
            return None
    month = _MONTHS.get(match.group("month")[:3].lower())
    if month is None:
        return None
    year = int(match.group("year") or reference.year)
    try:
        found = date(year, month, int(match.group("day")))
    except ValueError:
        return None
    if not match.group("year") and found > reference:
        found = found.replace(year=year - 1)
    return found


def _paragraphs(source: Source) -> Iterator[tuple[int, str] | InputError]:
    """Group lines into (first line number, text) paragraphs separated by blank lines."""
    start = 0
    lines: list[str] = []
    for number, text in decoded_lines(source):
        if isinstance(text, InputError):
            yield text
            continue
        if text.strip():
            if not lines:
                start = number
            lines.append(text.strip())
        elif lines:
            yield start, " ".join(lines)
            lines = []
    if lines:
        yield start, " ".join(lines)


_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_FULL_STOP = re.compile(r"[.!][\"'\u201d\u2019)\]]*(?:\s|$)")


def _sentences(text: str) -> int:
    return len(_SENTENCE_END.findall(text))


def _is_title(text: str) -> bool:
    """Titles are short and hold at most one sentence break ("Mix Data or Merge Models? ...")."""
    return len(text) <= MAX_TITLE_CHARS and _sentences(text) <= 1


def _is_abstract_after(text: str, title: str, *, started: bool) -> bool:
    """Before the listing starts: longer than the title, 120+ characters and two sentences.
    After: any paragraph with a sentence ending in '.' or '!'. Either way: over 600 characters."""
    if len(text) > LONG_PARAGRAPH_CHARS:
        return True
    if not started:
        return len(text) >= MIN_ABSTRACT_CHARS and len(text) > len(title) and _sentences(text) >= 2
    return _FULL_STOP.search(text) is not None


def parse(source: Source) -> Iterator[Sighting | InputError]:
    name = source.name
    reference = source.reference_date()
    listing_date: date | None = None
    pending: tuple[int, str] | None = None
    seen_paper = False
    for item in _paragraphs(source):
        if isinstance(item, InputError):
            yield item
            continue
        number, text = item
        day = parse_listing_date(text, reference) if len(text) < 40 else None
        if day is not None:
            if pending and seen_paper:
                yield InputError(name, f"line {pending[0]}", "title with no abstract after it")
            listing_date, pending = day, None
            continue
        started = seen_paper or listing_date is not None
        if (
            pending is not None
            and _is_title(pending[1])
            and _is_abstract_after(text, pending[1], started=started)
        ):
            title_line, title = pending
            pending = None
            try:
                yield read_record(
                    {"title": title, "abstract": text},
                    source=name,
                    record=f"line {title_line}",
                    listing_date=listing_date,
                )
                seen_paper = True
            except InputError as error:
                yield error
            continue
        if pending is not None and seen_paper:
            yield InputError(
                name, f"line {pending[0]}", "paragraph with no title/abstract pair; skipped"
            )
        pending = (number, text) if len(text) <= MAX_TITLE_CHARS or seen_paper else None
    if pending is not None and seen_paper:
        yield InputError(name, f"line {pending[0]}", "title with no abstract after it")
    if not seen_paper:
        message = (
            "no papers found: expected a title line, a blank line and an abstract paragraph "
            "per paper; pass --input-format if this is not a listing"
        )
        # a date line makes it a listing whose papers did not parse; without one, not a listing
        yield InputError(name, None, message) if listing_date else NotPapers(name, None, message)
