"""Claimed gains: units, claim detection and the context that disqualifies a number."""

from __future__ import annotations

import pytest

from summarizer.backends.rules.gains import extract_claims, extract_gains, extract_results
from summarizer.text.sentences import Sentences


def gains(text: str, name: str | None = None) -> list[tuple[float, str | None]]:
    return [(g.value, g.unit) for g in extract_gains(text, Sentences(text), name)]


def results(text: str, name: str | None = None) -> list[tuple[float, str | None]]:
    return [(r.value, r.benchmark) for r in extract_results(text, Sentences(text), name)]


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
        # a range keeps its upper bound
        ("We observe 12-30% lower latency with our scheduler.", [(30.0, "%")]),
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


def test_a_from_to_pair_is_a_gain_in_points_and_its_end_a_result() -> None:
    text = "Our trick improves accuracy from 61.2% to 66.8%."
    assert gains(text) == [(5.6, "points")]
    assert results(text) == [(66.8, None)]


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
        ("Our kernel gives a 2x-4x speedup over the baseline.", [(4.0, "x")]),
        # a share of another model's score is a result, not a gain
        ("Our model improves quality, reaching 97.5% of the teacher's score.", []),
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
        ("Our model reaches 57.3 pass@1 on HumanEval.", [(57.3, "HumanEval")]),
        ("We achieve a state-of-the-art FID of 2.27 on ImageNet.", [(2.27, "ImageNet")]),
        (
            "Our model achieves a 44.7 length-controlled win rate on AlpacaEval 2.",
            [(44.7, "AlpacaEval 2")],
        ),
        ("Our model achieves 8.38 on MT-bench.", [(8.38, "MT-bench")]),
        (
            "Our system achieves 1.8/3.3 WER on the FooSpeech test sets.",
            [(1.8, "FooSpeech test sets"), (3.3, "FooSpeech test sets")],
        ),
    ],
)
def test_unitless_scores_named_by_their_metric_are_results(
    text: str, expected: list[tuple[float, str | None]]
) -> None:
    assert results(text) == expected
    assert gains(text) == []


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


INTRO = "We propose FooNet, a new method for bar. "


def claims(text: str) -> tuple[list[tuple[float, str | None]], list[tuple[float, str | None]]]:
    full = INTRO + text
    found_gains, found_results = extract_claims(full, Sentences(full), "FooNet")
    return (
        [(g.value, g.unit) for g in found_gains],
        [(r.value, r.benchmark) for r in found_results],
    )


