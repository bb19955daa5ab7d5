"""Synthetic paper abstracts that look like the real daily-papers listings, for scale benchmarks.

Run: ``.venv/bin/python bench/synthetic.py --n 1000000 --out papers.jsonl [--seed 0]``
(streams one JSON object per line; nothing is held in memory), or
``--stats 10000`` to print the share of generated abstracts carrying each feature
(as planted, and as the summarizer's own rules extractor reads them).

Library use: ``generate(n, seed=0)`` yields ``{"id", "title", "abstract"}`` dicts.

What the text imitates (measured on tests/data/listings and the gold files): a title of
about ten words, an abstract of 180-290 words (median ~220) in the usual arc: context,
gap, contribution, method or study design, setup, results, implications, release.
About 30% are analysis/benchmark/survey papers (few gains), the rest propose a method.
Feature proportions follow the gold annotations and the benchmark brief:

* ~30% carry a link: mostly ``https://github.com/org/repo`` at the end of the abstract,
  some scheme-less (``github.com/org/repo``), ``http://`` or ``.git``, glued to
  sentence punctuation, followed by `` .``, ``;`` or ``{here}`` junk, or bracketed;
  project pages (``*.github.io``, ``sites.google.com``), HuggingFace model/dataset
  links (alone or next to a GitHub link), a few gitlab links;
* ~25% state model sizes: ``7B``, ``13B parameters``, ``1.3 billion parameters``,
  lower-case ``1.3b``/``150m parameter``, ranges ("from 125M to 13B", "1M~60M"),
  lists ("1B, 3B and 7B"), names with sizes (``Llama-2-70B``, ``Llama-3 (8B)``),
  thresholds ("more than 100B", "ge 175B"), word numbers ("ten billion parameters");
* ~30% claim gains: "improves accuracy by 3.2%", "2.4x faster", "+5.1 points",
  "percentage points", "times", "from 69.8% to 73.2%", "state-of-the-art 87.3%";
* distractors everywhere: token counts (2T tokens, 128K context), dataset sizes (50K
  samples, 1.2M image-text pairs), bits (4-bit), data percentages, GPU hours,
  resolutions, vocabulary sizes, seeds, years, and scores of *other* models.

Deterministic for a seed (one ``random.Random`` consumed in order, so ``generate(10)``
is a prefix of ``generate(100)``). Every paper is distinct: each is built around a coined
name (its method, model, benchmark or study suite) that is a bijection of its index
(16.7M names per seed), and that name always appears in the abstract.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

# -- vocabularies -------------------------------------------------------------------------------

TASKS = (
    "mathematical reasoning", "code generation", "machine translation",
    "open-domain question answering", "text-to-image generation", "instruction following",
    "long-context modeling", "retrieval-augmented generation", "model merging",
    "knowledge distillation", "speech recognition", "abstractive summarization",
    "dialogue state tracking", "semantic segmentation", "object detection",
    "video understanding", "molecular property prediction", "protein structure prediction",
    "sequential recommendation", "continual learning", "federated learning",
    "preference optimization", "hallucination detection", "named entity recognition",
    "visual question answering", "image captioning", "table understanding",
    "multilingual understanding", "commonsense reasoning", "theorem proving", "tool use",
    "web navigation", "time-series forecasting", "graph representation learning",
    "data selection for pre-training", "parameter-efficient fine-tuning",
    "post-training quantization", "structured pruning", "speculative decoding",
    "KV-cache compression", "dense retrieval", "clinical text classification",
    "legal judgment prediction", "automated program repair", "text-to-SQL parsing",
    "embodied planning", "3D scene reconstruction", "document OCR", "sentiment analysis",
    "fact verification", "chart understanding", "audio captioning", "model editing",
    "machine unlearning", "red teaming", "reward modeling", "multi-agent collaboration",
    "data mixture optimization", "scaling law estimation", "bias evaluation",
)  # fmt: skip
AREAS = (
    "natural language processing", "computer vision", "machine learning", "speech processing",
    "information retrieval", "computational biology", "software engineering", "robotics",
    "recommender systems", "multimodal learning",
)  # fmt: skip
APPS = (
    "education", "healthcare", "scientific discovery", "software development", "legal analysis",
    "customer support", "autonomous driving", "drug design", "finance", "search engines",
    "content moderation", "personal assistants",
)  # fmt: skip
TOPIC_WORDS = (
    "Reasoning", "Generation", "Translation", "Retrieval", "Merging", "Distillation",
    "Alignment", "Compression", "Quantization", "Pruning", "Decoding", "Planning",
    "Segmentation", "Detection", "Editing", "Unlearning", "Evaluation", "Adaptation",
    "Pre-training", "Fine-tuning", "Tokenization", "Routing", "Calibration", "Grounding",
)  # fmt: skip
SUBJECTS = (
    "Large language models (LLMs)", "Vision-language models", "Diffusion models",
    "Pre-trained transformers", "Mixture-of-experts architectures",
    "Multimodal large language models", "Small language models", "Retrieval-augmented systems",
    "Code language models", "Foundation models", "Speech foundation models",
    "Graph neural networks", "Reward models", "Autoregressive image generators",
    "State space models", "Instruction-tuned models", "Language agents",
    "Dense retrievers", "Neural machine translation systems", "Text-to-image models",
)  # fmt: skip
SHORT_SUBJECTS = (
    "LLMs", "language models", "vision-language models", "diffusion models", "transformers",
    "MoE models", "multimodal models", "retrievers", "code models", "foundation models",
    "agents", "reward models", "small models", "generative models", "pre-trained models",
)  # fmt: skip
ACHIEVED = (
    "achieved remarkable success", "shown impressive capabilities", "made rapid progress",
    "become the de facto standard", "demonstrated strong performance",
    "attracted growing attention", "emerged as a powerful paradigm",
    "shown promising results", "reached human-level performance on some benchmarks",
)  # fmt: skip
PROBLEMS = (
    "suffer from high computational cost", "struggle to generalize beyond their training distribution",
    "remain vulnerable to spurious correlations", "require large amounts of labeled data",
    "often produce outputs that are not faithful to the input",
    "scale poorly with the length of the input", "ignore the interactions between tasks",
    "rely on hand-crafted heuristics that are brittle in practice",
    "incur substantial memory overhead at inference time",
    "fail to capture long-range dependencies", "are sensitive to the choice of hyperparameters",
    "lack a principled way to trade off quality and efficiency",
    "overlook the conflicts between parameters of different models",
    "are evaluated on narrow and saturated benchmarks",
    "treat all training examples as equally informative",
    "degrade sharply under distribution shift",
)  # fmt: skip
GAP_OPENERS = (
    "However, existing approaches", "Yet current methods", "Despite this progress, prior methods",
    "Unfortunately, most existing techniques", "Nevertheless, state-of-the-art systems",
    "In practice, current pipelines", "However, prior work has shown that these models",
)  # fmt: skip
SETTINGS = (
    "practice", "real-world applications", "resource-constrained settings", "high-stakes domains",
    "production systems", "low-resource languages", "on-device deployment",
)  # fmt: skip
DEPLOY = (
    "edge devices",
    "long documents",
    "low-resource languages",
    "specialized domains",
    "mobile phones",
    "noisy inputs",
)
QUALITIES = ("accuracy", "faithfulness", "robustness", "diversity", "generalization")
EFFICIENCIES = ("latency", "memory", "training cost", "energy consumption", "throughput")
APPROACH_NOUNS = (
    "framework", "method", "approach", "technique", "algorithm", "training recipe",
    "architecture", "pipeline", "objective", "strategy", "toolkit", "model family",
)  # fmt: skip
APPROACH_ADJS = (
    "simple yet effective", "lightweight", "training-free", "scalable", "principled",
    "data-efficient", "plug-and-play", "unified", "modular", "general-purpose",
    "theoretically grounded", "novel", "efficient", "robust",
)  # fmt: skip
MECHANISMS = (
    "adaptively reweights training examples according to their estimated influence",
    "decomposes each task vector into shared and task-specific components",
    "learns a lightweight router that selects experts per token",
    "aligns intermediate representations across modalities with a contrastive objective",
    "prunes redundant attention heads using second-order information",
    "caches and reuses key-value states across decoding steps",
    "distills step-by-step rationales from a stronger teacher",
    "retrieves relevant evidence before generating each segment",
    "balances parameter competition through intra- and inter-model weighting",
    "iteratively refines its own outputs with self-generated feedback",
    "represents each document as a set of learned sparse codes",
    "projects gradients onto a low-rank subspace to save memory",
    "calibrates token probabilities with a small held-out set",
    "verifies candidate solutions with a learned process reward model",
    "schedules the curriculum by the difficulty of each example",
    "merges the weights of several fine-tuned checkpoints without retraining",
    "predicts the optimal data mixture from a regression over small proxy runs",
    "drafts several tokens with a shallow head and verifies them in parallel",
)  # fmt: skip
DETAIL_OPENERS = (
    "Specifically,", "Concretely,", "In particular,", "At its core,", "To achieve this,",
    "Technically,", "Unlike prior work,", "Moreover,", "In addition,", "Crucially,",
)  # fmt: skip
DETAILS = (
    "it introduces a gating mechanism that decides which components to update",
    "we formulate the problem as a constrained optimization and solve it in closed form",
    "we design a two-stage procedure that first identifies and then corrects errors",
    "we construct a graph over candidate solutions and propagate confidence along its edges",
    "the model is trained with a mixture of supervised and self-supervised objectives",
    "we estimate the importance of each parameter from a handful of calibration examples",
    "a small proxy model is used to score candidates before the expensive model is queried",
    "the framework requires neither additional training nor access to the original data",
    "we introduce a contrastive loss that separates faithful from unfaithful outputs",
    "each component can be replaced independently, which simplifies deployment",
    "we exploit the low intrinsic dimensionality of the fine-tuning updates",
    "we propose a curriculum that gradually increases the difficulty of training tasks",
    "the approach is compatible with existing inference engines and quantization schemes",
    "we decouple what to retrieve from when to retrieve",
    "the policy is optimized directly from pairwise preferences without a separate reward model",
)  # fmt: skip
INSIGHTS = (
    "most of the useful signal is concentrated in a small subset of parameters",
    "errors made early in the process compound in later steps",
    "difficult examples are more informative than easy ones only up to a point",
    "the representations of different tasks are approximately orthogonal",
    "the model already encodes the answer before it generates the first token",
    "redundancy across layers can be removed without retraining",
    "the quality of the data matters more than its quantity",
    "uncertainty estimates are well calibrated at the level of individual tokens",
)  # fmt: skip
COMPONENTS = (
    "a task encoder", "a memory bank", "a lightweight verifier", "a retrieval module",
    "a scheduling policy", "a calibration head", "a data filter", "a planning module",
    "an alignment layer", "a cache manager", "a critic network", "a routing function",
)  # fmt: skip
REQUIREMENTS = (
    "access to the training data", "any additional training", "human annotations",
    "a separate reward model", "architecture changes", "task-specific tuning",
    "gradient computation at inference time",
)  # fmt: skip
THEORY = (
    "the procedure converges under mild assumptions",
    "the estimator is unbiased and has bounded variance",
    "the objective upper-bounds the expected error on unseen tasks",
    "merging is optimal when task vectors are orthogonal",
)  # fmt: skip
ANALYSIS_OPENERS = (
    "In this work, we systematically study", "In this paper, we investigate",
    "We present a large-scale empirical study of", "This paper examines",
    "We conduct a comprehensive analysis of", "We revisit",
)  # fmt: skip
ANALYSIS_OBJECTS = (
    "how {s2} behave when {cond}", "whether {s2} truly understand {task}",
    "the failure modes of {s2} on {task}", "the role of data quality in {task}",
    "the robustness of {s2} to prompt perturbations", "scaling trends of {s2} in {task}",
    "the survey responses of {s2}", "the reuse of {s2} in open-source communities",
)  # fmt: skip
CONDITIONS = (
    "the evaluation data is contaminated", "instructions are ambiguous",
    "inputs exceed the training context length", "the task requires multi-step planning",
    "labels are noisy", "the domain shifts at test time",
)  # fmt: skip
FACTORS = (
    "model scale", "data quality", "prompt format", "decoding strategy", "training duration",
    "tokenization", "instruction tuning", "the choice of benchmark",
)  # fmt: skip
FINDINGS = (
    "performance depends far more on data quality than on model scale",
    "most gains reported in prior work vanish under a careful evaluation protocol",
    "models rely on surface-level heuristics rather than genuine reasoning",
    "larger models are not necessarily more robust",
    "simple baselines remain surprisingly competitive when properly tuned",
    "the ranking of methods changes substantially across domains",
    "calibration deteriorates after instruction tuning",
    "errors are concentrated in a small number of recurring patterns",
    "aggregate statistics hide large differences between subpopulations",
)  # fmt: skip
IMPLICATIONS = (
    "These findings shed light on the design of more reliable systems.",
    "We hope our work provides practical guidance for practitioners.",
    "Our results call for more rigorous evaluation practices in the community.",
    "This opens up new directions for efficient and trustworthy deployment.",
    "We believe this work is a step toward more transparent model development.",
    "Our analysis offers insights into when and why the approach works.",
    "These results highlight the importance of careful data curation.",
    "Overall, our study provides a foundation for future work on {task}.",
    "We discuss limitations and outline promising directions for future research.",
)  # fmt: skip
BENCHMARKS = (
    "GSM8K", "MATH", "MMLU", "HumanEval", "MBPP", "BIG-Bench Hard", "ARC-Challenge", "HellaSwag",
    "TruthfulQA", "AlpacaEval", "MT-Bench", "Natural Questions", "TriviaQA", "HotpotQA",
    "WMT22", "FLORES-200", "ImageNet", "COCO", "ADE20K", "VQAv2", "TextVQA", "ChartQA",
    "MS MARCO", "BEIR", "LongBench", "SWE-bench", "Spider", "BIRD", "LibriSpeech", "GLUE",
    "SuperGLUE", "WinoGrande", "PIQA", "MedQA", "PubMedQA", "Kinetics-400", "MoleculeNet",
)  # fmt: skip
BASELINES = (
    "LoRA", "TIES-Merging", "DARE", "Task Arithmetic", "DPO", "PPO", "RLHF", "QLoRA", "GPTQ",
    "AWQ", "SparseGPT", "Wanda", "Chain-of-Thought prompting", "Self-Consistency", "RAG",
    "ReAct", "DoRA", "full fine-tuning", "the previous state of the art", "strong baselines",
    "Medusa", "FlashAttention-2", "standard distillation", "BM25", "random selection",
)  # fmt: skip
METRICS = (
    "accuracy", "exact match", "F1", "BLEU", "ROUGE-L", "pass@1", "win rate", "success rate",
    "top-1 accuracy", "mIoU", "word error rate", "NDCG@10", "average score",
)  # fmt: skip
# Families without a size in the name (safe in papers that state no size).
FAMILIES = (
    "Llama-2", "Llama-3", "Mistral", "Mixtral", "Qwen2", "Gemma", "Phi-3", "OPT", "Pythia",
    "BLOOM", "Falcon", "Flan-T5", "CodeLlama", "Vicuna", "OLMo", "StarCoder", "DeepSeek-Coder",
    "RoBERTa", "DeBERTa", "CLIP", "Stable Diffusion", "Whisper", "GPT-4", "GPT-3.5", "Claude",
)  # fmt: skip
SIZED_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Llama-2", ("7B", "13B", "70B")), ("LLaMA", ("7B", "13B", "33B", "65B")),
    ("Llama-3", ("8B", "70B")), ("OPT", ("125M", "350M", "1.3B", "2.7B", "6.7B", "13B", "30B", "66B")),
    ("Pythia", ("70M", "160M", "410M", "1B", "1.4B", "2.8B", "6.9B", "12B")),
    ("Qwen2", ("0.5B", "1.5B", "7B", "72B")), ("Mistral", ("7B",)), ("Gemma", ("2B", "7B")),
    ("Falcon", ("7B", "40B", "180B")), ("BLOOM", ("560M", "1.1B", "7.1B", "176B")),
    ("CodeLlama", ("7B", "13B", "34B")), ("Vicuna", ("7B", "13B")), ("OLMo", ("1B", "7B")),
)  # fmt: skip
SIZE_TOKENS = (
    "125M",
    "350M",
    "1B",
    "1.3B",
    "2.7B",
    "3B",
    "7B",
    "8B",
    "13B",
    "30B",
    "34B",
    "70B",
    "175B",
)
SIZE_WORDS = (
    "1.3 billion", "2.7 billion", "6.7 billion", "7 billion", "13 billion", "175 billion",
    "350 million", "770 million", "ten billion", "seven billion", "three billion",
)  # fmt: skip

ORGS = (
    "microsoft", "google-research", "facebookresearch", "thunlp", "THUDM", "OpenGVLab", "sail-sg",
    "lm-sys", "mlfoundations", "allenai", "NVlabs", "salesforce", "apple", "kaistAI",
    "McGill-NLP", "hkust-nlp", "princeton-nlp", "stanford-crfm", "EleutherAI", "RUCAIBox",
    "OpenBMB", "QwenLM", "deepseek-ai", "ml-jku", "uclaml", "amazon-science", "ibm",
    "huggingface", "NVIDIA", "tatsu-lab", "yale-nlp", "cmu-l3", "epfml", "mit-han-lab",
)  # fmt: skip
HANDLE_FIRST = (
    "zhang", "wang", "li", "liu", "chen", "yang", "kim", "park", "nguyen", "smith", "garcia",
    "rossi", "muller", "sato", "kumar", "singh", "ali", "cohen", "silva", "ivanov",
)  # fmt: skip
HANDLE_SECOND = ("wei", "yu", "jun", "min", "hao", "lin", "xin", "tao", "ai", "lab", "nlp", "ml")
HF_KINDS = ("", "", "datasets/", "spaces/")
CODE_LEADS = (
    "Code is available at {u}", "Our code is publicly available at {u}",
    "The code is available at {u}", "Our code and models are available at: {u}",
    "Code and data are available at {u}", "The source code can be found at {u}",
    "We release our code and data at {u}", "Our implementation is open-sourced at {u}",
    "The code and model weights are available at {u}", "Code: {u}",
    "All experiments are reproducible with the code at {u}",
    "Our code is freely available at {u}", "The data and evaluation code are released at {u}",
)  # fmt: skip
PAGE_LEADS = (
    "Project page: {u}", "More results are available on our project page {u}",
    "Our benchmark and leaderboard are available at {u}",
    "We release our benchmark to facilitate further evaluations: {u}",
    "Videos and code can be found on our website {u}",
)  # fmt: skip
HUB_LEADS = (
    "Our models are available on HuggingFace at {u}",
    "The pre-trained checkpoints are released at {u}",
    "The dataset is publicly available at {u}",
)  # fmt: skip

# -- sentence pools (str.format over the per-paper slots) ------------------------------------------

CONTEXT_OPEN = (
    "{Subj} have {achieved} in {task}.",
    "{Task} is a fundamental problem in {area}, with applications ranging from {app} to {app2}.",
    "Recent advances in {s1} have enabled significant progress on {task}, {task2} and related problems.",
    "The ability to perform {task} reliably is a key requirement for deploying {s1} in {setting}.",
    "With the rapid growth of {s1}, {task} has attracted increasing attention from both academia and industry.",
    "{Subj} are increasingly used for {task}, where they are expected to handle diverse and noisy inputs.",
    "A central goal of {area} research is to build systems that perform {task} with minimal human supervision.",
    "While {s1} have become common practice for {task}, they often underperform outside their training domains.",
)  # fmt: skip
CONTEXT_MORE = (
    "Recent work has explored {task2} and {task3}, but the interplay between them remains underexplored.",
    "Prior efforts have largely focused on improving {s2} through larger datasets and longer training schedules.",
    "At the same time, the cost of training and serving such systems continues to grow.",
    "Several benchmarks, such as {bench2}, have been proposed to track progress in this area.",
    "This trend has motivated a growing line of work on {task2}.",
    "In {app}, for instance, even small errors can have serious consequences.",
)  # fmt: skip
GAP_MORE = (
    "A key obstacle is that {s2} {problem2}.",
    "Moreover, most methods are tuned for {bench2} and transfer poorly to new domains.",
    "This {issue} is especially severe for {s2} deployed on {deploy}.",
    "In addition, the lack of a standardized evaluation protocol makes it difficult to compare approaches fairly.",
    "Furthermore, the trade-off between {quality} and {efficiency} is rarely characterized.",
    "As a result, practitioners must choose between expensive retraining and degraded performance.",
    "Existing remedies such as {baseline2} only partially address this {issue}.",
)  # fmt: skip
METHOD_MORE = (
    "{opener} {detail}.",
    "{opener2} {detail2}.",
    "The key insight behind {name} is that {insight}.",
    "{name} consists of three components: {comp}, {comp2}, and {comp3}.",
    "We further provide a theoretical analysis showing that {theory}.",
    "Unlike {baseline2}, {name} does not require {requirement}.",
    "We instantiate {name} for both {s2} and {s3}, showing that the design is agnostic to the underlying architecture.",
    "Building on this observation, {name} {mechanism2}.",
    "We also introduce an efficient implementation that makes {name} practical at scale.",
)  # fmt: skip
ANALYSIS_MORE = (
    "We evaluate a broad range of open and proprietary {s2} on {bench} and {bench2}, controlling for {factor}.",
    "Our protocol separates the effect of {factor} from that of {factor2}.",
    "To disentangle these factors, we design controlled experiments that vary {factor} while keeping {factor2} fixed.",
    "We complement the quantitative results with a qualitative error analysis of representative failure cases.",
    "The suite covers diverse task categories, including {task2} and {task3}.",
    "We additionally organize the literature on {task} into a taxonomy of methods, datasets and evaluation practices.",
    "Based on our qualitative analysis, we present a taxonomy of the challenges and benefits associated with {s2}.",
)  # fmt: skip
QUALITATIVE = (
    "Extensive experiments demonstrate that {name} consistently outperforms strong baselines across {benchlist}.",
    "Experiments on {benchlist} show that {name} matches or exceeds the performance of much larger systems.",
    "Empirical results on {benchlist} confirm the effectiveness and generality of {name}.",
    "Our evaluation on {benchlist} shows that {name} is competitive with state-of-the-art methods while being considerably cheaper.",
    "Across {benchlist}, {name} yields more faithful and more stable outputs than existing approaches.",
    "Ablation studies further verify the contribution of each component of {name}.",
    "{name} also transfers to unseen tasks without further tuning.",
)  # fmt: skip
ANALYSIS_RESULTS = (
    "Our results reveal that {finding}.",
    "We further find that {finding2}.",
    "Surprisingly, we observe that {finding2}.",
    "Our findings demonstrate that {finding}, a pattern that is robust to various ways of prompting the model.",
)  # fmt: skip


# -- unique names ---------------------------------------------------------------------------------

_CONSONANTS = "bcdfgklmnprstvxz"
_VOWELS = "aeio"
_SYLLABLES = tuple(c + v for c in _CONSONANTS for v in _VOWELS)  # 64
NAME_SPACE = len(_SYLLABLES) ** 4  # 16.7M distinct cores
_MULT = 0x9E3779 | 1  # odd => a bijection modulo a power of two
_SUFFIXES = (
    "",
    "",
    "",
    "",
    "",
    "-LM",
    "Net",
    "-Bench",
    "Former",
    "-R1",
    "GPT",
    "-VL",
    "Merge",
    "-Instruct",
)


def coined_name(index: int, seed: int = 0) -> str:
    """A pronounceable 8-letter core, distinct for every index below NAME_SPACE."""
    code = (index * _MULT + seed * 7919) % NAME_SPACE
    parts = []
    for _ in range(4):
        code, digit = divmod(code, 64)
        parts.append(_SYLLABLES[digit])
    return "".join(parts)


# -- the generator ---------------------------------------------------------------------------------

P_LINK, P_SIZE, P_GAIN = 0.30, 0.25, 0.30
P_ANALYSIS = 0.30
P_GAIN_ANALYSIS = 0.10  # analysis papers rarely claim gains ...
P_GAIN_METHOD = (P_GAIN - P_ANALYSIS * P_GAIN_ANALYSIS) / (1 - P_ANALYSIS)  # ... so methods do more

Pick = Callable[[Sequence[str]], str]
Rand = Callable[[], float]


def generate(n: int, seed: int = 0) -> Iterator[dict[str, str]]:
    """Yield ``n`` synthetic papers ``{"id", "title", "abstract"}``, deterministic for ``seed``."""
    for paper, _ in _generate(n, seed):
        yield paper


def _generate(n: int, seed: int) -> Iterator[tuple[dict[str, str], tuple[bool, bool, bool]]]:
    if n > NAME_SPACE:
        raise ValueError(f"at most {NAME_SPACE:,} distinct papers per seed")
    rng = random.Random(seed)
    rand = rng.random

    def pick(seq: Sequence[str]) -> str:
        return seq[int(rand() * len(seq))]

    for index in range(n):
        yield _one(index, seed, rand, pick)


def _num(rand: Rand, low: float, high: float, decimals: int) -> str:
    value = low + (high - low) * rand()
    return f"{value:.{decimals}f}" if decimals else str(int(value))


def _styled_name(core: str, rand: Rand, pick: Pick) -> str:
    r = rand()
    if r < 0.45:
        name = core.capitalize()
    elif r < 0.65:
        name = core.upper()
    elif r < 0.85:
        name = core[:4].capitalize() + core[4:].capitalize()
    else:
        name = core[:4].upper() + "-" + core[4:].capitalize()
    return name + pick(_SUFFIXES)


def _title(kind: str, s: dict[str, str], rand: Rand, pick: Pick) -> str:
    r = rand()
    name, task = s["name"], s["task"].title()
    if kind == "analysis":
        if r < 0.3:
            return f"On the {pick(('Limits', 'Robustness', 'Reliability', 'Calibration', 'Emergence'))} of {s['s2'].title()} in {task}"
        if r < 0.5:
            return f"Do {s['s2'].title()} Really {pick(('Understand', 'Benefit from', 'Need', 'Generalize in'))} {task}?"
        if r < 0.65:
            return f"A Survey on {task}"
        if r < 0.8:
            return f"{name}: A Benchmark for {pick(('Comprehensive', 'Fine-Grained', 'Multilingual', 'Long-Horizon'))} Assessment of {task}"
        return f"Revisiting {task}: An Empirical Study with {s['s2'].title()}"
    if r < 0.5:
        return f"{name}: {pick(APPROACH_ADJS).title()} {pick(TOPIC_WORDS)} for {task}"
    if r < 0.68:
        return f"{name}: Towards {pick(('Efficient', 'Robust', 'Faithful', 'Scalable', 'Reliable'))} {task} with {s['s2'].title()}"
    if r < 0.78:
        return f"{name} -- {pick(TOPIC_WORDS)} with {pick(('Permutations', 'Least Squares', 'Sparse Experts', 'Soft Prompts', 'Verifiers'))}"
    if r < 0.9:
        return f"{pick(TOPIC_WORDS)} Is All You Need for {task}"
    return f"Learning to {pick(('Merge', 'Route', 'Retrieve', 'Plan', 'Compress', 'Verify'))} for {task} via {pick(TOPIC_WORDS)}"


def _size_sentence(s: dict[str, str], rand: Rand, pick: Pick) -> str:
    r = rand()
    name = s["name"]
    if r < 0.18:
        family, sizes = SIZED_FAMILIES[int(rand() * len(SIZED_FAMILIES))]
        other, other_sizes = SIZED_FAMILIES[int(rand() * len(SIZED_FAMILIES))]
        return (
            f"We conduct experiments on {family}-{pick(sizes)} and {other}-{pick(other_sizes)}, "
            f"covering both base and instruction-tuned variants."
        )
    if r < 0.24:
        family, sizes = SIZED_FAMILIES[int(rand() * len(SIZED_FAMILIES))]
        return f"To make the approach traceable, we apply {name} to {family} ({pick(sizes)}) and report every intermediate checkpoint."
    if r < 0.4:
        low, high = pick(("125M", "160M", "350M", "410M", "1B")), pick(("7B", "13B", "30B", "70B"))
        return f"We evaluate {name} on models ranging from {low} to {high} parameters and observe consistent behavior across scales."
    if r < 0.52:
        return f"We train a {pick(SIZE_WORDS)} parameter model with {name} and compare it to {pick(FAMILIES)} under the same compute budget."
    if r < 0.6:
        a = pick(("150m", "350m", "1.3b", "2.7b", "7b"))
        return f"Using a pair of {a} parameter auxiliary models, {name} selects data for a {pick(('1.2b', '3b', '7b'))} parameter target model."
    if r < 0.7:
        return f"Our {pick(SIZE_TOKENS)} and {pick(SIZE_TOKENS)} models, trained with {name}, remain competitive with considerably larger open models."
    if r < 0.78:
        return f"Notably, a {pick(('350M', '1.3B', '2.7B', '7B'))}-parameter model equipped with {name} rivals {pick(('GPT-3 175B', 'LLaMA-65B', 'Falcon-40B', 'Llama-2-70B'))} on {s['bench']}."
    if r < 0.85:
        return f"The benefits grow with scale and are most pronounced for models with more than {pick(('10B', '30B', '100B', '10 billion'))} parameters."
    if r < 0.9:
        return f"We show that such abilities can be distilled from GPT-3.5 (ge 175B) to {pick(('T5 variants (le 11B)', 'models smaller than 10B', 'sim7B models'))}."
    if r < 0.95:
        return f"We release checkpoints at {pick(('1B, 3B and 7B', '7B and 13B', '125M, 350M and 1.3B', '2B and 9B', '1B, 3.7B, 7B, and 16B'))} parameters to support future research."
    return f"Scaling laws are fitted on small models with only {pick(('1M~60M', '10M to 100M', '70M-410M'))} parameters and extrapolated to {pick(('7B', '13B', '70B'))}."


def _gain_sentence(s: dict[str, str], rand: Rand, pick: Pick) -> str:
    r = rand()
    name, metric, bench, baseline = s["name"], s["metric"], s["bench"], s["baseline"]
    pct = _num(rand, 0.8, 35.0, int(rand() * 3))
    if r < 0.18:
        return f"{name} improves {metric} by {pct}% over {baseline} on {bench}."
    if r < 0.3:
        return f"Our method achieves a {_num(rand, 1.3, 12.0, 1)}x speedup in {pick(('inference', 'training', 'decoding', 'prefilling'))} with negligible quality loss."
    if r < 0.42:
        return f"{name} outperforms {baseline} by +{_num(rand, 0.5, 12.0, 1)} points on average across {pick(('five', 'eight', 'twelve', '14', '20'))} benchmarks."
    if r < 0.52:
        return f"Compared with {baseline}, our approach reduces {pick(('memory usage', 'inference cost', 'training time', 'latency'))} by {_num(rand, 10, 80, 0)}% while improving {metric}."
    if r < 0.6:
        return f"{name} achieves state-of-the-art results, reaching {_num(rand, 55, 96, 1)}% {metric} on {bench}."
    if r < 0.68:
        return f"On {bench}, our approach improves {metric} by {_num(rand, 0.5, 9.0, 1)} percentage points and is {_num(rand, 1.5, 6.0, 1)} times faster than {baseline}."
    if r < 0.76:
        return f"We observe an average gain of {_num(rand, 1.0, 15.0, 2)}% in {metric}, and up to {_num(rand, 2, 20, 0)}x less compute than {baseline}."
    if r < 0.84:
        return f"On {bench}, {name} consistently improves {metric} from {_num(rand, 40, 60, 2)}% to {_num(rand, 61, 85, 2)}%, which shows its practical value."
    if r < 0.92:
        return f"Experimental results show that our method significantly improves {metric} by {pct}% and {_num(rand, 0.5, 6.0, 1)}% absolute points respectively on {bench} and {s['bench2']}."
    return f"The resulting models outperform {baseline} on {bench} by {_num(rand, 2, 25, 0)}%, with a {_num(rand, 10, 40, 0)}-{_num(rand, 41, 60, 0)}% reduction in errors."


def _distractor(s: dict[str, str], rand: Rand, pick: Pick) -> str:
    r = rand()
    if r < 0.18:
        return f"All models are pre-trained on {pick(('300B', '1.4T', '2T', '15T', '500B', '3 trillion'))} tokens of {pick(('web text', 'curated code', 'multilingual data', 'scientific papers'))} with a context window of {pick(('4K', '8K', '32K', '128K'))} tokens."
    if r < 0.36:
        return f"To this end, we collect a dataset of {pick(('50K', '120K', '1.2M', '12,000', '3.5M', '800K', '1.5 million'))} {pick(('samples', 'image-text pairs', 'questions', 'documents', 'conversations', 'code files'))} annotated by domain experts."
    if r < 0.46:
        return f"The approach remains effective under {pick(('4-bit', '8-bit', '2-bit', '3-bit'))} weight quantization and with a vocabulary of {pick(('32K', '50K', '128K'))} entries."
    if r < 0.56:
        return f"Only {_num(rand, 5, 30, 0)}% of the training data is needed to recover most of the performance of the full setup."
    if r < 0.64:
        return f"Training takes about {pick(('200', '1,000', '4,096', '12'))} GPU hours on {pick(('8', '16', '64'))} A100 GPUs."
    if r < 0.72:
        return f"Images are processed at {pick(('256×256', '512×512', '1024×1024', '224x224'))} resolution, and results are averaged over {pick(('three', 'five', '3', '5'))} random seeds."
    if r < 0.82:
        return f"Prior studies report that {pick(FAMILIES)} reaches only {_num(rand, 20, 60, 1)}% {s['metric']} on {s['bench']}, leaving substantial room for improvement."
    if r < 0.9:
        return f"The evaluation covers {pick(('12', '25', '40', '100+'))} tasks in {pick(('7', '15', '32'))} languages, with data collected between {pick(('2018', '2019', '2020'))} and 2024."
    return f"We find that {pick(FAMILIES)} answers {_num(rand, 10, 40, 0)}% of the questions inconsistently, with less than {_num(rand, 1, 3, 1)}% variance across seeds."


def _link(s: dict[str, str], core: str, rand: Rand, pick: Pick) -> str:
    """A link sentence with the URL shapes and punctuation of real scrapes."""
    name = s["name"]
    r = rand()
    if rand() < 0.6:
        owner = pick(ORGS)
    else:
        owner = f"{pick(HANDLE_FIRST)}{pick(HANDLE_SECOND)}{_num(rand, 1, 99, 0) if rand() < 0.5 else ''}"
    repo_r = rand()
    if repo_r < 0.5:
        repo = name
    elif repo_r < 0.75:
        repo = name.lower()
    elif repo_r < 0.9:
        repo = f"{name}-{pick(TOPIC_WORDS)}"
    else:
        repo = f"awesome-{core}-{pick(TOPIC_WORDS).lower()}"
    if r < 0.62:  # a code repository
        u = rand()
        if u < 0.78:
            url = f"https://github.com/{owner}/{repo}"
        elif u < 0.88:
            url = f"github.com/{owner}/{repo}"
        elif u < 0.93:
            url = f"https://github.com/{owner}/{repo}.git"
        elif u < 0.97:
            url = f"http://github.com/{owner}/{repo}"
        else:
            url = f"https://gitlab.com/{owner}/{repo}"
        text = pick(CODE_LEADS).format(u=url)
        if rand() < 0.15:  # a hub link next to the repo
            text += f". Models are available at https://huggingface.co/{owner}/{repo}"
        return text + _ending(rand)
    if r < 0.8:  # project page
        u = rand()
        if u < 0.45:
            url = f"https://{core}-project.github.io/"
        elif u < 0.75:
            url = f"https://{owner.lower()}.github.io/{repo}"
        elif u < 0.88:
            url = f"{core}.github.io"
        else:
            url = f"https://sites.google.com/view/{core}"
        return pick(PAGE_LEADS).format(u=url) + _ending(rand)
    if r < 0.95:  # model hub
        url = f"https://huggingface.co/{pick(HF_KINDS)}{owner}/{repo}"
        return pick(HUB_LEADS).format(u=url) + _ending(rand)
    return (  # bracketed, mid-abstract
        f"Finally, we present {name} (https://github.com/{owner}/{repo}), an open toolkit "
        f"that makes these results easy to reproduce."
    )


def _ending(rand: Rand) -> str:
    e = rand()
    if e < 0.72:
        return "."
    if e < 0.82:
        return ""
    if e < 0.9:
        return " ."
    if e < 0.96:
        return "{here}."
    return ";"


_COMP1, _COMP2, _COMP3 = COMPONENTS[:4], COMPONENTS[4:8], COMPONENTS[8:]
_FACTOR1, _FACTOR2 = FACTORS[:4], FACTORS[4:]


def _slots(name: str, rand: Rand, pick: Pick) -> dict[str, str]:
    def two(seq: Sequence[str]) -> tuple[str, str]:
        size = len(seq)
        first = int(rand() * size)
        second = (first + 1 + int(rand() * (size - 1))) % size
        return seq[first], seq[second]

    bench, bench2 = two(BENCHMARKS)
    task, task2 = two(TASKS)
    subj = pick(SUBJECTS)
    app, app2 = two(APPS)
    s2, s3 = two(SHORT_SUBJECTS)
    problem, problem2 = two(PROBLEMS)
    baseline, baseline2 = two(BASELINES)
    opener, opener2 = two(DETAIL_OPENERS)
    detail, detail2 = two(DETAILS)
    mechanism, mechanism2 = two(MECHANISMS)
    finding, finding2 = two(FINDINGS)
    return {
        "name": name,
        "task": task,
        "Task": task[0].upper() + task[1:],
        "task2": task2,
        "task3": pick(TASKS),
        "Subj": subj,
        "s1": subj[0].lower() + subj[1:] if not subj[1].isupper() else subj,
        "s2": s2,
        "s3": s3,
        "achieved": pick(ACHIEVED),
        "area": pick(AREAS),
        "app": app,
        "app2": app2,
        "setting": pick(SETTINGS),
        "deploy": pick(DEPLOY),
        "problem": problem,
        "problem2": problem2,
        "issue": pick(("limitation", "issue", "gap", "problem")),
        "quality": pick(QUALITIES),
        "efficiency": pick(EFFICIENCIES),
        "bench": bench,
        "bench2": bench2,
        "benchlist": bench if rand() < 0.4 else f"{bench} and {bench2}",
        "baseline": baseline,
        "baseline2": baseline2,
        "metric": pick(METRICS),
        "opener": opener,
        "opener2": opener2,
        "detail": detail,
        "detail2": detail2,
        "insight": pick(INSIGHTS),
        "comp": pick(_COMP1),
        "comp2": pick(_COMP2),
        "comp3": pick(_COMP3),
        "theory": pick(THEORY),
        "requirement": pick(REQUIREMENTS),
        "mechanism": mechanism,
        "mechanism2": mechanism2,
        "factor": pick(_FACTOR1),
        "factor2": pick(_FACTOR2),
        "finding": finding,
        "finding2": finding2,
        "cond": pick(CONDITIONS),
    }


def _one(
    index: int, seed: int, rand: Rand, pick: Pick
) -> tuple[dict[str, str], tuple[bool, bool, bool]]:
    core = coined_name(index, seed)
    kind = "analysis" if rand() < P_ANALYSIS else "method"
    s = _slots(_styled_name(core, rand, pick), rand, pick)
    has_link = rand() < P_LINK
    has_size = rand() < P_SIZE
    has_gain = rand() < (P_GAIN_ANALYSIS if kind == "analysis" else P_GAIN_METHOD)
    target = int(155 + 120 * (rand() + rand()) / 2)  # 155-275 words + overshoot, median ~220

    context = [pick(CONTEXT_OPEN).format_map(s)]
    gap = [f"{pick(GAP_OPENERS)} {s['problem']}, which limits their use in {s['setting']}."]
    if kind == "method":
        if rand() < 0.6:
            contribution = (
                f"In this paper, we propose {s['name']}, a {pick(APPROACH_ADJS)} "
                f"{pick(APPROACH_NOUNS)} that {s['mechanism']}."
            )
        else:
            contribution = f"To address this, we introduce {s['name']}, which {s['mechanism']}."
        more = METHOD_MORE
        results = [_gain_sentence(s, rand, pick) if has_gain else pick(QUALITATIVE).format_map(s)]
    else:
        obj = pick(ANALYSIS_OBJECTS).format_map(s)
        contribution = f"{pick(ANALYSIS_OPENERS)} {obj}, using {s['name']}, an evaluation suite we build from {s['bench']}."
        more = ANALYSIS_MORE
        results = [_gain_sentence(s, rand, pick) if has_gain else ANALYSIS_RESULTS[0].format_map(s)]
    body = [pick(more).format_map(s)]
    setup: list[str] = []
    if has_size:
        setup.append(_size_sentence(s, rand, pick))
    if rand() < 0.45:
        setup.append(_distractor(s, rand, pick))
    if has_gain and rand() < 0.3:
        results.append(_gain_sentence(s, rand, pick))
    closing = [pick(IMPLICATIONS).format_map(s)] if rand() < 0.5 else []
    link = _link(s, core, rand, pick) if has_link else ""

    used = {*context, *gap, *body, *results, *closing}
    words = sum(x.count(" ") + 1 for x in (*used, contribution, *setup, link)) + (1 if link else 0)
    misses = 0
    while words < target and misses < 20:
        r = rand()
        if r < 0.4:
            sentence, section = pick(more).format_map(s), body
        elif r < 0.55:
            sentence, section = pick(GAP_MORE).format_map(s), gap
        elif r < 0.67:
            sentence, section = pick(CONTEXT_MORE).format_map(s), context
        elif r < 0.77:
            sentence, section = _distractor(s, rand, pick), setup
        elif r < 0.92:
            pool = ANALYSIS_RESULTS if kind == "analysis" else QUALITATIVE
            sentence, section = pick(pool).format_map(s), results
        else:
            sentence, section = pick(IMPLICATIONS).format_map(s), closing
        if sentence in used:
            misses += 1
            continue
        used.add(sentence)
        section.append(sentence)
        words += sentence.count(" ") + 1
    sentences = [*context, *gap, contribution, *body, *setup, *results, *closing]
    if link.startswith("Finally"):
        sentences.insert(len(sentences) - len(closing), link)
    elif link:
        sentences.append(link)
    paper = {
        "id": f"synth-{index + 1:06d}",
        "title": _title(kind, s, rand, pick),
        "abstract": " ".join(sentences),
    }
    return paper, (has_link, has_size, has_gain)


# -- CLI ------------------------------------------------------------------------------------------


def write_jsonl(n: int, out: Path, seed: int = 0) -> int:
    """Stream ``n`` papers to ``out`` as JSON Lines (buffered in batches); returns bytes."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        batch: list[str] = []
        for paper in generate(n, seed):
            batch.append(dumps(paper))
            if len(batch) >= 2000:
                batch.append("")
                written += handle.write("\n".join(batch))
                batch.clear()
        if batch:
            batch.append("")
            written += handle.write("\n".join(batch))
    return written


