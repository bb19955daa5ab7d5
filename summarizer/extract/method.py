"""The paper's named contribution (method, model, benchmark, dataset) and the task it addresses.

Precedence, measured on the dev gold: a name-like title prefix ("MUSCLE: ...")
beats names found in the abstract, because authors put the artifact name there
deliberately; within the abstract the earliest introduction wins ("we propose X",
"called X", "X (ACR)"). A defined acronym is preferred over its long form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import Sentences

_TITLE_SPLIT = re.compile(r"\s*(?::|\s--?\s|\s—\s|(?<=!)\s)\s*")
_NOT_NAME_START = re.compile(
    r"^(?:towards?|from|beyond|on|is|are|do|does|why|what|how|when|can|should|a|an|the|"
    r"rethinking|revisiting|understanding|exploring|evaluating|assessing|benchmarking|"
    r"investigating|analy[sz]ing|measuring|learning|training|scaling|improving|making)\b",
    re.IGNORECASE,
)
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
_WORD = r"(?:[A-Z0-9][\w\-^+]*|v?\d[\w.]*)"
_NAME = (
    r"(?:(?<=[\"“<'])|(?<![\w\-.]))(?P<name>[A-Z0-9][\w\-^.+]*[\w^+](?:[ \-]" + _WORD + r"){0,3})"
)
_ACR = r"(?P<name>[A-Za-z]*[A-Z][A-Za-z0-9\-^]*[A-Z0-9][A-Za-z0-9\-^]*)"
_LOWER_NAME = r"[\"“<']?(?P<name>[A-Za-z][\w\-^+]*(?:\s[a-z][\w\-]*){0,3})[\"”>']?"
_INTRO = (
    r"\b(?:propos\w*|introduc\w*|present\w*|develop\w*|releas\w*|build|built|design\w*|"
    r"devis\w*|contribut\w*|creat\w*|construct\w*|offer\w*)"
)
_SUBJECT = (
    r"\b(?:[Ww]e|[Tt]his\s+(?:paper|work|study|article)|[Ii]n\s+this\s+\w+,?\s+we)\s+(?:\w+\s+)?"
)
_NOUN = (
    r"(?:method|approach|framework|model|benchmark|dataset|corpus|suite|toolkit|library|"
    r"algorithm|system|strategy|technique|paradigm|recipe|metric|pipeline|architecture|family|"
    r"scheme|tool|platform|network|series|agent|evaluation|procedure|loss|objective|"
    r"lemma|principle|protocol|environment|collection|resource|assistant|score|index|language)s?"
)
_SKIP = r"(?:(?!(?:for|to|on|with|from|by|in|of|into|that|which|how|and|or)\b)[\w\-]+\s+)"
_NAME_END = r"(?=\s*(?:[,:(]|\)|\s-|\.|\s(?:to|which|that|as|for|with|is|has|based|and)\b))"
_PATTERNS = [
    re.compile(_SUBJECT + _INTRO + r"\s+(?:[\w\-,&]+\s+){0,12}?\(" + _ACR + r"\)"),
    re.compile(
        r"\("
        + _ACR
        + r"\)\s+(?:\w+\s+)?(?:is|was|has\s+been)\s+(?:proposed|introduced|presented|developed)"
    ),
    re.compile(r"\(" + _ACR + r"\),\s+(?:an?|the\s+first)\s+(?:[\w\-,]+\s+){0,6}" + _NOUN + r"\b"),
    re.compile(
        r"\b(?:named|called|dubbed|termed(?:\s+as)?|coined|refer(?:red)?\s+to\s+[^.]{0,60}?\s+as|"
        r"(?:we\s+)?(?:call|term|name|dub)\s+(?:it|this\s+\w+|them|the\s+\w+|our\s+\w+)(?:\s+as)?)"
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
        r"\b(?:[Ww]e)\s+" + _INTRO + r"\s+" + _LOWER_NAME + r"(?=,\s+(?:to|which|that|a|an)\b)"
    ),
    re.compile(
        _NAME
        + r"(?:\s+\w+)?\s+(?:is|was|has\s+been|have\s+been)\s+"
        + r"(?:proposed|introduced|presented|developed)"
    ),
    re.compile(_NAME + r",\s+(?:an?|the\s+first)\s+(?:[\w\-]+\s+){0,6}" + _NOUN + r"\b"),
]
_STRONG_PATTERNS = frozenset({len(_PATTERNS) - 1})
_UNANCHORED_PATTERNS = frozenset({1, 2, 3, 4, len(_PATTERNS) - 2, len(_PATTERNS) - 1})
_ACRONYM_AFTER = re.compile(r"\s*\(\s*(?P<acr>[A-Z][A-Za-z0-9\-^]*[A-Z0-9][A-Za-z0-9\-^]*)s?\s*\)")
_CUES = (
    "propos", "introduc", "present", "develop", "releas", "build", "built", "design", "devis",
    "contribut", "creat", "construct", "offer", "nam", "call", "dub", "term", "coin", "refer",
    "new", "novel", ", a ", ", an ", ", the first",
)  # fmt: skip
_APPOSITIVE = re.compile(r"\)?\s*(?:\([^)]*\))?,\s+((?:an?|the)\s[^,;.]+)")
_PRIOR_CONTEXT = re.compile(
    r"\b(?:recent(?:ly)?|previous(?:ly)?|prior|existing|et\s+al|between|compar\w*|unlike|"
    r"differen\w*|phenomen\w*|(?:been|are|is|was|were|be|commonly|often|"
    r"usually|sometimes)\s+(?:called|named|termed|dubbed|known))\b",
    re.IGNORECASE,
)
_COINED = re.compile(r"[a-z][A-Z]|[A-Z]{2}|\d|\^")
_SURVEY = re.compile(r"\b(?:survey|review|overview|tutorial|position\s+paper)\b", re.IGNORECASE)
_TASK_SENTENCE = re.compile(
    r"\b(?:we|this\s+(?:paper|work|study|article)|in\s+this\s+\w+)\b[^.]{0,40}?\b"
    r"(?:stud\w*|address\w*|tackl\w*|investigat\w*|explor\w*|examin\w*|consider\w*|focus\w*|"
    r"aim\w*|propos\w*|introduc\w*|present\w*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FoundMethod:
    """The contribution's name with its one-line description and verbatim evidence."""

    name: str | None
    description: str | None
    evidence: str | None