@pytest.mark.parametrize(
    ("text", "expected_gains", "expected_results"),
    [
        # absolute scores are results, with the benchmark named next to them
        ("FooNet reaches 61.7% on CodeBenchX.", [], [(61.7, "CodeBenchX")]),
        ("Our model attains 88.1% pass@1 on HumanEval.", [], [(88.1, "HumanEval")]),
        (
            "Our model attains accuracies of 48.3% on MATH and 81.2% on GSM8K.",
            [],
            [(48.3, "MATH"), (81.2, "GSM8K")],
        ),
        ("Our model scores 41.2 PQ, 22.5 mAP on COCO.", [], [(41.2, "COCO"), (22.5, "COCO")]),
        ("On MATH, FooNet achieves 71.2% accuracy.", [], [(71.2, "MATH")]),
        ("Our model obtains a BLEU score of 27.3 on WMT14 En-De.", [], [(27.3, "WMT14 En-De")]),
        (
            "Our model sets a new state of the art on GLUE (85.1%) and SQuAD (80.2%).",
            [],
            [(85.1, "GLUE"), (80.2, "SQuAD")],
        ),
        ("Our model achieves 84.5% ImageNet zero-shot accuracy.", [], [(84.5, "ImageNet")]),
        ("FooNet achieves a SOTA MMLU score of 71.9.", [], [(71.9, "MMLU")]),
        ("Our model reaches a Kendall 0.912 and an EER 0.031.", [], [(0.912, None), (0.031, None)]),
        (
            "FooNet achieves 81.5% and 45.3% on GSM8K and MATH, respectively.",
            [],
            [(81.5, "GSM8K"), (45.3, "MATH")],
        ),
        ("Our kernel reaches 180 TFLOPs/s on one GPU.", [], [(180.0, None)]),
        ("Our detector reaches 95.2% TPR at 5% FPR on FooSet.", [], [(95.2, "FooSet")]),
        ("Our system reaches an EER as low as 0.5% on BarVox.", [], [(0.5, "BarVox")]),
        # a from->to pair and an own-vs-baseline pair: the difference in points, the own
        # value a result
        ("Our detector raises recall from 61.5% to 80.0%.", [(18.5, "points")], [(80.0, None)]),
        ("Our model lowers WER from 20.5% to 12.25%.", [(8.25, "points")], [(12.25, None)]),
        ("FooNet beats the baseline (41.5% vs. 30.25%).", [(11.25, "points")], [(41.5, None)]),
        ("Our planner lifts the score from 0.00 to 0.55.", [(0.55, "points")], [(0.55, None)]),
        (
            "Our method lifts the FooEval score from 52 to 80.",
            [(28.0, "points")],
            [(80.0, "FooEval")],
        ),
        (
            "Our method gives a 12% relative gain (20.0%->22.4%).",
            [(12.0, "%"), (2.4, "points")],
            [(22.4, None)],
        ),
        ("Our model reduces the attack success rate to just 6%.", [], [(6.0, None)]),
        ("Our run takes from 90 minutes to 15 minutes.", [], [(15.0, None)]),
        # "vs." read as a sentence end
        (
            "FooNet even beats BarLM on MMLU (52.5 vs.\n48.0 in accuracy).",
            [(4.5, "points")],
            [(52.5, "MMLU")],
        ),
        ("FooNet grows from 0.5 to 7 billion parameters.", [], []),
        # ranges keep their upper bound, thresholds their number
        ("Our method improves accuracy by 4-9%.", [(9.0, "%")], []),
        (
            "Our kernel achieves 3-6x speedups and 50--70× less memory.",
            [(6.0, "x"), (70.0, "x")],
            [],
        ),
        ("Our retriever improves by 0.5-1.3 nDCG@10.", [(1.3, "points")], []),
        (
            "Our method is up to 5 times faster and over 30% more accurate.",
            [(5.0, "x"), (30.0, "%")],
            [],
        ),
        (
            "Our models average between 70% and 85% of the teacher's performance.",
            [],
            [(85.0, None)],
        ),
        # the unit follows the wording
        (
            "We see an absolute improvement of 6.5% and a gain of 2.5 pp.",
            [(6.5, "points"), (2.5, "points")],
            [],
        ),
        (
            "FooNet improves F1 by 2.5% and 3.5% absolute points on A and B.",
            [(2.5, "points"), (3.5, "points")],
            [],
        ),
        (
            "FooNet raises success by an absolute rate of 30% and 12%.",
            [(30.0, "points"), (12.0, "points")],
            [],
        ),
        ("Our model improves Recall@1 by 6.1/5.2 points.", [(6.1, "points"), (5.2, "points")], []),
        ("FooNet adds +4.2 mIoU and 2 points ROUGE-L.", [(4.2, "points"), (2.0, "points")], []),
        ("Our method delivers 6.2 points of lift on long documents.", [(6.2, "points")], []),
        (
            "Our model gives a 4.2 BLEU improvement and reaches 45.2 AP, 1.8 AP higher than Bar.",
            [(4.2, "points"), (1.8, "points")],
            [(45.2, None)],
        ),
        # factors
        ("Our solver speeds up decoding by 1.9 on average.", [(1.9, "x")], []),
        ("We accelerate training by a factor of 12.", [(12.0, "x")], []),
        ("Our codec stores images in 500x smaller files.", [(500.0, "x")], []),
        ("FooNet needs only 1/5th the energy of dense attention.", [(5.0, "x")], []),
        ("FooNet reduces training variance nearly 4x.", [(4.0, "x")], []),
        # shares the method saves or removes are gains; data shares are not
        ("FooNet prunes up to 60% of parameters.", [(60.0, "%")], []),
        ("FooNet matches the baseline using only 12% of the compute.", [(12.0, "%")], []),
        ("FooNet matches the baseline using only 12% of the training data.", [], []),
        # a metric's points after "by", dB, LaTeX arrows
        (
            "Our method improves BLEU by 1.5 and reduces perplexity by 0.8 on WikiText.",
            [(1.5, "points"), (0.8, "points")],
            [],
        ),
        ("Our model achieves a 1.2 dB PSNR improvement over Bar.", [(1.2, "points")], []),
        ("Our model reaches 32.5 dB PSNR on Set5.", [], [(32.5, "Set5")]),
        (
            "FooNet improves the success rate from $45.1\\%$ $\\rightarrow$ $58.3\\%$.",
            [(13.2, "points")],
            [(58.3, None)],
        ),
        ("FooNet improves the F1 score from 0.71 to 0.84.", [(0.13, "points")], [(0.84, None)]),
        (
            "With our method, BarLM improves from 45.1 to 52.3 on MMLU.",
            [(7.2, "points")],
            [(52.3, "MMLU")],
        ),
        ("FooNet gives a 3.1-point improvement over Bar.", [(3.1, "points")], []),
        ("Human judges prefer FooNet in 64% of cases.", [], [(64.0, None)]),
        (
            "FooNet matches >90% of its teacher's score (i.e., a large model) on test tasks.",
            [],
            [(90.0, "test tasks")],
        ),
        ("FooNet reaches 55.0%, surpassing GPT-4o (52.3%) and BarLM (49.1%).", [], [(55.0, None)]),
        # a pair is a gain only when the score went the right way
        (
            "FooNet scores 48.7 on BarEval, compared with 49.1 for full attention.",
            [],
            [(48.7, "BarEval")],
        ),
        ("FooNet changes the BarEval score from 61.2 to 58.4.", [], []),
        (
            "FooNet lowers the false positive rate from 8.5% to 2.0%.",
            [(6.5, "points")],
            [(2.0, None)],
        ),
        # counts and scales are not scores
        ("FooNet reduces the number of function evaluations from 50 to 4.", [], []),
        ("FooNet is rated 4.2 on a 5-point Likert scale.", [], []),
        # ablations and degradations are not gains
        ("Without the verifier, accuracy drops to 30%.", [], []),
        ("Removing the router drops accuracy from 48.2% to 5.7%.", [], []),
        ("FooNet keeps accuracy with less than 1% accuracy loss.", [], []),
        # lists: a number listed after a gain is a gain
        (
            "FooNet improves accuracy over Bar by 3.1% on A and 1.2% on B.",
            [(3.1, "%"), (1.2, "%")],
            [],
        ),
        ("FooNet achieves 2.5% and 4.5% improvements on A and B.", [(2.5, "%"), (4.5, "%")], []),
        ("FooNet yields 7.5% on A, a 2.5% gain over Bar.", [(2.5, "%")], [(7.5, "A")]),
    ],
)
def test_gains_and_results(
    text: str,
    expected_gains: list[tuple[float, str | None]],
    expected_results: list[tuple[float, str | None]],
) -> None:
    assert claims(text) == (expected_gains, expected_results)


