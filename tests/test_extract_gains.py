"""Claimed gains: units, claim detection and the context that disqualifies a number."""

from __future__ import annotations

import pytest

from summarizer.backends.rules.gains import extract_gains
from summarizer.text.sentences import Sentences


def gains(text: str, name: str | None = None) -> list[tuple[float, str | None]]:
    return [(g.value, g.unit) for g in extract_gains(text, Sentences(text), name)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our method improves accuracy by 3.4% on FooQA.", [(3.4, "%")]),
        ("We speed up decoding by 2.5x over vanilla sampling.", [(2.5, "x")]),
        ("Our approach is 4× faster than prior work.", [(4.0, "x")]),
        ("We reduce memory 3 times compared with the baseline.", [(3.0, "x")]),
        ("The proposed loss yields a 10-fold reduction in cost.", [(10.0, "x")]),
        ("We outperform the baseline by 5.1 percentage points.", [(5.1, "points")]),
        ("Our model gains 2 points on BarBench.", [(2.0, "points")]),
        (
            "Our method achieves gains of +1.7 on Baz and +0.9 on Qux.",
            [(1.7, "points"), (0.9, "points")],
        ),
        ("We observe 12-30% lower latency with our scheduler.", [(12.0, "%"), (30.0, "%")]),
        ("Zap improves F1 by 4%.", []),
    ],
)
def test_gains_in_claims(text: str, expected: list[tuple[float, str | None]]) -> None:
    assert gains(text) == expected


def test_method_name_counts_as_ownership() -> None:
    assert gains("Zap improves F1 by 4%.", name="Zap") == [(4.0, "%")]


@pytest.mark.parametrize(
    "text",
    [
        "The corpus is 40% code and 60% prose.",
        "We train on 20% of the data and improve results.",
        "Our estimates are within <1.5% of the optimum, improving on prior work.",
        "Our method reaches 71.0% compared to 64.0% for the baseline, improving.",
        "Existing models score above 60% on the test, while lower ones fail.",
        "We use a dropout of 10 and a learning rate of 0.1.",
    ],
)
def test_non_gains_are_ignored(text: str) -> None:
    assert (64.0, "%") not in gains(text) and (40.0, "%") not in gains(text)
    assert (20.0, "%") not in gains(text) and (1.5, "%") not in gains(text)
    assert (60.0, "%") not in gains(text)


def test_starting_point_is_not_a_gain() -> None:
    assert gains("Our trick improves accuracy from 61.2% to 66.8%.") == [(66.8, "%")]


def test_gain_context_and_evidence() -> None:
    text = "Setup is standard. Our method improves accuracy by 3.4% over BaselineNet on FooQA."
    (gain,) = extract_gains(text, Sentences(text))
    assert gain.evidence == "Our method improves accuracy by 3.4% over BaselineNet on FooQA."
    assert gain.metric == "accuracy"
    assert gain.benchmark == "FooQA"
    assert gain.baseline == "BaselineNet"


def test_duplicates_collapse() -> None:
    assert gains("We gain 2% on A. Our model also gains 2% on B.") == [(2.0, "%")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our method reduces memory 1,000 times.", [(1000.0, "x")]),
        ("Our kernel gives a 2x-4x speedup over the baseline.", [(2.0, "x"), (4.0, "x")]),
        ("Our model improves quality, reaching 97.5% of the teacher's score.", [(97.5, "%")]),
        ("Our model improves quality, while the baseline only reaches 4% of the tasks.", []),
    ],
)
def test_thousands_ranges_and_achieved_shares(
    text: str, expected: list[tuple[float, str | None]]
) -> None:
    assert gains(text) == expected


def metrics(text: str) -> list[tuple[float, str | None]]:
    from summarizer.text.metrics import metric_kind

    return [(g.value, metric_kind(g.metric)) for g in extract_gains(text, Sentences(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the words right after the number
        ("Our method is 3x faster and 2.1% more accurate than TIES.", [(3.0, "speed"), (2.1, "accuracy")]),
        ("We use 40% less memory than LoRA.", [(40.0, "memory")]),
        ("Our model needs 5x fewer training tokens.", [(5.0, "cost")]),
        # the words right before it, in its own clause
        ("We reduce latency by 35% and improve accuracy by 2 points.", [(35.0, "speed"), (2.0, "accuracy")]),
        ("Our method cuts the word error rate by 12%.", [(12.0, "error")]),
        ("Our method reduces the KV cache by 93.3%.", [(93.3, "memory")]),
        # a list after its metric
        ("We obtain inference speedups of 3.25x on A100 and 4.5x when using cheaper GPUs.", [(3.25, "speed"), (4.5, "speed")]),
        # nothing said: a percentage claims quality, a multiple claims speed
        ("Our approach improves results on GSM8K (+17.9%) and SVAMP (+11.0%).", [(17.9, "accuracy"), (11.0, "accuracy")]),
    ],
)  # fmt: skip
def test_the_metric_comes_from_the_words_next_to_the_number(
    text: str, expected: list[tuple[float, str]]
) -> None:
    assert metrics(text) == expected


def test_the_baseline_is_what_the_sentence_compares_against() -> None:
    text = "Our merge is 3x faster than TIES-Merging on GSM8K."
    (gain,) = extract_gains(text, Sentences(text))
    assert (gain.metric, gain.baseline) == ("speed", "TIES-Merging")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our model reaches 57.3 pass@1 on HumanEval.", [(57.3, "points")]),
        ("We achieve a state-of-the-art FID of 2.27 on ImageNet.", [(2.27, "points")]),
        (
            "Our model achieves a 44.7 length-controlled win rate on AlpacaEval 2.",
            [(44.7, "points")],
        ),
        ("Our model achieves 8.38 on MT-bench.", [(8.38, "points")]),
        (
            "Our system achieves 1.8/3.3 WER on the clean/other test sets.",
            [(1.8, "points"), (3.3, "points")],
        ),
    ],
)
def test_unitless_scores_named_by_their_metric(
    text: str, expected: list[tuple[float, str]]
) -> None:
    assert gains(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Our model surpasses the previous state of the art, GPT-4, that achieves 80%.",
        "The best existing methods on FooBench achieve 59.4-79.1% with our data.",
        "Our best agent only achieves a success rate of 14.4%, below human performance of 78.2%.",
        "Our model solves 28.8% of the problems, while GPT-3 solves 0% and GPT-J solves 11.4%.",
        "Our method leaves only a 5% absolute gap behind InstructGPT.",
        "We can reach 60% unstructured sparsity with our pruning method.",
    ],
)
def test_numbers_that_others_achieve_or_that_describe_setup_are_not_gains(text: str) -> None:
    assert all(value in (28.8,) for value, _ in gains(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our method improves accuracy by 88\\% on FooQA.", [(88.0, "%")]),
        ("Our method is $3\\times$ faster.", [(3.0, "x")]),
        (
            "Our method improves R&amp;D accuracy by 4.5\\,\\% and 2~\\% on X.",
            [(4.5, "%"), (2.0, "%")],
        ),
    ],
)
def test_latex_and_html_escapes_are_read_as_what_they_stand_for(
    text: str, expected: list[tuple[float, str]]
) -> None:
    from summarizer.backends.rules.extract import extract_summary

    summary = extract_summary("T", text)
    assert [(g.value, g.unit) for g in summary.claimed_gains] == expected
    assert all(g.evidence in text for g in summary.claimed_gains)  # evidence as stored
