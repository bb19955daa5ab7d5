"""Parameter counts: what counts as a model size and what does not."""

from __future__ import annotations

import pytest

from summarizer.backends.rules.sizes import find_sizes
from tests.scaling import growth, repeated


def values(text: str) -> list[float]:
    return [s.params for s in find_sizes(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We train a 13B model.", [13e9]),
        ("a 2.4B dense model", [2.4e9]),
        ("Our 350M-parameter encoder", [3.5e8]),
        ("with 1.3 billion parameters", [1.3e9]),
        ("a 3-billion-parameter decoder", [3e9]),
        ("up to twelve billion parameters", [1.2e10]),
        ("models from 125M to 13B parameters", [1.25e8, 1.3e10]),
        ("sizes 0.5B-14B", [5e8, 1.4e10]),
        ("variants with 2B, 9B and 27B parameters", [2e9, 9e9, 2.7e10]),
        ("between 80 million and 3 billion parameters", [8e7, 3e9]),
        ("we fine-tune Mistral-7B-Instruct and Falcon-40B", [7e9, 4e10]),
        ("compared with OPT 66B", [6.6e10]),
        ("a Mixtral 8x22B mixture", [2.2e10]),
        ("a 1,500M parameter network", [1.5e9]),
    ],
)
def test_sizes_are_found(text: str, expected: list[float]) -> None:
    assert values(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "trained on 4T tokens",
        "a corpus of 2 trillion tokens",
        "we collect 1.2M images and 300K samples",
        "a 64K vocabulary and 32K context window",
        "using 4-bit weights and 16 bits",
        "costing 100K GPU hours",
        "spent $2B on compute",
        "evaluated on ImageNet-21K",
        "about 50B tokens of web text",
        "a few hundred million parameters",
        "hundreds of billions of parameters",
        "see Fig. 2b",
    ],
)
def test_non_parameter_counts_are_ignored(text: str) -> None:
    assert values(text) == []


def test_thresholds_are_vague_and_exact_sizes_are_not() -> None:
    sizes = find_sizes("models larger than 30B, over 5B parameters, (<2M parameters), and a 7B one")
    assert [(s.params, s.vague) for s in sizes] == [
        (3e10, True),
        (5e9, True),
        (2e6, True),
        (7e9, False),
    ]


def test_each_value_is_reported_once_with_its_text() -> None:
    sizes = find_sizes("Llama-2-13B beats the 13B baseline; a 13 billion parameter model")
    assert [(s.text, s.params) for s in sizes] == [("13B", 1.3e10)]


def test_cost_grows_linearly_up_to_the_longest_abstract() -> None:
    text = repeated("We train 7B and 70B models on 2T tokens with 1.5 million samples; ")
    assert [s.text for s in find_sizes(text(20_000))] == [
        "7B",
        "70B",
    ]  # tokens and samples are data
    # 8x the text may cost ~8x the CPU time; a quadratic scan would cost ~64x
    assert growth(find_sizes, text, 2_500, 20_000) < 20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a corpus of 2 billion masks over 9M licensed and carefully filtered photos", []),
        ("we continue training on 20B Java tokens", []),
        ("over 50 billion weights can be removed", []),
        ("a dataset (XY-2B) of 2B regions", []),
        ("a 30M model and a 7B video model", [3e7]),
        ("from 35 million to over 9 billion parameters", [3.5e7, 9e9]),
        ("from 0.35 to 6.5 billion parameters", [3.5e8, 6.5e9]),
        ("two models with 2.2 and 4.4 billion parameters", [2.2e9, 4.4e9]),
        ("we release 2.7/9B parameter models", [2.7e9, 9e9]),
        ("Llama 2 and 13B models", [1.3e10]),
    ],
)
def test_count_nouns_and_shared_units(text: str, expected: list[float]) -> None:
    assert values(text) == pytest.approx(expected)


