"""Model sizes: parameter counts written as 7B, 1.3 billion, Llama-2-70B, "from 843M to 15B".

The hard part is what *not* to take: token, sample and FLOP counts share the same
suffixes. A "B"/"billion" count is a model size unless a noise noun follows; the
ambiguous K/M/T/million/trillion counts need a nearby "parameters" (or a model-name
hyphen for M). Range and list partners inherit acceptance from their neighbours, so
"between 244M and 137B parameters" yields both ends.

Each size then gets a role from its sentence: after a comparison ("outperforms
CodeLlama-34B", "compared with GPT-3 (175B)") it is a baseline; in a scene-setting
sentence that says nothing about the paper's own work ("LLMs such as GPT-3 (175B) ...")
it is other; otherwise it is one of the paper's own models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.core.schema import SizeRole
from summarizer.text.numbers import SCALES, WORD_NUMBERS, to_number
from summarizer.text.sentences import Sentences

_THRESHOLD = (
    r"(?:[<>≤≥]=?|\b(?:ge|le|over|above|below|under|beyond|exceeding|up\s+to|at\s+(?:least|most)|"
    r"(?:larger|greater|more|fewer|less|smaller|bigger)\s+than)\s+)"
)
_DIGIT_SIZE = re.compile(
    r"\d{1,4}(?:,\d{3})*(?:\.\d+)?(?P<plus1>\+)?"
    r"(?:(?P<sfx>(?-i:[KMBT]))(?![A-Za-z0-9])|[\s\-]?(?P<word>thousand|million|billion|trillion)(?![A-Za-z]))"
    r"(?P<plus2>\+)?",
    re.IGNORECASE,
)
_WORD_SIZE = re.compile(
    r"\b(?P<wnum>"
    + "|".join(WORD_NUMBERS)
    + r")[\s\-](?P<wword>million|billion|trillion)(?![A-Za-z])"
    r"(?P<plus2>\+)?",
    re.IGNORECASE,
)
# Every match of _DIGIT_SIZE holds a digit, maybe "+", maybe a space or hyphen, then its
# suffix or the first letter of its scale word: a cheap scan that skips it when absent.
_DIGIT_SIZE_HINT = re.compile(r"\d\+?[\s\-]?[KMBTkmbt]")
# ... and every match of _WORD_SIZE a space or hyphen before its scale word (same flags).
_WORD_SIZE_HINT = re.compile(r"[\s\-](?:million|billion|trillion)", re.IGNORECASE)
_GLUED = frozenset("0123456789.,")
_THRESHOLD_BEFORE = re.compile(_THRESHOLD + r"\s*(?:~|\\sim\s*|sim|≈)?\s*$", re.IGNORECASE)
_NOISE_AFTER = re.compile(
    r"^\+?[\s\-]*(?:\(\w+\)\s*)?(?:(?:pre-?)?training\s+|unique\s+|high-quality\s+|text\s+|image\s+|"
    r"web\s+|synthetic\s+|curated\s+|multilingual\s+|code\s+|english\s+|total\s+)?"
    r"(?:tokens?|bits?|bytes?|samples?|examples?|images?|image-text|instances?|pairs?|words?|"
    r"documents?|docs|papers?|hours?|gpu|flops?|queries|sentences?|steps?|rows?|records?|"
    r"dollars?|usd|users?|videos?|clips?|frames?|pixels?|context|vocab\w*|training|questions?|"
    r"problems?|responses?|conversations?|dialogues?|files?|lines?|repositories|functions?|"
    r"molecules?|proteins?|patients?|people|downloads?|citations?|times|interactions|data|dataset|"
    r"corpus|web\s?pages?|passages?|entries|articles|posts|comments|trajectories|demonstrations|"
    r"annotations?|labels?|characters?|chars?|edits|facts|triples|prompts|iterations|updates|"
    r"long[\s\-]+context|context\s+(?:length|window))\b",
    re.IGNORECASE,
)
_NOISE_BEFORE = re.compile(r"(?:[$€£]|\bUSD\s?|\bcost\w*\s+of\s+)$", re.IGNORECASE)
_PARAM_AFTER = re.compile(
    r"^\+?[\s\-]*(?:(?:trainable|learnable|active|activated|total|non-embedding|model)[\s\-]+)?"
    r"param",
    re.IGNORECASE,
)
_PARAM_BEFORE = re.compile(r"param\w*\b[^.;:]{0,30}$", re.IGNORECASE)
_NAME_BEFORE = re.compile(r"[A-Za-z][\w.]*[\-_ ]$")
# A model name right before an "M" size looks like one: "Pythia-70M", "GPT2 124M", "T5_60M";
# a lowercase word and a space ("on 11M images") does not.
_MODEL_NAME_BEFORE = re.compile(r"(?:[A-Za-z][\w.]*[\-_]|(?:[A-Z][\w.]*|[\w.]*\d[\w.]*)\s)$")
# The noun a count is of decides: scan a few words after the number, across adjectives
# ("35B Python tokens", "11M licensed and privacy respecting images"), up to a preposition,
# punctuation or the next number. A model noun says parameters; a counted noun says not.
_STOP = r"(?:of|on|in|from|with|for|at|by|to|that|which|than|while|across|using|via|is|are|was|were|per|each)"
_COUNTED = (
    r"tokens|samples|examples|images|masks|pairs|words|hours|weights|documents|sentences|"
    r"videos|clips|frames|pixels|queries|questions|problems|responses|conversations|dialogues|"
    r"files|lines|functions|molecules|proteins|patients|users|steps|rows|records|instances|"
    r"captions|annotations|labels|characters|passages|articles|posts|comments|trajectories|"
    r"demonstrations|prompts|instructions|tasks|items|games|episodes|utterances|objects|"
    r"regions|boxes|points|nodes|edges|triples|facts|entities|pages|webpages|hashes|"
    r"sequences|audios|recordings|speakers|reviews|messages|tweets|photos|scenes|"
    r"data|corpus|datasets"
)
_NOUN_AFTER = re.compile(
    r"^\+?(?:[\s\-]+(?!" + _STOP + r"\b)[A-Za-z][\w'\-]*?){0,5}?[\s\-]+"
    r"(?:(?P<model>param\w*|models?|LLMs?|LMs?|MLLMs?|VLMs?|checkpoints?|variants?|"
    r"transformers?|networks?|backbones?|encoders?|decoders?)|(?P<counted>" + _COUNTED + r"))"
    r"(?![\w\-])",
    re.IGNORECASE,
)
_NAME_NOUN_AFTER = re.compile(
    r"^[\s\-]*(?:(?:dense|base|instruct|chat|sized?|scale|parameter|pretrained|pre-trained)[\s\-]+)*"
    r"(?:models?|LLMs?|LMs?|variants?|versions?|checkpoints?|networks?|transformers?|"
    r"backbones?|language\s+models?)\b",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"^[\s,]*(?:,?\s*(?:and|or|to|through|vs\.?|-|–|—|~|/)\s*)?[\s,]*"
    r"(?:(?:over|above|nearly|almost|about|around|roughly|approximately|more\s+than|"
    r"up\s+to)\s*)?$"
)
# A bare number in a range or list shares the unit of the sized number after it:
# "0.46 to 7.5 billion", "1.6 and 3.1 billion", "1.3/7.5B". Not after a capitalised
# word or a number ("Llama 2 and 7B", "Table 3 and 13B").
_BARE_PARTNER = re.compile(
    r"(?<![\w.,\-/@$€£^])(?P<num>\d{1,4}(?:\.\d+)?)(?:\s*,\s*|\s+(?:to|and|or)\s+|\s*[\-–/]\s*)$"
)
_PARTNER_GAP_END = frozenset(" ,-–/\u00a0")
_NOT_PARTNER_BEFORE = re.compile(r"(?:[A-Z][\w.\-]*|\d[\w.]*|[#§])\s*$")
# A size glued to the name of a dataset is part of that name: "dataset (SA-1B)".
_DATA_NAME_BEFORE = re.compile(
    r"\b(?:data(?:sets?)?|corpus|corpora|benchmarks?|collection)\s*[(\[\"“]?\s*[A-Za-z][\w.]*-$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FoundSize:
    """A parameter count with the text it was read from."""

    text: str
    params: float
    vague: bool
    start: int
    end: int
    role: SizeRole = "own"


@dataclass(slots=True)
class _Candidate:
    text: str
    params: float
    vague: bool
    start: int
    end: int
    verdict: bool | None


def _value(match: re.Match[str]) -> float | None:
    groups = match.groupdict()
    if groups.get("wnum"):
        return WORD_NUMBERS[groups["wnum"].lower()] * SCALES[groups["wword"].lower()]
    unit = (groups["sfx"] or groups["word"] or "").lower()
    number_text = match.group(0)[
        : match.start("plus1" if groups["plus1"] else "sfx" if groups["sfx"] else "word")
        - match.start()
    ]
    try:
        number = to_number(number_text)
    except ValueError:
        return None
    return number * SCALES[unit]


def _judge(text: str, match: re.Match[str]) -> bool | None:
    """True = a parameter count, False = certainly not, None = undecided (ask neighbours)."""
    after = text[match.end() : match.end() + 60]
    before = text[max(0, match.start() - 60) : match.start()]
    if (
        _NOISE_AFTER.match(after)
        or _NOISE_BEFORE.search(before)
        or (before.endswith("-") and _DATA_NAME_BEFORE.search(before))
    ):
        return False
    if _PARAM_AFTER.match(after):
        return True
    noun = _NOUN_AFTER.match(after)
    if noun:
        return bool(noun.group("model"))
    groups = match.groupdict()
    unit = (groups.get("sfx") or groups.get("word") or groups.get("wword") or "").lower()
    if unit in ("b", "billion"):
        return True
    if unit in ("k", "t") and _NAME_BEFORE.search(before):
        return False
    if _PARAM_BEFORE.search(before):
        return True
    if unit == "m" and (_MODEL_NAME_BEFORE.search(before) or _NAME_NOUN_AFTER.match(after)):
        return True
    return None


def find_sizes(text: str) -> list[FoundSize]:
    """Distinct parameter counts in order of first appearance."""
    candidates: list[_Candidate] = []
    matches = (
        [
            m
            for m in _DIGIT_SIZE.finditer(text)
            if m.start() == 0 or text[m.start() - 1] not in _GLUED
        ]
        if _DIGIT_SIZE_HINT.search(text)
        else []
    )
    if "illion" in text and _WORD_SIZE_HINT.search(text):
        matches.extend(_WORD_SIZE.finditer(text))
        matches.sort(key=lambda m: m.start())
    for match in matches:
        params = _value(match)
        if params is None or params <= 0:
            continue
        start = match.start()
        groups = match.groupdict()
        vague = bool(
            groups.get("plus1")
            or groups.get("plus2")
            or _THRESHOLD_BEFORE.search(text, max(0, start - 30), start)
        )
        candidates.append(
            _Candidate(
                text[start : match.end()].strip(),
                params,
                vague,
                start,
                match.end(),
                _judge(text, match),
            )
        )
    candidates = _with_bare_partners(text, candidates)
    _propagate(text, candidates)
    sizes: list[FoundSize] = []
    seen: list[float] = []
    for c in candidates:
        if c.verdict and not any(abs(c.params - v) <= 0.01 * v for v in seen):
            seen.append(c.params)
            sizes.append(FoundSize(c.text, c.params, c.vague, c.start, c.end))
    return sizes


def _with_bare_partners(text: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """Add unit-less range/list partners ("from 0.46 to 7.5 billion") before their sized number."""
    out: list[_Candidate] = []
    for c in candidates:
        partners: list[_Candidate] = []
        right = c
        while True:
            if right.start == 0 or text[right.start - 1] not in _PARTNER_GAP_END:
                break
            window_start = max(0, right.start - 24)
            if out and out[-1].end > window_start:
                window_start = out[-1].end
            bare = _BARE_PARTNER.search(text, window_start, right.start)
            if not bare or _NOT_PARTNER_BEFORE.search(
                text, max(0, bare.start() - 20), bare.start()
            ):
                break
            number = float(bare.group("num"))
            scale = c.params / _number_of(c)
            if number <= 0 or scale <= 1:
                break
            right = _Candidate(
                bare.group("num"), number * scale, c.vague, bare.start(), bare.end(), None
            )
            partners.append(right)
        out.extend(reversed(partners))
        out.append(c)
    return out


def _number_of(c: _Candidate) -> float:
    match = re.match(r"\d[\d,]*(?:\.\d+)?", c.text)
    if match:
        return to_number(match.group(0))
    word = c.text.split()[0].split("-")[0].lower()
    return float(WORD_NUMBERS.get(word, 1))


def _propagate(text: str, candidates: list[_Candidate]) -> None:
    """Range/list partners ("1B, 3B and 7B", "15 million to 65 million") share a verdict."""
    for forward in (True, False):
        order = range(len(candidates) - 1) if forward else range(len(candidates) - 2, -1, -1)
        for i in order:
            left, right = candidates[i], candidates[i + 1]
            if not _LINK.match(text[left.end : right.start]):
                continue
            source, target = (left, right) if forward else (right, left)
            if source.verdict is not None and target.verdict is None:
                target.verdict = source.verdict


_COMPARISON = re.compile(
    r"\b(?:outperform\w*|surpass\w*|beat(?:s|ing)?|(?<!larger\s)(?<!greater\s)(?<!more\s)"
    r"(?<!less\s)(?<!smaller\s)(?<!fewer\s)than|compared\s+(?:to|with)|comparison\s+(?:to|with)|"
    r"vs\.?|versus|rival\w*|match(?:es|ing)?|on\s+par\s+with|comparable\s+(?:to|with)|"
    r"competitive\s+with|exceed\w*|relative\s+to|against|baselines?|similar\s+to|"
    r"comparable\s+(?:\w+\s+)?(?:to|with)|preferred\s+(?:over|to)|"
    r"(?:as\s+)?(?:well|good)\s+as|closes?\s+the\s+gap|lags?\s+behind|trails?)\b",
    re.IGNORECASE,
)
_OWN_AFTER_COMPARISON = re.compile(r"\b(?:our|we|ours|the\s+proposed)\b", re.IGNORECASE)
# "by 3.7% on LLaMA-7B", "experiments using Llama-2-13B": the models the method is run on.
_RUN_ON = re.compile(
    r"\b(?:on|using|across|for|at)\s+(?:the\s+)?(?:[\w.\-]+[\s\-])?$", re.IGNORECASE
)
_PRIOR = re.compile(
    r"\b(?:initiated\s+by|follow-up\s+work|previous(?:ly)?|prior\s+work|earlier\s+work|"
    r"distill\w*\s+(?:\w+\s+){0,2}from)\b",
    re.IGNORECASE,
)
_EXAMPLE_AFTER = re.compile(r"^[^,;.]{0,20}\bas\s+an\s+example\b", re.IGNORECASE)
_OWNER = re.compile(
    r"\b(?:we|our|ours|us|this\s+(?:paper|work|study|report)|the\s+proposed|the\s+resulting|"
    r"here)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r"[;:]|,\s+(?:but|and\s+(?:we|our))\b|\b(?:while|whereas|when|despite|at\s+scales?)\b|\.\s",
    re.IGNORECASE,
)


def size_role(
    text: str, size: FoundSize, sentences: Sentences, method_name: str | None = None
) -> SizeRole:
    """Whose model a size is, from the words of its clause before it.

    After a comparison it is a baseline, unless the size is what the comparison was run on
    ("improves over LoRA by 3.7% on LLaMA-7B"). A threshold ("larger than 100B"), an
    example ("GPT-3 175B as an example") or prior work is other, and so is a size in the
    scene-setting sentences before the authors first speak of their own work.
    """
    start, _ = sentences.span_at(size.start)
    before = text[start : size.start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    comparison = next(reversed(list(_COMPARISON.finditer(clause))), None)
    if (
        comparison is not None
        and not _OWN_AFTER_COMPARISON.search(clause, comparison.end())
        and not _RUN_ON.search(clause)
    ):
        return "baseline"
    if size.vague or _PRIOR.search(clause) or _EXAMPLE_AFTER.match(text, size.end):
        return "other"
    sentence = sentences.at(size.start)
    if _OWNER.search(sentence) or (method_name and method_name in sentence):
        return "own"
    first_owned = next((a for a, b in sentences.spans if _OWNER.search(text, a, b)), None)
    if first_owned is not None and start < first_owned:
        return "other"
    return "own"


def extract_sizes(
    text: str, sentences: Sentences, method_name: str | None = None
) -> list[tuple[FoundSize, str]]:
    """Sizes with their role, paired with their evidence sentence."""
    sizes = []
    for size in find_sizes(text):
        role = size_role(text, size, sentences, method_name)
        sizes.append(
            (
                FoundSize(size.text, size.params, size.vague, size.start, size.end, role),
                sentences.at(size.start),
            )
        )
    return sizes
