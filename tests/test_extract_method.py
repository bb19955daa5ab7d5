"""Method name, description and task."""

from __future__ import annotations

import pytest

from summarizer.backends.rules.method import extract_method
from summarizer.backends.rules.task import extract_task
from summarizer.text.sentences import Sentences


def name(title: str, abstract: str) -> str | None:
    return extract_method(title, abstract, Sentences(abstract)).name


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("Models fail. We propose Zapper, a method for pruning heads.", "Zapper"),
        ("Models fail. In this work, we introduce GloboNet to route tokens.", "GloboNet"),
        ("Models fail. This paper presents a framework called QuillKit.", "QuillKit"),
        ("Models fail. We design a planner, dubbed Pathfinder, which plans.", "Pathfinder"),
        ("Models fail. We present a new benchmark, TrickyQA, with hard items.", "TrickyQA"),
        ("We introduce Sparse Token Routing (STR), a simple recipe.", "STR"),
        ("Hence, Gradient Echo Sampling (GES) is proposed to fix this.", "GES"),
        ("We refer to the resulting model as Cobalt-7B.", "Cobalt-7B"),
        ("We propose layer recycling, which reuses layers.", "layer recycling"),
    ],
)
def test_names_from_abstract(abstract: str, expected: str) -> None:
    assert name("A Problem in Deep Learning", abstract) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("FizzLM: Fast Inference for Small Language Models", "FizzLM"),
        ("Hopper -- A Planner for Agents", "Hopper"),
        ("Grid Walker v2: Better Agents", "Grid Walker v2"),
    ],
)
def test_name_from_title_prefix(title: str, expected: str) -> None:
    assert name(title, "We study agents. Results are good.") == expected


def test_title_long_form_prefers_defined_acronym() -> None:
    abstract = "We present Adaptive Token Merging (ATM), which merges tokens."
    assert name("Adaptive Token Merging: Faster Transformers", abstract) == "ATM"


@pytest.mark.parametrize(
    "title",
    [
        "Scaling Laws Revisited: Part II",
        "Towards Robust Agents: A Study",
        "Why Do Models Fail? An Analysis",
        "Deep Models for Text: A Survey",
    ],
)
def test_topic_and_series_titles_are_not_names(title: str) -> None:
    assert name(title, "We analyse many models. We propose nothing new here.") is None


def test_prior_work_is_not_the_contribution() -> None:
    abstract = "Recently, Token Dropping (TD) was proposed for speed. We study its limits."
    assert name("On the Limits of Token Dropping", abstract) is None


def test_description_and_evidence_are_grounded() -> None:
    abstract = "Models fail. We propose Zapper, a method for pruning heads. It works."
    found = extract_method("Pruning Heads", abstract, Sentences(abstract))
    assert found.evidence == "We propose Zapper, a method for pruning heads."
    assert found.description == "a method for pruning heads"


def test_task_is_the_framing_sentence_never_the_title() -> None:
    abstract = "Agents are brittle. In this paper, we study planning under noise. It helps."
    task = extract_task("Hopper: Planning Under Noise", Sentences(abstract))
    assert task.task == "We study planning under noise."
    assert task.evidence == "In this paper, we study planning under noise."


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # no framing sentence: the first that names a difficulty
        (
            "Retrieval is everywhere. However, long inputs remain costly to encode. We fix it.",
            "Long inputs remain costly to encode.",
        ),
        # neither: the opening sentence sets the scene
        (
            "Sparse models are popular. We propose Sparsey. It is fast.",
            "Sparse models are popular.",
        ),
    ],
)
def test_task_falls_back_to_a_difficulty_then_the_opening(abstract: str, expected: str) -> None:
    assert extract_task("Sparsey: Fast Sparse Models", Sentences(abstract)).task == expected


def test_task_is_one_line_however_long_the_sentence() -> None:
    abstract = "We study " + "very " * 80 + "long problems. It helps."
    task = extract_task("T", Sentences(abstract)).task
    assert task is not None and len(task) <= 240 and task.endswith("…") and "\n" not in task


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        (
            "Models fail. The resulting loss, which we call Margin Flow Matching (MFM), is stable.",
            "MFM",
        ),
        ("Models fail. We call the resulting agents PlanBot. They plan.", "PlanBot"),
        (
            "Models fail. We build a 2 billion parameter model named zeta-2.1, which codes.",
            "zeta-2.1",
        ),
        (
            "Models fail. We use a simple method called tree of drafts prompting, where drafts help.",
            "tree of drafts prompting",
        ),
        (
            "Models fail. We thus propose weight blending, a new way to merge models.",
            "weight blending",
        ),
        (
            "Models fail. We introduce draft decoding - an algorithm to decode fast.",
            "draft decoding",
        ),
        (
            "We propose a new sampling scheme, self-agreement, to replace greedy decoding.",
            "self-agreement",
        ),
        ("With more data, our Memory-Augmented Decoder (MAD) obtains good results.", "MAD"),
        ("Our sparse diffusion models (SDMs) achieve a new state of the art.", "SDM"),
        ("Models fail. Here, Patch Mixer (PaM) attains excellent results on images.", "PaM"),
        ("We test it by training a compute-lean model, Marmot, that uses less data.", "Marmot"),
    ],
)
def test_more_introductions(abstract: str, expected: str) -> None:
    assert name("A Problem in Deep Learning", abstract) == expected


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("The WebMix Dataset for Pretraining: Better Data", "We study data.", "WebMix"),
        ("Calc.sum(): Exact Sums at Scale", "We study sums.", "Calc.sum()"),
        (
            "Hinge Networks: Scaling Sparse Models",
            "We address this with the Hinge Network. Hinge layers route tokens.",
            "Hinge Networks",
        ),
        ("Time Warp in LLMs: Tracing Leakage", "We study time warp effects in models.", None),
        (
            "Editing Agents with Plan Algebra",
            "Overall, plan algebra is a simple and cheap way to edit agents.",
            "plan algebra",
        ),
        (
            "Token Dropping for Faster Decoding",
            "We evaluate it. In addition, this token dropping is cheap.",
            "token dropping",
        ),
        (
            "Quantifying Noise in Model Merging",
            "Overall, this model merging is a noisy method.",
            None,
        ),
    ],
)
def test_title_names_confirmed_by_abstract(title: str, abstract: str, expected: str | None) -> None:
    assert name(title, abstract) == expected


