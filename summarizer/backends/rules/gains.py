"""Claimed gains: numbers with %, x or points in sentences that claim an improvement.

A gain needs two things: a number with a gain unit, and a sentence that claims
something for the paper's own contribution ("we", "our", "the proposed", the
method's name, "the resulting model"). Numbers that describe data ("20% of the
corpus"), bounds ("<2.5%"), compared-against baselines ("vs 0.3%") or starting
points ("from 69.8% to 73.2%") are dropped by local context checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.core.schema import GainUnit
from summarizer.text.metrics import GENERIC, SPECIFIC, metric_text
from summarizer.text.numbers import GAIN_UNIT, NUMBER, gain_unit, to_number
from summarizer.text.sentences import Sentences

_NUM = NUMBER
_START = r"(?:(?<=sim)|(?<![\w.]))"
_WITH_UNIT = re.compile(
    _START + r"(?P<sign>[+])?(?P<num>" + _NUM + r")\s*"
    r"(?P<unit>" + GAIN_UNIT + ")"
)
_BARE = re.compile(
    _START + r"\+(?P<num>" + _NUM + r")(?![\d.]*\s*(?:\\?%|[x×X]\b|times|points?|-))"
    r"|" + _START + r"(?P<n1>" + _NUM + r")(?:\s*(?:and|,)\s*(?P<n2>" + _NUM + r"))?"
    r"\s+(?:absolute\s+)?(?:decrease|increase|improvement|gain|boost|drop|reduction)\s+(?:in|on)\b"
    r"|\bscore\s+of\s+(?P<score>" + _NUM + r")(?![\d.]*\s*(?:\\?%|[x×X]\b|times|points?))"
    # unitless scores named by their metric: "57.3 pass@1", "a 44.7 win rate", "1.8/3.3 WER",
    # "an FID of 2.27", "0.7 better perplexity", "8.38 on MT-bench"
    r"|"
    + _START
    + r"(?P<m1>"
    + _NUM
    + r")(?:/(?P<m1b>"
    + _NUM
    + r"))?\s+(?:(?:length-controlled|LC)\s+)?"
    r"(?:(?:better|lower|higher)\s+)?(?:win\s+rate|pass@\d+|WER|CER|BLEU|FID|sFID|F1|ROUGE[-\w]*|mAP|"
    r"perplexity|PPL|Elo)\b"
    r"|\b(?:FID|sFID|WER|BLEU|F1|pass@\d+|perplexity|win\s+rate|Elo|accuracy)\s+of\s+(?P<m2>\d+\.\d+)"
    r"(?![\d.]*\s*(?:\\?%|[x×X]\b|times|points?))"
    r"|"
    + _START
    + r"(?P<m3>\d+\.\d+)\s+(?:on|in)\s+(?:the\s+)?(?-i:[A-Z])[\w\-+.]*(?![\w\-]*\s*\\?%)"
)
_DIGIT = re.compile(r"\d")
# Every match of _BARE holds "+", one of these words (case for case), or a decimal followed
# by "on"/"in" (its last alternative): a sentence with none of them skips the scan.
_BARE_WORDS = (
    "+", "decrease", "increase", "improvement", "gain", "boost", "drop", "reduction", "score",
    "win", "pass@", "WER", "CER", "BLEU", "FID", "F1", "ROUGE", "mAP", "perplexity", "PPL", "Elo",
    "accuracy",
)  # fmt: skip
_DECIMAL_ON = re.compile(r"\.\d+\s+(?:on|in)\s")
_SOTA = re.compile(r"SOTA|state[- ]of[- ]the[- ]art", re.IGNORECASE)
_RANGE_BEFORE = re.compile(
    r"(?<![\w.\-])(?P<num>" + _NUM + r")\s*(?:\\?%|[x×X](?![\w]))?\s*(?:-|–|to)\s*$"
)
_FROM_BEFORE = re.compile(r"\bfrom\s+(?:" + _NUM + r")?\s*(?:\\?%)?\s*(?:-|–|to)?\s*$")
_EXCLUDE_BEFORE = re.compile(
    r"(?:\bvs\.?|\bversus|\bcompared\s+(?:to|with)|\bbelow|\babove|\bfrom|[<>±≤≥])\s*~?\s*$"
    r"|\b(?:variat|varian|deviat)\w*\b[^.;]{0,30}$",
    re.IGNORECASE,
)
_EXCLUDE_AFTER = re.compile(
    r"^\s*(?:of\b|away\b|variance|deviation|error\s+bound|margin\s+of|confidence|"
    r"(?:absolute\s+)?gap\b|below\b|behind\b|(?:un)?structured\s+sparsity|sparsity|"
    r"(?:larger|smaller|bigger|longer)\b|[\-–]\s*\d|(?:to|-)\s*\d|by\s+(?-i:[A-Z])|"
    r"(?:lower|worse)\s+than\b)",
    re.IGNORECASE,
)
# "reaching 99.3% of ChatGPT's performance", "solves 28.8% of the problems", "saves 42.5%
# of training costs": a share after a verb of achievement is the contribution's result,
# unlike "20% of the data" in a setup.
_ACHIEVED_SHARE = re.compile(
    r"\b(?:reach|achiev|attain|solv|retain|recover|match|obtain|averag|preserv|sav|cut)\w*\s+"
    r"(?:(?:only|about|around|roughly|nearly|over|up\s+to|between)\s+)?"
    r"(?:" + _NUM + r"\s*(?:\\?%)?\s*(?:-|–|and|to)\s*)?$",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r"\b(?:while|whereas|only|compared|baselines?)\b[^,;]*$", re.IGNORECASE)
_RAISED_TO = re.compile(r"\b(?:increas|improv|boost|rais|push|lift)\w*\b[^.;]{0,60}\bto\s*~?$")
_CLAIM_WORDS = (
    "improv", "outperform", "boost", "surpass", "reduc", "speed", "faster", "accelerat", "achiev",
    "gain", "state-of-the-art", "state of the art", "sota", "increas", "better", "higher", "lower",
    " cut", "attain", "obtain", "exceed", " beat", "decreas", "enhanc", " sav", "fewer", " less ",
    "advantage", "superior", "up to", "new record", "top-1", "accuracy of", "scor", "lift",
    "averag", "match", "solv", "reach", "retain", "win rate", "pass@",
)  # fmt: skip
_OWNER = re.compile(
    r"\b(?:we|our|ours|the proposed|proposed|the resulting|resulting|it|its|"
    r"this (?:method|approach|framework|model|technique|work))\b",
    re.IGNORECASE,
)
_NAME = r"([A-Z][\w\-./@^]*(?:[\s\-](?:[A-Z0-9][\w\-./@^]*))*)"
_BENCHMARK = re.compile(r"\b(?:on|across)\s+(?:the\s+)?(?:challenging\s+)?" + _NAME)
_BASELINE = re.compile(
    r"\b(?:over|than|compared\s+(?:to|with)|vs\.?|versus|outperform(?:s|ing|ed)?|"
    r"surpass(?:es|ing|ed)?|beat(?:s|ing)?)\s+(?:the\s+)?(?:strong\s+)?" + _NAME
)


@dataclass(frozen=True, slots=True)
class FoundGain:
    """One claimed improvement with whatever context sits near it."""

    value: float
    unit: GainUnit | None
    metric: str | None
    benchmark: str | None
    baseline: str | None
    evidence: str
    start: int


# A number that others achieve: "the previous state of the art, GPT-4, that achieves 80%",
# "human performance of 94%", "our best agent only achieves 14%" (a finding, not a gain).
_OTHERS_ACHIEVE = re.compile(
    r"(?:\b(?:surpass|outperform|beat|exceed)\w*\s+(?:the\s+)?(?:[\w\-.]+,?\s+){1,8}(?:that|which|who)\s+"
    r"(?:achiev|scor|reach|obtain|get)\w*"
    r"|\b(?:best|previous|prior|existing|current|strongest)\s+(?:[\w\-]+\s+){0,3}"
    r"(?:methods?|models?|systems?|approaches|baselines?)\s+(?:on\s+[\w\-]+\s+)?(?:achiev|reach|obtain|scor|get)\w*"
    r"|\b(?:while|whereas)\s+(?!(?:we|our|it|the\s+proposed)\b)(?:[\w\-.]+\s+){1,4}"
    r"(?:solv|achiev|scor|reach|obtain|get)\w*"
    r"|\band\s+(?-i:[A-Z])[\w\-.]*\s+(?:solv|achiev|scor|reach|obtain|get)\w*"
    r"|\bhuman\s+(?:performance|accuracy|baseline|level|agreement)(?:\s+of)?"
    r"|\bonly\s+(?:achiev|reach|obtain|scor|get)\w*(?:\s+[\w\-]+){0,8}?(?:\s+of)?"
    r")\s+(?:only\s+|about\s+|around\s+|roughly\s+|nearly\s+)?~?$",
    re.IGNORECASE,
)


def _excluded(sentence: str, start: int, end: int, bare: bool = False) -> bool:
    before = sentence[max(0, start - 80) : start]
    after = sentence[end : end + 30]
    if _OTHERS_ACHIEVE.search(before):
        return True
    if _EXCLUDE_BEFORE.search(before) and not before.rstrip().endswith("than"):
        return True
    if _EXCLUDE_AFTER.match(after):
        return not (
            after.lstrip().startswith("of")
            and (
                _RAISED_TO.search(before)
                or (_ACHIEVED_SHARE.search(before) and not _CONTRAST.search(before))
            )
        )
    return False


def _nearest(pattern: re.Pattern[str], text: str, pos: int) -> str | None:
    best: tuple[int, str] | None = None
    for m in pattern.finditer(text):
        distance = abs(m.start() - pos)
        if best is None or distance < best[0]:
            best = (distance, m.group(m.lastindex or 0).strip(" .,"))
    return best[1] if best else None


_WINDOW_BEFORE = 60
_WINDOW_AFTER = 45
_CLAUSE_EDGE = re.compile(r"[;,]|\b(?:and|while|whereas|but|with|when|using)\b", re.IGNORECASE)
_FALLBACK_AFTER = 80
_DEFAULT_METRIC = {"x": "speed", "%": "accuracy", "points": "accuracy"}


def _metric(sentence: str, offset: int, unit: str | None) -> str | None:
    """The metric named next to the number at ``offset``.

    First the number's own clause: the words just after it ("3x faster", "5% higher
    accuracy"), then those just before it ("reduces latency by 40%"), an explicit metric
    before a generic "improves". Failing that, the explicit metric nearest to it in the
    sentence, the last one before it first ("speedups ... of 3.25x on A100 and 4.5x on
    A6000"). Failing that, what a bare
    number of its unit usually claims: a percentage or points of quality, a multiple of speed.
    """
    number_end = offset
    while number_end < len(sentence) and not sentence[number_end].isspace():
        number_end += 1
    after = sentence[number_end : number_end + _WINDOW_AFTER]
    edge = _CLAUSE_EDGE.search(after)
    after = after[: edge.start()] if edge else after
    before_start = max(0, offset - _WINDOW_BEFORE)
    before = sentence[before_start:offset]
    cut = list(_CLAUSE_EDGE.finditer(before))
    if cut:
        before = before[cut[-1].end() :]
        before_start = offset - len(before)
    for pattern in (SPECIFIC, GENERIC):
        best: tuple[int, re.Match[str]] | None = None
        for match in pattern.finditer(after):
            best = (match.start(), match)
            break
        for match in pattern.finditer(before):
            distance = offset - (before_start + match.end())
            if best is None or distance + 8 < best[0]:
                best = (distance + 8, match)
        if best is not None:
            return metric_text(best[1])
    preceding = [m for m in SPECIFIC.finditer(sentence, 0, offset)]
    if preceding:
        return metric_text(preceding[-1])
    following = SPECIFIC.search(sentence, number_end, number_end + _FALLBACK_AFTER)
    if following is not None:
        return metric_text(following)
    return _DEFAULT_METRIC.get(unit or "")


def _claims(sentence: str, method_name: str | None) -> bool:
    lower = sentence.lower()
    for word in _CLAIM_WORDS:  # a plain loop: cheaper than any() over a generator
        if word in lower:
            break
    else:
        return False
    if _OWNER.search(sentence):
        return True
    return method_name is not None and method_name.lower() in lower


def _may_be_bare(sentence: str) -> bool:
    for word in _BARE_WORDS:  # a plain loop: cheaper than any() over a generator
        if word in sentence:
            return True
    return _DECIMAL_ON.search(sentence) is not None


def extract_gains(
    text: str, sentences: Sentences, method_name: str | None = None
) -> list[FoundGain]:
    """Claimed gains in order, one per distinct (value, unit)."""
    gains: list[FoundGain] = []
    seen: set[tuple[float, str | None]] = set()

    def add(value: float, unit: GainUnit, sentence: str, offset: int, s_start: int) -> None:
        if (value, unit) in seen:
            return
        seen.add((value, unit))
        gains.append(
            FoundGain(
                value,
                unit,
                _metric(sentence, offset, unit),
                _nearest(_BENCHMARK, sentence, offset),
                _nearest(_BASELINE, sentence, offset),
                sentence,
                s_start + offset,
            )
        )

    for s_start, s_end in sentences.spans:
        if not _DIGIT.search(text, s_start, s_end):
            continue
        sentence = text[s_start:s_end]
        if not _claims(sentence, method_name):
            continue
        found: list[tuple[int, float, GainUnit]] = []
        for m in _WITH_UNIT.finditer(sentence):
            if _excluded(sentence, m.start(), m.end()):
                continue
            unit = gain_unit(m.group("unit"))
            before = sentence[: m.start()]
            partner = _RANGE_BEFORE.search(before)
            if partner and _OTHERS_ACHIEVE.search(
                sentence, max(0, partner.start() - 80), partner.start()
            ):
                continue  # "the best methods achieve 59.4-79.1%": both ends are theirs
            if partner and not _FROM_BEFORE.search(before):
                found.append((partner.start(), to_number(partner.group("num")), unit))
            found.append((m.start(), to_number(m.group("num")), unit))
        bare = _BARE.finditer(sentence) if _may_be_bare(sentence) else ()
        for m in bare:
            if m.group("score") and not _SOTA.search(sentence):
                continue
            if _excluded(sentence, m.start(), m.end(), bare=True):
                continue
            for group in ("num", "n1", "n2", "score", "m1", "m1b", "m2", "m3"):
                if m.group(group):
                    found.append((m.start(group), to_number(m.group(group)), "points"))
        for offset, value, unit in sorted(found, key=lambda item: item[0]):
            add(value, unit, sentence, offset, s_start)
    return gains


@dataclass(frozen=True, slots=True)
class FoundResult:
    """One absolute score of the paper's own method, with what sits near it."""

    benchmark: str | None
    metric: str | None
    value: float
    unit: str | None
    setting: str | None
    evidence: str
    start: int


def extract_results(
    text: str, sentences: Sentences, method_name: str | None = None
) -> list[FoundResult]:
    """Absolute scores claimed for the paper's own method, in order."""
    return []
