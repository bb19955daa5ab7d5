"""Sentence spans shared by the extractors.

Evidence must be a verbatim slice of the abstract, so sentences are kept as
``(start, end)`` offsets into the original string rather than re-joined text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence

from summarizer.text.literals import lowered_per_char

# The gap is group 1; the punctuation is matched rather than looked behind at, so the
# engine can skip ahead to the next [.!?] (same gaps as ``(?<=[.!?])\s+(?=...)``).
# A period that ends an abbreviation ends no sentence: initialisms ("U.S.", "e.g.", "i.e."),
# "et al.", "vs.", "cf.", titles ("Dr.", "Prof.") and, before a number, reference words
# ("Fig. 2", "No. 5"). The look-behinds (one per length) run only where the punctuation is
# followed by a space, so a decimal point or a URL costs nothing more.
_BOUNDARY = re.compile(
    r"[.!?](?=\s)"
    r"(?<!\b[A-Za-z]\.[A-Za-z]\.)(?<!\b(?:al|vs|cf|ca|Dr|Mr|Ms|St|Jr)\.)"
    r"(?<!\b(?:Mrs|Inc|Ltd)\.)(?<!\b(?:Prof|resp)\.)(?<!\bapprox\.)"
    r"(?:(?!\s+[\"'(\[]?[0-9])|(?<!\b(?:No|pp)\.)(?<!\b[Ee]q\.)"
    r"(?<!\b(?:Nos|[Ff]ig|[Ee]qs|[Ss]ec|[Tt]ab|[Vv]ol|[Rr]ef)\.)(?<!\b[Ff]igs\.))"
    r"(\s+)(?=[\"'(\[]?[A-Z0-9\\])"
)


class Sentences:
    """An abstract split once into sentences, answering "which sentence holds offset i"."""

    __slots__ = ("_lowered", "_starts", "spans", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        spans: list[tuple[int, int]] = []
        start = 0
        for gap in _BOUNDARY.finditer(text):
            spans.append((start, gap.start(1)))
            start = gap.end()
        if start < len(text):
            spans.append((start, len(text)))
        self.spans: Sequence[tuple[int, int]] = spans
        self._starts = [s for s, _ in spans]
        self._lowered: str | bool | None = False

    def lowered(self) -> str | None:
        """The whole text lower-cased once for the literal prefilters, or None when a
        sentence must be lower-cased on its own (see :func:`lowered_per_char`)."""
        if self._lowered is False:
            self._lowered = lowered_per_char(self.text)
        return self._lowered if isinstance(self._lowered, str) else None

    def span_at(self, pos: int) -> tuple[int, int]:
        """The sentence containing ``pos``; a position between sentences maps to the one before."""
        if not self.spans:
            return (0, len(self.text))
        return self.spans[max(bisect_right(self._starts, pos) - 1, 0)]

    def at(self, pos: int) -> str:
        start, end = self.span_at(pos)
        return self.text[start:end]

    def __iter__(self) -> Iterator[str]:
        return (self.text[s:e] for s, e in self.spans)

    def __len__(self) -> int:
        return len(self.spans)
