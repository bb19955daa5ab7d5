"""The rules' fast paths give what the plain readings they replace give (the byte-identical
check over a corpus is ``bench/rules_golden.py``; these pin the edge cases)."""

from __future__ import annotations

import re

import pytest

from summarizer.backends.rules import category

TEXTS = [
    "Model merging of LLMs via task arithmetic: merge 3 checkpoints, quantize to 4-bit INT4.",
    "We introduce a benchmark for long-context retrieval-augmented generation (RAG) with 128K tokens.",
    "KV-cache compression; speculative decoding; the agent uses tools & APIs @scale in 3D.",
    "İstanbul KELVIN \u212a sign, ſtraße, naïve café — DPO and RLHF for alignment with humans.",
    "a an of to in we de la ab abc abcd mo mod mode model models modeling",
    "",
    "@@@ 123 4B 7B-Parameter Q-learning Llama 2 7B",
]


def _plain_strongest(text: str) -> dict[int, float]:
    """The category reading before the word prefilter: every word, looked up in turn."""
    words, beginnings, anywhere = category._index()
    best: dict[int, float] = {}
    for word in re.finditer(r"[A-Za-z0-9@]+", text.lower()):
        lowered = word.group(0)
        candidates = words.get(lowered)
        for key in (lowered[:4], lowered[:3], lowered[:2]) if len(lowered) > 3 else (lowered,):
            more = beginnings.get(key)
            if more:
                candidates = more if candidates is None else candidates + more
        if candidates:
            for label, weight, compiled in candidates:
                if weight > best.get(label, 0.0) and compiled.match(text, word.start()):
                    best[label] = weight
    for label, weight, compiled in anywhere:
        if weight > best.get(label, 0.0) and compiled.search(text):
            best[label] = weight
    return best


@pytest.mark.parametrize("text", TEXTS)
def test_strongest_matches_the_plain_reading_in_order(text: str) -> None:
    assert list(category._strongest(text).items()) == list(_plain_strongest(text).items())


def test_cued_words_are_exactly_the_words_with_candidates() -> None:
    index = category._index()
    words, beginnings, _ = index
    vocabulary = set(words) | set(beginnings)
    probes = {k + tail for k in vocabulary for tail in ("", "s", "x", "xy", "xyz")}
    probes |= {k[:n] for k in vocabulary for n in range(1, len(k))}
    for probe in sorted(probes):
        text = f"({probe}) {probe}-{probe}"
        hits = [m.group(0) for m in category._cued_words().finditer(text)]
        expected = [probe] * 3 if category._candidates(probe, index) else []
        assert hits == expected, probe


SPELLINGS = [
    ("Sheared LLaMA", "We present Sheared-LLaMA, and Sheared LLaMA again."),
    ("Sheared LLaMA", "xSheared LLaMA, _Sheared\u00a0LLaMA- Sheared\tLLaMA."),
    ("Sheared LLaMA", "Sheared  LLaMA and Sheared-LLaMA2 and Sheared-LLaMA"),
    ("-X Y", "a -X Y b, --X-Y, é-X Y, (-X Y)"),
    ("X-", "X- X-- X-a X-_ X-."),
    ("Mixtral 8x7B", "Mixtral\u20038x7B; Mixtral-8x7B"),
    ("Café Model", "the Café-Model and café Model"),
    ("A B C", "A B C"),
    ("A B", "A B"),
    ("A B", "A"),
]


@pytest.mark.parametrize(("name", "abstract"), SPELLINGS)
def test_abstract_spelling_matches_its_regex(name: str, abstract: str) -> None:
    from summarizer.backends.rules.method import _abstract_spelling

    parts = re.split(r"[\s\-]+", name)
    pattern = r"[\s\-]".join(re.escape(p) for p in parts)
    match = re.search(r"(?<![\w\-])" + pattern + r"(?![\w\-])", abstract)
    assert _abstract_spelling(name, abstract) == (match.group(0) if match else name)


LINKY = [
    "See https://github.com/a/b and www.example.com/x.",
    "Code: github.com/org/repo. Site: proj.github.io",
    "Visit ab-c.d-e.co.uk/path now; HTTPS://X.ORG.",
    "no links here, e.g. 3.5 and i.e. the end.",
    "ftp://host.org/f and (see foo.io)",
    "\u212aelvin.com/x and ſite.org/a",
]


@pytest.mark.parametrize("text", LINKY)
def test_links_scan_starts_no_later_than_the_first_link(text: str) -> None:
    from summarizer.text import urls

    first = next(urls._URL.finditer(text), None)
    assert first is None or urls._earliest_link(text) <= first.start()
    assert list(urls._URL.finditer(text, urls._earliest_link(text))) == [] or [
        m.span() for m in urls._URL.finditer(text, urls._earliest_link(text))
    ] == [m.span() for m in urls._URL.finditer(text)]


@pytest.mark.parametrize(
    "text", ["7B", "13 billion", "1,024+ M", "2-Trillion", "Llama-2-70B", "x 5 k", "no size"]
)
def test_size_hint_holds_wherever_a_size_matches(text: str) -> None:
    from summarizer.backends.rules import sizes

    if sizes._DIGIT_SIZE.search(text):
        assert sizes._DIGIT_SIZE_HINT.search(text)


