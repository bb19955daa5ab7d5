"""The paper's named contribution: a method, model, model family, benchmark, dataset or concept.

Precedence, measured on the dev gold: a name-like title prefix ("MUSCLE: ...")
beats names found in the abstract, because authors put the artifact name there
deliberately; within the abstract the earliest introduction wins ("we propose X",
"called X", "X (ACR)"). A defined acronym is preferred over its long form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from summarizer.text.sentences import Sentences

_TITLE_SPLIT = re.compile(r"\s*(?::|\s--?\s|\s—\s|(?<=!)\s)\s*")
_NOT_NAME_START = re.compile(
    r"^(?:towards?|from|beyond|on|is|are|do|does|why|what|how|when|can|should|a|an|the|"
    r"rethinking|revisiting|understanding|exploring|evaluating|assessing|benchmarking|"
    r"investigating|analy[sz]ing|measuring|learning|training|scaling|improving|making)\b",
    re.IGNORECASE,
)
_ARTICLE_NAME = re.compile(
    r"^The\s+(?P<name>[A-Z][\w\-]*(?:[a-z][A-Z]|[A-Z]{2}|\d)[\w\-]*)\s+"
    r"(?:Dataset|Corpus|Benchmark|Model|Framework|Suite|Library|Toolkit|Collection)\b"
)
_GENERIC_ACRONYM = re.compile(
    r"^(?:L?LMs?|M?LLMs?|V?LMs?|VLMs?|LVLMs?|MLLMs?|AI|NLP|ML|RL|DL|NLU|NLG|QA|GPUs?|CNNs?|"
    r"RNNs?|GNNs?)[:,]?$"
)
_TITLE_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "of", "for", "in", "on", "to", "with", "via", "by", "at"}
)
_MID_SENTENCE = re.compile(r"[a-z,;)]\s+$")
_SERIES = re.compile(r"\b(?:part|chapter|vol(?:ume)?)\b", re.IGNORECASE)
_STOPWORDS = frozenset(
    {
        "a", "an", "the", "our", "this", "these", "that", "its", "their", "two", "three", "new",
        "novel", "it", "them", "we", "in", "to", "of", "and", "for", "with", "several", "both",
        "first", "second", "third", "one", "some", "such", "more", "extensive", "comprehensive",
        "however", "consequently", "moreover", "furthermore", "additionally", "specifically",
        "finally", "here", "thus", "therefore", "notably", "recently", "overall", "then", "next",
        "also", "importantly", "instead", "further", "lastly", "using", "based", "unlike",
        "besides", "meanwhile", "similarly", "together", "empirically", "experimentally",
        "theoretically",
        "surprisingly", "interestingly", "crucially", "while", "when", "although", "though",
        "despite", "since", "by", "on", "at", "as", "from", "via", "existing", "current", "prior",
        "previous",
        "recent", "large", "most", "many", "all", "each", "other",
    }
)  # fmt: skip
_GREEK = "\u0370-\u03ff\u00b5"
_WORD = r"(?:[A-Z0-9" + _GREEK + r"][\w\-^+]*|v?\d[\w.]*)"
_NAME = (
    r"(?:(?<=[\"“<'])|(?<![\w\-.]))(?P<name>[A-Z0-9"
    + _GREEK
    + r"][\w\-^.+]*[\w^+](?:[ \-]"
    + _WORD
    + r"){0,3})"
)
_ACR = r"(?P<name>[A-Za-z" + _GREEK + r"]*[A-Z][A-Za-z0-9\-^]*[A-Z0-9][A-Za-z0-9\-^]*)"
_LOWER_NAME = r"[\"“<']?(?P<name>[A-Za-z][\w\-^+]*(?:\s[a-z][\w\-]*){0,3})[\"”>']?"
_INTRO = (
    r"\b(?:propos\w*|introduc\w*|present\w*|develop\w*|releas\w*|build|built|design\w*|"
    r"devis\w*|contribut\w*|creat\w*|construct\w*|offer\w*|describ\w*)"
)
# "we", "this paper", and "... leads us to propose X".
_SUBJECT = (
    r"\b(?:[Ww]e|us\s+to|[Tt]his\s+(?:paper|work|study|article)|[Ii]n\s+this\s+\w+,?\s+we)\s+"
    r"(?:\w+\s+)?"
)
_NOUN = (
    r"(?:method|approach|framework|model|benchmark|dataset|corpus|suite|toolkit|library|"
    r"algorithm|system|strategy|technique|paradigm|recipe|metric|pipeline|architecture|family|"
    r"scheme|tool|platform|network|series|agent|evaluation|procedure|loss|objective|"
    r"lemma|principle|protocol|environment|collection|resource|assistant|score|index|language)s?"
)
_SKIP = r"(?:(?!(?:for|to|on|with|from|by|in|of|into|that|which|how|and|or)\b)[\w\-]+\s+)"
# The words between an appositive's article and its noun: "(X), an efficient method", not
# "(GFLOPs), an indicator of the model": the noun heads the appositive, before any preposition.
_APPOS_WORDS = (
    r"(?:(?!(?:of|for|to|in|on|with|from|by|into|that|which|whose|where|when|over|than)\b)"
    r"[\w\-,]+\s+)"
)
_NAME_END = r"(?=\s*(?:[,:(]|\)|\s-|\.|\s(?:to|which|that|as|for|with|is|has|based|and)\b))"
_PATTERNS = [
    re.compile(_SUBJECT + _INTRO + r"\s+(?:[\w\-,&]+\s+){0,12}?\(" + _ACR + r"\)"),
    re.compile(
        r"\("
        + _ACR
        + r"\)\s+(?:\w+\s+)?(?:is|was|has\s+been)\s+(?:proposed|introduced|presented|developed)"
    ),
    re.compile(
        r"\(" + _ACR + r"\),\s+(?:an?|the\s+first)\s+" + _APPOS_WORDS + r"{0,6}" + _NOUN + r"\b"
    ),
    re.compile(
        r"\b(?:named|called|dubbed|termed(?:\s+as)?|coined|refer(?:red)?\s+to\s+[^.]{0,60}?\s+as|"
        r"(?:which|that|what)\s+we\s+(?:call|term|name|dub|coin)(?:\s+as)?|"
        r"(?:we\s+)?(?:call|term|name|dub)\s+(?:it|this\s+\w+|them|the\s+(?:\w+\s+)?\w+|our\s+\w+)"
        r"(?:\s+as)?)"
        r"\s+(?:the\s+)?" + _NAME
    ),
    re.compile(
        r"\b(?:named|called|dubbed|termed|coined|call|term)\s+(?:it\s+|them\s+|the\s+\w+\s+)?(?:as\s+)?"
        r"[<\"“'](?P<name>[^<>\"“”']{2,40}?)[.,]?[>\"”']"
    ),
    re.compile(
        r"\b(?:call|term|name)\s+(?:this|the|our)\s+\w+\s+(?:as\s+)?(?:the\s+)?"
        + _LOWER_NAME
        + r"(?=[,.;])"
    ),
    re.compile(
        r"(?:"
        + _INTRO
        + r"|\b(?:new|novel))\s+(?:[\w\-]+\s+){0,5}?"
        + _NOUN
        + r",\s+"
        + _NAME
        + _NAME_END
    ),
    re.compile(_SUBJECT + _INTRO + r"\s+" + _SKIP + r"{0,4}?\(?" + _NAME + r"\)?" + _NAME_END),
    re.compile(
        _SUBJECT
        + _INTRO
        + r"\s+(?:(?:a|an|the|our|new|novel)\s+){0,2}"
        + _NAME
        + r"\s+"
        + _NOUN
        + r"\b"
    ),
    re.compile(
        r"\b(?:[Ww]e)\s+(?:(?!not\b)[a-z]+ly\s+|thus\s+|also\s+|here\s+|then\s+)?"
        + _INTRO
        + r"\s+"
        + _LOWER_NAME
        + r"(?=\s*(?:,|\s-{1,2}|\s—|:)\s*(?:to|which|that|a|an)\b)"
    ),
    re.compile(
        _NAME
        + r"(?:\s+\w+)?\s+(?:is|was|has\s+been|have\s+been)\s+"
        + r"(?:proposed|introduced|presented|developed)"
    ),
    re.compile(_NAME + r",\s+(?:an?|the\s+first)\s+" + _APPOS_WORDS + r"{0,6}" + _NOUN + r"\b"),
    # "a model named phi-2", "dubbed word2vec": a lowercase name that looks coined.
    re.compile(
        r"(?<!so-)\b(?:named|called|dubbed|termed)\s+"
        r"(?P<name>[a-z][\w.\-]*(?:\d|[A-Z])[\w.\-]*[\w])"
    ),
    # "a simple method called chain of thought prompting, where ...": a plain-word name.
    re.compile(
        r"(?<!so-)\b(?:called|named|dubbed|termed)\s+"
        r"(?P<name>[a-z][\w\-]*(?:\s(?!(?:where|which|that|and|or|for|to|in|on|with)\b)"
        r"[a-z][\w\-]*){0,3})(?=\s*[,;(]|\.(?:\s|$))"
    ),
    # "we propose a new decoding strategy, self-consistency, to ...": a lowercase appositive.
    re.compile(
        r"(?:"
        + _INTRO
        + r"|\b(?:new|novel))\s+(?:[\w\-]+\s+){0,5}?"
        + _NOUN
        + r",\s+(?P<name>(?!(?:which|where|namely|that|i\.e|e\.g|consisting|including|called)\b)"
        r"[a-z][\w\-]*(?:\s[a-z][\w\-]*){0,2}),\s"
    ),
    # "our Retrieval-Enhanced Transformer (RETRO)", "our latent diffusion models (LDMs)".
    re.compile(r"\b[Oo]ur\s+(?:[\w\-]+\s+){1,5}?\(" + _ACR + r"\)"),
    # "PlanLM is a novel framework that ...", opening its sentence: a coined name presented
    # with the words authors use for their own contribution.
    re.compile(
        _NAME + r"\s+(?:is|are)\s+(?:an?|the\s+first)\s+(?:[\w\-]+,?\s+){0,2}?"
        r"(?:new|novel|simple|unified|lightweight|training-free|plug-and-play)\b"
    ),
    # "Our method, VisTune, adapts ...", "The proposed model, VidCap, ...".
    re.compile(
        r"\b(?:[Oo]ur|[Tt]he\s+proposed)\s+(?:[\w\-]+\s+){0,3}?"
        + _NOUN
        + r",\s+(?:(?:called|named|dubbed|termed)\s+)?"
        + _NAME
        + r","
    ),
]
_STRONG_PATTERNS = frozenset({11, 16})
# Patterns that count only where they open their sentence.
_SENTENCE_START_PATTERNS = frozenset({16})
_UNANCHORED_PATTERNS = frozenset({1, 2, 3, 4, 10, 11, 12, 13})
_PLAIN_NAME_PATTERNS = frozenset({13, 14})
# A pattern can only match a sentence holding one of its literal words; checking that
# first (one regex per sentence) skips most pattern runs.
_INTRO_STEMS = (
    "propos|introduc|present|develop|releas|build|built|design|devis|contribut|creat|"
    "construct|offer|describ"
)
_FEATURES = {
    "paren": re.compile(r"\("),
    "naming": re.compile(r"nam|call|dub|term|coin|refer"),
    "intro": re.compile(_INTRO_STEMS),
    "new": re.compile(r"new|novel"),
    "appos": re.compile(r", an? |, the first"),
    "isa": re.compile(r" is an? | are an? | is the first"),
    "our": re.compile(r"our |the proposed"),
}
_NEEDS: list[frozenset[str]] = [
    frozenset({"paren"}),
    frozenset({"paren"}),
    frozenset({"paren"}),
    frozenset({"naming"}),
    frozenset({"naming"}),
    frozenset({"naming"}),
    frozenset({"intro", "new"}),
    frozenset({"intro"}),
    frozenset({"intro"}),
    frozenset({"intro"}),
    frozenset({"intro"}),
    frozenset({"appos"}),
    frozenset({"naming"}),
    frozenset({"naming"}),
    frozenset({"intro", "new"}),
    frozenset({"paren"}),
    frozenset({"isa"}),
    frozenset({"our"}),
]
# Literals every match of a pattern holds, case for case (the patterns are case-sensitive),
# checked on the sentence as written after the lower-cased features above: a pattern runs only
# where each of its groups has a literal present. "his" stands for "[Tt]his" of _SUBJECT.
_INTRO_WORDS = (
    "propos", "introduc", "present", "develop", "releas", "build", "built", "design", "devis",
    "contribut", "creat", "construct", "offer", "describ",
)  # fmt: skip
_SUBJECT_WORDS = ("we", "We", "his", "us to")
_DONE_WORDS = ("proposed", "introduced", "presented", "developed")
_NAMING_WORDS = ("nam", "call", "dub", "term", "coin", "refer")
_INTRO_OR_NEW = (*_INTRO_WORDS, "new", "novel")
_REQUIRES: list[tuple[tuple[str, ...], ...]] = [
    (_SUBJECT_WORDS, _INTRO_WORDS, ("(",)),
    (_DONE_WORDS, ("(",)),
    (("),",),),
    (_NAMING_WORDS,),
    (("named", "call", "dubbed", "term", "coined"),),
    (("call", "term", "name"),),
    (_INTRO_OR_NEW, (",",)),
    (_SUBJECT_WORDS, _INTRO_WORDS),
    (_SUBJECT_WORDS, _INTRO_WORDS),
    (("we", "We"), _INTRO_WORDS),
    (_DONE_WORDS,),
    ((",",),),
    (("named", "called", "dubbed", "termed"),),
    (("named", "called", "dubbed", "termed"),),
    (_INTRO_OR_NEW, (",",)),
    (("our", "Our"), ("(",)),
    ((" is a", " are a", " is the first"),),
    (("our", "Our", "proposed"), (",",)),
]
_ACRONYM_AFTER = re.compile(r"\s*\(\s*(?P<acr>[A-Z][A-Za-z0-9\-^]*[A-Z0-9][A-Za-z0-9\-^]*)s?\s*\)")
_CUES = (
    "propos", "introduc", "present", "develop", "releas", "build", "built", "design", "devis",
    "contribut", "creat", "construct", "offer", "nam", "call", "dub", "term", "coin", "refer",
    "new", "novel", ", a ", ", an ", ", the first", "our ", "describ", "the proposed",
)  # fmt: skip
_CUE = re.compile("|".join(re.escape(cue) for cue in _CUES))
_APPOSITIVE = re.compile(r"\)?\s*(?:\([^)]*\))?,\s+((?:an?|the)\s[^,;.]+)")
_PRIOR_CONTEXT = re.compile(
    r"\b(?:recent(?:ly)?|previous(?:ly)?|prior|existing|et\s+al|between|compar\w*|unlike|"
    r"differen\w*|phenomen\w*|(?:been|are|is|was|were|be|commonly|often|"
    r"usually|sometimes)\s+(?:called|named|termed|dubbed|known))\b",
    re.IGNORECASE,
)
_VERB_FORM = re.compile(r"^[a-z]+(?:ing|ed)\b(?!-)")
_PLURAL_ACRONYM = re.compile(r"(?<=[A-Z]{2})s$")
_COINED = re.compile(r"[a-z][A-Z]|[A-Z]{2}|\d|\^|[^\x00-\x7f]")
# Fallback: a title phrase the abstract presents as the contribution ("this layer
# swapping is simple", "we introduce speculative decoding -", "task arithmetic is a
# simple ... way"). The phrase must end its noun phrase, so "this model merging method"
# does not confirm "Model Merging".
_PHRASE = r"(?P<phrase>[A-Za-z][\w\-]*(?:\s+[A-Za-z][\w\-]*){0,3}?)"
_PHRASE_END = (
    r"(?=\s*(?:[,.;:()]|\s-|\s—)|\s+(?:is|are|was|can|has|which|that|to|as|for|in|on|with|by|"
    r"and|improves|outperforms|achieves|yields|enables|works|leads)\b)"
)
_TITLE_PHRASE_CUES = [
    re.compile(
        r"\b(?:[Tt]his|[Tt]he\s+proposed|[Ww]e\s+(?:\w+\s+)?" + _INTRO + r"|"
        r"called|named|dubbed|termed)\s+(?:(?:a|an|the)\s+)?" + _PHRASE + _PHRASE_END
    ),
    re.compile(r"\s(?:is|are)\s+an?\s+(?:[\w\-]+,?\s+(?:and\s+)?){0,5}(?:ways?|" + _NOUN + r")\b"),
]
_WORDS_BEFORE = re.compile(r"(?<![\w\-])[A-Za-z][\w\-]*(?:\s+[A-Za-z][\w\-]*){0,3}$")
# Last resorts, tried on the whole abstract when nothing else names the contribution:
# a defined Title-Case acronym that at once claims a result ("Vision Transformer (ViT)
# attains ..."), or a name set off as the appositive of a model the authors build ("we
# train a compute-optimal model, Chinchilla, that ...").
_LATE_PATTERNS = [
    re.compile(
        r"\(" + _ACR + r"\)\s+(?:\w+ly\s+)?"
        r"(?:attains|achieves|outperforms|obtains|surpasses|sets|reaches|establishes)\b"
    ),
    re.compile(
        r"\b[Ww]e\s+[^.;]{0,60}?\b(?:an?|the)\s+(?:[\w\-]+\s+){0,4}?"
        + _NOUN
        + r",\s+"
        + _NAME
        + r",\s+(?:that|which|who)\b"
    ),
]
_TITLE_CASE_BEFORE = re.compile(r"(?<![\w\-])(?:[A-Z][\w\-]*\s+){1,4}$")
_ANALYSIS_TITLE = re.compile(
    r"^(?:quantifying|characteri[sz]ing|probing|examining|studying|demystifying|unveiling|"
    r"unraveling|dissecting|comparing|questioning|revisiting|evaluating|analy[sz]ing)\b",
    re.IGNORECASE,
)
# A title that asks or examines: the last-resort guesses (an acronym claiming a result, a
# title word the abstract repeats) would name what it studies, not a contribution.
_STUDY_TITLE = re.compile(
    r"^(?:understanding|on|how|what|why|when|where|which|do|does|are|is|can|could|should|"
    r"lessons|quantifying|characteri[sz]ing|probing|examining|studying|demystifying|"
    r"unveiling|unraveling|dissecting|comparing|questioning|revisiting|rethinking|evaluating|"
    r"analy[sz]ing|investigating|measuring|assessing)\b",
    re.IGNORECASE,
)
_GENERIC_PHRASE_END = re.compile(
    r"(?:models?|methods?|approach(?:es)?|framework|work|paper|study|results?|analysis|data|"
    r"tasks?|learning|networks?|systems?|performance|training)$",
    re.IGNORECASE,
)
_SURVEY = re.compile(r"\b(?:survey|review|overview|tutorial|position\s+paper)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FoundMethod:
    """The contribution's name with its one-line description and verbatim evidence."""

    name: str | None
    description: str | None
    evidence: str | None


