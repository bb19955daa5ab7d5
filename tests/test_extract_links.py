"""Link finding, cleaning, classification and the code_url choice."""

from __future__ import annotations

import pytest

from summarizer.backends.rules.extract import extract_summary
from summarizer.core.schema import Summary
from summarizer.text.urls import classify_link, find_links, normalise_url


def urls(text: str) -> list[str]:
    return [link.url for link in find_links(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Try it at https://example.org/tool.", ["https://example.org/tool"]),
        ("(see https://foo.ai/demo), then", ["https://foo.ai/demo"]),
        ("Released: https://github.com/acme/widget{here}.", ["https://github.com/acme/widget"]),
        ("Mirror at [https://bar.net/x]; done", ["https://bar.net/x"]),
        ('Quoted "https://baz.io/p", ok', ["https://baz.io/p"]),
        ("Code: github.com/acme/gizmo.", ["https://github.com/acme/gizmo"]),
        ("Page: acme-lab.github.io, and more", ["https://acme-lab.github.io"]),
        ("Weights on huggingface.co/acme/gizmo-7b.", ["https://huggingface.co/acme/gizmo-7b"]),
        ("Visit www.acme.com for details", ["https://www.acme.com"]),
    ],
)
def test_finds_and_cleans_links(text: str, expected: list[str]) -> None:
    assert urls(text) == expected


def test_prose_domains_and_file_names_are_not_links() -> None:
    text = "Pages from sites such as reddit.com and stackexchange.com, parsed with main.py."
    assert urls(text) == []


def test_duplicate_links_are_reported_once() -> None:
    assert urls("At https://x.org/a and again https://x.org/a/.") == ["https://x.org/a"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://GitHub.com/Org/Repo/", "https://github.com/Org/Repo"),
        ("github.com/org/repo.git", "https://github.com/org/repo"),
        ("https://site.org/path).", "https://site.org/path"),
        ("www.Example.com/", "https://www.example.com"),
    ],
)
def test_normalise_url(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://github.com/a/b", "code"),
        ("https://gitlab.com/a/b", "code"),
        ("https://bitbucket.org/a/b", "code"),
        ("https://a-team.github.io/proj", "project"),
        ("https://sites.google.com/view/thing", "project"),
        ("https://huggingface.co/org/model", "hub"),
        ("https://zenodo.org/records/1", "hub"),
        ("https://arxiv.org/abs/2401.00001", "paper"),
    ],
)
def test_classify_link(url: str, kind: str) -> None:
    assert classify_link(url) == kind


def summary(abstract: str) -> Summary:
    return extract_summary("A Title", abstract)


def test_code_repository_wins_over_hub_link() -> None:
    s = summary(
        "Weights are on https://huggingface.co/acme/m and code at https://github.com/acme/m."
    )
    assert s.code_url == "https://github.com/acme/m"
    assert (
        s.code_url_evidence
        == "Weights are on https://huggingface.co/acme/m and code at https://github.com/acme/m."
    )


def test_hub_model_link_alone_is_not_code() -> None:
    assert (
        summary("Our fine-tuned model is available at https://huggingface.co/acme/m.").code_url
        is None
    )


def test_hub_link_said_to_hold_code_is_code() -> None:
    s = summary("Our code and weights are available at https://huggingface.co/acme/m.")
    assert s.code_url == "https://huggingface.co/acme/m"


def test_a_page_said_to_hold_only_data_is_data_not_code() -> None:
    s = summary("We release the benchmark and data at https://widget-bench.github.io/.")
    assert s.code_url is None
    assert [link.kind for link in s.links] == ["data"]


def test_unrelated_reference_link_is_not_code() -> None:
    assert summary("We follow the protocol of https://arxiv.org/abs/2001.01234.").code_url is None


def test_every_evidence_is_verbatim() -> None:
    abstract = "We build X. Code is at github.com/acme/x. It works."
    s = summary(abstract)
    assert s.code_url == "https://github.com/acme/x"
    assert s.code_url_evidence is not None and s.code_url_evidence in abstract


def test_bare_project_page_is_not_code() -> None:
    assert (
        summary("Our project page is available at https://widget-lab.github.io/w/.").code_url
        is None
    )


def test_hub_link_for_data_is_not_code_even_if_code_is_mentioned_elsewhere() -> None:
    s = summary(
        "We make the corpus available at https://hf.co/acme, and explain how source code "
        "files can be removed from it."
    )
    assert s.code_url is None


def test_link_to_instructions_is_not_code() -> None:
    s = summary(
        "Code owners can opt out of the dataset by following the steps at https://acme.org/optout."
    )
    assert s.code_url is None
    s = summary("Data owners can opt out by following the instructions at https://acme.org/optout.")
    assert s.code_url is None


