"""The task category: one label of the taxonomy, chosen from the title and the abstract.

Each label has cue phrases with a weight: a phrase that names the task outright ("model
merging", "text-to-image") weighs more than one that merely occurs in such papers ("merge").
The title speaks for the contribution, so its cues count three times; an abstract cue counts
at most twice, so a word repeated through the abstract cannot outvote the title. On a tie
the label listed first below wins: specific techniques come before the broad areas they are
applied in (a quantization paper evaluated on reasoning is quantization).
"""

from __future__ import annotations

import re
from functools import cache

from summarizer.core.taxonomy import TASK_CATEGORIES

_TITLE_WEIGHT = 3.0
_ABSTRACT_CAP = 2
_MIN_SCORE = 1.0

# label -> [(pattern, weight)], in tie-break order
_CUES: dict[str, list[tuple[str, float]]] = {
    "model-merging": [
        (r"model\s+merging|merg(?:e|es|ed|ing)\s+(?:\w+\s+){0,2}(?:models|weights|checkpoints|LLMs|experts)|"
         r"merged\s+models?|task\s+arithmetic|task\s+vectors?|model\s+soups?|weight\s+averaging", 3),
        (r"merg(?:e|ing)", 1),
    ],
    "quantization": [
        (r"quantiz\w*|quantis\w*|low[- ]bit|\b[1-8][- ]bits?\b|\bINT[48]\b|\bFP[48]\b|\bW\d+A\d+\b|binariz\w*", 3),
    ],
    "pruning-sparsity": [
        (r"prun(?:e|es|ed|ing)|sparsit\w*|sparse\s+(?:models?|networks?|LLMs?|weights)|lottery\s+tickets?|"
         r"(?:layer|head|token)\s+(?:removal|dropping)", 3),
    ],
    "knowledge-distillation": [
        (r"distill\w*|teacher\s+model|student\s+model|teacher[- ]student", 3),
    ],
    "parameter-efficient-fine-tuning": [
        (r"\bLoRA\b|low[- ]rank\s+adapt\w*|parameter[- ]efficient|\bPEFT\b|adapters?\b|prefix[- ]tuning|"
         r"prompt[- ]tuning|fine[- ]tun\w+\s+(?:only\s+)?(?:a\s+)?(?:small\s+)?(?:fraction|subset)\s+of", 3),
    ],
    "scaling-laws": [
        (r"scaling\s+laws?|compute[- ]optimal|power[- ]laws?|predictable\s+scal\w*|scal(?:e|es|ing)\s+with\s+"
         r"(?:model\s+size|compute|data)", 3),
    ],
    "long-context": [
        (r"long[- ]context|context\s+(?:window|length)s?|long\s+(?:documents?|sequences?|inputs?)|"
         r"position(?:al)?\s+(?:encoding|interpolation|embedding)s?|\bRoPE\b|length\s+(?:extrapolation|"
         r"generali[sz]ation)|needle[- ]in[- ]a[- ]haystack|\d+[kK]\s+tokens", 3),
    ],
    "efficient-inference": [
        (r"speculative\s+decoding|KV[- ]?cache|inference\s+(?:speed|latency|efficien\w*|cost|acceleration|"
         r"throughput)|decoding\s+(?:speed|latency|efficien\w*)|serving|early[- ]exit\w*|faster\s+inference|"
         r"accelerat\w*\s+(?:LLM\s+)?inference|efficient\s+inference|token\s+(?:pruning|merging|reduction)", 3),
        (r"latency|throughput|speed[- ]?ups?", 1),
    ],
    "efficient-training": [
        (r"training\s+efficien\w*|efficient\s+(?:pre-?)?training|optimi[sz]ers?\b|\bAdam\w*|memory[- ]efficient\s+"
         r"training|mixed[- ]precision|distributed\s+training|(?:pipeline|tensor|data)\s+parallel\w*|"
         r"gradient\s+checkpointing|learning[- ]rate\s+schedul\w*|training\s+(?:cost|throughput|speed)", 3),
    ],
    "data-curation": [
        (r"data\s+(?:selection|curation|filtering|quality|pruning|mixtures?|mixing|deduplication|"
         r"composition|recipes?)|dedup\w*|synthetic\s+(?:training\s+)?data|(?:pre-?)?training\s+data\s+"
         r"(?:selection|curation)|data[- ]efficient|select(?:ing|s)?\s+(?:high[- ]quality\s+)?(?:training\s+)?"
         r"data|curat\w+\s+(?:a\s+)?(?:dataset|corpus|data)", 3),
        (r"pretraining\s+(?:data|corpus)|corpus|datasets?", 0.5),
    ],
    "instruction-tuning": [
        (r"instruction[- ](?:tuning|tuned|following|data(?:sets?)?)|supervised\s+fine[- ]tuning|\bSFT\b|"
         r"instruction\s+tun\w*", 3),
    ],
    "alignment": [
        (r"\bRLHF\b|\bDPO\b|preference\s+(?:optimi[sz]ation|data|learning|alignment|model\w*)|reward\s+models?|"
         r"human\s+feedback|align(?:ment|ing)?\s+(?:\w+\s+){0,3}(?:with\s+)?human|human\s+preferences?|"
         r"constitutional|\balignment\b", 3),
    ],
    "safety": [
        (r"jailbreak\w*|red[- ]teaming|harmful|\bsafety\b|unsafe|toxic\w*|backdoor\w*|watermark\w*|"
         r"membership\s+inference|privacy\s+(?:leak\w*|risks?)|misuse|unlearning", 3),
    ],
    "hallucination-factuality": [
        (r"hallucinat\w*|factual\w*|fact[- ]check\w*|faithful\w*|truthful\w*|attribution\s+to\s+sources|"
         r"calibrat\w*", 3),
    ],
    "mathematical-reasoning": [
        (r"mathemat\w*|\bmath\b|GSM8K|\bMATH\b|theorem[- ]proving|theorems?|olympiad|arithmetic|geometry\s+problems?", 3),
    ],
    "code-generation": [
        (r"code\s+(?:generation|LLMs?|models?|completion|synthesis|repair|review)|program\s+synthesis|"
         r"\bcoding\b|HumanEval|\bMBPP\b|SWE-bench|software\s+engineering|programming|code\s+llm|"
         r"bug\s+fix\w*|compilers?", 3),
    ],
    "retrieval-augmented-generation": [
        (r"retrieval[- ]augmented|\bRAG\b|retriev\w+\s+(?:documents|passages|knowledge|evidence)\s+"
         r"(?:\w+\s+){0,4}generat\w*", 4),
    ],
    "information-retrieval": [
        (r"information\s+retrieval|re-?rank\w*|dense\s+retriev\w*|retrievers?|search\s+engines?|"
         r"text\s+embeddings?|embedding\s+models?|\bBM25\b|passage\s+retrieval|document\s+ranking", 3),
        (r"retriev\w*|ranking", 1),
    ],
    "question-answering": [
        (r"question[- ]answering|\bQA\b|open[- ]domain\s+questions?|reading\s+comprehension|multi[- ]hop", 3),
    ],
    "summarization": [(r"summari[sz]\w*", 3)],
    "machine-translation": [
        (r"(?:machine\s+)?translation|multilingual|cross[- ]lingual|low[- ]resource\s+languages?", 3),
    ],
    "tool-use": [
        (r"tool[- ](?:use|using|learning|calling|augmented)|function[- ]calling|API\s+calls?|external\s+tools", 3),
    ],
    "agents": [
        (r"\bagents?\b|agentic|multi[- ]agent|web\s+navigation|\bGUI\b|autonomous\s+(?:agents?|systems?)", 3),
        (r"environments?|planning", 0.5),
    ],
    "dialogue": [
        (r"dialog(?:ue)?s?|conversation\w*|chat\s?bots?|multi[- ]turn|role[- ]play\w*", 3),
    ],
    "reasoning": [
        (r"reasoning|chain[- ]of[- ]thought|\bCoT\b|multi[- ]step|logical|commonsense|test[- ]time\s+"
         r"(?:compute|scaling)|self[- ]consistency|\bo1\b|\bR1\b|thinking", 3),
    ],
    "vision-language": [
        (r"vision[- ]language|multi-?modal\s+(?:large\s+)?(?:language\s+)?models?|\bM?LLMs?\s+with\s+vision|"
         r"\bMLLMs?\b|\bVLMs?\b|\bLVLMs?\b|image[- ]text|visual\s+question|\bVQA\b|caption\w*|"
         r"visual\s+instruction|multimodal", 3),
    ],
    "video-generation": [
        (r"video\s+(?:generation|synthesis|editing|diffusion)|text[- ]to[- ]video|video\s+generative", 4),
    ],
    "image-generation": [
        (r"image\s+(?:generation|editing|synthesis)|text[- ]to[- ]image|diffusion(?:\s+models?)?|\bGANs?\b|"
         r"generative\s+adversarial|inpainting|stable\s+diffusion|image\s+generators?", 3),
    ],
    "video-understanding": [
        (r"video\s+(?:understanding|question|recognition|LLMs?|comprehension|captioning|grounding)|"
         r"action\s+recognition|long\s+videos?|\bvideos?\b", 3),
    ],
    "3d-vision": [
        (r"\b3D\b|point\s+clouds?|\bNeRFs?\b|radiance\s+fields?|gaussian\s+splatting|novel[- ]view|"
         r"\bmesh(?:es)?\b|depth\s+estimation", 3),
    ],
    "image-recognition": [
        (r"image\s+classification|object\s+detection|\bsegmentation\b|ImageNet|image\s+recognition|"
         r"detectors?|vision\s+(?:transformers?|backbones?)|visual\s+recognition|\bViTs?\b|\bCNNs?\b", 3),
    ],
    "speech": [
        (r"\bspeech\b|\bASR\b|\bTTS\b|text[- ]to[- ]speech|spoken|speakers?|\bvoice\b", 3),
    ],
    "audio-music": [(r"\baudio\b|\bmusic\w*|\bsounds?\b", 3)],
    "graph-learning": [
        (r"graph\s+neural|\bGNNs?\b|node\s+classification|link\s+prediction|knowledge\s+graphs?|"
         r"graph\s+(?:learning|representation|transformers?)|\bgraphs?\b", 3),
    ],
    "time-series": [(r"time[- ]series|forecast\w*", 3)],
    "recommendation": [
        (r"recommend\w*|collaborative\s+filtering|click[- ]through|\bCTR\b|user\s+(?:modeling|preferences|"
         r"interests)", 3),
    ],
    "tabular-data": [(r"tabular|text[- ]to[- ]SQL|\bSQL\b|spreadsheets?|\btables?\b", 3)],
    "medical": [
        (r"medical|clinical|health\s?care|patients?|radiolog\w*|diseases?|biomedical|diagnos\w*", 3),
    ],
    "science": [
        (r"proteins?|molecul\w*|chemi\w*|materials?\s+(?:science|discovery)|physics|climate|weather|"
         r"biolog\w*|genom\w*|\bdrugs?\b|scientific\s+discovery", 3),
    ],
    "continual-learning": [
        (r"continual|lifelong|catastrophic\s+forgetting|(?:knowledge|model)\s+editing|incremental\s+learning", 3),
    ],
    "interpretability": [
        (r"interpretab\w*|explainab\w*|mechanistic|circuits?|probing|sparse\s+autoencoders?|"
         r"activation\s+(?:patching|steering)|representation\s+engineering|internal\s+representations?|"
         r"\bneurons?\b|attention\s+heads?", 3),
    ],
    "robustness": [
        (r"robust\w*|adversarial\s+(?:examples?|attacks?|robustness|perturbations?)|distribution\s+shifts?|"
         r"out[- ]of[- ]distribution|\bOOD\b|corruptions?", 3),
    ],
    "federated-privacy": [(r"federated|differential(?:ly)?\s+priva\w*|privacy[- ]preserving", 3)],
    "reinforcement-learning": [
        (r"reinforcement\s+learning|\bRL\b|polic(?:y|ies)|Q[- ]learning|\bMDPs?\b|offline\s+RL|Atari|"
         r"rewards?", 3),
    ],
    "robotics": [
        (r"robot\w*|manipulation|embodied|locomotion|grasp\w*|navigation", 3),
    ],
    "evaluation-benchmarks": [
        (r"(?:new|novel|comprehensive|challenging)\s+benchmark|benchmark(?:ing)?\s+(?:suite|for|to\s+evaluate)|"
         r"we\s+(?:introduce|present|propose|release|construct|build)\s+(?:\w+\s+){0,4}benchmark|"
         r"evaluation\s+(?:suite|framework|protocol|benchmark)|leaderboards?|LLM[- ]as[- ]a[- ]judge|"
         r"\bjudges?\b|contamination|\barena\b|evaluat\w+\s+(?:\w+\s+){0,2}(?:LLMs?|language\s+models)", 3),
        (r"\bbenchmarks?\b", 0.5),
    ],
    "model-architecture": [
        (r"architectures?|state[- ]space|\bSSMs?\b|Mamba|mixture[- ]of[- ]experts|\bMoE\b|"
         r"attention\s+mechanisms?|linear\s+attention|recurrent|transformer\s+(?:variant|block|layer)s?|"
         r"activation\s+functions?|normali[sz]ation\s+layers?", 3),
    ],
    "representation-learning": [
        (r"self[- ]supervised|contrastive|representation\s+learning|embeddings?|pre-?text\s+tasks?", 3),
    ],
    "learning-theory": [
        (r"theor(?:y|etical\w*)|provabl\w*|convergence|generali[sz]ation\s+bounds?|we\s+prove|"
         r"sample\s+complexity|expressiv\w*|lower\s+bounds?|upper\s+bounds?", 3),
    ],
    "language-modeling": [
        (r"language\s+model(?:ing|ling)|pre-?train(?:ing|ed)?\s+(?:\w+\s+){0,2}(?:language\s+)?models?|"
         r"technical\s+report|foundation\s+models?|open[- ](?:source\s+)?(?:LLMs?|language\s+models?)|"
         r"tokeni[sz]\w*|next[- ]token|family\s+of\s+(?:\w+\s+){0,2}models", 3),
        (r"\bLLMs?\b|language\s+models?", 0.5),
    ],
}


@cache
def _compiled() -> list[tuple[str, list[tuple[re.Pattern[str], float]]]]:
    unknown = set(_CUES) - set(TASK_CATEGORIES)
    if unknown:
        raise ValueError(f"cues for labels not in the taxonomy: {sorted(unknown)}")
    return [
        (label, [(re.compile(p, re.IGNORECASE), w) for p, w in cues]) for label, cues in _CUES.items()
    ]


def category_scores(title: str, abstract: str) -> dict[str, float]:
    """Each label's score; labels with no cue in the paper are left out."""
    scores: dict[str, float] = {}
    for label, cues in _compiled():
        score = 0.0
        for pattern, weight in cues:
            if pattern.search(title):
                score += _TITLE_WEIGHT * weight
            hits = 0
            for _ in pattern.finditer(abstract):
                hits += 1
                if hits == _ABSTRACT_CAP:
                    break
            score += hits * weight
        if score:
            scores[label] = score
    return scores


def choose_category(title: str, abstract: str) -> str:
    """The best-scoring label (the first listed on a tie); ``other`` when nothing scores."""
    best_label, best = "other", _MIN_SCORE - 1e-9
    for label, score in category_scores(title, abstract).items():
        if score > best:
            best_label, best = label, score
    return best_label
