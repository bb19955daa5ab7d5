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