@pytest.mark.parametrize(
    "text",
    [
        # size ratios, retained shares, bounds, overheads, drops, data statistics
        "Our model matches BarNet with 35% as many parameters as BarNet.",
        "Our adapter adds less than 0.01% parameter overhead.",
        "We merge models by tuning only about 2% of each model's parameters.",
        "Our cache stays within 2% of full recomputation.",
        "Our method adds less than 0.3x overhead cost.",
        "Our pruned model shows only a 1.5-point drop on BarQA.",
        "Our quantized models show minor degradations of up to 3.2%.",
        "Our corpus is 30x larger than the largest prior corpus.",
        "Our filter reduces the training set size by 3.1x.",
        "Our model, with 40x fewer trainable parameters, outperforms BarNet.",
        "Our model uses a 20x smaller Baz backbone.",
        "Our model is trained with 4x more data than BarNet.",
        "Our evaluation shows accuracy differences of up to 9% between prompt formats.",
        "We train on 30% of the data and run on 8x A100 GPUs.",
        # others' numbers
        "Our study finds that GPT-4o achieves 58.2% accuracy on FooBench.",
        "We find that the largest GPT-3 model improves over chance by 15 points.",
        "Our model outperforms Bar-14B-Instruct (71.25%) on the test.",
        "Our model ranks first, while GPT-4 only solves 12% and BarLM solves 9.5% of tasks.",
        "Prior methods achieve 60% on FooBench.",
        "We find that the best-performing model (Gemini 2.5 Pro) achieves 48% on FooBench.",
        "Our study of 12 LLMs shows that Llama-3-70B reaches 45.2% while Qwen2.5-72B reaches 51%.",
        # word numbers
        "Our method nearly doubles throughput and is eightfold cheaper.",
    ],
)
def test_what_is_neither_a_gain_nor_a_result(text: str) -> None:
    assert claims(text) == ([], [])