def roles(text: str, name: str | None = None, title: str = "") -> list[tuple[float, str]]:
    from summarizer.backends.rules.sizes import extract_sizes
    from summarizer.text.sentences import Sentences

    return [(s.params, s.role) for s, _ in extract_sizes(text, Sentences(text), name, title)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # after a comparison: the model compared against
        ("We train Gizmo-7B, which outperforms CodeLlama-34B on code.", [(7e9, "own"), (34e9, "baseline")]),
        ("Our 1.3B model is preferred to the 175B GPT-3.", [(1.3e9, "own"), (175e9, "baseline")]),
        ("We show Gizmo matches Llama-2-70B while being 10x smaller.", [(70e9, "baseline")]),
        ("We find it comparable with GShard 2.9B at 2B parameters.", [(2.9e9, "baseline"), (2e9, "own")]),
        # the models the method is run on, even after a comparison
        ("We improve over LoRA by 3.7% on LLaMA-7B and 1.0% on LLaMA-13B.", [(7e9, "own"), (13e9, "own")]),
        # scene-setting before the authors speak, examples, thresholds and prior work
        ("Models such as GPT-3 (175B) are costly. We propose Gizmo, a 1B model.", [(175e9, "other"), (1e9, "own")]),
        ("Using GPT-3 175B as an example, tuning is costly. We fix it.", [(175e9, "other")]),
        ("Models larger than 100B parameters are costly. We fix it.", [(100e9, "other")]),
        ("GPT-3 175B as an example shows this, as we find.", [(175e9, "other")]),
        ("We extend the work initiated by TinyStories, a 10 million parameter model.", [(1e7, "other")]),
    ],
)  # fmt: skip
def test_each_size_gets_whose_model_it_is(text: str, expected: list[tuple[float, str]]) -> None:
    assert roles(text) == expected


def test_a_paper_that_never_says_we_owns_its_sizes() -> None:
    text = "Experiments include Llama 3.1 8B and Mistral 7B models, where results hold."
    assert roles(text) == [(8e9, "own"), (7e9, "own")]


@pytest.mark.parametrize("text", ["with 200K long context models", "a 128K context window model"])
def test_a_context_length_is_not_a_model_size(text: str) -> None:
    assert values(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We replace the embedding table (65K parameters) with a hashing trick.", []),
        ("A 560K-parameter gating sub-module routes the tokens.", []),
        ("The adapter adds only 0.5M additional parameters to the 7B backbone.", [7e9]),
        ("A lightweight head with 2M parameters sits on a frozen 13B LLM.", [13e9]),
        ("We build PixPairs-58M, a dataset of 58M image-text pairs.", []),
        ("We release SynthText-2B, a corpus for pretraining.", []),
        ("We pretrain on LAION-400M and report results.", []),
        ("Scores on the OpenWebText-10B subset improve.", []),
        ("Experiments on Llama2-7B and Gemma-2B) across various benchmarks", [7e9, 2e9]),
        ("a family of 1--3B models", [1e9, 3e9]),
        ("with 300M trainable parameters", [3e8]),
    ],
)
def test_components_and_dataset_names_are_not_model_sizes(text: str, expected: list[float]) -> None:
    assert values(text) == pytest.approx(expected)


B, OWN = "baseline", "own"


