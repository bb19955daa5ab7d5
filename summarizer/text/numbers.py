"""Numbers as abstracts write them: digits with thousands commas, number words, scale words
and gain units.

One parser for the rules (which read gains and sizes out of text) and for grounding (which
checks that a value a backend returned is stated in the text): if they read numbers
differently, the rules' own values would come back "ungrounded".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from summarizer.core.schema import GainUnit

NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
"""A decimal number as written: ``7``, ``1,024``, ``88.5``."""

GAIN_UNIT = (
    r"\\?%(?:\s*(?:absolute\s+)?percentage\s+points?)?|percent(?:age)?\s+points?\b|"
    r"percent\b|pp\b|p\.p\.|-?points?\b|pts\b|[x×X](?![\w])|\s?times\b|-?fold\b"
)
"""What can follow a number that states a gain: ``%`` (also LaTeX ``\\%``), points (also
"3.1-point"), times."""

WORD_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "seventy": 70,
}  # fmt: skip
"""Counts written as words ("seven billion"); "hundred" is not one: "a few hundred million"
states no count."""
SCALES: dict[str, float] = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9,
    "t": 1e12, "trillion": 1e12,
}  # fmt: skip
"""Suffixes and words that multiply a count (``7B``, ``1.3 billion``)."""

_NUMBER = re.compile(r"(?<![\d.])" + NUMBER)
_SPOKEN = WORD_NUMBERS | {"hundred": 100, "thousand": 1000}
_WORD = re.compile(r"\b(" + "|".join(_SPOKEN) + r")\b", re.IGNORECASE)
_WITH_UNIT = re.compile(r"(?<![\d.])(?P<num>" + NUMBER + r")\s*(?P<unit>" + GAIN_UNIT + ")")
_SCALE_WORD = re.compile(r"hundred|thousand|million|billion|trillion", re.IGNORECASE)


def to_number(text: str) -> float:
    """``"1,024"`` -> 1024.0; raises ValueError for text that is not a number."""
    return float(text.strip(" -").replace(",", ""))


def gain_unit(raw: str) -> GainUnit:
    """The unit a gain is stated in, from what follows its number."""
    raw = raw.strip().lower()
    if "point" in raw or raw in ("pp", "p.p.", "pts"):
        return "points"
    if "%" in raw or raw.startswith("percent"):
        return "%"
    return "x"


def numbers_in(text: str) -> Iterator[tuple[int, float]]:
    """(offset, value) of each number written in digits; number words count too when the
    text uses scale words ("ten billion", "a hundred thousand")."""
    for match in _NUMBER.finditer(text):
        yield match.start(), to_number(match.group(0))
    if _SCALE_WORD.search(text):
        for match in _WORD.finditer(text):
            yield match.start(), float(_SPOKEN[match.group(1).lower()])


def gains_in(text: str) -> Iterator[tuple[int, int, float, GainUnit]]:
    """(start, end, value, unit) of each number followed by a gain unit."""
    for match in _WITH_UNIT.finditer(text):
        yield (
            match.start(),
            match.end(),
            to_number(match.group("num")),
            gain_unit(match.group("unit")),
        )


_MAGNITUDE = re.compile(
    r"(?<![\d.,])(?P<num>" + NUMBER + r")\s?-?\s?(?:(?P<sfx>(?-i:[KMBT]))(?![A-Za-z])"
    r"|(?P<word>thousand|million|billion|trillion)\b)"
    r"|\b(?P<wnum>" + "|".join(WORD_NUMBERS) + r")[\s\-](?P<wword>million|billion|trillion)\b",
    re.IGNORECASE,
)


def magnitudes_in(text: str) -> Iterator[tuple[int, int, float]]:
    """(start, end, value) of each count written with its magnitude: ``13B``, ``13 billion``,
    ``13-billion``, ``Llama-2-13B``, ``seven billion``. A bare ``13`` is not one."""
    for match in _MAGNITUDE.finditer(text):
        if match.group("wnum"):
            value = WORD_NUMBERS[match.group("wnum").lower()] * SCALES[match.group("wword").lower()]
        else:
            scale = (match.group("sfx") or match.group("word")).lower()
            value = to_number(match.group("num")) * SCALES[scale]
        yield match.start(), match.end(), value


def size_value(text: str | None) -> float | None:
    """The parameter count a size's text states (``"1.3 billion parameters"`` -> 1.3e9)."""
    for _, _, value in magnitudes_in(text or ""):
        return value
    return None


_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$"
)


def parse_duration(value: str | None) -> float | None:
    """Read OpenAI reset durations ('1s', '6m0s', '250ms', '0.5') as seconds."""
    if not value:
        return None
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds, millis = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds + millis / 1000
