"""LaTeX and HTML escapes read as what they stand for, with offsets mapped back."""

from __future__ import annotations

import pytest

from summarizer.text.escapes import Unescaped


@pytest.mark.parametrize(
    ("original", "clean"),
    [
        ("gains of 88\\% on X", "gains of 88% on X"),
        ("a $3\\times$ speedup", "a 3× speedup"),
        ("a $3\\times$ speedup, 2.5\\,\\% more", "a 3× speedup, 2.5 % more"),
        ("R&amp;D &lt;b&gt; caf&#233;", "R&D <b> café"),
        ("github.com/a/b\\_c", "github.com/a/b_c"),
        ("plain text, 7% and 3x", "plain text, 7% and 3x"),
    ],
)
def test_escapes_are_read_as_text(original: str, clean: str) -> None:
    assert Unescaped(original).text == clean


def test_every_clean_slice_maps_back_to_the_text_as_stored() -> None:
    original = "We gain 88\\% (R&amp;D) and are $3\\times$ faster."
    text = Unescaped(original)
    for clean_slice, stored in [
        ("88%", "88\\%"),
        ("R&D", "R&amp;D"),
        ("3× faster", "$3\\times$ faster"),
        ("We gain 88% (R&D)", "We gain 88\\% (R&amp;D)"),
    ]:
        start = text.text.index(clean_slice)
        a, b = text.original_span(start, start + len(clean_slice))
        assert original[a:b] == stored
        assert text.original_slice(clean_slice) == stored


def test_text_without_escapes_is_the_same_object() -> None:
    original = "No escapes here: 7% better."
    text = Unescaped(original)
    assert text.text is original and not text.changed
