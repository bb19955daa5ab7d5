"""The task category: one label of the versioned taxonomy, chosen from title and abstract."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from summarizer.backends.rules.category import choose_category
from summarizer.core.schema import SCHEMA_VERSION, Summary
from summarizer.core.taxonomy import TASK_CATEGORIES, taxonomy

# The taxonomy is part of what an extraction means: a change must come with a schema bump.
PINNED_DIGEST = "d01a69af9d799a36"


def test_the_taxonomy_is_one_data_file_with_a_definition_per_label() -> None:
    labels = taxonomy().labels
    assert 40 <= len(labels) <= 80 and TASK_CATEGORIES[-1] == "other"
    assert all(definition.strip() for definition in labels.values())
    assert all(label == label.lower() and " " not in label for label in labels)


def test_changing_the_taxonomy_needs_a_schema_version_bump() -> None:
    raw = resources.files("summarizer.core").joinpath("task_categories.toml").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    assert digest == taxonomy().digest
    assert (SCHEMA_VERSION, digest) == (3, PINNED_DIGEST), (
        "task_categories.toml changed: bump SCHEMA_VERSION (and the taxonomy version) so "
        "the papers it can affect are re-extracted, then update PINNED_DIGEST"
    )


def test_the_llm_chooses_from_an_enum_of_exactly_these_labels() -> None:
    schema = Summary.model_json_schema()
    assert tuple(schema["properties"]["task_category"]["enum"]) == TASK_CATEGORIES


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("TIES-Merging: Resolving Interference When Merging Models",
         "Merging fine-tuned models into one is attractive. We propose TIES.", "model-merging"),
        ("GPTQ: Accurate Post-Training Quantization for Generative Transformers",
         "We compress weights to 3 or 4 bits.", "quantization"),
        ("Fast Decoding from Transformers via Speculative Decoding",
         "Inference from large models is slow. We decode several tokens in parallel.",
         "efficient-inference"),
        ("Evaluating Large Language Models Trained on Code",
         "We introduce Codex and study its Python code-writing capabilities.", "code-generation"),
        ("High-Resolution Image Synthesis with Latent Diffusion Models",
         "Diffusion models achieve state-of-the-art synthesis results.", "image-generation"),
        ("Robust Speech Recognition via Large-Scale Weak Supervision",
         "We study speech processing systems trained on audio transcripts.", "speech"),
        ("Gizmo 7B", "We introduce Gizmo 7B, a 7-billion-parameter language model.",
         "language-modeling"),
        ("A Study of Sunsets", "Sunsets are orange. We photograph them.", "other"),
    ],
)  # fmt: skip
def test_the_category_follows_the_contribution(title: str, abstract: str, expected: str) -> None:
    assert choose_category(title, abstract) == expected


def test_the_title_outweighs_words_repeated_through_the_abstract() -> None:
    abstract = (
        "We propose a new quantization scheme. Safety matters. Safety is key. Safety again. "
        "Safety, safety and safety."
    )
    assert choose_category("Four-Bit Quantization for Everyone", abstract) == "quantization"


def test_the_rules_never_use_the_title_as_the_task() -> None:
    from summarizer.backends.rules.extract import extract_summary

    title = "Gizmo: Fast Merging of Models"
    summary = extract_summary(title, "Merging models is slow. We propose Gizmo. It is fast.")
    assert summary.task not in (title, "Fast Merging of Models")
    assert summary.task == "Merging models is slow."
    assert summary.task_category == "model-merging"


def test_the_readme_lists_every_label_with_its_definition() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("<!-- task-categories -->")[1].split("<!-- /task-categories -->")[0]
    rows = [line.split(" | ") for line in block.strip().splitlines()[2:]]
    listed = {row[0].strip("| `"): row[1].rstrip(" |") for row in rows}
    assert listed == taxonomy().labels


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        # the sentence saying where the code is does not make a paper about code
        ("Small Data, Small Transformers",
         "Transformers need much data. We introduce small convolutional transformers for image "
         "classification on small datasets. Our code and pre-trained models are publicly "
         "available at https://github.com/x/y.", "image-recognition"),
        # an acronym glued to a model's name is part of the name
        ("Tinyfox: Models Trained Well",
         "Large models are costly. We introduce Tinyfox, a family of language models, "
         "including Tinyfox-DPO and Tinyfox-RAG.", "language-modeling"),
        # a reward model is also a tool of other work
        ("Patch-RM: Reward Models for Software Engineering Agents",
         "Agents resolve issues on SWE-bench. We train a reward model that ranks candidate "
         "patches for code repair.", "code-generation"),
        # a benchmark takes the task it measures
        ("FluxBench: Evaluating Language Models on Thermodynamics",
         "We introduce FluxBench, a new benchmark of thermodynamics problems, and evaluate 12 "
         "language models on it.", "science"),
        ("StretchBench: A Multitask Benchmark for Long Context Understanding",
         "We introduce StretchBench, a benchmark for long context understanding.", "long-context"),
        # a technique applied in a domain is the technique
        ("Compressing Pre-trained Models of Code",
         "Pre-trained models are slow on laptops. We propose a method that compresses them "
         "into tiny models.", "pruning-sparsity"),
        ("Faster Training for Human-Feedback Pipelines",
         "We accelerate RLHF training by overlapping generation with policy updates.",
         "efficient-training"),
        # cues the lists lacked: driving, hardware, the brain, relabelled data, action models
        ("Learning Lane Changes from Demonstrations",
         "Autonomous driving needs safe decisions. We propose a policy for lane changes.",
         "robotics"),
        ("An FPGA Design for Sparse Radiance Fields",
         "We present a hardware accelerator that renders radiance fields at 60 FPS.",
         "efficient-inference"),
        ("Reading Text from the Brain",
         "We decode continuous text from fMRI recordings with pretrained language models.",
         "medical"),
        ("Relabeling Instruction Data",
         "We relabel instruction data by regenerating responses with a stronger model.",
         "data-curation"),
        ("Robo-7: Vision-Language-Action Models for Control",
         "We co-fine-tune vision-language models on robot trajectories.", "robotics"),
        # a name glued from the words that say what it is
        ("SpeechPal: An Assistant for Classrooms",
         "We build an assistant for classrooms that helps teachers.", "speech"),
        # nothing clear in the title and the contribution sentences: the rest is read
        ("Escaping the Paradigm",
         "Big models need big data. In this paper, we aim to present an approach for small-scale "
         "learning. It beats CNNs on ImageNet classification.", "image-recognition"),
    ],
)  # fmt: skip
def test_general_causes_of_a_wrong_label(title: str, abstract: str, expected: str) -> None:
    assert choose_category(title, abstract) == expected


def test_a_tie_goes_to_the_label_listed_first() -> None:
    # pruning is listed before image generation (the technique over the area), whichever
    # the title names first
    assert choose_category("Image Synthesis with Pruned Networks", "Nets.") == "pruning-sparsity"
