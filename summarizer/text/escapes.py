"""LaTeX and HTML escapes in abstracts (``88\\%``, ``$3\\times$``, ``&amp;``), read as the text
they stand for, with a map back to the original offsets.

arXiv abstracts keep their authors' LaTeX and scraped listings keep HTML entities. The rules
and grounding read the unescaped text, so ``88\\%`` is a percentage like ``88%``; every span
they report is mapped back, so evidence offsets still point into the text as stored.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from html import unescape as html_unescape

_ESCAPE = re.compile(
    r"\\(?P<char>[%$&_#{}])"
    r"|\$\s*\\?(?P<math_times>times|sim|approx)\s*\$"
    r"|\$(?P<math_num>[\d.,]+)\s*\\?(?P<math_op>times|%)?\s*\$"
    r"|\\(?P<command>times|sim|approx|textasciitilde)\b\s?"
    r"|(?<=\d)~(?=[A-Za-z%\\])"
    r"|(?P<space>\\[,;:!](?=\s*\\?%|\s*[A-Za-z]))"
    r"|(?P<entity>&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{2,8});)"
)
_COMMANDS = {"times": "×", "sim": "~", "approx": "≈", "textasciitilde": "~"}
_HINT = re.compile(r"[\\$&~]")


def _replacement(match: re.Match[str]) -> str:
    if match.group("char"):
        return match.group("char")
    if match.group("math_times"):
        return _COMMANDS[match.group("math_times")]
    if match.group("math_num"):
        op = match.group("math_op")
        return match.group("math_num") + ("×" if op == "times" else op or "")
    if match.group("command"):
        return _COMMANDS[match.group("command")]
    if match.group("entity"):
        return html_unescape(match.group("entity"))
    return " "  # a LaTeX non-breaking or thin space between a number and its unit


class Unescaped:
    """``text`` with escapes replaced, and :meth:`original` mapping its offsets back."""

    __slots__ = ("_clean_starts", "_original_starts", "original_text", "text")

    def __init__(self, original: str) -> None:
        self.original_text = original
        self._clean_starts: list[int] = []
        self._original_starts: list[int] = []
        if not _HINT.search(original):
            self.text = original
            return
        pieces: list[str] = []
        clean_at = last = 0
        for match in _ESCAPE.finditer(original):
            pieces.append(original[last : match.start()])
            clean_at += match.start() - last
            replacement = _replacement(match)
            # one anchor per replaced run: its start maps to the escape's start, and the
            # text after it to the text after the escape
            self._clean_starts.append(clean_at)
            self._original_starts.append(match.start())
            pieces.append(replacement)
            clean_at += len(replacement)
            self._clean_starts.append(clean_at)
            self._original_starts.append(match.end())
            last = match.end()
        pieces.append(original[last:])
        self.text = "".join(pieces)

    @property
    def changed(self) -> bool:
        return self.text is not self.original_text

    def original(self, position: int) -> int:
        """The original offset of a position in :attr:`text`."""
        index = bisect_right(self._clean_starts, position) - 1
        if index < 0:
            return position
        return self._original_starts[index] + (position - self._clean_starts[index])

    def original_slice(self, clean_slice: str) -> str:
        """The original text behind a slice of :attr:`text` (the first place it occurs)."""
        if not self.changed:
            return clean_slice
        start = self.text.find(clean_slice)
        if start < 0:
            return clean_slice
        a, b = self.original_span(start, start + len(clean_slice))
        return self.original_text[a:b]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind ``text[start:end]``; an escape at either edge is whole."""
        a = self.original(start)
        if end <= start:
            return a, a
        last = end - 1
        index = bisect_right(self._clean_starts, last) - 1
        if index >= 0 and index % 2 == 0:
            # the last character is (part of) a replacement: take the whole escape
            return a, self._original_starts[index + 1]
        return a, self.original(last) + 1
