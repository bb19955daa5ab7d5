"""Claimed gains and results: the numbers a paper states for its own contribution.

A *gain* is an improvement over something else: a relative ``%`` ("improves accuracy by
12%"), absolute ``points`` ("+3.1 BLEU", the difference of a from->to pair "from 4.8% to
42.4%") or a factor ``x`` ("2.3x faster"). A *result* is an absolute score ("achieves 61.7% on
HumanEval", "an FID of 2.27", the "to" of a from->to pair).

Both need a sentence that speaks for the paper's own contribution ("we", "our", "the
proposed", the method's name), or a claim made after the abstract has introduced its
contribution (then a score needs an anaphor, "its", "these", or a pair: it may be anyone's).
Each number is then read from the words next to it: a gain needs a cue ("by", "+",
"improvement", "faster", a factor, points), a result an achievement ("achieves", "accuracy
of", "to", a metric or benchmark named next to it). Numbers that describe data ("20% of the
corpus"), bounds ("<2.5%"), others' scores ("while GPT-3 solves 0%", "GPT-4o achieves 58%"),
size ratios ("with 54x fewer parameters"), ablation drops or the start of a pair are neither.
A range keeps its upper bound.

Speed: a sentence is read only if it holds a digit, its numbers are found with one ``[0-9]``
scan, and each regex over the words before a number runs only when a literal it needs is
there (:func:`_others_gate`, :func:`_exclude_gate`, :func:`_gain_gate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from summarizer.core.schema import GainUnit
from summarizer.text.metrics import (
    GENERIC,
    GENERIC_LOWER,
    SPECIFIC,
    SPECIFIC_LOWER,
    metric_text,
)
from summarizer.text.numbers import GAIN_UNIT, NUMBER, gain_unit, to_number
from summarizer.text.sentences import Sentences

_NUM = NUMBER
_START = r"(?:(?<=sim)|(?<![\w.]))"
# a number's end: not the head of a longer token ("7B", "1K", "3.5-turbo")
_NUM_END = r"(?![\w.]*[A-Za-z])(?!\.\d)"
_SCORE_NAMES = (
    r"win\s+rate|pass@\d+|WER|CER|BLEU|FID|sFID|F1(?:\s+scores?)?|ROUGE[-\w]*|mAP|AP|PQ|mIoU|"
    r"perplexity|PPL|Elo|EER|AUC|AUROC|Kendall|Spearman|PSNR|SSIM|LPIPS|CIDEr|METEOR|nDCG@\d+|"
    r"MRR|EM|exact\s+match|GenEval|CLIP\s+score|accuracy|score"
)
_QUAL = (
    r"(?:(?:up\s+to|over|more\s+than|less\s+than|about|around|approximately|approx\.|roughly|"
    r"nearly|almost|at\s+least|as\s+(?:much|high|low)\s+as|upwards\s+of|just|only|merely|"
    r"an?|the|average|averaging|on\s+average|overall|~|≈|∼|>|≥|sim)\s*)*"
)
_DIGIT = re.compile(r"[0-9]")
_TOKEN = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?")
"""A number as written (``[0-9]``, not ``\\d``: the scan skips to digits much faster)."""
_UNIT_AT = re.compile(r"\s*(?P<unit>%\s*(?:absolute\s+)?points?\b|" + GAIN_UNIT + ")")
# not the head of a longer token ("7B", "1K", "3.5-turbo", "v1.2.3")
_NOT_END = re.compile(r"[\w.]*[A-Za-z]|\.[0-9]")
_RANGE_AFTER = re.compile(r"[\d.]*\s*-")
# the first character of a unit (_UNIT_AT, spaces skipped), and how the words after a bare
# number that _GAIN_NOUN_AT, _METRIC_AT or _ON_AT read can begin (lower-cased)
_UNIT_FIRST = frozenset("%\\pxX×t-f")
_AFTER_FIRST = (
    "and", ",", "/", "absolute", "decrease", "increase", "improvement", "gain", "boost",
    "reduction", "length", "lc", "better", "lower", "higher", "win", "pass@", "wer", "cer",
    "bleu", "fid", "sfid", "f1", "rouge", "map", "ap", "pq", "miou", "perplexity", "ppl", "elo",
    "eer", "auc", "auroc", "psnr", "ssim", "cider", "ndcg", "on", "in",
)  # fmt: skip
# Unitless numbers that state a gain ("6.54 and 1.07 decrease in") or a score named by its
# metric or benchmark ("57.3 pass@1", "a 44.7 win rate", "1.8/3.3 WER", "0.7 better
# perplexity" (a gain), "41.2 PQ", "8.38 on MT-bench", "8.7 and 8.9 on MT-bench")
_GAIN_NOUN_AT = re.compile(
    r"(?:\s*(?:and|,)\s*(?P<n2>" + _NUM + r"))?\s+(?:absolute\s+)?"
    r"(?:decrease|increase|improvement|gain|boost|reduction)\s+(?:in|on)\b",
    re.IGNORECASE,
)
_METRIC_AT = re.compile(
    r"(?:/(?P<m1b>" + _NUM + r"))?\s+(?:(?:length-controlled|LC)\s+)?"
    r"(?P<better>(?:better|lower|higher)\s+)?"
    r"(?-i:win\s+rate|pass@\d+|WER|CER|BLEU|FID|sFID|F1|ROUGE[-\w]*|mAP|AP|PQ|mIoU|perplexity|PPL|"
    r"Elo|EER|AUC|AUROC|PSNR|SSIM|CIDEr|nDCG@\d+)\b",
    re.IGNORECASE,
)
_ON_AT = re.compile(
    r"(?:\s*(?:,|and)\s*(?P<m3b>\d+\.\d+))?\s+(?:on|in)\s+(?:the\s+)?"
    r"(?-i:[A-Z])[\w\-+.]*(?![\w\-]*\s*\\?%)",
    re.IGNORECASE,
)
_SCORE_WORDS = frozenset(
    ("Kendall", "Kendall's", "tau", "τ", "Spearman", "EER", "GenEval", "BLEU", "FID", "mIoU",
     "mAP", "PQ", "F1", "AUC", "AUROC", "WER", "CER", "PSNR", "SSIM", "CIDEr", "MRR")
)  # fmt: skip
_SCORE_BEFORE = re.compile(r"\b(?:" + _SCORE_NAMES + r")\s*(?:of|=|:)\s*$", re.IGNORECASE)
# a factor without its unit: "by a factor of 46", "speeds up generation by 2.23"
_FACTOR_LAST = frozenset(
    ("of", "by", "to", "than", "about", "around", "approximately", "nearly", "almost", "roughly",
     "over", "~")
)  # fmt: skip
# the last word of "by (up to|about|...) N": "by" or a qualifier _last_word drops
_BY_TAIL = frozenset(
    ("by", "to", "than", "least", "of", "as", "average", "over", "about", "around",
     "approximately", "approx.", "roughly", "nearly", "almost", "just", "only", "merely", "a",
     "an", "the", "averaging", "overall", "~", "≈", "∼", ">", "≥", "sim")
)  # fmt: skip
_FACTOR_BEFORE = re.compile(
    r"(?:\bfactor\s+of|\bspeed(?:s|ing)?\s+up\s+(?:[\w\-]+\s+){0,3}?by|\baccelerat\w*\s+"
    r"(?:[\w\-]+\s+){0,3}?by)\s+" + _QUAL + r"$",
    re.IGNORECASE,
)
# "from 4.8% to 42.4%", "from 2.2 to 66.3", "from 80 minutes (for Alpaca) to 14 minutes"
_TIME_UNIT = r"(?:minutes?|mins?|hours?|hrs?|seconds?|secs?|ms|days?)\b"
_PAIR_UNIT = r"\\?%|percent\b|points?\b|pp\b|" + _TIME_UNIT
_NOT_SCORE = r"(?!\s*(?:billion|million|thousand|trillion|parameters|params|tokens|layers|bits?)\b)"
_FROM_TO = re.compile(
    r"\bfrom\s+"
    + _QUAL
    + r"(?P<a>"
    + _NUM
    + r")"
    + _NUM_END
    + _NOT_SCORE
    + r"\s*(?P<ua>"
    + _PAIR_UNIT
    + r")?"
    r"\s*(?:\([^()]{0,40}\)\s*)?(?:to|->|→|-->)\s+"
    + _QUAL
    + r"(?P<b>"
    + _NUM
    + r")"
    + _NUM_END
    + _NOT_SCORE
    + r"\s*(?P<ub>"
    + _PAIR_UNIT
    + r")?",
    re.IGNORECASE,
)
# "(19.0%->21.0%)", "$45.1\\%$ $\\rightarrow$ $58.3\\%$"
_ARROW = re.compile(
    _START
    + r"(?P<a>"
    + _NUM
    + r")"
    + _NUM_END
    + r"\s*(?P<ua>\\?%|points?\b)?[\s$]*(?:->|→|-->|⇒|=>|\\(?:rightarrow|to|Rightarrow|"
    r"longrightarrow)\b)[\s$]*"
    r"(?P<b>" + _NUM + r")" + _NUM_END + r"\s*(?P<ub>\\?%|points?\b)?"
)
# what may follow the second number of a pair without a unit: "from 2.2 to 66.3," not "to 8 GPUs"
_SCORE_TAIL = re.compile(
    r"\s*(?:[,.;:)(]|$|(?:on|in|and|for|with|when|while|across|at|after|respectively|"
    r"accuracy|points?|score|pass@\d|F1|BLEU|mIoU|mAP|FID|WER|EM|win)\b)",
    re.IGNORECASE,
)
_GAIN_VERB = re.compile(
    r"\b(?:improv|boost|increas|reduc|lower|rais|outperform|surpass|beat|exceed|lift|cut|"
    r"decreas)\w*",
    re.IGNORECASE,
)
_PAIR_METRIC = re.compile(
    r"accura|score|F1|BLEU|ROUGE|pass@|mAP|mIoU|AUC|AUROC|EM\b|exact\s+match|recall|precision|"
    r"rate|win|Elo|FID|WER|CER|perplexity|PPL|PSNR|SSIM|nDCG|MRR|correlation|Kendall|Spearman|"
    r"GenEval|CLIP|reward|performance",
    re.IGNORECASE,
)
_ON_NAME_AT = re.compile(r"\s*(?:on|in)\s+(?:the\s+)?[A-Z]")
_LOWER_IS_BETTER = re.compile(
    r"\b(?:error|WER|CER|loss|perplexity|PPL|FID|latency|time|cost|memory|hallucinat\w*|"
    r"attack\s+success|toxic\w*|false|reduc\w*|lower\w*|decreas\w*|cut\w*|mitigat\w*|"
    r"suppress\w*|minimi\w*|shrink\w*|fewer|less)",
    re.IGNORECASE,
)
_DROPS = re.compile(
    r"\b(?:drop|fall|fell|declin|degrad|deteriorat|plummet|collaps|sink|sank|worsen|hurt)\w*",
    re.IGNORECASE,
)
_ERROR_WORD = re.compile(
    r"\b(?:error|WER|CER|loss|perplexity|PPL|FID|latency|time|cost|memory|hallucinat\w*|"
    r"attack\s+success|toxic\w*)",
    re.IGNORECASE,
)
_RANGING = re.compile(
    r"\b(?:ranging|ranges?|ranged|varying|vary|varies|varied|spanning|spans?)\s+$", re.IGNORECASE
)
# "66.5 vs. 65.9", "(33.4% vs. 17.8%)", "50.9%, compared to 23.6% by GPT-3.5"
_VERSUS = re.compile(
    _START + r"(?P<a>" + _NUM + r")" + _NUM_END + r"\s*(?P<ua>\\?%|points?\b)?"
    r"(?P<noun>\s+(?:improvement|gain|increase|reduction|boost))?\s*,?\s*"
    r"(?:vs\.?|versus|compared\s+(?:to|with))\s+(?:only\s+|just\s+)?"
    r"(?P<b>" + _NUM + r")" + _NUM_END + r"\s*(?P<ub>\\?%|points?\b)?",
    re.IGNORECASE,
)
# "1/7th the carbon footprint": a factor
_FRACTION = re.compile(r"(?<![\w./])1/(?P<num>\d+)(?:th|rd|nd)?\s+(?:of\s+)?the\b")
# results with a rate or time unit: "225 TFLOPs/s", "30 FPS"
_RATE_AT = re.compile(
    r"\s*(?P<unit>(?:T|G|P)?FLOPs/s|TFLOPS|FPS|fps|tokens/s|names/s|samples/s|images/s|it/s|dB)"
    r"(?![\w/])"
)
_RATE_WORDS = ("/s", "FPS", "fps", "TFLOPS", "dB")
_SLASH_BEFORE = re.compile(r"(?<![\w./])(?P<num>" + _NUM + r")\s*(?:\\?%)?/$")

_RANGE_BEFORE = re.compile(
    r"(?<![\w.\-])(?P<num>" + _NUM + r")\s*(?:\\?%|[x×X](?![\w]))?\s*(?:-|–|--|to)\s*$"
    r"|\bbetween\s+(?P<num2>" + _NUM + r")\s*(?:\\?%)?\s+and\s*$",
    re.IGNORECASE,
)
_EXCLUDE_BEFORE = re.compile(
    r"(?:\bvs\.?|\bversus|\bcompared\s+(?:to|with)|\bbelow|\babove|\bfrom|\bwithin|"
    r"[<±≤])\s*~?\s*$"
    r"|\b(?:degradations?|overheads?)\b[^.;]{0,30}$"
    r"|\b(?:(?:training|data)\s*set|data(?:set)?|corpus)\s+(?:size\s+)?by\s*" + _QUAL + "$"
    r"|^(?:(?!error|loss|latency|cost|time|memory|FID|WER|perplexity).)*\b(?:drop|declin)\w*\s+"
    r"(?:by|of)\s*" + _QUAL + "$",
    re.IGNORECASE,
)
_SPREAD_BEFORE = re.compile(
    r"\b(?:variations?|variances?|deviations?|differences?|gaps?)\b[^.;]{0,30}$", re.IGNORECASE
)
_EXCLUDE_AFTER = re.compile(
    r"^\s*(?:of\b|away\b|variance|deviation|error\s+bound|margin\s+of|confidence|"
    r"(?:absolute\s+)?gap\b|below\b|behind\b|(?:un)?structured\s+sparsity|sparsity|(?:[\w\-]+\s+)?overheads?\b|"
    r"(?:Likert\s+)?scales?\b|Likert|"
    r"(?:larger|bigger|longer)\b|[\-–]\s*\d|(?:to|-|--)\s*\d|by\s+(?-i:[A-Z])|(?:lower|worse)\s+than\b|drop\b|degradation|"
    r"(?:point|percentage|percent|[\w\-]+)?\s*(?:drop|decline|loss|degradation)\b)",
    re.IGNORECASE,
)
# "reaching 99.3% of ChatGPT's performance", "solves 28.8% of the problems": a share after a
# verb of achievement is the contribution's result, unlike "20% of the data" in a setup.
_ACHIEVED_SHARE = re.compile(
    r"(?:\b(?:reach|achiev|attain|solv|retain|recover|match|obtain|averag|preserv)\w*"
    r"|\b(?:increas|improv|boost|rais|push|lift|bring|brought)\w*\b[^.;,]{0,60}(?<!up\s)\bto)\s+"
    r"(?:(?:only|about|around|roughly|nearly|over|more\s+than|up\s+to|between|upwards\s+of|just)\s+)*"
    r"(?:[>≥~]\s*)?"
    r"(?:" + _NUM + r"\s*(?:\\?%)?\s*(?:-|–|and|to)\s*)?$",
    re.IGNORECASE,
)
# "saves 42.5% of training costs", "using only 3% of compute": a cost share is a gain
_SAVED_SHARE = re.compile(
    r"\b(?:sav|cut)\w*\s+(?:(?:only|about|around|roughly|nearly|over|up\s+to)\s+)*$"
    r"|\b(?:only|just|merely)\s+(?:(?:about|around|roughly|approximately|nearly)\s+)?$",
    re.IGNORECASE,
)
_COST_OF = re.compile(
    r"^\s*(?:\([^()]{0,30}\)\s*)?of\s+(?:the\s+|its\s+|their\s+)?(?:[\w\-]+\s+){0,2}?"
    r"(?:compute|computations?|costs?|budget|FLOPs|time|memory|energy|GPU[- ]hours)\b",
    re.IGNORECASE,
)
# "prunes up to 79% of parameters", "skips 40% of the layers": a share the method removes
_PRUNED_SHARE = re.compile(
    r"\b(?:prun|remov|eliminat|skip|drop|discard|evict|compress|sparsif|cut|sav)\w*\s+"
    + _QUAL
    + r"$",
    re.IGNORECASE,
)
_PRUNED_OF = re.compile(
    r"\s*(?:\([^()]{0,30}\)\s*)?of\s+(?:the\s+|its\s+|their\s+|all\s+)?(?:[\w\-]+\s+){0,2}?"
    r"(?:parameters|weights|params|KV[- ]cache|cache|tokens|layers|heads|experts|compute|"
    r"computations?|costs?|FLOPs|memory)\b",
    re.IGNORECASE,
)
_AND_NUMBER = re.compile(r"\s*and\s+" + _NUM)
_LIST_PREFIX = re.compile(r"(?:\s*(?:,|and|or|/|,\s*and)\s*\+?" + _NUM + r"\s*\\?%)+")
_OF_CASES = re.compile(
    r"\s*of\s+(?:the\s+)?(?:cases|instances|trials|queries|episodes|comparisons|problems|tasks|"
    r"questions|test\s+cases|the\s+time)\b",
    re.IGNORECASE,
)
_OF_GAIN = re.compile(r"\s*of\s+(?:[\w\-]+\s+)?(?:lift|improvement|gain|increase|boost)", re.I)
_CONTRAST = re.compile(r"\b(?:while|whereas|only|compared|baselines?)\b[^,;]*$", re.IGNORECASE)
# a gain's cue just before its number ("by 12%", "an improvement of 3.1", "by an absolute
# success rate of 34%") or just after it ("12% higher", "2.3 points of lift")
_GAIN_BEFORE = re.compile(
    r"(?:\bby|\+|\b(?:improv\w*|gains?|increases?|reductions?|speed-?ups?|boosts?|margins?|"
    r"lift|advantages?|increments?|decreases?|savings?|accelerations?|factor)\s+of)\s*"
    + _QUAL
    + r"$"
    r"|\bby\s+(?:an?\s+)?(?:(?!achiev|reach|scor)[\w\-@]+\s+){1,5}of\s*" + _QUAL + r"$"
    # a verb of gain right before it: "gains 2%", "boosts 5.1%"
    r"|\b(?:gain(?:s|ed|ing)?|improv(?:es|ed|ing)|boost(?:s|ed|ing)?|adds?|adding|brings?|"
    r"bringing|lifts?|lifting)\s+" + _QUAL + r"$",
    re.IGNORECASE,
)
_GAIN_AFTER = re.compile(
    r"^\s*\)?\s*(?:(?:absolute|relative|average|avg\.?|overall|additional|further|[\w\-]+)\s+){0,2}"
    r"(?:improv|gains?\b|increas|boost|reduc|decreas|lift|speed-?ups?\b|accelerat|enhanc|"
    r"savings?\b|advantage|margin|jump|uplift|increment|cut\b)"
    r"|^\s*\)?\s*(?:absolute|relative)\b(?!\s+(?:score|performance|accuracy|quality))"
    r"|^\s*(?:higher|lower|better|faster|slower|quicker|cheaper|less\b|fewer|more\s+(?!than)|"
    r"smaller|ahead)"
    r"|^\s*over\s+(?:the\s+|a\s+|an\s+|its\s+)?(?:(?-i:[A-Z])|prior|previous|existing|strong|"
    r"standard|vanilla|baselines?|state|current|competing|conventional)",
    re.IGNORECASE,
)
_GAIN_WORD = re.compile(
    r"\b(?:improv\w*|outperform\w*|gains?|boost\w*|increas\w*|reduc\w*|rais\w*|speed(?:s|ing)?\s+up|"
    r"speed-?ups?|lift\w*|"
    r"better|higher|faster|surpass\w*|enhanc\w*|accelerat\w*|lower|cuts?|saves?|saving)\b",
    re.IGNORECASE,
)
_PAREN_OPEN = re.compile(r"\(\s*(?:e\.g\.,?\s*|i\.e\.,?\s*)?" + _QUAL + r"$", re.IGNORECASE)
# "% points" after a list: "by 2.8% and 3.2% absolute points"
_LIST_POINTS = re.compile(
    r"^(?:\s*(?:,|and|/)\s*\+?" + _NUM + r"\s*\\?%)*\s*(?:absolute\s+)?(?:percentage\s+)?"
    r"(?:points?\b|pp\b)|^\s*absolute\b(?!\s+(?:score|performance|accuracy))",
    re.IGNORECASE,
)
_ABSOLUTE_BEFORE = re.compile(r"\babsolute\s+(?:[\w\-@]+\s+){0,3}(?:of\s+)?" + _QUAL + r"$", re.I)
# a factor that describes size, not an improvement: "which has 1.5 times the parameters",
# "29% as many parameters", "with 54x fewer trainable parameters" (not said as a reduction)
_SIZE_AFTER = re.compile(
    r"\s*(?:the\s+(?:[\w\-]+\s+)?(?:parameters|size|number|weights)|as\s+(?:many|much|large)\b|"
    r"more\s+(?:training\s+)?(?:data|tokens|compute|parameters|params|samples|examples|steps|"
    r"epochs|GPUs|memory|FLOPs|time)\b|"
    r"(?-i:[A-Z])\w*\d\w*\b|(?:GPUs?|TPUs?|nodes|machines|cores)\b)",
    re.IGNORECASE,
)
_A_SMALLER = re.compile(
    r"\s*(?:smaller|larger|bigger)\s+(?:(?-i:[A-Z])|(?:[\w\-]+\s+)?(?:models?|networks?|"
    r"students?|teachers?|LMs?|LLMs?|transformers?|backbones?)\b)",
    re.IGNORECASE,
)
_FEWER_PARAMS = re.compile(
    r"^\s*(?:fewer|less|smaller)\s+(?:[\w\-]+\s+){0,2}?(?:parameters|params|weights)\b",
    re.IGNORECASE,
)
_REDUCE_VERB = re.compile(r"\b(?:reduc|cut|decreas|shrink|compress|prun)\w*", re.IGNORECASE)
_HAS_BEFORE = re.compile(
    r"\b(?:which|that|who)\s+(?:has|have|had|uses?|used|requires?|needs?)\s*(?:about\s+)?$",
    re.IGNORECASE,
)
# A result needs an achievement next to it: a verb or metric before it in its clause...
_RESULT_BEFORE = re.compile(
    r"\b(?:achiev|reach|attain|obtain|scor|yield|get|gets|got|solv|record|deliver|hit|"
    r"establish|set|average|averaging|rate|accurac|precision|recall|performance|pass@\d|"
    r"F1|BLEU|ROUGE|mAP|mIoU|AUC|win|success|EM|match|to|of|at|EER|WER|CER|FID|AUROC|PSNR|"
    r"SSIM|TPR|ASR|error|score)\w*\s*(?:[\w\-@]+\s+){0,3}?" + _QUAL + r"$",
    re.IGNORECASE,
)
# ...or a metric or benchmark named just after it ("61.4% accuracy", "40% pass@1 on HumanEval")
_RESULT_AFTER = re.compile(
    r"^\s*(?:[\w\-]+\s+){0,3}?(?:accuracy|acc\b|pass@\d|F1|BLEU|ROUGE|mAP|mIoU|AUC|AUROC|"
    r"win\s+rate|success\s+rate|score|top-\d|exact\s+match|EM\b|recall|precision|agreement|"
    r"utili[sz]ation|of\s+(?:the\s+)?(?:problems|tasks|questions|cases|the\s+time|time)|"
    r"capacity|performance|EER|WER|CER|TPR|ASR|AP\b|PSNR|SSIM|"
    r"on\s+(?:the\s+)?(?-i:[A-Z]))",
    re.IGNORECASE,
)
_TO_BEFORE = re.compile(r"\bto\s+" + _QUAL + r"$", re.IGNORECASE)
_AT_BEFORE = re.compile(r"\b(?:at|with|under|using|for|per|of\s+the|in)\s+" + _QUAL + r"$", re.I)
_OWNER = re.compile(
    r"\b(?:we|our|ours|the proposed|proposed|the resulting|resulting|"
    r"this (?:method|approach|framework|model|technique|work|system))\b",
    re.IGNORECASE,
)
_ITS = re.compile(r"\b(?:it|its|these|this|such)\b", re.IGNORECASE)
# a claim about something else: the paper's findings about others, background
_OTHERS_SENTENCE = re.compile(
    r"^(?:(?:however|moreover|furthermore|in\s+contrast|notably|yet|but),?\s+)?"
    r"(?:prior|previous|existing|current|recent|traditional|conventional|most|many|some|"
    r"state-of-the-art\s+(?:models|methods|systems|LLMs)|human|humans|even)\b",
    re.IGNORECASE,
)
_NAME = r"([A-Z][\w\-./@^]*(?:[\s\-](?:[A-Z0-9][\w\-./@^]*))*)"
_BENCHMARK = re.compile(r"\b(?:on|across)\s+(?:the\s+)?(?:challenging\s+)?" + _NAME)
_BASELINE = re.compile(
    r"\b(?:over|than|compared\s+(?:to|with)|vs\.?|versus|outperform(?:s|ing|ed)?|"
    r"surpass(?:es|ing|ed)?|beat(?:s|ing)?)\s+(?:the\s+)?(?:strong\s+)?" + _NAME
)
# a result's benchmark: "on X" after its number, a name before its parenthesis ("WSC
# (90.1%)"), a name right after it ("84.5% ImageNet zero-shot accuracy") or in the metric
# before it ("the GSM8K accuracy of"), the sentence's opening "On X," / "In X,", or an earlier
# "on X" in the sentence
_BENCH_STOP = (
    r"(?=\s*(?:[,;:()]|\.(?:\s|$)|$)|\s+(?:and|with|using|while|whereas|when|for|by|under|at|"
    r"after|without|compared|vs\.?|versus|which|that|where|as|to|from|despite|outperform\w*|"
    r"surpass\w*|respectively|among|in|while|—|-{1,2}\s)\b)"
)
_BENCH_ON = re.compile(
    r"\s*\+?\s*\)?(?:\s*(?:[\w@\-]+\s*)?(?:,|and|/)\s*[\d.]+\s*%?)*\s*"
    r"(?:(?:[\w\-@/'’%.]+|\([^()]{0,60}\))\s+){0,6}?"
    r"(?:on|in|across|from)\s+(?:the\s+|a\s+|an\s+|our\s+)?"
    r"(?P<b>[^\s,;:()][^,;:()]*?)" + _BENCH_STOP,
    re.IGNORECASE,
)
_BENCH_NOUN = re.compile(
    r"\b(?:dataset|benchmark|task|tasks|study|evaluation|evaluations|test\s+set|suite|challenge|"
    r"leaderboard|competition|split)s?$",
    re.IGNORECASE,
)
_BENCH_NOT = re.compile(
    r"(?:all|each|every|most|average|many|several|both|various|diverse|multiple|this|these|"
    r"particular|addition|contrast|practice|summary|total|comparison|terms|turn|\w+ing)\b"
    r"|.*\b(?:GPUs?|TPUs?|CPUs?|devices?|machines?|nodes?|chips?)$"
    r"|(?-i:SOTA|F1|BLEU|ROUGE|FID|WER|CER|AUC|EM|Top|Pass|Elo|EER)\b",
    re.IGNORECASE,
)
_PAREN_NAME = re.compile(
    r"(?P<b>(?-i:[A-Z])[\w\-+./@]*(?:\s+(?!(?:on|in|of|and|or|for|to|with|at|by|the)\b)"
    r"[\w\-+./@]+){0,2}?)\s*\((?:[^()a-z]|[a-z.]+\.?\s)"
    r"{0,30}$"
)
_NAME_AFTER = re.compile(
    r"\s*(?P<b>(?-i:[A-Z])[\w\-+./@]*(?:[ \-]\d\w*)?)\s+(?:(?-i:[a-z])[\w\-]*\s+){0,2}?"
    r"(?:accuracy|score|pass@\d|F1|EM)\b"
)
_NAME_IN_METRIC = re.compile(
    r"(?:^|\s)(?P<b>(?-i:[A-Z])[\w\-+./@]*)\s+(?:(?-i:[a-z])[\w\-]*\s+){0,2}?"
    r"(?:accuracy|score|pass@\d|F1|results?)\s+(?:of\s+(?:[\w\-]+\s+){0,2}?)?"
    r"(?:from\s+[\d.]+\s*%?\s+to\s+)?(?:is\s+|=\s*|:\s*)?" + _QUAL + r"$"
)
_OPENING = re.compile(
    r"(?:(?:For\s+(?:instance|example)|Specifically|Notably|Moreover|Furthermore|Finally|In\s+"
    r"particular),\s+)?(?:On|In|Across|For)\s+(?:the\s+|a\s+|an\s+)?(?P<b>[^,;]{2,80}?)\s*,\s",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"\d|[A-Z][^A-Z]*[A-Z]")
_ON_NAME = re.compile(
    r"\b(?:on|in)\s+(?:the\s+)?(?P<b>(?-i:[A-Z])[\w\-+./@]*(?:\s+(?-i:[A-Z0-9])[\w\-+./@]*)*"
    r"(?:\s+(?:benchmark|dataset|test\s+set|leaderboard))?)"
)
_RESPECTIVELY = re.compile(
    r"\b(?:on|in|across)\s+(?:the\s+)?(?P<list>(?:(?!\b(?:on|in|across)\s)[^;()])+?\s+and\s+"
    r"(?:(?!\b(?:on|in|across)\s)[^;(),])+?)\s*,?\s*respectively"
)
_LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def _benchmark_word(phrase: str) -> tuple[str, bool] | None:
    """The phrase as a benchmark and whether it names one (has a capital), or None."""
    phrase = phrase.strip(" .")
    if not phrase or _BENCH_NOT.match(phrase):
        return None
    if any(c.isupper() for c in phrase):
        return phrase, True
    if _BENCH_NOUN.search(phrase):
        return phrase, False
    return None


def _result_benchmark(sentence: str, start: int, end: int) -> str | None:
    """The benchmark a score is stated on, from the words around it."""
    weak: str | None = None
    on = _BENCH_ON.match(sentence, end, end + 100)
    if on is not None:
        found = _benchmark_word(on.group("b"))
        if found is not None:
            if found[1]:
                return found[0]
            weak = found[0]
    before = sentence[max(0, start - 60) : start]
    paren = _PAREN_NAME.search(before)
    if paren is not None:
        found = _benchmark_word(paren.group("b"))
        if found is not None and found[1]:
            return found[0]
    # a name inside the metric's words must look like a benchmark's ("GSM8K", "ImageNet"), not
    # a word of the metric ("Collision F1")
    metric = _NAME_IN_METRIC.search(before)
    if metric is not None and _ACRONYM.search(metric.group("b")):
        found = _benchmark_word(metric.group("b"))
        if found is not None:
            return found[0]
    named = _NAME_AFTER.match(sentence, end, end + 60)
    if named is not None and _ACRONYM.search(named.group("b")):
        found = _benchmark_word(named.group("b"))
        if found is not None:
            return found[0]
    opening = _OPENING.match(sentence)
    if opening is not None and opening.end() <= start:
        found = _benchmark_word(opening.group("b"))
        if found is not None and found[1]:
            return found[0]
    earlier = None
    for match in _ON_NAME.finditer(sentence, 0, start):
        earlier = match
    if earlier is not None:
        found = _benchmark_word(earlier.group("b"))
        if found is not None and found[1]:
            return found[0]
    if weak is None and opening is not None and opening.end() <= start:
        found = _benchmark_word(opening.group("b"))
        weak = found[0] if found else None
    return weak


def _respectively(sentence: str, found: list[FoundResult], first: int, s_start: int) -> None:
    """Results listed against benchmarks "respectively" get one benchmark each."""
    match = _RESPECTIVELY.search(sentence)
    if match is None:
        return
    names = _LIST_SPLIT.split(match.group("list"))
    group = [i for i in range(first, len(found)) if found[i].start - s_start < match.start()]
    if len(group) != len(names):
        return
    for i, name in zip(group, names, strict=True):
        r = found[i]
        found[i] = FoundResult(name, r.metric, r.value, r.unit, r.setting, r.evidence, r.start)


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
    r"|\bonly\s+(?:achiev|reach|obtain|scor|get|solv)\w*(?:\s+[\w\-]+){0,8}?(?:\s+of)?"
    r"|\b(?:outperform\w*|surpass\w*|beat\w*|exceed\w*|than|over|vs\.?|versus|compared\s+"
    r"(?:to|with))\s+(?:the\s+)?(?:[\w\-.]+\s+|\([^()]{0,20}\)\s*(?:,\s*(?:and\s+)?|and\s+)){1,9}\("
    r")\s*(?:only\s+|about\s+|around\s+|roughly\s+|nearly\s+)?~?$",
    re.IGNORECASE,
)


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


def _metric(sentence: str, lower: str, offset: int, unit: str | None) -> str | None:
    """The metric named next to the number at ``offset`` (``lower``: the sentence lower-cased).

    First the number's own clause: the words just after it ("3x faster", "5% higher
    accuracy"), then those just before it ("reduces latency by 40%"), an explicit metric
    before a generic "improves". Failing that, the explicit metric nearest to it in the
    sentence, the last one before it first ("speedups ... of 3.25x on A100 and 4.5x on
    A6000"). Failing that, what a bare
    number of its unit usually claims: a percentage or points of quality, a multiple of speed.
    """
    if len(lower) == len(sentence):
        text, specific, generic = lower, SPECIFIC_LOWER, GENERIC_LOWER
    else:  # lower-casing moved offsets ("İ"): read the sentence itself
        text, specific, generic = sentence, SPECIFIC, GENERIC
    number_end = offset
    while number_end < len(sentence) and not sentence[number_end].isspace():
        number_end += 1
    after_end = min(len(sentence), number_end + _WINDOW_AFTER)
    edge = _CLAUSE_EDGE.search(sentence, number_end, after_end)
    if edge is not None:
        after_end = edge.start()
    before_start = max(0, offset - _WINDOW_BEFORE)
    for cut in _CLAUSE_EDGE.finditer(sentence, before_start, offset):
        before_start = cut.end()
    for pattern in (specific, generic):
        best: tuple[int, re.Match[str]] | None = None
        match = pattern.search(text, number_end, after_end)
        if match is not None:
            best = (match.start() - number_end, match)
        if best is None or best[0] > 8:  # a word before can only win if it is nearer
            for match in pattern.finditer(text, before_start, offset):
                distance = offset - match.end()
                if best is None or distance + 8 < best[0]:
                    best = (distance + 8, match)
        if best is not None:
            return metric_text(best[1], sentence)
    preceding = None
    for match in specific.finditer(text, 0, offset):
        preceding = match
    if preceding is not None:
        return metric_text(preceding, sentence)
    following = specific.search(text, number_end, number_end + _FALLBACK_AFTER)
    if following is not None:
        return metric_text(following, sentence)
    return _DEFAULT_METRIC.get(unit or "")


def _result_metric(sentence: str, start: int, end: int) -> str | None:
    """The metric named in the score's own clause, as written ("top-1 accuracy", "FID")."""
    after = sentence[end : end + 30]
    edge = _CLAUSE_EDGE.search(after)
    match = SPECIFIC.search(after[: edge.start()] if edge else after)
    if match is None:
        before = sentence[max(0, start - 40) : start]
        cut = list(_CLAUSE_EDGE.finditer(before))
        match = SPECIFIC.search(before[cut[-1].end() :] if cut else before)
    if (
        match is None
        or match.lastgroup is None
        or not match.lastgroup.startswith(("accuracy", "error"))
    ):
        return None
    return " ".join(match.group(0).split())


_SETTING = re.compile(
    r"\b(?:zero-shot|few-shot|one-shot|\d+-shot|fine-?tuned|up\s+to|as\s+(?:low|high)\s+as|"
    r"more\s+than|over|upwards\s+of|at\s+least)\b",
    re.IGNORECASE,
)


def _setting(sentence: str, start: int) -> str | None:
    found = None
    for match in _SETTING.finditer(sentence, max(0, start - 40), start):
        found = match.group(0)
    return found


def _name_key(name: str | None) -> str | None:
    if not name:
        return None
    return name.lower().replace("-", " ")


def _owned(sentence: str, lower: str, name_key: str | None) -> bool:
    if _OWNER.search(sentence):
        return True
    return name_key is not None and name_key in lower.replace("-", " ")


_GAIN, _RESULT, _UNCUED = 1, 2, 4
_NOTHING: frozenset[int] = frozenset()


@dataclass(slots=True)
class _Number:
    start: int
    end: int
    value: float
    unit: str | None
    kind: int
    """_GAIN, _RESULT or both (a from->to pair's difference is a gain, its "to" a result)."""
    result_value: float | None = None
    """A pair's own value (its difference is ``value``)."""
    result_unit: str | None = None
    covers: int = -1
    """Where a pair's first number starts (read as part of the pair, not on its own)."""


def _pair_unit(raw: str | None) -> str:
    if not raw:
        return ""
    raw = raw.lower()
    if "%" in raw or raw.startswith("percent"):
        return "%"
    if raw.startswith(("point", "pp")):
        return "points"
    return raw.rstrip("s")  # a time: "minutes", "hour"


def _pair(m: re.Match[str], sentence: str, start: int, versus: bool = False) -> _Number | None:
    """A from->to or X-vs-Y pair as its difference in points and its own value, or None when
    the two numbers are not scores on one scale (or a from->to score went down: ``versus``
    pairs are judged by their caller, their own value coming first)."""
    unit_a, unit_b = _pair_unit(m.group("ua")), _pair_unit(m.group("ub"))
    if unit_a and unit_b and unit_a != unit_b:
        return None
    unit = unit_b or unit_a
    a, b = to_number(m.group("a")), to_number(m.group("b"))
    if a >= 1000 or b >= 1000:
        return None  # years, counts
    if not unit and (
        not _SCORE_TAIL.match(sentence, m.end())
        or not (
            _PAIR_METRIC.search(sentence, max(0, start - 50), m.end() + 20)
            or _ON_NAME_AT.match(sentence, m.end())
        )
    ):
        return None  # "from 2 to 8 GPUs", "steps from 50 to 4": counts, not scores
    if _RANGING.search(sentence, max(0, start - 30), start):
        return None  # "ranging from 10% to 50% of the data"
    if _DROPS.search(sentence, max(0, start - 50), start) and not _ERROR_WORD.search(
        sentence, max(0, start - 50), start
    ):
        return None  # an ablation: "removing it drops accuracy from 48.2% to 5.7%"
    if unit not in ("", "%", "points"):  # a time: the own value only
        return _Number(m.start("b"), m.end(), b, unit, _RESULT, covers=m.start("a"))
    if (
        not versus
        and b < a
        and not _LOWER_IS_BETTER.search(sentence, max(0, start - 60), m.end() + 30)
    ):
        return None  # a score that went down, not said of a lower-is-better measure
    return _Number(
        m.start("b"), m.end(), round(abs(b - a), 6), "points", _GAIN | _RESULT, b,
        "%" if unit == "%" else None, m.start("a"),
    )  # fmt: skip


def _pairs(text: str, sentence: str, s_start: int, lower: str) -> list[_Number]:
    """from->to and X-vs-Y pairs: the difference in points, the own value a result."""
    found: list[_Number] = []
    if "from" in lower:
        for m in _FROM_TO.finditer(sentence):
            pair = _pair(m, sentence, m.start())
            if pair is not None:
                found.append(pair)
    if (
        "->" in sentence
        or "→" in sentence
        or "=>" in sentence
        or "⇒" in sentence
        or "\\" in sentence
    ):
        for m in _ARROW.finditer(sentence):
            pair = _pair(m, sentence, m.start())
            if pair is not None and not any(n.start == pair.start for n in found):
                found.append(pair)
    if "vs" in lower or "versus" in lower or "compared" in lower:
        # the pair may run over a sentence end the splitter saw in "vs."
        stop = min(len(text), s_start + len(sentence) + 40)
        for m in _VERSUS.finditer(text, s_start, stop):
            if m.start() - s_start >= len(sentence):
                break
            start = m.start() - s_start
            if m.group("noun"):  # "4.8% improvement vs 0.3%": both are gains
                a, b = to_number(m.group("a")), to_number(m.group("b"))
                unit = gain_unit(m.group("ua")) if m.group("ua") else "points"
                found.append(_Number(start, start + len(m.group("a")), a, unit, _GAIN))
                found.append(_Number(start + 1, start + 1, round(abs(a - b), 6), "points", _GAIN))
                continue
            pair = _pair(m, text, m.start(), versus=True)
            if pair is not None:
                # the own value is the first: the pair's number starts there
                a = to_number(m.group("a"))
                if a < to_number(m.group("b")) and not _LOWER_IS_BETTER.search(
                    text, max(0, m.start() - 60), m.end() + 30
                ):
                    pair.kind = _RESULT  # below the baseline: a score, no gain
                pair.result_value = a
                pair.result_unit = "%" if _pair_unit(m.group("ua")) == "%" else None
                pair.start, pair.end = start, start + len(m.group("a"))
                pair.covers = -1
                found.append(pair)
    return found


_QUAL_ONE = frozenset(
    ("over", "about", "around", "approximately", "approx.", "roughly", "nearly", "almost",
     "just", "only", "merely", "a", "an", "the", "average", "averaging", "overall", "~", "≈",
     "∼", ">", "≥", "sim")
)  # fmt: skip
_QUAL_TWO = frozenset(
    (("up", "to"), ("more", "than"), ("less", "than"), ("at", "least"), ("upwards", "of"),
     ("on", "average"))
)  # fmt: skip
_PRUNE_STEMS = ("prun", "remov", "eliminat", "skip", "drop", "discard", "evict", "compress",
                "sparsif", "cut", "sav")  # fmt: skip
_SHARE_STEMS = ("reach", "achiev", "attain", "solv", "retain", "recover", "match", "obtain",
                "averag", "preserv")  # fmt: skip
_ACHIEVE_STEMS = ("achiev", "scor", "reach", "obtain", "get", "solv")
_GAIN_STEMS = ("gain", "improv", "boost", "add", "bring", "lift")
_HAS_WORDS = frozenset(("has", "have", "had", "uses", "use", "used", "requires", "require",
                        "needs", "need"))  # fmt: skip
_AT_WORDS = frozenset(("at", "with", "under", "using", "for", "per", "in", "of"))
_EXCLUDE_TAILS = ("vs", "vs.", "versus", "compared to", "compared with", "below", "above", "from",
                  "within", "<", "±", "≤")  # fmt: skip
_SPREAD_WORDS = ("variation", "variance", "deviation", "difference", "gap")


def _last_word(lowered: str) -> str:
    """The last word before a number once qualifiers are dropped ("by up to" -> "by")."""
    words = lowered.split()[-8:]
    while words:
        word = words[-1]
        if word in _QUAL_ONE:
            words.pop()
        elif len(words) > 1 and (words[-2], word) in _QUAL_TWO:
            del words[-2:]
        elif word == "as" and len(words) > 2 and words[-3] == "as":
            del words[-3:]  # "as high as"
        else:
            break
    return words[-1] if words else ""


def _stem(word: str) -> str:
    """The part of a word a regex's ``\\b(?:stem)`` can start in: "high-achieving" ->
    "achieving"."""
    for mark in "-–/(\"'“‘":
        if mark in word:
            word = word.rsplit(mark, 1)[-1]
    return word


def _any_stem(low: str, stems: tuple[str, ...]) -> bool:
    """Whether one of the last words starts with one of ``stems`` (a qualifier such as
    "averaging" is itself one)."""
    for word in low.split()[-6:]:  # noqa: SIM110 - a loop is cheaper than any() over a generator
        if _stem(word).startswith(stems):
            return True
    return False


def _prune_gate(last: str) -> bool:
    """Whether _PRUNED_SHARE can match words ending here."""
    return _stem(last).startswith(_PRUNE_STEMS)


def _share_gate(low: str, last: str) -> bool:
    """Whether _ACHIEVED_SHARE can match words ending here."""
    return _stem(last) in ("to", "between", "and") or _any_stem(low, _SHARE_STEMS)


def _others_gate(low: str, last: str) -> bool:
    """Whether _OTHERS_ACHIEVE can match words ending here (``low``: them lower-cased)."""
    return (
        _stem(last).startswith(_ACHIEVE_STEMS)
        or last.endswith("(")
        or "only" in low
        or "human" in low
    )


def _exclude_gate(low: str, last: str) -> bool:
    """Whether _EXCLUDE_BEFORE can match words ending here."""
    return (
        " ".join(low.split()[-3:]).rstrip("~ ").endswith(_EXCLUDE_TAILS)
        or "degradation" in low
        or "overhead" in low
        or (
            _stem(last) in ("by", "of")
            and (
                "set" in low or "data" in low or "corpus" in low or "drop" in low or "declin" in low
            )
        )
    )


def _gain_gate(last: str) -> bool:
    """Whether _GAIN_BEFORE can match words ending here."""
    word = _stem(last)
    return word in ("by", "of") or last.endswith("+") or word.startswith(_GAIN_STEMS)


def _classify(sentence: str, start: int, end: int, unit: str, sign: bool) -> int:
    """_GAIN, _RESULT, _UNCUED (read as the number listed before it, if any) or 0 (not a
    claim) for a number with a unit at sentence[start:end].

    Each regex over the words before the number runs only when a literal it needs is there
    (its last word, a word in the window): most numbers are decided by cheap checks."""
    after = sentence[end : end + 40]
    excluded_after = _EXCLUDE_AFTER.match(after) is not None
    of_after = excluded_after and after.lstrip().startswith("of")
    if excluded_after and not of_after:
        return 0
    before = sentence[max(0, start - 80) : start]
    low = before.lower()
    last = _last_word(low)
    if _others_gate(low, last) and _OTHERS_ACHIEVE.search(before):
        return 0
    tail = low.rstrip()
    if tail.endswith(("-", "–", "to", "and")):
        rng = _RANGE_BEFORE.search(before)
        if rng is not None:
            outer = before[: rng.start()]
            before = outer
            low = before.lower()
            last = _last_word(low)
            tail = low.rstrip()
            if _others_gate(low, last) and _OTHERS_ACHIEVE.search(outer):
                return 0  # "the best methods achieve 59.4-79.1%": both ends are theirs
    if _exclude_gate(low, last) and _EXCLUDE_BEFORE.search(before):
        return 0
    for word in _SPREAD_WORDS:
        if word in low:
            if _SPREAD_BEFORE.search(before) and not _REDUCE_VERB.search(
                before, max(0, len(before) - 50)
            ):
                return 0  # "<2.5% variance", "accuracy differences of up to 11%"
            break
    if tail.endswith("between") and _AND_NUMBER.match(after):
        return 0  # the lower bound of "between 92% and 100%"
    if unit == "x":
        if _SIZE_AFTER.match(after) or (_stem(last) in _HAS_WORDS and _HAS_BEFORE.search(before)):
            return 0
        if _A_SMALLER.match(after) and low.endswith(("a ", "an ")):
            return 0  # "a 35x smaller model": the size of what is used
        if _FEWER_PARAMS.match(after) and not _REDUCE_VERB.search(sentence):
            return 0  # a size ratio, unless said as a reduction the method achieves
    if excluded_after:  # "... of"
        if unit != "%" and _OF_GAIN.match(after):
            return _GAIN
        if _COST_OF.match(after) and _SAVED_SHARE.search(before):
            return _GAIN
        if _prune_gate(last) and _PRUNED_SHARE.search(before) and _PRUNED_OF.match(after):
            return _GAIN
        if (
            _share_gate(low, last)
            and _ACHIEVED_SHARE.search(before)
            and not _CONTRAST.search(before)
        ):
            return _RESULT if unit == "%" else 0
        if last in ("in", "to") and unit == "%" and _OF_CASES.match(after):
            return _RESULT  # "preferred in 43% of cases", "solutions to 59.6% of the problems"
        return 0
    if unit != "%" or sign:
        return _GAIN
    if (_gain_gate(last) and _GAIN_BEFORE.search(before)) or _GAIN_AFTER.match(after):
        return _GAIN
    listed = _LIST_PREFIX.match(after)
    if listed is not None and _GAIN_AFTER.match(sentence[end + listed.end() : end + 80]):
        return _GAIN  # "3.2% and 5.1% improvements"
    if (
        ("only" in low or "just" in low or "merely" in low)
        and _SAVED_SHARE.search(before)
        and _COST_OF.match(after)
    ):
        return _GAIN
    if "(" in before[-30:]:
        paren = _PAREN_OPEN.search(before)
        if paren is not None:
            head = before[max(0, paren.start() - 60) : paren.start()]
            cut = head.rfind(",")
            if _GAIN_WORD.search(head[cut + 1 :]):
                return _GAIN
            return _RESULT
    if _stem(last) == "to" and _TO_BEFORE.search(before):
        if _DROPS.search(before, max(0, len(before) - 40)) and not _ERROR_WORD.search(before):
            return 0  # an ablation: "without it, accuracy drops to 30%"
        return _RESULT
    word = _stem(last)
    if word == "at" and _AT_BEFORE.search(before):
        return 0  # a setting: "at 5% FPR", "at 50% sparsity"
    if word in _AT_WORDS and _AT_BEFORE.search(before) and not _RESULT_AFTER.match(after):
        return 0
    if _RESULT_AFTER.match(after) or _RESULT_BEFORE.search(before):
        return _RESULT
    return _UNCUED


_LIST_GAP = re.compile(
    r"^[^;:]{0,70}?(?:,|\band|\bor|\(|maybe|even|respectively)\s*(?:\(?\s*(?:maybe|even|and|"
    r"respectively|e\.g\.,?)\s*)*" + _QUAL + r"$",
    re.IGNORECASE,
)
_SHORT_LIST = re.compile(r"\s*(?:,|and|or|,\s*and)\s*\+?\s*$")
_LIST_BREAK = re.compile(
    r"\b(?:achiev|reach|attain|obtain|scor|improv|outperform|reduc|boost|surpass|while|"
    r"whereas|compared|than|vs|versus|yield|get|gets|solv|increas)\w*|\bby\b",
    re.IGNORECASE,
)


# A proprietary model as the subject of a claim: "GPT-4 achieves 80%", "the largest GPT-3 model
# improves ... by 20 points" (a finding about others, unless the clause also names the paper's
# own method)
_EXTERNAL_NAMES = (
    r"GPT-?[345]|ChatGPT|Claude|Gemini|PaLM|Bard|o[134]\b|Llama|LLaMA|Qwen|Mistral|Mixtral|"
    r"DeepSeek|Gemma|Vicuna|Falcon|InternLM|humans?\b|annotators\b|experts\b"
)
_EXTERNAL = re.compile(r"\b(?:" + _EXTERNAL_NAMES + ")")
_EXTERNAL_SUBJECT = re.compile(
    r"\b(?:" + _EXTERNAL_NAMES + r")[\w.\-]*(?:\s+[\w.\-()]+){0,3}?\s+"
    r"(?:(?:can|could|may|might|still|only|also|even|further|again|already)\s+)*"
    r"(?:achiev|reach|scor|obtain|get|gets|solv|attain|improv|gain|perform|exceed|surpass|"
    r"outperform|match)\w*"
)
_CLAUSE_START = re.compile(r"[;(]|\b(?:that|while|whereas|but|although)\b", re.IGNORECASE)


def _others_subject(sentence: str, start: int, name_key: str | None) -> bool:
    """Whether the number at ``start`` is claimed for a proprietary model named as its
    clause's subject, the paper's own method not named in that clause."""
    clause_start = 0
    for clause_start_match in _CLAUSE_START.finditer(sentence, 0, start):
        clause_start = clause_start_match.end()
    clause = sentence[clause_start:start]
    if not _EXTERNAL_SUBJECT.search(clause) or _OWNER.search(clause):
        return False
    return not (name_key and name_key in clause.lower().replace("-", " "))


def _number_edge(sentence: str, start: int) -> int:
    """Where the number whose digits start at ``start`` begins (at its "+", if signed), or -1
    inside a word or a number ("A100", "v2.5", "pass@1"); "sim13" reads as "~13"."""
    edge = start - 1 if start > 0 and sentence[start - 1] == "+" else start
    if edge > 0:
        previous = sentence[edge - 1]
        if (previous.isalnum() or previous in "._@") and not sentence.endswith("sim", 0, edge):
            return -1
    return edge


def _on_own_benchmark(sentence: str, start: int, benchmark: str, name_key: str) -> bool:
    """Whether a score is stated on the paper's own benchmark by a clause that does not say
    it is the paper's ("the strongest model reaches 45% on FooBench"): a leaderboard entry
    of a model the paper evaluates, not its own result."""
    words = benchmark.lower().replace("-", " ")
    at = words.find(name_key)
    end = at + len(name_key)
    if (
        at < 0
        or (at > 0 and words[at - 1].isalnum())
        or (end < len(words) and words[end].isalnum())
    ):
        return False  # "DiT" is no word of "class-conditional"
    clause_start = 0
    for match in _CLAUSE_START.finditer(sentence, 0, start):
        clause_start = match.end()
    return _OWNER.search(sentence, clause_start, start) is None


def _numbers(text: str, sentence: str, s_start: int, lower: str) -> list[_Number]:
    """Every number of the sentence that states a gain or a result, read in its context."""
    numbers = _pairs(text, sentence, s_start, lower)
    taken = {n.start for n in numbers} | {n.covers for n in numbers} if numbers else _NOTHING
    rates = False
    for word in _RATE_WORDS:
        if word in sentence:
            rates = True
            break
    for token in _TOKEN.finditer(sentence):
        start, end = token.span()
        if start in taken:
            continue
        edge = _number_edge(sentence, start)
        if edge < 0:
            continue
        sign = edge < start
        # what follows the digits, spaces skipped: a unit starts with one of _UNIT_FIRST
        following = sentence[end : end + 16].lstrip()
        unit_match = (
            _UNIT_AT.match(sentence, end) if following[:1] in _UNIT_FIRST and following else None
        )
        if unit_match is not None:
            _read_with_unit(sentence, token, edge, unit_match, sign, numbers)
        elif _NOT_END.match(sentence, end) is None:
            _read_bare(sentence, lower, token, sign, rates, taken, numbers, following.lower())
    if "1/" in sentence:
        for m in _FRACTION.finditer(sentence):
            numbers.append(_Number(m.start(), m.end(), float(m.group("num")), "x", _GAIN))
    if len(numbers) > 1:
        numbers.sort(key=lambda n: n.start)
        _inherit(sentence, numbers)
    return numbers


def _read_with_unit(
    sentence: str,
    token: re.Match[str],
    edge: int,
    unit_match: re.Match[str],
    sign: bool,
    numbers: list[_Number],
) -> None:
    """A number written with %, x or points."""
    start, end = token.start(), unit_match.end()
    unit = gain_unit(unit_match.group("unit"))
    if unit == "%" and (
        _LIST_POINTS.match(sentence[end : end + 60])
        or ("absolute" in sentence and _ABSOLUTE_BEFORE.search(sentence, max(0, start - 60), start))
    ):
        unit = "points"
    kind = _classify(sentence, edge, end, unit, sign)
    if not kind:
        return
    slash = (
        _SLASH_BEFORE.search(sentence, max(0, start - 12), start)
        if sentence.endswith("/", 0, start)
        else None
    )
    if slash is not None:  # "by 7.7/7.4 points": both
        numbers.append(_Number(slash.start(), start, to_number(slash.group("num")), unit, kind))
    numbers.append(_Number(start, end, to_number(token.group()), unit, kind))


def _read_bare(
    sentence: str,
    lower: str,
    token: re.Match[str],
    sign: bool,
    rates: bool,
    taken: set[int] | frozenset[int],
    numbers: list[_Number],
    following: str,
) -> None:
    """A number without a gain unit: "+3.1", "6.54 decrease in FID", a score named by its
    metric ("57.3 pass@1", "an FID of 2.27", "8.38 on MT-bench"), "a factor of 46", "225
    TFLOPs/s"."""
    start, end = token.span()
    found: list[tuple[int, int, float]] = []
    gain: bool | None = None
    if sign:
        if _RANGE_AFTER.match(sentence, end) is None:
            found.append((start, end, to_number(token.group())))
            gain = True
    elif not following.startswith(_AFTER_FIRST):
        pass  # no reading by the words after it can match: see the words before
    elif (noun := _GAIN_NOUN_AT.match(sentence, end)) is not None:
        found.append((start, end, to_number(token.group())))
        if noun.group("n2"):
            found.append((noun.start("n2"), noun.end("n2"), to_number(noun.group("n2"))))
        gain = True
    elif (metric := _METRIC_AT.match(sentence, end)) is not None:
        found.append((start, end, to_number(token.group())))
        if metric.group("m1b"):
            found.append((metric.start("m1b"), metric.end("m1b"), to_number(metric.group("m1b"))))
        # "0.7 better perplexity", "a 4.2 BLEU improvement", "1.8 AP higher than"
        gain = (
            bool(
                metric.group("better")
                or _GAIN_AFTER.match(sentence[metric.end() : metric.end() + 40])
            )
            or None
        )
    elif "." in token.group() and (on := _ON_AT.match(sentence, end)) is not None:
        found.append((start, end, to_number(token.group())))
        if on.group("m3b"):
            found.append((on.start("m3b"), on.end("m3b"), to_number(on.group("m3b"))))
    if not found and not sign:
        head = sentence[max(0, start - 45) : start]
        words = head.split()
        last = words[-1].lstrip("(") if words else ""
        if last in _SCORE_WORDS or last.startswith("nDCG@"):
            found.append((start, end, to_number(token.group())))  # "Kendall 0.912"
        elif last in ("of", "=", ":", "OF") and _SCORE_BEFORE.search(head):
            found.append((start, end, to_number(token.group())))  # "an FID of 2.27"
        elif (
            last.lower() in _FACTOR_LAST
            and ("factor" in lower or "speed" in lower or "accelerat" in lower)
            and _FACTOR_BEFORE.search(head)
        ):
            if not _excluded_bare(sentence, start, end):
                numbers.append(_Number(start, end, to_number(token.group()), "x", _GAIN))
            return
        elif rates and (rate := _RATE_AT.match(sentence, end)) is not None:
            if _excluded_bare(sentence, start, end):
                return
            value = to_number(token.group())
            if _GAIN_AFTER.match(sentence[rate.end() : rate.end() + 40]) or (
                _gain_gate(_last_word(head.lower())) and _GAIN_BEFORE.search(head)
            ):  # "a 1.2 dB PSNR improvement", "by 1.2 dB"
                numbers.append(_Number(start, rate.end(), value, "points", _GAIN))
            elif _RESULT_BEFORE.search(head):
                numbers.append(_Number(start, rate.end(), value, rate.group("unit"), _RESULT))
            return
        elif (
            (last == "by" or last.lower() in _BY_TAIL)
            and _last_word(head.lower()) == "by"
            and _SCORE_TAIL.match(sentence, end)
            and _GAIN_VERB.search(head)
            and not _excluded_bare(sentence, start, end)
        ):  # "improves BLEU by 1.5", "reduces perplexity by 0.8": points of its metric
            value = to_number(token.group())
            if value < 1000:
                numbers.append(_Number(start, end, value, "points", _GAIN))
            return
    if not found or _excluded_bare(sentence, start, end):
        return
    if gain is None:  # a score named by its metric, unless said as a gain ("by 1.4 nDCG")
        before = sentence[max(0, start - 80) : start]
        rng = _RANGE_BEFORE.search(before)
        gain = _GAIN_BEFORE.search(before[: rng.start()] if rng else before) is not None
    for a, b, value in found:
        if a not in taken:
            kind = _GAIN if gain else _RESULT
            numbers.append(_Number(a, b, value, "points" if gain else None, kind))


def extract_claims(
    text: str, sentences: Sentences, method_name: str | None = None
) -> tuple[list[FoundGain], list[FoundResult]]:
    """Claimed gains (one per distinct (value, unit)) and results, each in order."""
    gains: list[FoundGain] = []
    results: list[FoundResult] = []
    seen_gains: set[tuple[float, str | None]] = set()
    seen_results: set[tuple[float, str | None]] = set()
    name_key = _name_key(method_name)
    introduced: bool | None = None

    position = 0
    while (digit := _DIGIT.search(text, position)) is not None:
        # from one sentence holding a digit to the next: most sentences hold none
        s_start, s_end = sentences.span_at(digit.start())
        position = max(s_end, digit.end())
        sentence = text[s_start:s_end]
        lower = sentence.lower()
        numbers = _numbers(text, sentence, s_start, lower)
        if not numbers:
            continue
        if not _owned(sentence, lower, name_key):
            # after the abstract has introduced its contribution, a claim that names no one
            # else is the contribution's ("These yield a 2x speedup")
            if _OTHERS_SENTENCE.match(sentence):
                continue
            if introduced is None or not introduced:
                head = text[:s_start]
                introduced = bool(_OWNER.search(head)) or bool(
                    name_key and name_key in head.lower().replace("-", " ")
                )
                if not introduced:
                    continue
            anaphoric = _ITS.search(sentence) is not None
            paired = False
            for number in numbers:
                if number.result_value is not None and number.kind & _GAIN:
                    paired = True
                    break
            if not anaphoric and not paired and _GAIN_WORD.search(sentence) is None:
                continue
            if not anaphoric:
                # a score in such a sentence may be anyone's: only its gains count, and the
                # scores its pairs change to
                numbers = [n for n in numbers if n.kind & _GAIN]
                for number in numbers:
                    if number.result_value is None:
                        number.kind = _GAIN
        first_result = len(results)
        external = _EXTERNAL.search(sentence) is not None
        for number in numbers:
            offset = number.start
            if external and _others_subject(sentence, offset, name_key):
                continue
            if number.kind & _GAIN:
                key = (number.value, number.unit)
                if key not in seen_gains and number.value > 0:
                    seen_gains.add(key)
                    gains.append(
                        FoundGain(
                            number.value,
                            number.unit,  # type: ignore[arg-type]
                            _metric(sentence, lower, offset, number.unit),
                            _nearest(_BENCHMARK, sentence, offset),
                            _nearest(_BASELINE, sentence, offset),
                            sentence,
                            s_start + offset,
                        )
                    )
            if number.kind & _RESULT:
                if number.result_value is not None:
                    value, unit = number.result_value, number.result_unit
                else:
                    value, unit = number.value, number.unit
                benchmark = _result_benchmark(sentence, offset, number.end)
                if (
                    benchmark
                    and name_key
                    and _on_own_benchmark(sentence, offset, benchmark, name_key)
                ):
                    continue
                key = (value, benchmark)
                if key in seen_results:
                    continue
                seen_results.add(key)
                results.append(
                    FoundResult(
                        benchmark,
                        _result_metric(sentence, offset, number.end),
                        value,
                        unit,
                        _setting(sentence, offset),
                        sentence,
                        s_start + offset,
                    )
                )
        if "respectively" in sentence and len(results) - first_result > 1:
            _respectively(sentence, results, first_result, s_start)
    return gains, results


def _excluded_bare(sentence: str, start: int, end: int) -> bool:
    before = sentence[max(0, start - 80) : start]
    if _OTHERS_ACHIEVE.search(before):
        return True
    if _EXCLUDE_BEFORE.search(before) and not before.rstrip().endswith("than"):
        return True
    if _SPREAD_BEFORE.search(before):
        return True
    return bool(_EXCLUDE_AFTER.match(sentence[end : end + 30]))


def _inherit(sentence: str, numbers: list[_Number]) -> None:
    """A number listed after another ("by 3.7% on A and 1.0% on B") is read as that one: a
    gain makes the next percentage a gain, a result makes an uncued one a result."""
    for previous, number in pairwise(numbers):
        if number.unit != "%" or number.kind == _GAIN or previous.kind not in (_GAIN, _RESULT):
            continue
        if previous.kind == _RESULT and number.kind != _UNCUED:
            continue
        gap = sentence[previous.end : number.start]
        if _LIST_GAP.match(gap) and not _LIST_BREAK.search(gap):
            number.kind = previous.kind
            if previous.kind == _GAIN and previous.unit == "points":
                number.unit = "points"
    for number, following in pairwise(numbers):
        # "respectively 75% and 78% on MMLU": an uncued number takes the kind of the next
        if (
            number.kind == _UNCUED
            and following.kind in (_GAIN, _RESULT)
            and _SHORT_LIST.match(sentence, number.end, following.start)
        ):
            number.kind = following.kind


def extract_gains(
    text: str, sentences: Sentences, method_name: str | None = None
) -> list[FoundGain]:
    """Claimed gains in order, one per distinct (value, unit)."""
    return extract_claims(text, sentences, method_name)[0]


def extract_results(
    text: str, sentences: Sentences, method_name: str | None = None
) -> list[FoundResult]:
    """Absolute scores claimed for the paper's own method, in order."""
    return extract_claims(text, sentences, method_name)[1]