ROUND2_TEXTS = [
    *TEXTS,
    "We propose a new method, FooNet, which (FN) is called X; it was proposed, a gain in F1.",
    "Recently, ABC (ABC) was introduced, an approach named bar-2 (see score of 3.5 on MMLU).",
    "In this work, we present ÖNet, the first model; +3.2 accuracy, 1.5 on GLUE, 2x faster.",
    "ΑΣ. İstanbul is named Kelvin \u212a; we dub it Foo.",
]


@pytest.mark.parametrize("text", ROUND2_TEXTS)
def test_method_features_by_in_match_the_regexes(text: str) -> None:
    from summarizer.backends.rules import method

    for lower in (text.lower(), text):
        expected = {key for key, feature in method._FEATURES.items() if feature.search(lower)}
        assert method._features(lower) == expected


@pytest.mark.parametrize("text", ROUND2_TEXTS)
def test_pattern_literals_are_necessary(text: str) -> None:
    from summarizer.backends.rules import method

    for index, pattern in enumerate(method._PATTERNS):
        if pattern.search(text):
            assert method._holds_all(text, method._REQUIRES[index]), index


GAIN_TEXTS = [
    *ROUND2_TEXTS,
    "Our model surpasses the previous state of the art, GPT-4, that achieves about 80% here.",
    "The best existing methods on FooBench achieve 59.4-79.1%, while humans reach 94%.",
    "Our agent only achieves a success rate of 14%, below human performance of 78.2%.",
    "It outperforms Qwen2.5-14B-Instruct (74.33%) and beats Foo compared to ~3% vs. 2%.",
    "We cut costs by up to 40%, improve F1 by over 2 points, gains of ~3%, boosts 5%.",
    "Minor degradations of up to 5.56%, 0.2x overhead, a data set size by 2x, drops by 3%.",
    "An improvement of approximately 20% and an absolute success rate of 34%, +2.6%.",
    "Models averaging 85% of it, high-achieving 90% of it, retain 20% and 30% of it, prunes a 5%.",
    "It increases the rate of answers to nearly 88% of the time and reaches between 80 and 89%.",
    "A built-in 5%, a stand-by 3%, a self-improves 2%, a C++ 4%, x-vs. 2%, high-achieving 7%.",
]


def _ends(text: str) -> list[str]:
    """Every prefix of ``text`` that ends just before a digit or a sign."""
    return [text[:i] for i in range(len(text) + 1) if i == len(text) or text[i] in "0123456789+"]


@pytest.mark.parametrize("text", GAIN_TEXTS)
def test_gain_gates_hold_wherever_their_regex_matches(text: str) -> None:
    from summarizer.backends.rules import gains

    for before in _ends(text):
        low = before.lower()
        last = gains._last_word(low)
        if gains._OTHERS_ACHIEVE.search(before):
            assert gains._others_gate(low, last), before
        if gains._EXCLUDE_BEFORE.search(before):
            assert gains._exclude_gate(low, last), before
        if gains._GAIN_BEFORE.search(before):
            assert gains._gain_gate(last), before
        if gains._ACHIEVED_SHARE.search(before):
            assert gains._share_gate(low, last), before
        if gains._PRUNED_SHARE.search(before):
            assert gains._prune_gate(last), before
        if gains._AT_BEFORE.search(before):
            assert gains._stem(last) in gains._AT_WORDS, before


@pytest.mark.parametrize(
    "text",
    [
        *GAIN_TEXTS,
        "It scores 57.3 pass@1, 1.8/3.3 WER, 44.7 LC win rate, 0.7 better perplexity, 41.2 PQ.",
        "FooNet gives 6.54 and 1.07 decrease in FID, 8.7 and 8.9 on MT-bench, 7.32 in MMLU.",
        "We see 3 times, 2times, 5-fold, 4 pp, 1 p.p., 2 pts, 3.1-point, 4 \\% and 12 percent.",
    ],
)
def test_number_gates_hold_wherever_their_regex_matches(text: str) -> None:
    from summarizer.backends.rules import gains

    for token in gains._TOKEN.finditer(text):
        end = token.end()
        following = text[end : end + 16].lstrip()
        if gains._UNIT_AT.match(text, end):
            assert following[:1] in gains._UNIT_FIRST, text[token.start() :]
        for pattern in (gains._GAIN_NOUN_AT, gains._METRIC_AT, gains._ON_AT):
            if pattern.match(text, end):
                assert following.lower().startswith(gains._AFTER_FIRST), text[token.start() :]


@pytest.mark.parametrize("text", GAIN_TEXTS)
def test_number_scan_finds_what_a_lookbehind_would(text: str) -> None:
    from summarizer.backends.rules import gains

    plain = re.compile(r"(?:(?<=sim)|(?<![\w.@]))\+?(?P<num>" + gains._NUM + ")")
    expected = {m.start("num") for m in plain.finditer(text) if m.group("num")[0] in "0123456789"}
    found = {
        t.start() for t in gains._TOKEN.finditer(text) if gains._number_edge(text, t.start()) >= 0
    }
    assert found == expected


@pytest.mark.parametrize("text", ROUND2_TEXTS)
def test_lowered_slices_hold_the_sentences_words(text: str) -> None:
    from summarizer.text.sentences import Sentences

    sentences = Sentences(text)
    whole = sentences.lowered()
    if whole is None:
        return
    for start, end in sentences.spans:
        assert whole[start:end].encode("ascii", "replace") == text[start:end].lower().encode(
            "ascii", "replace"
        )