def test_title_name_respelled_in_abstract_keeps_both_spellings() -> None:
    abstract = "We present the Pruned-Owl2 series, built by pruning."
    found = extract_method("Pruned Owl2: Faster Models", abstract, Sentences(abstract))
    assert found.name == "Pruned Owl2"
    assert found.description is not None and "Pruned-Owl2" in found.description


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        # names with Greek letters, stored as written
        ("Tuning Large Networks", "Models fail. We propose μTransfer, a tuning paradigm. It works.", "μTransfer"),
        ("Calibrated Preferences", "Models fail. We introduce β-DPO, which adapts beta. It works.", "β-DPO"),
        ("π0: A Flow Model for Robots", "Robots fail. We build a flow model. It works.", "π0"),
        # a name given only in the title, before the colon
        ("No Robot Left Behind: Scaling Control", "Robots fail. We scale control to many arms.", "No Robot Left Behind"),
        # a model family used through the abstract
        ("Zephyrix of Experts", "We present a sparse model. Zephyrix routes tokens. Each Zephyrix layer has 8 experts.", "Zephyrix"),
        # an acronym the authors define anywhere
        ("Better Chains", "Models fail at long chains. To fix this we propose to use Structured Latent Reasoning (SLR) throughout.", "SLR"),
    ],
)  # fmt: skip
def test_names_beyond_we_propose_x(title: str, abstract: str, expected: str) -> None:
    assert name(title, abstract) == expected


@pytest.mark.parametrize(
    ("title", "abstract"),
    [
        # a generic word used through the abstract is not a family name
        ("Models for Everything", "Models are big. Yet Models fail. Models, we find, are costly."),
        # an acronym of background is not the contribution
        ("A Study of Tuning", "Supervised Fine-Tuning (SFT) is common. We study when it fails."),
        # a series title
        ("Predictable Scale: Part I -- Laws", "We fit laws to many runs."),
    ],
)
def test_what_is_not_a_name(title: str, abstract: str) -> None:
    assert name(title, abstract) is None


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        # an appositive is headed by its noun: "(GFLOPs), an indicator of the model cost"
        # does not present GFLOPs as a model
        (
            "Shrinking Models of Code",
            "Large models are slow on laptops. It motivates us to propose Squeezer, a novel "
            "approach that shrinks them. Its search maximizes the giga floating-point "
            "operations (GFLOPs), an indicator of the model computational cost.",
            "Squeezer",
        ),
        ("Cheap Retrieval", "Here we describe CodeRet, a retriever that learns codes.", "CodeRet"),
        (
            "Learning to Plan",
            "PlanLM is a novel framework that couples a planner with a language model.",
            "PlanLM",
        ),
        ("Tuning Vision Models", "Our method, VisTune, adapts frozen backbones.", "VisTune"),
        ("Dense Captioning", "The proposed model, VidCap, captions every event.", "VidCap"),
    ],
)
def test_other_ways_authors_name_their_contribution(
    title: str, abstract: str, expected: str
) -> None:
    assert name(title, abstract) == expected


@pytest.mark.parametrize(
    ("title", "abstract"),
    [
        # the opening sentence sets the scene: an acronym claiming a result there is prior work
        (
            "A Closer Look at Preference Learning",
            "Direct Preference Optimization (DPO) achieves strong results. We find it overfits.",
        ),
        # a title that examines something: what it examines is no contribution
        (
            "Understanding Preference Optimization",
            "Models are aligned. Direct Preference Optimization (DPO) achieves strong results "
            "without a reward model. We find that it overfits.",
        ),
        # a common word capitalised in names ("Code LLMs", "Code Llama") is no model family
        (
            "Lessons from Fine-Tuning Code Models",
            "Code LLMs such as Code Llama are widely used. We fine-tune them on ten tasks.",
        ),
        (
            "Hard Programs for Coding Models",
            "Code LLMs such as Code Llama fail on them. We show why.",
        ),
        # "describes" of another work, a scene-setting "is a" sentence
        (
            "Notes on Transformers",
            "Models fail. The Transformer is a simple architecture that we study closely.",
        ),
    ],
)
def test_what_a_study_examines_is_not_its_name(title: str, abstract: str) -> None:
    assert name(title, abstract) is None
