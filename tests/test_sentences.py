"""The sentence splitter: abbreviations end no sentence."""

from __future__ import annotations

import pytest

from summarizer.text.sentences import Sentences


@pytest.mark.parametrize(
    "text",
    [
        "We study rulings of U.S. federal courts over two decades.",
        "Strong models (e.g. GPT-4 and Claude) still fail on it.",
        "Strong models, i.e. Llama and Qwen, still fail on it.",
        "Building on Chen et al. (2023) and Wu et al. Our extension scales.",
        "Our method beats sampling vs. Beam search in every setting.",
        "The clinic of Dr. Rivera supplied the recordings.",
        "As Fig. 3 shows, errors grow; see Eq. 2 and Sec. 4 for the bound.",
        "The ablation of model No. 5 is reported in Tab. 2 of the appendix.",
        "Data from the U.K. Biobank and the E.U. registry are pooled.",
    ],
)
def test_abbreviations_do_not_end_a_sentence(text: str) -> None:
    assert list(Sentences(text)) == [text]


def test_sentences_still_end_at_real_boundaries() -> None:
    text = (
        "We train a 7B model. 13B models follow. Is it robust? No. Results hold in the U.S. "
        "and abroad. It ends at model B. Then more."
    )
    assert list(Sentences(text)) == [
        "We train a 7B model.",
        "13B models follow.",
        "Is it robust?",
        "No.",
        "Results hold in the U.S. and abroad.",
        "It ends at model B.",
        "Then more.",
    ]


def test_a_number_after_an_ordinary_word_starts_a_sentence() -> None:
    assert list(Sentences("Gains are large. 3 of 4 tasks improve.")) == [
        "Gains are large.",
        "3 of 4 tasks improve.",
    ]


def test_the_task_line_reads_past_an_abbreviation() -> None:
    from summarizer.backends.rules.task import extract_task

    abstract = (
        "We study how U.S. patent examiners could use retrieval to find prior art. "
        "Our system ranks documents."
    )
    task = extract_task("A title", Sentences(abstract))
    assert task.evidence == abstract.split(" Our")[0]