def proportions(n: int = 10_000, seed: int = 0, *, extractor: bool = True) -> dict[str, float]:
    """Share of ``n`` generated abstracts with each feature: as planted, and (when the
    summarizer package is importable) as its rules extractor finds them."""
    planted = [0, 0, 0]
    found = {"links": 0, "code_url": 0, "sizes": 0, "gains": 0}
    words: list[int] = []
    titles, texts = set(), set()
    extract = None
    if extractor:
        try:
            from summarizer.backends.rules.extract import extract_summary as extract
        except ImportError:
            extract = None
    for paper, flags in _generate(n, seed):
        for i, flag in enumerate(flags):
            planted[i] += flag
        words.append(len(paper["abstract"].split()))
        titles.add(paper["title"])
        texts.add(paper["title"] + "\n" + paper["abstract"])
        if extract is not None:
            summary = extract(paper["title"], paper["abstract"])
            found["links"] += bool(summary.links)
            found["code_url"] += summary.code_url is not None
            found["sizes"] += bool(summary.model_sizes)
            found["gains"] += bool(summary.claimed_gains)
    words.sort()
    shares: dict[str, float] = {
        "planted_link": planted[0] / n,
        "planted_size": planted[1] / n,
        "planted_gain": planted[2] / n,
    }
    if extract is not None:
        shares.update({f"rules_{k}": v / n for k, v in found.items()})
    shares.update(
        words_p10=words[n // 10],
        words_median=words[n // 2],
        words_p90=words[9 * n // 10],
        words_min=words[0],
        words_max=words[-1],
        distinct_papers=len(texts),
        distinct_titles=len(titles),
    )
    return shares


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="JSONL file to write (default: stdout)")
    parser.add_argument("--stats", type=int, metavar="N", help="print feature shares over N papers")
    args = parser.parse_args(argv)
    if args.stats:
        for key, value in proportions(args.stats, args.seed).items():
            print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
        return
    if args.out is None:
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        for paper in generate(args.n, args.seed):
            sys.stdout.write(dumps(paper) + "\n")
        return
    started = time.perf_counter()
    size = write_jsonl(args.n, args.out, args.seed)
    elapsed = time.perf_counter() - started
    print(
        f"wrote {args.n:,} papers ({size / 1e6:,.0f} MB of text) to {args.out} in {elapsed:.1f} s "
        f"({args.n / elapsed:,.0f} papers/s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
