"""The task: a one-line statement of the problem, taken from the abstract's own problem sentence.

Never the title: a title names the paper, so grouping by it puts every paper in its own
group. Authors state the problem early, in a sentence that frames the work ("we study ...")
or names a difficulty ("... remains costly", "a key challenge is ..."); failing both, the
opening sentence sets the scene.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.text.literals import any_in, lowered_if_plain
from summarizer.text.sentences import Sentences

_FRAMING = re.compile(
    r"\b(?:we|this\s+(?:paper|work|study|article)|in\s+this\s+\w+)\b[^.]{0,40}?\b"
    r"(?:stud\w*|address\w*|tackl\w*|investigat\w*|explor\w*|examin\w*|consider\w*|focus\w*|"
    r"aim\w*)\b",
    re.IGNORECASE,
)
_DIFFICULTY = re.compile(
    r"\b(?:challeng\w*|problem\w*|bottleneck\w*|limitation\w*|remains?|struggl\w*|costly|"
    r"expensive|difficult\w*|hard|suffer\w*|lack\w*|fail\w*|prohibitive\w*|inefficien\w*|"
    r"hinder\w*|limit(?:s|ed)|issue\w*|gap|unclear|open\s+question|however)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:however|moreover|unfortunately|yet|but|thus|therefore|nevertheless|in\s+this\s+"
    r"(?:paper|work|study)|in\s+practice|notably|importantly)\s*,?\s*",
    re.IGNORECASE,
)
# Words every match of the patterns above holds (lower-cased), to skip the regex without them.
_FRAMING_SUBJECTS = ("we", "this")
_FRAMING_VERBS = (
    "stud", "address", "tackl", "investigat", "explor", "examin", "consider", "focus", "aim",
)  # fmt: skip
_DIFFICULTY_WORDS = (
    "challeng", "problem", "bottleneck", "limit", "remain", "struggl", "costly", "expensive",
    "difficult", "hard", "suffer", "lack", "fail", "prohibitive", "inefficien", "hinder",
    "issue", "gap", "unclear", "open", "however",
)  # fmt: skip
_MAX_CHARS = 240
_SCAN = 4


@dataclass(frozen=True, slots=True)
class FoundTask:
    """The problem addressed, with a verbatim sentence that states it."""

    task: str | None
    evidence: str | None


def _one_line(sentence: str) -> str:
    text = " ".join(sentence.split())
    text = _LEAD.sub("", text)
    text = text[:1].upper() + text[1:]
    if len(text) > _MAX_CHARS:
        cut = text.rfind(" ", 0, _MAX_CHARS - 1)
        text = text[: cut if cut > 0 else _MAX_CHARS - 1].rstrip(",;:") + "…"
    return text


def _frames(sentence: str, lowered: str | None = None) -> bool:
    """``lowered``: the sentence lower-cased, when known to be plain (see literals)."""
    if lowered is None:
        lowered = lowered_if_plain(sentence)
    if lowered is not None and not (
        any_in(lowered, _FRAMING_SUBJECTS) and any_in(lowered, _FRAMING_VERBS)
    ):
        return False
    return _FRAMING.search(sentence) is not None


def _names_difficulty(sentence: str, lowered: str | None = None) -> bool:
    if lowered is None:
        lowered = lowered_if_plain(sentence)
    if lowered is not None and not any_in(lowered, _DIFFICULTY_WORDS):
        return False
    return _DIFFICULTY.search(sentence) is not None


def extract_task(title: str, sentences: Sentences) -> FoundTask:
    """The sentence that frames the work, else the first naming a difficulty, else the first."""
    text, stripped_title = sentences.text, title.strip()
    whole = sentences.lowered()
    early = [
        (s, whole[a:b] if whole is not None else None)
        for s, a, b in ((text[a:b], a, b) for a, b in sentences.spans[:_SCAN])
        if s.strip() and s.strip() != stripped_title
    ]
    if not early:
        return FoundTask(None, None)
    chosen = next((s for s, lowered in early if _frames(s, lowered)), None)
    if chosen is None:
        chosen = next((s for s, lowered in early if _names_difficulty(s, lowered)), early[0][0])
    return FoundTask(_one_line(chosen), chosen)
