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
from summarizer.text.literals import any_in
from summarizer.text.numbers import SCALES, WORD_NUMBERS, to_number
from summarizer.text.sentences import Sentences

_THRESHOLD = (
    r"(?:[<>≤≥]=?|\b(?:ge|le|over|above|below|under|beyond|exceeding|up\s+to|at\s+(?:least|most)|"
    r"(?:larger|greater|more|fewer|less|smaller|bigger)\s+than)\s+)"
)
# ASCII digits and a case-sensitive pattern (the scale words alone ignore case): the engine
# then scans for a digit with a plain character set, much faster than ``\d`` ignoring case.
_DIGIT_SIZE = re.compile(
    r"[0-9]{1,4}(?:,[0-9]{3})*(?:\.[0-9]+)?(?P<plus1>\+)?"
    r"(?:(?P<sfx>[KMBT])(?![A-Za-z0-9])|[\s\-]?(?P<word>(?i:thousand|million|billion|trillion))"
    r"(?![A-Za-z]))"
    r"(?P<plus2>\+)?"
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
_DIGIT_SIZE_HINT = re.compile(r"[0-9]\+?[\s\-]?[KMBTkmbt]")
# ... and every match of _WORD_SIZE a space or hyphen before its scale word (same flags).
_WORD_SIZE_HINT = re.compile(r"[\s\-](?:million|billion|trillion)", re.IGNORECASE)
_GLUED = frozenset("0123456789.,")
_LONGEST_WORD = max(len(word) for word in WORD_NUMBERS)
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
    r"^[\s,]*(?:,?\s*(?:and|or|to|through|vs\.?|--?|–|—|~|/)\s*)?[\s,]*"
    r"(?:(?:over|above|nearly|almost|about|around|roughly|approximately|more\s+than|"
    r"up\s+to)\s*)?$"
)
# A bare number in a range or list shares the unit of the sized number after it:
# "0.46 to 7.5 billion", "1.6 and 3.1 billion", "1.3/7.5B". Not after a capitalised
# word or a number ("Llama 2 and 7B", "Table 3 and 13B").
_BARE_PARTNER = re.compile(
    r"(?<![\w.,\-/@$€£^])(?P<num>\d{1,4}(?:\.\d+)?)(?:\s*,\s*|\s+(?:to|and|or)\s+|\s*(?:--?|[–—/])\s*)$"
)
_PARTNER_GAP_END = frozenset(" ,-–/\u00a0")
_NOT_PARTNER_BEFORE = re.compile(r"(?:[A-Z][\w.\-]*|\d[\w.]*|[#§])\s*$")
# A size glued to the name of a dataset is part of that name: "dataset (SA-1B)".
_DATA_NAME_BEFORE = re.compile(
    r"\b(?:data(?:sets?)?|corpus|corpora|benchmarks?|collection)\s*[(\[\"“]?\s*[A-Za-z][\w.]*-$",
    re.IGNORECASE,
)