def _split_title(title: str) -> tuple[str | None, str]:
    parts = _TITLE_SPLIT.split(title, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0].strip(), parts[1].strip()
    return None, title.strip()


_TRAILING_PARENS = re.compile(r"\s*\([^)]+\)$")


def _title_name(prefix: str | None, abstract: str, rest: str = "") -> str | None:
    """A title prefix counts as a name when it looks coined, not like a topic phrase.

    "The RefinedWeb Dataset" names "RefinedWeb"; a plain multi-word prefix ("Switch
    Transformers", "Eagle and Finch") counts only when the abstract writes it as a proper
    noun. Field-wide acronyms ("LLMs", "NLP") do not make a phrase coined.
    """
    if not prefix or _SERIES.search(prefix) or _SERIES.match(rest):
        return None
    article = _ARTICLE_NAME.match(prefix)
    if article:
        return article.group("name")
    if _NOT_NAME_START.match(prefix):
        return None
    prefix = _TRAILING_PARENS.sub("", prefix).rstrip("!?. ")
    words = prefix.split()
    if not words or len(words) > 4 or prefix.endswith("?"):
        return None
    if len(words) == 1:
        return prefix if prefix[0].isupper() or _COINED.search(prefix) else None
    if any(_COINED.search(w) and not _GENERIC_ACRONYM.match(w) for w in words):
        return prefix
    return prefix if _written_as_proper_noun(words, abstract) else None


