"""The shared site search (webapp.core.search.index) on the test database (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest

from webapp.core.search import index as site_search
from webapp.extensions import db

NASTY_QUERIES = [
    "",
    "   ",
    "<script>alert(1)</script>",
    '"unbalanced quote',
    "tumor AND OR NOT NEAR( * ^ - : {title}",
    "x" * 10_000,
    "liver\x00metastases",
    "'; DROP TABLE search_documents; --",
    "\ue000mark\ue001",
    "🧬 tumour ‽",
    "___ ... ---",
    "title:liver",
]


@pytest.fixture
def documents(app_ctx):
    session = db.session
    site_search.index_document(session, "article", "liver", "Liver metastases",
                               "Resection of liver metastases from neuroendocrine tumors can relieve symptoms.", "/a/liver")
    site_search.index_document(session, "article", "whipple", "The Whipple procedure",
                               "A pancreaticoduodenectomy removes the head of the pancreas. <b>bold</b> & more", "/a/whipple")
    site_search.index_document(session, "drug", "octreotide", "Octreotide",
                               "A somatostatin analogue used for symptoms of neuroendocrine tumors.", "/drugs/octreotide")
    session.commit()
    return session


def test_ranked_results_with_highlighted_snippets(documents):
    results = site_search.search(documents, "liver metastases")
    assert results.total == 1
    hit = results.hits[0]
    assert (hit.kind, hit.key, hit.title, hit.url) == ("article", "liver", "Liver metastases", "/a/liver")
    assert "<mark>liver</mark>" in str(hit.snippet).lower()


def test_title_matches_rank_above_body_matches(documents):
    site_search.index_document(documents, "article", "mention", "Something else",
                               "A passing mention of octreotide in a long body of text about other things.", "/a/m")
    documents.commit()
    results = site_search.search(documents, "octreotide")
    assert [h.key for h in results.hits] == ["octreotide", "mention"]


def test_stemming_and_kind_filter(documents):
    assert {h.key for h in site_search.search(documents, "tumour tumor").hits} <= {"liver", "octreotide"}
    assert {h.key for h in site_search.search(documents, "tumors").hits} == {"liver", "octreotide"}
    assert [h.key for h in site_search.search(documents, "tumors", kinds=["drug"]).hits] == ["octreotide"]


def test_any_term_matches_when_all_terms_find_nothing(documents):
    results = site_search.search(documents, "pancreas zebra")
    assert [h.key for h in results.hits] == ["whipple"]


def test_snippet_escapes_indexed_markup(documents):
    hit = site_search.search(documents, "pancreas").hits[0]
    html = str(hit.snippet)
    # PostgreSQL's headline parser drops tags, FTS5 keeps them as text: either way no live markup.
    assert "<b>" not in html and "&amp;" in html
    assert "<mark>" in html


def test_reindexing_replaces_and_removing_deletes(documents):
    site_search.index_document(documents, "article", "liver", "Liver surgery", "Completely new words: hepatectomy.", "/a/liver2")
    documents.commit()
    assert site_search.search(documents, "metastases").total == 0
    assert [h.url for h in site_search.search(documents, "hepatectomy").hits] == ["/a/liver2"]
    site_search.remove_document(documents, "article", "liver")
    documents.commit()
    assert site_search.search(documents, "hepatectomy").total == 0
    assert site_search.remove_kind(documents, "article", keep={"whipple"}) == 0
    assert site_search.remove_kind(documents, "drug") == 1
    documents.commit()
    assert site_search.indexed_keys(documents, "article") == {"whipple"}


def test_pagination(app_ctx):
    for n in range(25):
        site_search.index_document(db.session, "article", f"doc{n}", f"Pancreas note {n}", "pancreas " * (n + 1), f"/a/{n}")
    db.session.commit()
    first = site_search.search(db.session, "pancreas", per_page=10)
    third = site_search.search(db.session, "pancreas", page=3, per_page=10)
    assert (first.total, first.pages, len(first.hits), len(third.hits)) == (25, 3, 10, 5)
    assert first.has_next and not third.has_next and third.has_prev
    assert not {h.key for h in first.hits} & {h.key for h in third.hits}
    assert site_search.search(db.session, "pancreas", page=99, per_page=10).hits == []


@pytest.mark.parametrize("query", NASTY_QUERIES)
def test_hostile_queries_never_error(documents, query):
    results = site_search.search(documents, query)
    assert results.total >= 0
    for hit in results.hits:
        assert "<script" not in str(hit.snippet)


def test_install_is_repeatable(app_ctx):
    with db.engine.begin() as connection:
        site_search.install(connection)
        site_search.install(connection)