@dataclass(frozen=True, slots=True)
class FoundTask:
    """The problem addressed, with a verbatim sentence that states it."""

    task: str | None
    evidence: str | None


def _split_title(title: str) -> tuple[str | None, str]:
    parts = _TITLE_SPLIT.split(title, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0].strip(), parts[1].strip()
    return None, title.strip()


def _title_name(prefix: str | None) -> str | None:
    """A title prefix counts as a name when it looks coined, not like a topic phrase."""
    if not prefix or _NOT_NAME_START.match(prefix) or _SERIES.search(prefix):
        return None
    prefix = re.sub(r"\s*\([^)]*\)$", "", prefix).rstrip("!?. ")
    words = prefix.split()
    if not words or len(words) > 4 or prefix.endswith("?"):
        return None
    if len(words) == 1:
        return prefix if prefix[0].isupper() or _COINED.search(prefix) else None
    return prefix if any(_COINED.search(w) for w in words) else None


def _prefer_acronym(name: str, abstract: str) -> str:
    index = abstract.lower().find(name.lower())
    while index >= 0:
        match = _ACRONYM_AFTER.match(abstract, index + len(name))
        if match:
            acronym = match.group("acr")
            if len(acronym) <= 12 and acronym.lower() != name.lower():
                return acronym
        index = abstract.lower().find(name.lower(), index + 1)
    return name


def _acceptable(name: str, strong: bool) -> bool:
    if len(name) < 2 or name.isdigit() or name.split()[0].lower() in _STOPWORDS:
        return False
    return not strong or bool(_COINED.search(name))


def _in_prior_context(abstract: str, start: int, name_start: int, sentences: Sentences) -> bool:
    """Names of earlier work ("Recently, X (ABC) was proposed") are not the contribution."""
    sentence_start = sentences.span_at(start)[0]
    return bool(_PRIOR_CONTEXT.search(abstract, sentence_start, name_start))


def _abstract_name(abstract: str, sentences: Sentences) -> tuple[str, int] | None:
    """The earliest introduced name; only sentences with an introduction cue are scanned."""
    for start, end in sentences.spans:
        lower = abstract[start:end].lower()
        if not any(cue in lower for cue in _CUES):
            continue
        best: tuple[int, str] | None = None
        for index, pattern in enumerate(_PATTERNS):
            for match in pattern.finditer(abstract, start, end):
                name = match.group("name").strip(" .,'\"")
                if not _acceptable(name, index in _STRONG_PATTERNS) or (
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
            return name, position
    return None


def _appositive(sentence: str, name: str) -> str | None:
    index = sentence.find(name)
    match = _APPOSITIVE.match(sentence, index + len(name)) if index >= 0 else None
    return match.group(1).strip() if match else None


def extract_method(title: str, abstract: str, sentences: Sentences) -> FoundMethod:
    """The contribution's name (or null), a one-line description and evidence."""
    prefix, rest = _split_title(title)
    name = _title_name(prefix)
    position: int | None = None
    if name:
        name = _prefer_acronym(name, abstract)
        found = abstract.lower().find(name.lower())
        position = found if found >= 0 else None
    elif not _SURVEY.search(title):
        hit = _abstract_name(abstract, sentences)
        if hit:
            name, position = hit
    if name is None:
        return FoundMethod(None, None, None)
    evidence = sentences.at(position) if position is not None else None
    description = (_appositive(evidence, name) if evidence else None) or (
        rest if prefix else (evidence or title)
    )
    return FoundMethod(name, description, evidence)


def extract_task(title: str, sentences: Sentences) -> FoundTask:
    """The problem: the title (minus a name prefix) and the sentence that frames the work."""
    prefix, rest = _split_title(title)
    task = rest if prefix else title.strip()
    evidence = next((s for s in sentences if _TASK_SENTENCE.search(s)), None)
    if evidence is None and len(sentences):
        evidence = next(iter(sentences))
    return FoundTask(task or None, evidence)