def _written_as_proper_noun(words: list[str], abstract: str) -> bool:
    """Every content word is capitalised wherever the abstract uses it, and at least one
    use is mid-sentence (so the capital is not just a sentence start). A name the abstract
    never uses at all ("No Language Left Behind: ...") is given in the title alone."""
    content = [w for w in words if w.lower() not in _TITLE_FUNCTION_WORDS]
    if not content or not all(w[0].isupper() for w in content):
        return False
    if not any(
        re.search(r"(?<![\w\-])" + re.escape(w) + r"(?![\w\-])", abstract, re.IGNORECASE)
        for w in content
    ):
        return True
    mid_sentence = False
    for word in content:
        stem = re.escape(word[:-1] if len(word) > 3 and word.endswith("s") else word)
        uses = list(re.finditer(r"(?<![\w\-])" + stem + r"s?(?![\w\-])", abstract, re.IGNORECASE))
        if not uses or any(not m.group(0)[0].isupper() for m in uses):
            return False
        mid_sentence = mid_sentence or any(
            _MID_SENTENCE.search(abstract, max(0, m.start() - 3), m.start()) for m in uses
        )
    return mid_sentence


def _prefer_acronym(name: str, abstract: str) -> str:
    lowered, lowered_name = abstract.lower(), name.lower()
    index = lowered.find(lowered_name)
    while index >= 0:
        match = _ACRONYM_AFTER.match(abstract, index + len(name))
        if match:
            acronym = match.group("acr")
            if len(acronym) <= 12 and acronym.lower() != lowered_name:
                return acronym
        index = lowered.find(lowered_name, index + 1)
    return name