@pytest.mark.parametrize(
    ("title", "text", "name", "expected"),
    [
        # models only evaluated, benchmarked, probed or analysed are baselines
        ("", "We evaluate twelve open-weight LLMs ranging from 1B to 70B parameters on it.", None, [(1e9, B), (7e10, B)]),
        ("", "We benchmark models from 125M to 30B parameters and find that scale does not help.", None, [(1.25e8, B), (3e10, B)]),
        ("", "We probe the residual stream of Mistral-7B and Llama-3.1-8B with sparse autoencoders.", None, [(7e9, B), (8e9, B)]),
        ("", "We analyze the training dynamics of Pythia models from 70M to 12B.", None, [(7e7, B), (1.2e10, B)]),
        ("", "We red-team Llama-3-70B-Instruct with generated prompts and report failure rates.", None, [(7e10, B)]),
        ("Auditing Memorization in Open Models", "We measure verbatim memorization in OLMo-7B and Pythia-12B.", None, [(7e9, B), (1.2e10, B)]),
        ("Are Large Language Models Consistent Raters?", "Evaluating more than a dozen models, from 350M to 70B parameters, we find two patterns.", None, [(3.5e8, B), (7e10, B)]),
        ("", "Our study covers 40 models ranging from 110 million to 13 billion parameters.", None, [(1.1e8, B), (1.3e10, B)]),
        ("", "We study models larger than 100B parameters.", None, [(1e11, B)]),
        # in a paper that only studies models, a mention with no verb is a model it studied
        ("What Do Attention Heads Encode?", "Using interpretability techniques on Gemma-2-9B, we find that a few heads copy tokens.", None, [(9e9, B)]),
        ("How Do Language Models Bind Entities?", "Using causal interventions on LLaMA-13B and Pythia-12B, we identify a mechanism.", None, [(1.3e10, B), (1.2e10, B)]),
        ("FooBench: A Benchmark for Spatial Reasoning", "We introduce FooBench, a benchmark for spatial reasoning. Across 20 models (0.5B-72B), accuracy stays below 40%.", "FooBench", [(5e8, B), (7.2e10, B)]),
        ("BarBench: Evaluating Agents", "We introduce BarBench. Even 70B models solve fewer than half of the tasks. We also fine-tune a 7B model on our training split.", "BarBench", [(7e10, B), (7e9, OWN)]),
        # attacked models are baselines; a defence's models are its own
        ("", "We present Hex, a jailbreak attack. Hex succeeds on Llama-2 7B, 13B and 70B in 90% of trials.", "Hex", [(7e9, B), (1.3e10, B), (7e10, B)]),
        ("Universal Attacks on Aligned Chat Models", "We craft suffixes that elicit harmful output. Our attacks on Llama-2 7B and 13B succeed.", None, [(7e9, B), (1.3e10, B)]),
        ("Shield: Defending Chat Models against Jailbreak Attacks", "We propose Shield, a decoding strategy. On Vicuna-7B and Llama2-13B, Shield lowers attack success.", "Shield", [(7e9, OWN), (1.3e10, OWN)]),
        # trained, fine-tuned, released models and the models a method is applied to are own
        ("", "We train a family of models from 125M to 13B parameters and analyze how they memorize.", None, [(1.25e8, OWN), (1.3e10, OWN)]),
        ("", "We fine-tune Llama-3.1-8B and Mistral-7B with QLoRA on our dataset and compare them.", None, [(8e9, OWN), (7e9, OWN)]),
        ("", "We show that the corpus can be used to train and evaluate LMs (below 10 million parameters).", None, [(1e7, OWN)]),
        ("", "We propose Tilt, a training-free decoding strategy. Applying Tilt to QwQ-32B improves accuracy by 5%.", "Tilt", [(3.2e10, OWN)]),
        ("", "We propose a new pruning method. We evaluate our method on Llama-2 7B and 13B.", None, [(7e9, OWN), (1.3e10, OWN)]),
        ("", "We propose a new cache policy. Evaluations on Llama-3-8B show that it halves latency.", None, [(8e9, OWN)]),
        ("", "We show MEND can be trained on a single GPU even for 10 billion+ parameter models.", "MEND", [(1e10, OWN)]),
        ("", "We present Zap, a family of tiny forecasting models (<1M parameters) trained on public data.", "Zap", [(1e6, OWN)]),
        ("", "Results span models up to a 280 billion parameter model called Gopher.", None, [(2.8e11, OWN)]),
        # a study verb whose object is a question governs no model
        ("Fine-Tuning Models for Law", "Exploring whether this holds for smaller models, we use a tiny LLM with 1.7 billion parameters.", None, [(1.7e9, OWN)]),
        # distilled from a teacher (prior work) into a student (own)
        ("", "We show that skills can be distilled down from GPT-3.5 (175B) to T5 models (11B).", None, [(1.75e11, "other"), (1.1e10, OWN)]),
        # a model first compared against, then given the method, is own
        ("", "Foo outperforms Llama-2-70B on math. We also apply Foo to Llama-2-70B and gain 3 points.", "Foo", [(7e10, OWN)]),
        # an analysis paper that trains its models owns them
        ("Quantifying Noise in Evaluations", "We train models from scratch. Noise is lower for larger (~7B) models, we find.", None, [(7e9, OWN)]),
    ],
)  # fmt: skip
def test_whose_model_follows_the_verb_and_the_kind_of_paper(
    title: str, text: str, name: str | None, expected: list[tuple[float, str]]
) -> None:
    assert roles(text, name, title) == expected
