"""The task category: one label of the taxonomy, chosen from the title and the abstract.

Each label has cue phrases with a weight: a phrase that names the task outright ("model
merging", "text-to-image") weighs more than one that merely occurs in such papers ("merge"),
or that also names other things ("code" of "our code", a reward model as a tool, "diffusion"
of video or audio, that a paper is a benchmark: a benchmark takes the task it measures).
The text is read in parts: the title speaks for the contribution and counts three times (with
its glued names also read apart: "GraphRAG" as "Graph RAG"); the opening sentence and the
sentences saying what the authors did count once; a sentence saying where the code or data
are is not read. When those say too little, the next few other sentences are read too, as
one part. Each part gives a label its strongest cue once, so repetition
cannot outvote the title; an acronym glued to a name ("MiniCPM-DPO") is part of the name. On
a tie the label listed first below wins: specific techniques come before the broad areas they
are applied in (a quantization paper evaluated on reasoning is quantization).
"""

from __future__ import annotations

import re
from functools import cache

from summarizer.core.taxonomy import TASK_CATEGORIES
from summarizer.text.literals import any_in, lowered_if_plain
from summarizer.text.sentences import Sentences

_TITLE_WEIGHT = 3.0
_MIN_SCORE = 1.0

# label -> [(pattern, weight)], in tie-break order
_CUES: dict[str, list[tuple[str, float]]] = {
    "model-merging": [
        (
            r"model\s+merging|merg(?:e|es|ed|ing)\s+(?:\w+\s+){0,2}(?:models|weights|checkpoints|LLMs|experts)|"
            r"merged\s+models?|task\s+arithmetic|task\s+vectors?|model\s+soups?|weight\s+averaging",
            3,
        ),
        (
            r"\bmerg(?:e|ing)\b|recycl\w+\s+(?:\w+\s+){0,2}models|absorb\w*\s+abilit\w*|homologous\s+models|"
            r"layer\s+swapping|swapp?\w*\s+(?:\w+\s+){0,2}layers|delta\s+parameters",
            2,
        ),
    ],
    "quantization": [
        (
            r"quantiz\w*|quantis\w*|low[- ]bit|(?<=[1-8][- ])bits?\b|\bINT[48]\b|\bFP[48]\b|binariz\w*",
            3,
        ),
    ],
    "pruning-sparsity": [
        (
            r"prun(?:e|es|ed|ing)|lottery\s+tickets?|(?:layer|head)\s+(?:removal|dropping)|"
            r"model[- ]compression|(?:compress|compresses|compressed|compressing)\s+(?:[\w\-]+\s+){0,3}"
            r"(?:models?|LLMs?|networks?)",
            3,
        ),
        (r"sparsit\w*|sparse\s+(?:models?|networks?|LLMs?|weights)", 1),
    ],
    "knowledge-distillation": [
        (
            r"distill\w*|teacher\s+model|student\s+model|teacher[- ]student|"
            r"learn\w*\s+from\s+(?:\w+\s+){0,3}(?:GPT-4|ChatGPT|larger\s+models|LFMs|teachers?)|"
            r"explanation\s+traces|smaller\s+(?:language\s+)?models?\s+(?:\w+\s+){0,4}(?:from|of)\s+(?:larger|large)",
            3,
        ),
    ],
    "parameter-efficient-fine-tuning": [
        (
            r"\bLoRA\b|low[- ]rank\s+adapt\w*|parameter[- ]efficient|\bPEFT\b|adapters?\b|prefix[- ]tuning|"
            r"prompt[- ]tuning|fine[- ]tun\w+\s+(?:only\s+)?(?:a\s+)?(?:small\s+)?(?:fraction|subset)\s+of",
            3,
        ),
    ],
    "scaling-laws": [
        (
            r"scaling\s+laws?|compute[- ]optimal|power[- ]laws?|predictable\s+scal\w*|scal(?:e|es|ing)\s+with\s+"
            r"(?:model\s+size|compute|data)",
            3,
        ),
    ],
    "long-context": [
        (
            r"long[- ]context|context\s+(?:window|length)s?|long\s+(?:documents?|sequences?|inputs?)|"
            r"position(?:al)?\s+(?:encoding|interpolation|embedding)s?|\bRoPE\b|length\s+(?:extrapolation|"
            r"generali[sz]ation)|needle[- ]in[- ]a[- ]haystack|(?<=\d[kK] )tokens",
            3,
        ),
    ],
    "efficient-inference": [
        (
            r"speculative\s+decoding|KV[- ]?cache|inference\s+(?:speed|latency|efficien\w*|cost|acceleration|"
            r"throughput)|decoding\s+(?:speed|latency|efficien\w*)|serving|early[- ]exit\w*|faster\s+inference|"
            r"accelerat\w*\s+(?:LLM\s+)?inference|efficient\s+inference|token\s+(?:pruning|merging|reduction)|"
            r"streaming|attention\s+sinks?|on-device|(?:hardware\s+)?accelerators?\b|\bFPGAs?\b|\bASICs?\b|"
            r"edge\s+devices?",
            3,
        ),
        (r"latency|throughput|speed[- ]?ups?|inference", 1),
    ],
    "efficient-training": [
        (
            r"training\s+efficien\w*|efficient\s+(?:pre-?)?training|optimi[sz]ers?\b|\bAdam(?:W|ax)?\b|memory[- ]efficient\s+"
            r"training|mixed[- ]precision|distributed\s+training|(?:pipeline|tensor|data)\s+parallel\w*|"
            r"gradient\s+checkpointing|learning[- ]rate\s+schedul\w*|training\s+(?:cost|throughput|speed)|"
            r"IO-aware\w*|attention\s+(?:kernels?|algorithms?)|memory[- ]efficient\s+(?:exact\s+)?attention|"
            r"faster\s+attention|GPU\s+(?:memory|utilization|kernels?)|work\s+partitioning|parallelism|"
            r"accelerat\w*\s+(?:\w+\s+){0,2}training|(?:speed|speeds)\s+up\s+(?:\w+\s+){0,2}training|"
            r"faster\s+training",
            3,
        ),
    ],
    "data-curation": [
        (
            r"data\s+(?:selection|curation|filtering|quality|pruning|mixtures?|mixing|deduplication|"
            r"composition|recipes?)|dedup\w*|synthetic\s+(?:training\s+)?data|(?:pre-?)?training\s+data\s+"
            r"(?:selection|curation)|data[- ]efficient|select(?:ing|s)?\s+(?:high[- ]quality\s+)?(?:training\s+)?"
            r"data|curat\w+\s+(?:a\s+)?(?:dataset|corpus|data)|deduplication|de-duplication|data\s+synthesis|"
            r"(?:fewer|less)\s+data|data\s+diversity|relabel\w*|re-label\w*|reannotat\w*|re-annotat\w*|"
            r"filter\w*\s+(?:\w+\s+){0,2}(?:data|datasets|examples|samples)",
            3,
        ),
        (r"\bdatasets?\b|\bcorpus\b|\bcorpora\b", 1.5),
    ],
    "instruction-tuning": [
        (
            r"instruction[- ](?:tuning|tuned|following|data(?:sets?)?)|supervised\s+fine[- ]tuning|\bSFT\b|"
            r"instruction\s+tun\w*",
            3,
        ),
        (r"fine[- ]tun\w+", 0.5),
    ],
    "alignment": [
        (
            r"\bRLHF\b|\bDPO\b|preference\s+(?:optimi[sz]ation|data|learning|alignment|model\w*)|"
            r"human\s+feedback|align(?:ment|ing)?\s+(?:\w+\s+){0,3}(?:with\s+)?human|human\s+preferences?|"
            r"constitutional|\balignment\b|self-rewarding",
            3,
        ),
        # a reward model is also a tool of other work (reranking code, guiding search)
        (r"reward\s+models?", 2),
    ],
    "safety": [
        (
            r"jailbreak\w*|red[- ]teaming|harmful|unsafe|toxic\w*|backdoor\w*|watermark\w*|"
            r"membership\s+inference|privacy\s+(?:leak\w*|risks?)|misuse|unlearning|(?:social|gender|racial|societal|demographic)\s+bias\w*|bias(?:es)?\s+(?:evaluation|in\s+"
            r"(?:LLMs?|language\s+models|generated))|"
            r"fairness|stereotyp\w*|language\s+model\s+bias(?:es)?\b|LLM\s+bias(?:es)?\b|(?:detect\w*|identify\w*)\s+(?:\w+\s+){0,4}(?:generated|synthetic)\s+"
            r"(?:text|content)|model\s+extraction|attacks?\b",
            3,
        ),
        (r"\bsafety\b", 1),
    ],
    "hallucination-factuality": [
        (
            r"hallucinat\w*|fact[- ]check\w*|faithful\w*|truthful\w*|attribution\s+to\s+sources|"
            r"calibrat\w*",
            3,
        ),
        (r"factual\w*", 1.5),
    ],
    "mathematical-reasoning": [
        (
            r"mathemat\w*|\bmath\b|GSM8K|\bMATH\b|theorem[- ]proving|theorems?|olympiad|arithmetic|geometry\s+problems?",
            3,
        ),
    ],
    "code-generation": [
        (
            r"code\s+(?:generation|LLMs?|models?|completion|synthesis|repair|review)|program\s+synthesis|"
            r"\bcoding\b|HumanEval|\bMBPP\b|SWE-bench|software\s+engineering|programming|code\s+llm|"
            r"bug\s+fix\w*|compilers?|source\s+code|programs?\b|code\b(?:(?<=for\scode)|(?<=of\scode))",
            3,
        ),
        # "code" alone also names what a paper releases ("our code"): a weaker cue.
        (r"\bcode\b", 1.5),
    ],
    "retrieval-augmented-generation": [
        (
            r"retrieval[- ]augmented|\bRAG\b|retriev\w+\s+(?:documents|passages|knowledge|evidence)\s+"
            r"(?:\w+\s+){0,4}generat\w*|retriev\w*\s+from|retrieval[- ]enhanced|internet[- ]augmented|"
            r"search[- ]augmented|augment\w*\s+(?:\w+\s+){0,3}with\s+(?:retriev\w+|search|web|internet)",
            4,
        ),
    ],
    "information-retrieval": [
        (
            r"information\s+retrieval|rerank\w*|re-rank\w*|dense\s+retriev\w*|retrievers?|search\s+engines?|"
            r"text\s+embeddings?|embedding\s+models?|\bBM25\b|passage\s+retrieval|document\s+ranking|"
            r"(?<!position\s)(?<!positional\s)(?<!rotary\s)(?<!non-)embeddings?",
            3,
        ),
        (r"retriev\w*|ranking", 1),
    ],
    "question-answering": [
        (
            r"question[- ]answering|\bQA\b|open[- ]domain\s+questions?|reading\s+comprehension|multi[- ]hop",
            3,
        ),
    ],
    "summarization": [(r"summari[sz]\w*", 3)],
    "machine-translation": [
        (r"(?:machine\s+)?translation|low[- ]resource\s+languages?", 3),
        (r"multilingual|cross[- ]lingual", 1.5),
    ],
    "tool-use": [
        (
            r"tool[- ](?:use|using|learning|calling|augmented)|function[- ]calling|API\s+calls?|external\s+tools|"
            r"use\s+tools",
            3,
        ),
        (r"\btools?\b|\bAPIs?\b", 2),
    ],
    "agents": [
        (
            r"\bagents?\b|agentic|multi[- ]agent|web\s+navigation|\bGUI\b|autonomous\s+(?:agents?|systems?)|"
            r"\bacting\b|decision[- ]making|ALFWorld|WebShop|interactive\s+environments?",
            3,
        ),
        (r"environments?|planning", 0.5),
    ],
    "dialogue": [
        (r"dialog(?:ue)?s?|conversation\w*|chat\s?bots?|multi[- ]turn|role[- ]play\w*", 3),
    ],
    "reasoning": [
        (
            r"chain[- ]of[- ]thought|\bCoT\b|multi[- ]step|logical|commonsense|test[- ]time\s+"
            r"(?:compute|scaling)|self[- ]consistency|\bo1\b|\bR1\b|thinking|self[- ]refine\w*|"
            r"self[- ]feedback|iterative\s+refinement",
            3,
        ),
        (r"reasoning", 2),
    ],
    "vision-language": [
        (
            r"vision[- ]language(?![- ]action)|multi-?modal\s+(?:large\s+)?(?:language\s+)?models?|multi-modal|(?:MLLMs?|LLMs?)\s+with\s+vision|"
            r"\bMLLMs?\b|\bVLMs?\b|\bLVLMs?\b|image[- ]text|visual\s+question|\bVQA\b|caption\w*|"
            r"multimodal",
            3,
        ),
        (
            r"visual\s+instruction|visual\s+models?\s+from\s+natural\s+language|language\s+supervision",
            4,
        ),
    ],
    "video-generation": [
        (
            r"video\s+(?:generation|synthesis|editing|diffusion)|text[- ]to[- ]video|video\s+generative",
            4,
        ),
    ],
    "image-generation": [
        (
            r"image\s+(?:generation|editing|synthesis)|\bGANs?\b|"
            r"generative\s+adversarial|inpainting|stable\s+diffusion|image\s+generators?|one-step\s+generation|"
            r"consistency\s+models?|score-based",
            3,
        ),
        # diffusion also generates video, audio, molecules and robot actions
        (r"diffusion(?:\s+models?)?", 2),
        (r"text[- ]to[- ]image", 5),
    ],
    "video-understanding": [
        (
            r"video\s+(?:understanding|question|recognition|LLMs?|comprehension|captioning|grounding)|"
            r"action\s+recognition|long\s+videos?",
            3,
        ),
        # "video" alone is also what video generation makes
        (r"\bvideos?\b", 2),
    ],
    "3d-vision": [
        (
            r"\b3D\b|point\s+clouds?|\bNeRFs?\b|radiance\s+fields?|gaussian\s+splatting|novel[- ]view|"
            r"\bmesh(?:es)?\b|depth\s+estimation",
            3,
        ),
    ],
    "image-recognition": [
        (
            r"image\s+classification|object\s+detection|\bsegmentation\b|ImageNet|image\s+recognition|"
            r"detectors?|vision\s+(?:transformers?|backbones?)|visual\s+recognition|\bViTs?\b|\bCNNs?\b",
            3,
        ),
    ],
    "speech": [
        (r"\bspeech\b|\bASR\b|\bTTS\b|text[- ]to[- ]speech|spoken|\bvoice\b", 3),
    ],
    "audio-music": [(r"\baudio\b|\bmusic\w*|\bsounds?\b", 3)],
    "graph-learning": [
        (
            r"graph\s+neural|\bGNNs?\b|node\s+classification|link\s+prediction|knowledge\s+graphs?|"
            r"graph\s+(?:learning|representation|transformers?)",
            3,
        ),
        (r"\bgraphs?\b", 1),
    ],
    "time-series": [(r"time[- ]series|forecast\w*", 3)],
    "recommendation": [
        (
            r"recommend\w*|collaborative\s+filtering|click[- ]through|\bCTR\b|user\s+(?:modeling|preferences|"
            r"interests)",
            3,
        ),
    ],
    "tabular-data": [(r"tabular|text[- ]to[- ]SQL|\bSQL\b|spreadsheets?|\btables?\b", 3)],
    "medical": [
        (
            r"medical|clinical|health\s?care|patients?|radiolog\w*|diseases?|biomedical|diagnos\w*|"
            r"\bbrain\b|\bfMRI\b|\bEEG\b|neuroimaging\b",
            3,
        ),
    ],
    "science": [
        (
            r"proteins?|molecul\w*|chemi\w*|materials?\s+(?:science|discovery)|physics|climate|weather|"
            r"biolog\w*|genom\w*|\bdrugs?\b|scientific\s+discovery|thermodynamic\b|thermodynamics\b|astronom\w*|"
            r"astrophys\w*|geoscien\w*|quantum\s+(?:chemistry|many-body|systems?)",
            3,
        ),
    ],
    "continual-learning": [
        (
            r"continual|lifelong|catastrophic\s+forgetting|(?:knowledge|model)\s+editing|incremental\s+learning|"
            r"model\s+updates?|backward[- ]compatib\w*|compatible|repair\w*|patch\w*",
            3,
        ),
    ],
    "interpretability": [
        (
            r"interpretab\w*|explainab\w*|mechanistic|circuits?|probing|sparse\s+autoencoders?|"
            r"activation\s+(?:patching|steering)|representation\s+engineering|internal\s+representations?|"
            r"\bneurons?\b|attention\s+heads?|mechanisms?\b|how\s+(?:language\s+)?models\s+(?:store|recall|represent)|"
            r"feature\s+(?:interaction|importance|attribution)",
            3,
        ),
    ],
    "robustness": [
        (
            r"adversarial\s+(?:examples?|robustness|perturbations?)|distribution\s+shifts?|"
            r"out[- ]of[- ]distribution|\bOOD\b|corruptions?",
            3,
        ),
        (r"robust\w*", 1),
    ],
    "federated-privacy": [(r"federated|differential(?:ly)?\s+priva\w*|privacy[- ]preserving", 3)],
    "reinforcement-learning": [
        (r"reinforcement\s+learning|\bRL\b|(?<=Q[- ])learning|\bMDPs?\b|offline\s+RL|Atari", 3),
        (r"polic(?:y|ies)|rewards?", 1),
    ],
    "robotics": [
        (
            r"robot\w*|manipulation|embodied|locomotion|grasp\w*|navigation|autonomous\s+"
            r"(?:driving|vehicles?)|self-driving|driving\b|HD\s+maps?|motion\s+planning|"
            r"vision[- ]language[- ]action|\bVLAs?\b",
            3,
        ),
    ],
    "evaluation-benchmarks": [
        (
            r"evaluation\s+(?:suite|framework|protocol|methodolog\w*)|leaderboards?|LLM[- ]as[- ]a[- ]judge|"
            r"\bjudges?\b|contamination|\barena\b|multi-task\s+benchmark|general[- ]purpose\s+benchmark|"
            r"language\s+model\s+evaluation|evaluation\s+of\s+(?:LLMs?|(?:large\s+)?language\s+models)",
            3,
        ),
        # A benchmark takes the task it measures: that it is a benchmark counts less than what
        # it measures, and decides only when it measures nothing of the taxonomy.
        (
            r"(?:new|novel|comprehensive|challenging)\s+benchmark|benchmark(?:ing)?\s+(?:suite|for|to\s+evaluate)|"
            r"we\s+(?:introduce|present|propose|release|construct|build)\s+(?:\w+\s+){0,4}benchmark|"
            r"evaluation\s+benchmark|evaluat\w+\s+(?:\w+\s+){0,2}(?:LLMs?|language\s+models)|"
            r"new\s+test|test\s+to\s+measure|^(?:measuring|evaluating|assessing|benchmarking|quantifying)\b|"
            r"\bassessment\b",
            2,
        ),
        (r"\bbenchmark\w*|\bevaluat\w+", 1),
    ],
    "model-architecture": [
        (
            r"architectures?|state[- ]space|\bSSMs?\b|Mamba|mixture[- ]of[- ]experts|\bMoE\b|"
            r"attention\s+mechanisms?|linear\s+attention|recurrent|transformer\s+(?:variant|block|layer)s?|"
            r"activation\s+functions?|normali[sz]ation\s+layers?|mixture[- ]of[- ]\w+|convolution\w*|"
            r"subquadratic|drop-in\s+replacement|\boperators?\b|routing",
            3,
        ),
    ],
    "representation-learning": [
        (
            r"self[- ]supervised|contrastive|representation\s+learning|pre-?text\s+tasks?|masked\s+autoencoders?|"
            r"visual\s+features|\blearners\b|representations\b",
            3,
        ),
    ],
    "learning-theory": [
        (
            r"theor(?:y|etical\w*)|provabl\w*|convergence|generali[sz]ation\s+bounds?|we\s+prove|"
            r"sample\s+complexity|expressiv\w*|lower\s+bounds?|upper\s+bounds?|inductive\s+bias|"
            r"mode\s+connectivity|statistical\s+validity",
            3,
        ),
    ],
    "language-modeling": [
        (
            r"language\s+model(?:ing|ling)|(?:pretrain|pre-train)(?:ing|s)?\s+(?:\w+\s+){0,2}(?:language\s+models?|LLMs?)|"
            r"technical\s+report|small\s+language\s+models?|\bSLMs?\b|open[- ](?:source\s+|access\s+)?(?:\w+\s+){0,2}(?:LLMs?|language\s+models?)|"
            r"tokeni[sz]\w*|next[- ]token|family\s+of\s+(?:\w+\s+){0,2}models|open\s+(?:foundation\s+)?models|"
            r"chat\s+models|^[A-Z][\w.\-]*\s+\d+(?:\.\d+)?[BM]$|(?<=\dB-)Parameter|"
            r"we\s+(?:introduce|present|release)\s+(?:\w+[\s,-]+){0,4}(?:a|an)\s+(?:[\w()]+[\s-]+){0,6}"
            r"(?:language\s+model|LLM)\b",
            3,
        ),
        (r"foundation\s+models?", 2),
        (r"\bLLMs?\b|language\s+models?", 0.5),
    ],
}