def _abstract_spelling(name: str, abstract: str) -> str:
    """The abstract's spelling of a title name when it differs only in spaces vs hyphens
    ("Sheared LLaMA" in the title, "Sheared-LLaMA" in the text)."""
    parts = _SPACES_OR_HYPHENS.split(name)
    if len(parts) < 2:
        return name
    return _joined(parts, abstract) or name


_SPACES_OR_HYPHENS = re.compile(r"[\s\-]+")


def _word_or_hyphen(char: str) -> bool:
    """``[\\w\\-]`` of a str regex: ``\\w`` is alphanumeric (str.isalnum) or ``_``."""
    return char == "-" or char == "_" or char.isalnum()


def _joined(parts: list[str], text: str) -> str | None:
    """The first ``(?<![\\w\\-])part1[\\s\\-]part2...(?![\\w\\-])`` in ``text`` (literal parts),
    found with string methods: a regex per name would be compiled once per paper."""
    first, size = parts[0], len(text)
    start = text.find(first)
    while start >= 0:
        if start == 0 or not _word_or_hyphen(text[start - 1]):
            end = start + len(first)
            for part in parts[1:]:
                if (
                    end < size
                    and (text[end] == "-" or text[end].isspace())
                    and text.startswith(part, end + 1)
                ):
                    end += 1 + len(part)
                    continue
                break
            else:
                if end == size or not _word_or_hyphen(text[end]):
                    return text[start:end]
        start = text.find(first, start + 1)
    return None