def test_a_claim_after_the_introduction_counts_without_naming_the_method() -> None:
    text = "We propose FooNet. These changes yield a 2.5x speedup over BarNet."
    assert gains(text, "FooNet") == [(2.5, "x")]
    assert gains("These changes yield a 2.5x speedup over BarNet.", "FooNet") == []


def test_a_score_in_a_sentence_that_names_no_one_needs_an_anaphor_or_a_pair() -> None:
    intro = "We propose FooNet. "
    # anyone's score: not a result; the same sentence's gain or pair counts
    assert claims_of(intro + "Standard tuning achieves 62.5% on BarQA, improving by 3%.") == (
        [(3.0, "%")],
        [],
    )
    assert claims_of(intro + "Its merged model reaches 62.5% on BarQA.") == ([], [(62.5, "BarQA")])
    assert claims_of(intro + "Merging raises BarQA accuracy from 50.5% to 62.5%.") == (
        [(12.0, "points")],
        [(62.5, "BarQA")],
    )


def test_a_pair_counts_in_a_sentence_that_names_no_one() -> None:
    text = "We propose FooNet. On noisy speech, the WER drops from 21.5% to 15.0%."
    assert claims_of(text) == ([(6.5, "points")], [(15.0, None)])


def test_an_opening_phrase_names_a_benchmark_only_with_a_name_or_a_benchmark_noun() -> None:
    assert claims_of("In real-world trials with 50 objects, FooNet achieves 91.5% success.") == (
        [],
        [(91.5, None)],
    )
    assert claims_of("On seven retrieval datasets, FooNet achieves 71.5% recall.") == (
        [],
        [(71.5, "seven retrieval datasets")],
    )


def test_scores_on_the_papers_own_benchmark_are_results_only_when_its_clause_says_so() -> None:
    intro = "We introduce FooNet, a benchmark of 900 coding tasks. "
    assert claims_of(intro + "We find that the strongest model reaches 45.5% on FooNet.") == (
        [],
        [],
    )
    assert claims_of(intro + "Our fine-tuned model reaches 45.5% on FooNet.") == (
        [],
        [(45.5, "FooNet")],
    )


def claims_of(text: str) -> tuple[list[tuple[float, str | None]], list[tuple[float, str | None]]]:
    found_gains, found_results = extract_claims(text, Sentences(text), "FooNet")
    return [(g.value, g.unit) for g in found_gains], [(r.value, r.benchmark) for r in found_results]


def test_results_carry_metric_unit_and_setting() -> None:
    text = "Our model achieves up to 77.5% top-1 accuracy on ImageNet."
    (result,) = extract_results(text, Sentences(text))
    assert (result.value, result.unit, result.benchmark) == (77.5, "%", "ImageNet")
    assert result.metric == "top-1 accuracy" and result.setting == "up to"
    assert result.evidence == text and result.start == text.index("77.5")