_LEAD = re.compile(r"^(?:\\b|\^|\(\?<[!=](?:[^()\\]|\\.)*\))+")
_LITERAL = re.compile(r"[A-Za-z0-9@]+")
_GROUP = re.compile(r"^\(\?:((?:[^()\\]|\\.)*)\)")
_WORD = re.compile(r"[A-Za-z0-9@]+")


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (split on ``|`` outside groups and classes)."""
    parts, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _triggers(alternative: str) -> set[tuple[str, bool]] | None:
    """How a match of this alternative starts: (a whole word, True) or (the first 2-4
    letters of a word, False); None when it can start otherwise (a digit class, one letter)."""
    body = _LEAD.sub("", alternative)
    group = _GROUP.match(body)
    if group is not None:  # "(?:new|novel)\s+benchmark": each inner alternative's start
        found: set[tuple[str, bool]] = set()
        for inner in _alternatives(group.group(1)):
            inner_triggers = _triggers(inner + body[group.end() :])
            if inner_triggers is None:
                return None
            found |= inner_triggers
        return found
    literal = _LITERAL.match(body)
    if literal is None:
        return None
    text, after = literal.group(0), body[literal.end() :]
    if after[:1] in ("?", "*", "{"):
        # its last letter is optional: any word starting with the rest
        return {(text[:-1][:4].lower(), False)} if len(text) > 2 else None
    if len(text) < 2:
        return None
    whole = (after == "" and alternative.endswith(r"\b")) or after.startswith(
        (r"\s", "[- ]", "[\\s-]", "-", " ", r"\b", "(?!", "[- ]?")
    )
    if whole and not after.startswith("-?"):
        return {(text.lower(), True)}
    return {(text[:4].lower(), False)}


Entry = tuple[int, float, re.Pattern[str]]
Index = tuple[dict[str, list[Entry]], dict[str, list[Entry]], list[Entry]]


@cache
def _index() -> Index:
    """Every cue alternative, compiled on its own and filed under the word (or the word
    beginning) it starts with, so a part of the text is read word by word and only the
    alternatives that can start at each word are tried. The few that can start otherwise
    are searched for in every part."""
    unknown = set(_CUES) - set(TASK_CATEGORIES)
    if unknown:
        raise ValueError(f"cues for labels not in the taxonomy: {sorted(unknown)}")
    words: dict[str, list[Entry]] = {}
    beginnings: dict[str, list[Entry]] = {}
    anywhere: list[Entry] = []
    for number, cues in enumerate(_CUES.values()):
        for pattern, weight in cues:
            for alternative in _alternatives(pattern):
                literal = _LITERAL.match(_LEAD.sub("", alternative))
                if literal and sum(c.isupper() for c in literal.group(0)) >= 2:
                    # an acronym glued to a name is part of the name: "MiniCPM-DPO", "X-MoE"
                    compiled = re.compile(r"(?<!\w-)" + alternative, re.IGNORECASE)
                else:
                    compiled = re.compile(alternative, re.IGNORECASE)
                triggers = _triggers(alternative)
                if triggers is None:
                    anywhere.append((number, weight, compiled))
                    continue
                for key, whole in triggers:
                    (words if whole else beginnings).setdefault(key, []).append(
                        (number, weight, compiled)
                    )
    return words, beginnings, anywhere


_TOKEN_CHARS = "A-Za-z0-9@"


def _candidates(word: str, index: Index) -> tuple[Entry, ...]:
    """The alternatives filed under a (lower-cased) word: whole, and by its first 2-4 letters
    (a word of at most three letters only whole)."""
    words, beginnings, _ = index
    candidates = words.get(word)
    for key in (word[:4], word[:3], word[:2]) if len(word) > 3 else (word,):
        more = beginnings.get(key)
        if more:
            candidates = more if candidates is None else candidates + more
    return tuple(candidates) if candidates else ()


def _trie(entries: list[tuple[str, str]]) -> str:
    """A regex for "one of these literals, then its condition", branching one character at a
    time (the regex engine tries alternatives in turn, so a flat list of hundreds is slow)."""
    ends = list(dict.fromkeys(condition for literal, condition in entries if not literal))
    branches: dict[str, list[tuple[str, str]]] = {}
    for literal, condition in entries:
        if literal:
            branches.setdefault(literal[0], []).append((literal[1:], condition))
    alternatives = [c for c in ends if c] + [
        re.escape(char) + _trie(rest) for char, rest in sorted(branches.items())
    ]
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    if "" in ends:  # a literal may end here with nothing more to check
        return f"(?:{body})?" if alternatives else ""
    return body


@cache
def _cued_words() -> re.Pattern[str]:
    """The words of a lower-cased text that have any alternative filed under them (see
    :func:`_candidates`): a word key is the whole word; a 3-4 letter beginning starts it; a
    2 letter one is the whole word or starts a word of four letters or more."""
    words, beginnings, _ = _index()
    end = f"(?![{_TOKEN_CHARS}])"
    entries = [(word, end) for word in words]
    for key in beginnings:
        entries.append((key, "" if len(key) > 2 else f"(?:{end}|[{_TOKEN_CHARS}]{{2}})"))
    return re.compile(f"(?<![{_TOKEN_CHARS}])(?={_trie(entries)})[{_TOKEN_CHARS}]+")


_CANDIDATES: dict[str, tuple[Entry, ...]] = {}
_CANDIDATES_MAX = 50_000


def _strongest(text: str) -> dict[int, float]:
    """Label number -> the weight of its strongest cue found in ``text``: each word is
    looked up (whole, and by its first 2-4 letters) and only the alternatives filed under
    it are tried, anchored at the word. Words with nothing filed under them are skipped
    by one regex (:func:`_cued_words`); the lookup per word is kept."""
    index = _index()
    best: dict[int, float] = {}
    known = _CANDIDATES
    for word in _cued_words().finditer(text.lower()):
        lowered = word.group(0)
        candidates = known.get(lowered)
        if candidates is None:
            if len(known) >= _CANDIDATES_MAX:
                known.clear()
            candidates = known[lowered] = _candidates(lowered, index)
        start = word.start()
        for label, weight, compiled in candidates:
            if weight > best.get(label, 0.0) and compiled.match(text, start):
                best[label] = weight
    for label, weight, compiled in index[2]:
        if weight > best.get(label, 0.0) and compiled.search(text):
            best[label] = weight
    return best


_CONTRIBUTION = re.compile(
    r"\b(?:we|this\s+(?:paper|work|study|report)|our)\s+(?:\w+\s+){0,2}?"
    r"(?:propos|introduc|present|develop|releas|build|design|stud|investigat|explor|examin|"
    r"address|tackl|focus|train|pre-?train|creat|construct|curat|evaluat|analy[sz])",
    re.IGNORECASE,
)


# Words every match of _CONTRIBUTION holds (lower-cased), to skip the regex without them.
_CONTRIBUTION_SUBJECTS = ("we", "this", "our")
_CONTRIBUTION_VERBS = (
    "propos", "introduc", "present", "develop", "releas", "build", "design", "stud",
    "investigat", "explor", "examin", "address", "tackl", "focus", "train", "creat",
    "construct", "curat", "evaluat", "analy",
)  # fmt: skip


def _speaks_for_contribution(sentence: str, lowered: str | None = None) -> bool:
    """``lowered``: the sentence lower-cased, when known to be plain (see literals)."""
    if lowered is None:
        lowered = lowered_if_plain(sentence)
    if lowered is not None and not (
        any_in(lowered, _CONTRIBUTION_SUBJECTS) and any_in(lowered, _CONTRIBUTION_VERBS)
    ):
        return False
    return _CONTRIBUTION.search(sentence) is not None


# A sentence that says where the code, data or models are ("Our code and pre-trained models
# are publicly available at https://...") speaks for the paper's release, not its task: it is
# not read ("code" there would pull any paper towards code generation).
_LINK_LITERALS = ("http", "github.")
_AVAILABILITY_LITERALS = ("availab", "release", "open-sourc", "accessible")
_AVAILABILITY = re.compile(
    r"\b(?:publicly|freely|openly)\s+(?:available|released|accessible)\b|"
    r"\b(?:are|is|be|been)\s+(?:made\s+)?(?:available|released|open-sourced)\b|"
    r"\b(?:release|open-source)\s+(?:all\s+)?(?:our|the)\s+(?:\w+\s+){0,2}?"
    r"(?:code|models?|weights|checkpoints|data|datasets?|implementation)\b"
)


def _availability_starts(sentences: Sentences, lowered: str | None) -> set[int]:
    """Where the sentences that say where code or data are begin: those holding a link, and
    those saying something is available or released. Found with ``str.find`` on the
    lower-cased text; only a sentence holding a literal is searched."""
    if lowered is None:  # lower-casing moved offsets: sentence by sentence
        text = sentences.text
        return {
            start
            for start, end in sentences.spans
            if any_in(text[start:end].lower(), _LINK_LITERALS)
            or _AVAILABILITY.search(text[start:end].lower())
        }
    starts: set[int] = set()
    for literal in _LINK_LITERALS:
        at = lowered.find(literal)
        while at >= 0:
            start, end = sentences.span_at(at)
            starts.add(start)
            at = lowered.find(literal, max(end, at + 1))
    for literal in _AVAILABILITY_LITERALS:
        at = lowered.find(literal)
        while at >= 0:
            start, end = sentences.span_at(at)
            if start not in starts and _AVAILABILITY.search(lowered, start, end):
                starts.add(start)
            at = lowered.find(literal, max(end, at + 1))
    return starts


# A coined name glues the words that say what it is: "SpeechGPT", "GraphRAG", "CodeLlama".
_GLUED_NAME = re.compile(r"\b[A-Z]?[a-z]+[A-Z][A-Za-z]*\b|\b[A-Z][a-z]+[A-Z]{2,}\w*")
_LOWER_UPPER = re.compile(r"[a-z][A-Z]")
_CASE_BREAK = re.compile(r"(?<=[a-z])(?=[A-Z][a-z]|[A-Z]{2})|(?<=[A-Z])(?=[A-Z][a-z])")


def _with_split_names(title: str) -> str:
    """The title with its glued names also written apart ("GraphRAG" -> "Graph RAG")."""
    if not _LOWER_UPPER.search(title):
        return title
    names = _GLUED_NAME.findall(title)
    if not names:
        return title
    return title + " | " + " | ".join(_CASE_BREAK.sub(" ", name) for name in names)


def _weighted_parts(
    title: str, abstract: str, sentences: Sentences | None = None
) -> tuple[list[tuple[str, float]], list[str]]:
    """The text that speaks for the contribution, with how much it counts: the title most,
    then the opening sentence and the sentences saying what the authors did; and the other
    sentences (results, background), of which a few are read when those say too little."""
    sentences = sentences if sentences is not None else Sentences(abstract)
    parts: list[tuple[str, float]] = [(_with_split_names(title), _TITLE_WEIGHT)]
    rest: list[str] = []
    text, lowered = sentences.text, sentences.lowered()
    released = _availability_starts(sentences, lowered)
    for index, (start, end) in enumerate(sentences.spans):
        if index and start in released:
            continue
        sentence = text[start:end]
        low = lowered[start:end] if lowered is not None else None
        if index == 0 or _speaks_for_contribution(sentence, low):
            parts.append((sentence, 1.0))
        else:
            rest.append(sentence)
    return parts, rest


# Below this, the title and the contribution sentences have named no task clearly (no cue in
# the title, at most one strong cue in the abstract): the next few other sentences (those
# that go on to describe the approach) are read too, as one part, so that a word they repeat
# still counts once.
_WEAK_SCORE = 3.0
_REST_SENTENCES = 3


def category_scores(
    title: str, abstract: str, sentences: Sentences | None = None
) -> dict[str, float]:
    """Each label's score; labels with no cue in the paper are left out. Each part of the
    text gives a label its strongest cue once, so a word repeated through the abstract, or
    two overlapping cues, cannot outvote the title."""
    labels = list(_CUES)
    scores: dict[str, float] = {}
    parts, rest = _weighted_parts(title, abstract, sentences)
    for text, part_weight in parts:
        for number, weight in _strongest(text).items():
            scores[labels[number]] = scores.get(labels[number], 0.0) + part_weight * weight
    if rest and max(scores.values(), default=0.0) <= _WEAK_SCORE:
        for number, weight in _strongest(" ".join(rest[:_REST_SENTENCES])).items():
            scores[labels[number]] = scores.get(labels[number], 0.0) + weight
    return scores


def choose_category(title: str, abstract: str, sentences: Sentences | None = None) -> str:
    """The best-scoring label (the first listed on a tie); ``other`` when nothing scores."""
    best_label, best, best_rank = "other", _MIN_SCORE - 1e-9, len(_RANK)
    for label, score in category_scores(title, abstract, sentences).items():
        if score > best or (score == best and _RANK[label] < best_rank):
            best_label, best, best_rank = label, score, _RANK[label]
    return best_label


_RANK = {label: rank for rank, label in enumerate(_CUES)}