def _acceptable(name: str, strong: bool, plain: bool = False) -> bool:
    if len(name) < 2 or name.isdigit() or name.split()[0].lower() in _STOPWORDS:
        return False
    if plain and _VERB_FORM.match(name):
        return False
    return not strong or bool(_COINED.search(name))


def _in_prior_context(abstract: str, start: int, name_start: int, sentences: Sentences) -> bool:
    """Names of earlier work ("Recently, X (ABC) was proposed") are not the contribution."""
    sentence_start = sentences.span_at(start)[0]
    return bool(_PRIOR_CONTEXT.search(abstract, sentence_start, name_start))


_NAMING_STEMS = ("nam", "call", "dub", "term", "coin", "refer")


def _features(lower: str) -> set[str]:
    """The keys of :data:`_FEATURES` whose regex finds a match in ``lower``, by ``in``."""
    features = set()
    if "(" in lower:
        features.add("paren")
    for stem in _NAMING_STEMS:
        if stem in lower:
            features.add("naming")
            break
    for stem in _INTRO_WORDS:
        if stem in lower:
            features.add("intro")
            break
    if "new" in lower or "novel" in lower:
        features.add("new")
    if ", a " in lower or ", an " in lower or ", the first" in lower:
        features.add("appos")
    if " is a" in lower or " are a" in lower or " is the first" in lower:
        features.add("isa")
    if "our " in lower or "the proposed" in lower:
        features.add("our")
    return features