def test_a_page_said_to_hold_models_is_a_model_link_not_code() -> None:
    s = summary("We release the Widget models and corresponding data at https://widget.ai.")
    assert s.code_url is None
    assert [link.kind for link in s.links] == ["model"]


def test_comma_list_of_released_things_keeps_its_subject() -> None:
    s = summary(
        "Our code, data, environment images, and videos are publicly available at https://bench.dev/."
    )
    assert s.code_url == "https://bench.dev/"
    s = summary(
        "We make public the code used to build it, and the corpus itself, at https://corpus.example.org/."
    )
    assert s.code_url == "https://corpus.example.org/"


def test_document_noun_ending_a_list_with_code_still_holds_code() -> None:
    s = summary("Widget's code, model, data, and demo are available at https://widget.cs.uni.edu")
    assert s.code_url == "https://widget.cs.uni.edu"
    s = summary("A demo is available at https://widget.cs.uni.edu and we study code generation.")
    assert s.code_url is None


def test_bare_domain_after_a_link_cue_is_a_link() -> None:
    s = summary("Data, code, and leaderboard are available at toolbench.com.")
    assert [link.url for link in s.links] == ["https://toolbench.com"]
    assert s.code_url == "https://toolbench.com"
    s = summary("We crawl sites such as wikipedia.org and reddit.com for text.")
    assert s.links == []


def kinds(text: str) -> list[tuple[str, str]]:
    return [(link.url, link.kind) for link in summary(text).links]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # what the clause says the link holds decides, except on a code host (schema 3)
        ("The winning datasets are released at https://www.data-comp.ai.", "data"),
        ("Pretrained models are available at https://bit.ly/3xYz.", "model"),
        ("Quantized checkpoints can be downloaded from https://huggingface.co/acme/q4.", "model"),
        ("We release the weights at https://acme.org/weights.", "model"),
        ("Try our demo at https://acme.org/try.", "demo"),
        ("See our project page: https://acme.github.io/gizmo.", "project"),
        # a repository on a code host is the paper's code, whatever it holds (schema 3)
        ("Our benchmark is publicly available at https://github.com/acme/bench.", "code"),
        ("A curated list of papers is maintained at https://github.com/acme/awesome-x.", "code"),
        ("MiniCPM models are available at https://github.com/OpenBMB/MiniCPM.", "code"),
        ("Our dataset is openly available at https://gitlab.example.de/grp/data.", "code"),
        ("Datasets are on https://gitee.com/acme/tbys.", "code"),
        ("A curated list of papers is maintained at https://acme.org/awesome-x.", "other"),
        # the paper itself
        ("Full version: https://arxiv.org/abs/2401.00001.", "paper"),
        ("See https://doi.org/10.1000/xyz for details.", "paper"),
        # code wins within its clause
        ("Code and models are available at https://huggingface.co/acme/gizmo.", "code"),
        ("Our code, data and checkpoints are at https://acme.org/release.", "code"),
        ("The implementation is at https://acme.org/src.", "code"),
        # nothing said: a repository holds code, a hub page is a hub page
        ("Gizmo is fast. https://github.com/acme/gizmo", "code"),
        ("Gizmo is fast. https://huggingface.co/acme/gizmo", "hub"),
        ("Gizmo is fast. https://huggingface.co/spaces/acme/gizmo", "demo"),
        ("Gizmo is fast. https://huggingface.co/datasets/acme/gizmo", "data"),
    ],
)
def test_a_link_takes_the_kind_its_clause_gives_it(text: str, kind: str) -> None:
    ((_, found),) = kinds(text)
    assert found == kind
    assert (summary(text).code_url is not None) == (kind == "code")


def test_each_link_of_a_sentence_reads_its_own_clause() -> None:
    text = (
        "Weights are at https://huggingface.co/acme/w and code at https://github.com/acme/c; "
        "the datasets are available at huggingface.co/datasets/acme/d and the curation "
        "library at https://github.com/acme/lib."
    )
    assert [k for _, k in kinds(text)] == ["model", "code", "data", "code"]
    assert summary(text).code_url == "https://github.com/acme/c"


def test_a_hub_page_beside_a_repository_holds_the_models() -> None:
    text = (
        "The models and code can be found on our profile at https://huggingface.co/acme and "
        "GitHub page at https://github.com/acme/gizmo."
    )
    assert [k for _, k in kinds(text)] == ["model", "code"]
    assert summary(text).code_url == "https://github.com/acme/gizmo"


def test_a_new_clause_after_a_list_of_models_names_its_own_release() -> None:
    text = (
        "We study unlearning on language models, and we release our benchmark to help: "
        "https://muse.github.io"
    )
    assert kinds(text) == [("https://muse.github.io", "data")]
