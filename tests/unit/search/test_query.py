"""The site search's rules with no app: reading a query, spotting an imprint, ordering sections,
and which query names a drug exactly."""

from __future__ import annotations

import pytest

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.search.query import (
    MAX_QUERY_CHARS,
    Ranked,
    exact_drug,
    looks_like_imprint,
    order_sections,
    pill_score,
    read_query,
    text_score,
)


@pytest.mark.parametrize("typed", ["M 367", "PD 155 10", "L227", "44-175", "IP 109", "2265;V", "500mg", "ADVIL 200"])
def test_what_is_printed_on_pills_looks_like_an_imprint(typed):
    assert looks_like_imprint(typed)


@pytest.mark.parametrize("typed", ["aspirin", "high blood pressure", "metformin 500", "lisinopril 10 mg",
                                   "ADVIL", "vitamin d3 1000", "1 2 3 4 5", "m\u00e9tformine 5", "x" * 20 + "1"])
def test_names_words_and_long_text_do_not(typed):
    assert not looks_like_imprint(typed)


def test_a_query_keeps_what_was_typed_and_searches_the_tidied_text():
    query = read_query("  Lipitor \t 10\x00mg\u202e ")
    assert query.searchable and query.text == "Lipitor 10mg" and query.problem is None
    assert "\x00" not in query.typed and "\u202e" not in query.typed


@pytest.mark.parametrize("typed", [None, "", "   ", "\x00\x01"])
def test_nothing_typed_is_no_search_and_no_error(typed):
    query = read_query(typed)
    assert not query.searchable and query.problem is None


def test_a_huge_query_is_refused_with_its_length_and_kept_for_editing():
    query = read_query("a" * 10_000)
    assert not query.searchable
    assert "10,000 characters" in query.problem and str(MAX_QUERY_CHARS) in query.problem
    assert 0 < len(query.typed) < 10_000


@pytest.mark.parametrize("typed", ["💊😀", "!!!", "<b></b>", "<script></script>"])
def test_emoji_symbols_or_tags_alone_say_what_can_be_searched(typed):
    query = read_query(typed)
    assert not query.searchable and "letters or numbers" in query.problem


def test_markup_is_searched_as_its_words_and_the_reader_is_told():
    query = read_query("<script>alert(1)</script> aspirin")
    assert query.text == "alert(1) aspirin" and "ignore HTML tags" in query.notice
    assert read_query("a < b > c").text == "a < b > c" and read_query("a < b > c").notice is None


def test_emoji_next_to_words_is_searched():
    assert read_query("aspirin 💊").searchable


def test_the_section_with_the_best_match_comes_first_and_empty_ones_go():
    order = order_sections([Ranked("drugs", 3, 50), Ranked("pills", 2, 95), Ranked("articles", 0, 58),
                            Ranked("community", 4, 30)])
    assert [s.kind for s in order] == ["pills", "drugs", "community"]


def test_equal_scores_keep_the_page_order():
    order = order_sections([Ranked("community", 1, 60), Ranked("articles", 1, 60), Ranked("conditions", 1, 60)])
    assert [s.kind for s in order] == ["conditions", "articles", "community"]


def test_an_exact_imprint_ranks_below_an_exact_drug_name_and_above_a_name_prefix():
    assert drug_search.PREFIX_NAME < pill_score(100) < drug_search.EXACT_NAME
    assert pill_score(80) > pill_score(60) > pill_score(50) > pill_score(1) > pill_score(None) == 0


def test_full_text_sections_rank_higher_when_the_title_has_every_word():
    assert text_score("articles", ["pancreatic", "surgery"], "Pancreatic Surgery Options") > \
        text_score("articles", ["pancreatic", "surgery"], "Whipple procedure")
    assert text_score("articles", ["tumour"], None) == 0


def _hit(target_type, key, kind="name", quality=drug_search.EXACT_NAME, typo=False):
    return drug_search.Hit(target_type, key, key.title(), key, kind, quality, 1000, typo)


def test_a_query_naming_one_drug_exactly_names_its_page():
    assert exact_drug([_hit("drug", "atorvastatin", "brand"), _hit("product", "lipitor", "brand")]) == "atorvastatin"


@pytest.mark.parametrize("hits", [
    [_hit("drug", "atorvastatin", quality=drug_search.PREFIX_NAME)],  # only starts a name
    [_hit("drug", "atorvastatin", typo=True, quality=drug_search.EXACT_NAME)],  # a corrected spelling
    [_hit("drug", "ibuprofen", "word", drug_search.EXACT_WORD)],  # a word inside a name
    [_hit("drug", "a", "brand"), _hit("drug", "b", "brand")],  # a brand of two drugs
    [_hit("drug", "insulin"), _hit("condition", "insulin", "condition")],  # a condition too
    [_hit("product", "lipitor", "brand")],  # a catalogue product is not a drug page
])
def test_no_single_exact_drug_means_the_results_page(hits):
    assert exact_drug(hits) is None
