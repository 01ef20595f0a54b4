"""The site search's query cleaning and snippet highlighting, without a database."""

from __future__ import annotations

import pytest

from webapp.core.search.index import MAX_TERMS, clean_text, highlight, search_terms


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("Liver  Metastases", ["liver", "metastases"]),
        ('"tumor" AND (liver OR NEAR*)', ["tumor", "and", "liver", "or", "near"]),
        ("<script>alert('x')</script>", ["script", "alert", "x"]),
        ("liver\x00metastases", ["liver", "metastases"]),
        ("___ --- ***", []),
        ("", []),
        (None, []),
        ("tumour tumour TUMOUR", ["tumour"]),
        ("naïve 胰腺 🧬", ["naïve", "胰腺"]),
    ],
)
def test_queries_become_plain_words(query, terms):
    assert search_terms(query) == terms


def test_long_queries_are_bounded():
    assert len(search_terms(" ".join(f"w{n}" for n in range(500)))) == MAX_TERMS
    assert search_terms("x" * 10_000) == ["x" * 60]


def test_highlight_escapes_everything_but_mark():
    html = str(highlight("<b>a & b</b> \ue000liver\ue001 <i>"))
    assert html == "&lt;b&gt;a &amp; b&lt;/b&gt; <mark>liver</mark> &lt;i&gt;"
    assert str(highlight("\ue000unclosed")) == "<mark>unclosed</mark>"
    assert str(highlight("stray\ue001 end")) == "stray end"


def test_stored_text_loses_control_characters_and_sentinels():
    assert clean_text("a\x00b\x07c\ue000d\ne") == "a b c d\ne"