# ... or presented as one: "SynthText-2B, a corpus", "the OpenWebText-10B subset".
_DATA_NAME_AFTER = re.compile(
    r"^(?:,\s*(?:an?|the)\s+(?:[\w\-]+\s+){0,3}?|\s+)(?:data(?:sets?)?|corpus|corpora|"
    r"subsets?|splits?|benchmarks?|collection)\b",
    re.IGNORECASE,
)
# "we train on LAION-400M": what is trained on is data.
_TRAINED_ON_BEFORE = re.compile(
    r"\b(?:train\w*|pre-?train\w*|fine-?tun\w*)\s+(?:\w+\s+){0,2}?on\s+(?:the\s+)?[A-Za-z][\w.]*-$",
    re.IGNORECASE,
)
# Parameters of a part of a model, or added to one, are not a model's size: "an embedding
# table (65K parameters)", "a 560K-parameter gating sub-module", "0.5M additional parameters".
_COMPONENT = (
    r"(?:sub-?modules?|modules?|heads?|layers?|routers?|gat(?:e|es|ing)|projectors?|"
    r"codebooks?|(?:embedding|lookup)\s+tables?|tables?|embeddings)"
)
_OVERHEAD_AFTER = re.compile(
    r"^\+?[\s\-]*(?:additional|extra|added|new|more)\s+(?:trainable\s+|learnable\s+)?param",
    re.IGNORECASE,
)
_COMPONENT_AFTER = re.compile(
    r"^[\s\-]*(?:trainable\s+|learnable\s+)?param\w*\s+(?:[\w\-]+\s+)?" + _COMPONENT + r"\b",
    re.IGNORECASE,
)
_COMPONENT_BEFORE = re.compile(
    r"\b" + _COMPONENT + r"\s*(?:\(|(?:with|of|has|have|adds?|uses?|contains?|introduces?|"
    r"requires?|costs?)\s+)(?:only\s+|just\s+|about\s+|around\s+|roughly\s+|~\s*)?$",
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
        or (
            before.endswith("-")
            and (
                _DATA_NAME_BEFORE.search(before)
                or _DATA_NAME_AFTER.match(after)
                or _TRAINED_ON_BEFORE.search(before)
            )
        )
    ):
        return False
    if "aram" in after[:40] and (
        _OVERHEAD_AFTER.match(after)
        or _COMPONENT_AFTER.match(after)
        or _COMPONENT_BEFORE.search(before)
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


def _mentions(text: str) -> list[list[FoundSize]]:
    """Each distinct parameter count (in order of first appearance) with all its mentions."""
    candidates: list[_Candidate] = []
    matches: list[re.Match[str]] = []
    hint = _DIGIT_SIZE_HINT.search(text)
    if hint:
        # Every size holds a hint (its last digit, then its suffix), and the hint's digit ends
        # the size's number: no size starts before the first hint's number, so the full
        # pattern scans from there.
        start = hint.start()
        while start and text[start - 1] in _GLUED:
            start -= 1
        matches = [
            m
            for m in _DIGIT_SIZE.finditer(text, start)
            if m.start() == 0 or text[m.start() - 1] not in _GLUED
        ]
    if "illion" in text:
        words = _WORD_SIZE_HINT.search(text)
        if words:
            # ... and a number word stands right before its scale word: scan from there.
            matches.extend(_WORD_SIZE.finditer(text, max(0, words.start() - _LONGEST_WORD)))
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
    distinct: list[list[FoundSize]] = []
    for c in candidates:
        if not c.verdict:
            continue
        size = FoundSize(c.text, c.params, c.vague, c.start, c.end)
        for mentions in distinct:
            if abs(c.params - mentions[0].params) <= 0.01 * mentions[0].params:
                mentions.append(size)
                break
        else:
            distinct.append([size])
    return distinct


def find_sizes(text: str) -> list[FoundSize]:
    """Distinct parameter counts in order of first appearance."""
    return [mentions[0] for mentions in _mentions(text)]


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
_EXAMPLE_AFTER = re.compile(r"[^,;.]{0,20}\bas\s+an\s+example\b", re.IGNORECASE)
_OWNER = re.compile(
    r"\b(?:we|our|ours|us|this\s+(?:paper|work|study|report)|the\s+proposed|the\s+resulting|"
    r"here)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r"[;:]|,\s+(?:but|and\s+(?:we|our))\b|\b(?:while|whereas|when|despite|at\s+scales?)\b|\.\s",
    re.IGNORECASE,
)


# The verb (or noun) that governs a model mention, nearest before the size, says whose model
# it is: trained, fine-tuned, released or built by the authors ("own"); evaluated, probed,
# analysed ("study") or attacked ("attack"). "Strong" own verbs hold in any kind of paper;
# the weak ones ("our", "we propose ... a 1B model", "applying X to") only in method papers.
# "training dynamics", "fine-tuning data": the noun, not the verb.
_TRAINING_NOUNS = (
    r"(?:dynamics|data|dataset|set|corpus|corpora|tokens?|compute|steps?|budgets?|recipes?|"
    r"process|procedures?|objectives?|loss|curves?|runs?|stages?|phases?|regimes?|signals?|"
    r"distributions?|examples|samples|time|costs?|efficiency|stability|details|pipelines?|"
    r"mixtures?|methods?|strategies|paradigms?|trajectories|checkpoints|instances)"
)
_GOVERNOR = re.compile(
    r"(?<![\w\-])(?:"
    r"(?P<strong>(?:(?:pre-?|re-?|continu\w*\s+pre-?)?train(?:s|ing)?|fine-?tun(?:e|es|ing)|"
    r"finetun(?:e|es|ing))(?!\s+" + _TRAINING_NOUNS + r"\b)|releas(?:e|es|ing)|"
    r"open-?sourc(?:e|es|ing)|distill\w*\s+(?:\S+\s+){0,5}?(?:in)?to)"
    r"|(?P<attack>attack\w*|jailbr\w*|red[- ]?team\w*)"
    r"|(?P<study>evaluat\w*|benchmark(?:s|ed|ing)?|assess\w*|"
    r"test(?:s|ed|ing)?(?!\s+(?:data|sets?|splits?|time|cases?|examples|samples|questions|"
    r"suites?|benchmarks?|accuracy|performance|loss|distributions?)\b)|"
    r"prob(?:e|es|ed|ing)|analy[sz]\w*|stud(?:y|ies|ied|ying)|examin\w*|investigat\w*|"
    r"audit\w*|measur\w*|interpretability|inspect\w*|characteri[sz]\w*|explor(?:e|es|ed|ing))"
    r"|(?P<weak>(?<!-)trained|fine-?tuned|finetuned|released|introduc\w*|propos\w*|"
    r"present(?:s|ed|ing)?|develop\w*|build(?:s|ing)?|built|appl(?:y|ies|ied|ying)|"
    r"adapt(?:s|ed|ing)?|scal(?:e|es|ed|ing)\s+(?:[\w\-]+\s+){0,3}?(?:to|up)|"
    r"instruction[- ]tun\w*|our|ours|the\s+proposed|the\s+resulting)"
    r")(?![\w\-])",
    re.IGNORECASE,
)
# A study verb followed by where it was run rather than by what it studies ("we evaluate
# on LLaMA-7B", "tested extensively across"): in a method paper, the models the method runs on.
_TESTBED_AFTER = re.compile(
    r"^\s+(?:(?:it|them|this|these|extensively|empirically|thoroughly|\w+ly)\s+)?"
    r"(?:on|across|using|with|in)\b",
    re.IGNORECASE,
)
# "Exploring whether the results hold for smaller models, we use ...": a study verb whose
# object is a question governs no model.
_QUESTION_AFTER = re.compile(r"\s+(?:whether|how|if|what|why|when|which)\b", re.IGNORECASE)
# "distilled from GPT-3.5 (175B) to T5 (11B)": the teacher is prior work, the student own.
_DISTILLED_INTO = re.compile(r"\bdistill\w*\s+(?:\S+\s+){0,5}?(?:in)?to\s", re.IGNORECASE)
# The weak own verbs of a paper that builds nothing govern a size only right after them.
_WEAK_REACH = 80

# What kind of paper it is: one that proposes a method or model, one that only studies
# (evaluates, analyses, benchmarks) models, or one that attacks them.
_ATTACK_WORDS = re.compile(
    r"(?<![\w\-])(?:attack\w*|jailbr\w*|red[- ]?team\w*|adversarial\s+(?:prompts?|suffix\w*))",
    re.IGNORECASE,
)
_DEFENSE_WORDS = re.compile(
    r"(?<![\w\-])(?:defen[cds]\w*|safeguard\w*|guard\w*|detect\w*|mitigat\w*|robust\w*|"
    r"protect\w*|immuni[sz]\w*|resist\w*|secur\w*|shield\w*|certif\w*|unlearn\w*)",
    re.IGNORECASE,
)
_STUDY_TITLE = re.compile(
    r"^(?:on|towards?\s+understanding|evaluat\w*|benchmark\w*|assess\w*|measur\w*|"
    r"quantif\w*|prob(?:e|es|ing)|analy[sz]\w*|understand\w*|investigat\w*|examin\w*|"
    r"characteri[sz]\w*|demystif\w*|revisit\w*|rethink\w*|unveil\w*|unravel\w*|dissect\w*|"
    r"compar\w*|question\w*|audit\w*|do|does|are|is|can|could|should|will|how|what|why|when|"
    r"which|where|lessons|(?:an?\s+)?(?:empirical|systematic|comprehensive|closer|large-scale)|"
    r"(?:an?\s+)?(?:[\w\-]+\s+){0,4}?(?:benchmark|evaluation|leaderboard|study|analysis|"
    r"investigation|audit))\b",
    re.IGNORECASE,
)
_TITLE_PARTS = re.compile(r"\s*(?::|\s--?\s|\s—\s)\s*")
# What the authors say they do: the verb within two words after each subject ("we", "our",
# "this paper"), read on the lower-cased abstract. The subjects are found with ``str.find``
# and each verb with one anchored match, so an abstract costs a handful of short matches.
_SUBJECTS = (" we ", " our ", " this paper ", " this work ", " this study ")
_VERB = re.compile(
    r"(?:[\w\-]+\s+){0,2}?(?:"
    r"(?P<intro>introduc|present|propos|releas|build|built|construct|curat|develop|design|devis)"
    r"|(?P<train>pre-?train|train|re-?train|fine-?tun|finetun)"
    r"|(?P<study>stud(?:y|ies)\b|analy[sz]e\b|investigate\b|evaluate\b|examine\b|probe\b|"
    r"benchmark\b|audit\b|measure\b|assess\b|characteri[sz]e\b|explore\b|test\b|revisit\b|"
    r"compare\b))"
)
# What an introduced thing is, in the words after the verb up to the end of the clause.
_REACH = 110
# (Literals, looked for with ``in``: cheaper than a pattern over the clause.)
_BENCHMARK_NOUNS = (
    "benchmark", "leaderboard", "evaluation suite", "evaluation framework",
    "evaluation protocol", "testbed", "test bed", "arena",
)  # fmt: skip
_METHOD_NOUNS = (
    "method", "approach", "framework", "algorithm", "technique", "strategy", "model",
    "architecture", "system", "objective", "loss", "recipe", "pipeline", "mechanism", "module",
    "procedure", "scheme", "training", "decoding", "paradigm", "defense", "defence",
)  # fmt: skip
_NOT_METHOD_NOUNS = ("dataset", "evaluation", "suite")
_TRAINING_TITLE = re.compile(r"\b(?:pre-?)?train(?:ing)?\b|\bfine-?tuning\b", re.IGNORECASE)
# A benchmark's coined name: "FooBench", "X-Eval", "Y Arena".
_BENCHMARK_NAME = re.compile(r"[\w\-]*(?:Bench|BENCH|Eval|EVAL|Arena)\b")
_BENCHMARK_LITERALS = ("Bench", "BENCH", "Eval", "EVAL", "Arena")
# Cheap literals without which the attack patterns cannot match.
_KIND_LITERALS = ("attack", "jailbr", "red-team", "red team", "redteam", "adversarial")
# "... up to a 280 billion parameter model called Gopher": a size the authors name.
_NAMED_AFTER = re.compile(r"[\w\s\-]{0,40}?\b(?:called|named|dubbed)\s+[A-Z]")
# "train and evaluate LMs (below 10M parameters)": the study verb shares the trained object.
_JOINED = re.compile(r"\s*(?:,|and|or|,\s*and)\s*$")

_METHOD, _STUDY, _ATTACK = "method", "study", "attack"


def _introduces_data(clause: str) -> bool:
    """Whether a dataset, an evaluation or a suite comes before the first method noun."""
    if not any_in(clause, _NOT_METHOD_NOUNS):
        return False
    first = min((at for noun in _METHOD_NOUNS if (at := clause.find(noun)) >= 0), default=-1)
    return any(0 <= clause.find(noun) < first for noun in _NOT_METHOD_NOUNS)


def paper_kind(title: str, text: str, lowered: str | None = None) -> str:
    """Whether the paper proposes something (a method, model, dataset), only studies models
    (an evaluation, benchmark or analysis) or attacks them. In order: an attack title (not a
    defence); a benchmark (a coined "-Bench" name, "we introduce ... a benchmark"); a paper
    that trains models ("we pre-train", "from scratch", a title about training); one that
    proposes a method ("we propose ... a method"); a study title or "we evaluate/analyse";
    else a method paper. ``lowered``: the text lower-cased, when already known."""
    if lowered is None:
        lowered = text.lower()
    if (any_in(lowered, _KIND_LITERALS) or any_in(title.lower(), _KIND_LITERALS)) and (
        (_ATTACK_WORDS.search(title) and not _DEFENSE_WORDS.search(title))
        or (not title.strip() and _ATTACK_WORDS.search(text) and not _DEFENSE_WORDS.search(text))
    ):
        return _ATTACK
    if any_in(title, _BENCHMARK_LITERALS) and _BENCHMARK_NAME.search(title):
        return _STUDY
    spaced = " " + lowered.replace("(", " ")
    benchmark = trains = proposes = studies = False
    for subject in _SUBJECTS:
        at = spaced.find(subject)
        while at >= 0:
            verb = _VERB.match(spaced, at + len(subject))
            if verb is not None:
                if verb.lastgroup == "train":
                    trains = True
                elif subject == " our ":
                    pass  # "our study", "our analysis": nouns, not what the authors do
                elif verb.lastgroup == "study":
                    studies = True
                else:
                    clause = spaced[verb.end() : verb.end() + _REACH].split(".", 1)[0]
                    if any_in(clause, _BENCHMARK_NOUNS):
                        benchmark = True
                    elif any_in(clause, _METHOD_NOUNS) and not _introduces_data(clause):
                        proposes = True
            at = spaced.find(subject, at + 1)
    if benchmark:
        return _STUDY
    if trains or proposes or "from scratch" in lowered or _TRAINING_TITLE.search(title):
        return _METHOD
    parts = [part for part in _TITLE_PARTS.split(title.strip()) if part]
    if studies or any(_STUDY_TITLE.match(part) for part in parts[:2]):
        return _STUDY
    return _METHOD


def size_role(
    text: str,
    size: FoundSize,
    sentences: Sentences,
    method_name: str | None = None,
    kind: str = _METHOD,
) -> SizeRole:
    """Whose model a size is, from the words of its sentence before it and the paper's kind.

    After a comparison it is a baseline, unless the size is what the comparison was run on
    ("improves over LoRA by 3.7% on LLaMA-7B"). Otherwise the nearest governing verb decides:
    trained, fine-tuned or released models are the paper's own in any paper; evaluated,
    probed or analysed ones ("we evaluate 125M to 30B models") are baselines, as are attacked
    ones in an attack paper; "our", "we propose" and a method applied to a model ("applying X
    to QwQ-32B", "we evaluate our method on Llama-2 7B") make it own in a method paper. With no
    such verb, a study or attack paper's models are baselines. A threshold ("larger than
    100B"), an example ("GPT-3 175B as an example") or prior work is other, and so is a size in
    the scene-setting sentences before the authors first speak of their own work.
    """
    start, _ = sentences.span_at(size.start)
    before = text[start : size.start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    comparison = next(reversed(list(_COMPARISON.finditer(clause))), None)
    if (
        comparison is not None
        and not _OWN_AFTER_COMPARISON.search(clause, comparison.end())
        and (kind != _METHOD or not _RUN_ON.search(clause))
    ):
        return "baseline"
    if (_PRIOR.search(clause) and not _DISTILLED_INTO.search(clause)) or _EXAMPLE_AFTER.match(
        text, size.end
    ):
        return "other"
    role = _governed_role(text, size, before, method_name, kind)
    if role is not None:
        return role
    sentence = sentences.at(size.start)
    first_owned = next((a for a, b in sentences.spans if _OWNER.search(text, a, b)), None)
    if kind != _METHOD:
        return "other" if first_owned is not None and start < first_owned else "baseline"
    if size.vague and not _OWNER.search(sentence):
        return "other"
    if _OWNER.search(sentence) or (method_name and method_name in sentence):
        return "own"
    if first_owned is not None and start < first_owned:
        return "other"
    return "own"


def _governed_role(
    text: str, size: FoundSize, before: str, method_name: str | None, kind: str
) -> SizeRole | None:
    """The role a governing word gives a size ("we train", "we evaluate", "called X"), or
    None when no such word decides it."""
    if _NAMED_AFTER.match(text, size.end):
        return "own"
    governor = previous = None
    for match in _GOVERNOR.finditer(before):
        previous, governor = governor, match
    if governor is not None:
        cue = governor.lastgroup
        after = before[governor.end() :]
        if cue == "strong" or (
            cue == "study"
            and previous is not None
            and previous.lastgroup == "strong"
            and _JOINED.match(before, previous.end(), governor.start())
        ):
            return "own"
        if cue == "attack" and kind == _ATTACK:
            return "baseline"
        if cue == "study" and not _QUESTION_AFTER.match(after):
            if kind == _METHOD and (
                (method_name and method_name in after) or _TESTBED_AFTER.match(after)
            ):
                return "own"
            return "baseline"
        if cue == "weak" and (
            kind == _METHOD
            or (len(after) <= _WEAK_REACH and governor.group(0).lower() not in ("our", "ours"))
        ):
            return "own"
    return None


def _later_role(
    text: str, size: FoundSize, sentences: Sentences, method_name: str | None, kind: str
) -> SizeRole | None:
    """A later mention of a size decides only through what governs it ("we fine-tune
    Llama-2-7B" after "outperforms Llama-2-7B"), not by where it stands."""
    start, _ = sentences.span_at(size.start)
    before = text[start : size.start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    comparison = next(reversed(list(_COMPARISON.finditer(clause))), None)
    if comparison is not None and not _OWN_AFTER_COMPARISON.search(clause, comparison.end()):
        return None
    return _governed_role(text, size, before, method_name, kind)


def extract_sizes(
    text: str, sentences: Sentences, method_name: str | None = None, title: str = ""
) -> list[tuple[FoundSize, str]]:
    """Sizes with their role, paired with their evidence sentence."""
    sizes = []
    groups = _mentions(text)
    kind = paper_kind(title, text, sentences.lowered()) if groups else _METHOD
    for mentions in groups:
        size = mentions[0]
        role = size_role(text, size, sentences, method_name, kind)
        if role != "own":
            # A model compared against or set the scene with first, and later trained or
            # given the method, is the paper's own.
            for later in mentions[1:]:
                if _later_role(text, later, sentences, method_name, kind) == "own":
                    size, role = later, "own"
                    break
        sizes.append(
            (
                FoundSize(size.text, size.params, size.vague, size.start, size.end, role),
                sentences.at(size.start),
            )
        )
    return sizes