def _holds_all(sentence: str, groups: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``sentence`` holds a literal of each group."""
    for group in groups:
        for word in group:
            if word in sentence:
                break
        else:
            return False
    return True


def _abstract_name(abstract: str, sentences: Sentences) -> tuple[str, int] | None:
    """The earliest introduced name; only sentences with an introduction cue are scanned."""
    whole = sentences.lowered()
    for start, end in sentences.spans:
        lower = whole[start:end] if whole is not None else abstract[start:end].lower()
        if not _CUE.search(lower):
            continue
        features = _features(lower)
        sentence = abstract[start:end]
        best: tuple[int, str] | None = None
        for index, pattern in enumerate(_PATTERNS):
            if features.isdisjoint(_NEEDS[index]) or not _holds_all(sentence, _REQUIRES[index]):
                continue
            if index in _SENTENCE_START_PATTERNS:
                opening = pattern.match(abstract, start, end)
                matches: Iterable[re.Match[str]] = (opening,) if opening else ()
            else:
                matches = pattern.finditer(abstract, start, end)
            for match in matches:
                name = match.group("name").strip(" .,'\"")
                if not _acceptable(
                    name, index in _STRONG_PATTERNS, index in _PLAIN_NAME_PATTERNS
                ) or (
                    index in _UNANCHORED_PATTERNS
                    and _in_prior_context(abstract, match.start(), match.start("name"), sentences)
                ):
                    continue
                if best is None or match.start() < best[0]:
                    best = (match.start(), name)
                break
        if best is not None:
            position, name = best
            acronym = _ACRONYM_AFTER.match(abstract, abstract.find(name, position) + len(name))
            if acronym and len(acronym.group("acr")) <= 12:
                name = acronym.group("acr")
            return _PLURAL_ACRONYM.sub("", name), position
    return None


def _title_phrase(title: str, abstract: str) -> tuple[str, int] | None:
    """A phrase of the title that the abstract presents as the contribution."""
    if _NOT_NAME_START.match(title) or _ANALYSIS_TITLE.match(title):
        return None
    title_words = " " + " ".join(_SPACES_OR_HYPHENS.split(title.lower())) + " "
    best: tuple[int, int, str] | None = None
    for is_a, cue in enumerate(_TITLE_PHRASE_CUES):
        for match in cue.finditer(abstract):
            if is_a:
                # "X is a ... way" names the words just before "is": try their suffixes.
                before = _WORDS_BEFORE.search(abstract, max(0, match.start() - 60), match.start())
                if not before:
                    continue
                phrase_start = before.start()
                words = before.group(0).split()
                spans = [words[i:] for i in range(len(words))]
            else:
                phrase_start = match.start("phrase")
                spans = [match.group("phrase").split()]
            for span in spans:
                if len(span) == 1 and "-" not in span[0] and not _COINED.search(span[0]):
                    continue
                if span[0].lower() in _STOPWORDS or _GENERIC_PHRASE_END.search(span[-1]):
                    continue
                key = " " + " ".join(_SPACES_OR_HYPHENS.split(" ".join(span).lower())) + " "
                if key in title_words:
                    text = " ".join(span)
                    start = abstract.find(text, phrase_start)
                    if best is None or (len(span), -start) > (best[0], -best[1]):
                        best = (len(span), start, text)
                    break
    return (best[2], best[1]) if best else None


def _late_name(
    abstract: str, sentences: Sentences, studies: bool = False
) -> tuple[str, int] | None:
    """``studies``: the title asks or examines, so an acronym claiming a result is what it
    studies, not a contribution."""
    for index, pattern in enumerate(_LATE_PATTERNS):
        if index == 0 and studies:
            continue
        for match in pattern.finditer(abstract):
            name = match.group("name")
            if index == 0 and (
                not _TITLE_CASE_BEFORE.search(abstract, max(0, match.start() - 80), match.start())
                # the opening sentence sets the scene: an acronym there is prior work
                or sentences.span_at(match.start()) == sentences.spans[0]
            ):
                continue
            if _acceptable(name, strong=False) and not _in_prior_context(
                abstract, match.start(), match.start("name"), sentences
            ):
                return _PLURAL_ACRONYM.sub("", name), match.start("name")
    return None


_FAMILY_TOKEN = re.compile(r"(?<![\w\-])[A-Z" + _GREEK + r"][\w.\-]*[\w](?![\w\-])")
_AUTHORS_NAME = re.compile(
    r"\b(?:we|this\s+(?:paper|work))\s+(?:\w+\s+){0,2}?(?:propos|introduc|present|call|term|nam|dub|"
    r"develop|design|coin|build|releas)\w*|\b(?:our|the\s+proposed)\s+(?:[\w\-]+\s+){0,5}?\(",
    re.IGNORECASE,
)
_COMMON_WORDS = frozenset(
    [
        "models",
        "model",
        "language",
        "languages",
        "large",
        "learning",
        "deep",
        "neural",
        "network",
        "networks",
        "foundation",
        "data",
        "training",
        "transformer",
        "transformers",
        "vision",
        "visual",
        "text",
        "image",
        "images",
        "generation",
        "generative",
        "reasoning",
        "agents",
        "agent",
        "benchmark",
        "benchmarks",
        "scaling",
        "efficient",
        "towards",
        "understanding",
        "evaluation",
        "analysis",
        "attention",
        "memory",
        "knowledge",
        "inference",
        "systems",
        "system",
        "code",
        "program",
        "programs",
        "software",
        "open",
        "small",
        "fast",
        "simple",
        "video",
        "speech",
        "audio",
        "graph",
        "graphs",
        "retrieval",
        "search",
        "instruction",
        "prompt",
        "prompting",
        "context",
        "multimodal",
        "multilingual",
        "policy",
        "reward",
        "preference",
        "alignment",
        "safety",
    ]
)
_DEFINED = re.compile(r"\((?P<name>[A-Z][A-Za-z0-9\-]*[A-Z][A-Za-z0-9\-]*)s?\)")
_LONG_FORM = re.compile(r"(?:[A-Za-z][\w\-]*\s+){1,6}$")


def _family_name(title: str, abstract: str) -> tuple[str, int] | None:
    """A proper noun of the title that the abstract keeps using ("Mixtral of Experts" and
    "Mixtral ... Mixtral 8x7B ..."): a model family named through the abstract."""
    for match in _FAMILY_TOKEN.finditer(title):
        token = match.group(0)
        lowered = token.lower()
        if (
            abstract.count(token) < 2  # cheap first: most title words are not used twice
            or lowered in _TITLE_FUNCTION_WORDS
            or lowered in _COMMON_WORDS
            or _GENERIC_ACRONYM.match(token)
        ):
            continue
        bounded = r"(?<![\w\-])" + re.escape(token) + r"(?![\w\-])"
        starts = [m.start() for m in re.finditer(bounded, abstract)]
        if re.search(bounded, abstract.replace(token, ""), re.IGNORECASE):
            continue  # also written in lower case: a common word
        mid = [s for s in starts if _MID_SENTENCE.search(abstract, max(0, s - 3), s)]
        if len(starts) >= 2 and mid:
            return token, starts[0]
    return None


def _initials_match(long_form: str, acronym: str) -> bool:
    """The acronym's capitals are the long form's initials, in order (ignoring small words)."""
    initials = "".join(
        w[0].upper()
        for w in _SPACES_OR_HYPHENS.split(long_form)
        if w and w.lower() not in _TITLE_FUNCTION_WORDS
    )
    capitals = "".join(c for c in acronym if c.isupper())
    it = iter(initials)
    return len(capitals) >= 2 and all(c in it for c in capitals)


def _owned_acronym(abstract: str, sentences: Sentences) -> tuple[str, int] | None:
    """An acronym the authors define in a sentence about their own work ("... we call
    Structured Latent Reasoning (SLR) ..."), anywhere in the abstract."""
    for match in _DEFINED.finditer(abstract):
        acronym = match.group("name")
        long_form = _LONG_FORM.search(abstract, max(0, match.start() - 120), match.start())
        if (
            long_form is None
            or _GENERIC_ACRONYM.match(acronym)
            or not _initials_match(long_form.group(0).strip(), acronym)
        ):
            continue
        sentence = sentences.at(match.start())
        if _AUTHORS_NAME.search(sentence) and not _in_prior_context(
            abstract, long_form.start(), match.start("name"), sentences
        ):
            return acronym, match.start("name")
    return None


def _appositive(sentence: str, name: str) -> str | None:
    index = sentence.find(name)
    match = _APPOSITIVE.match(sentence, index + len(name)) if index >= 0 else None
    return match.group(1).strip() if match else None


def extract_method(title: str, abstract: str, sentences: Sentences) -> FoundMethod:
    """The contribution's name (or null), a one-line description and evidence."""
    prefix, rest = _split_title(title)
    name = _title_name(prefix, abstract, rest)
    position: int | None = None
    respelled = False
    if name:
        spelled = _abstract_spelling(name, abstract)
        respelled = spelled != name
        name = _prefer_acronym(name, abstract)
        found = abstract.lower().find((spelled if respelled else name).lower())
        position = found if found >= 0 else None
    elif not _SURVEY.search(title):
        hit = (
            _abstract_name(abstract, sentences)
            or _title_phrase(title, abstract)
            or _late_name(abstract, sentences, bool(_STUDY_TITLE.match(title)))
            or (None if _STUDY_TITLE.match(title) else _family_name(title, abstract))
            or _owned_acronym(abstract, sentences)
        )
        if hit:
            name, position = hit
    if name is None:
        return FoundMethod(None, None, None)
    evidence = sentences.at(position) if position is not None else None
    if respelled and evidence:
        # The abstract writes the title's name differently ("Sheared-LLaMA"): the
        # sentence that does so describes it and carries both spellings.
        return FoundMethod(name, evidence, evidence)
    description = (_appositive(evidence, name) if evidence else None) or (
        rest if prefix else (evidence or title)
    )
    return FoundMethod(name, description, evidence)
