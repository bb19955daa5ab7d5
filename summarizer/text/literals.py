"""Cheap literal checks that let the rules skip a case-insensitive regex that cannot match.

A case-insensitive regex of ASCII words matches only where the lower-cased text holds those
words, except for the four characters a str regex also folds onto ASCII letters (``İ ı ſ K``,
the Kelvin sign): a text with one of them gets no shortcut, so the check never changes what
the regex finds.
"""

from __future__ import annotations

import re

_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


def lowered_if_plain(text: str) -> str | None:
    """``text.lower()`` when case-insensitive matching of ASCII words in ``text`` is plain
    substring matching in it; None when the text holds a character folded onto ASCII."""
    if _FOLDS_TO_ASCII.search(text):
        return None
    return text.lower()


def any_in(lowered: str, words: tuple[str, ...]) -> bool:
    """Whether any of ``words`` occurs in ``lowered`` (a plain loop: cheaper than any())."""
    for word in words:  # noqa: SIM110 - a loop is cheaper than any() over a generator
        if word in lowered:
            return True
    return False


def lowered_per_char(text: str) -> str | None:
    """:func:`lowered_if_plain` when lower-casing keeps every character one character (no
    "İ"), so that a slice of the result at any offsets holds the same ASCII words as that
    slice of ``text`` lower-cased on its own; None otherwise."""
    lowered = lowered_if_plain(text)
    return lowered if lowered is not None and len(lowered) == len(text) else None
