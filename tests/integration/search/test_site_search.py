"""The site-wide search through the test client, on the embedded drugs, pills and articles and a
community thread: one page with a section per kind, exact drug names sent to their page,
suggestions as JSON, bad input answered with a message, and a page the shared cache may keep."""

from __future__ import annotations

import re

import pytest

from tests.conftest import seed_once
from tests.integration._community import ask, thread_id_from
from webapp.blueprints.content import loader as content_loader
from webapp.blueprints.drugs import loader as drug_loader
from webapp.blueprints.pills import seed as pill_seed
from webapp.extensions import db


@pytest.fixture
def site(app, asker):
    with app.app_context():
        # The same steps and key as the sitemap tests: loaded once per process, then replayed.
        seed_once("sitemap: articles, drugs, pills", lambda: [step(db.session, lambda _m: None) for step in (
            content_loader.seed, drug_loader.seed, pill_seed.seed)])
    thread = thread_id_from(ask(asker, title="Does atorvastatin cause muscle pain at night?",
                                body="My legs ache since I started it."))
    return {"thread": thread}


def _sections(html: str) -> list[str]:
    return re.findall(r'<h2 id="results-(\w+)-heading">', html)


def _section(html: str, kind: str) -> str:
    start = html.index(f'id="results-{kind}"')
    end = html.find('<section class="result-section"', start + 1)
    return html[start:end if end > 0 else None]


def test_a_condition_query_shows_the_condition_first_with_counts(client, site):
    response = client.get("/search?q=high+blood+pressure")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _sections(html)[0] == "conditions"
    conditions = _section(html, "conditions")
    assert 'href="/conditions/hypertension"' in conditions
    count = int(re.search(r'<h2 id="results-conditions-heading">Conditions <span class="count">\((\d+)\)', html).group(1))
    assert count >= 1 and f'Conditions <span class="count">({count})</span>' in html  # also in the section list


def test_an_imprint_offers_the_pill_identifiers_results_first(client, site):
    html = client.get("/search?q=PD+155+10").get_data(as_text=True)
    assert _sections(html)[0] == "pills"
    pills = _section(html, "pills")
    assert re.search(r'href="/pill-identifier/pills/\d+"', pills)
    assert 'href="/pill-identifier?imprint=PD+155+10"' in pills


def test_a_query_mixes_articles_and_public_threads_in_their_own_sections(client, site):
    html = client.get("/search?q=atorvastatin+muscle+pain").get_data(as_text=True)
    assert "community" in _sections(html)
    assert f'href="/community/threads/{site["thread"]}"' in _section(html, "community")
    html = client.get("/search?q=pancreatic+cancer").get_data(as_text=True)
    assert 'href="/health-centers/pancreatic-cancer' in _section(html, "articles")


def test_a_misspelt_drug_is_found_and_the_correction_shown(client, site):
    html = client.get("/search?q=atorvastatn").get_data(as_text=True)
    assert "Showing results for <strong>atorvastatin</strong>" in html
    assert _sections(html)[0] == "drugs" and 'href="/drugs/atorvastatin"' in _section(html, "drugs")


@pytest.mark.parametrize("typed, page", [("Lipitor", "/drugs/atorvastatin"), ("ibuprofen", "/drugs/ibuprofen"),
                                         ("  IBUPROFEN ", "/drugs/ibuprofen")])
def test_a_query_naming_a_drug_exactly_goes_to_its_page(client, site, typed, page):
    response = client.get("/search", query_string={"q": typed})
    assert response.status_code == 302 and response.headers["Location"] == page


def test_a_visitors_results_page_is_public_and_the_same_bytes_each_time(app, client, site):
    first, second = app.test_client().get("/search?q=stomach"), app.test_client().get("/search?q=stomach")
    assert first.status_code == 200 and first.get_data() == second.get_data()
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert {"list:drugs", "list:pills", "list:content", "list:community"} <= set(first.headers["xkey"].split())
    assert "Set-Cookie" not in first.headers


def test_nothing_found_says_so_and_suggests_where_to_look(client, site):
    html = client.get("/search?q=zzqqxxkk").get_data(as_text=True)
    assert "No results for “zzqqxxkk”" in html and 'href="/drugs"' in html


@pytest.mark.parametrize("query, status, message", [
    ("", 200, "Search drugs and supplements by brand or generic name"),
    ("%20%20%20", 200, "Search drugs and supplements by brand or generic name"),
    ("x" * 10_000, 400, "That search is 10,000 characters long"),
    ("%F0%9F%92%8A%F0%9F%98%80", 400, "Symbols, emoji and HTML tags on their own can&#39;t be searched"),
    ("%3Cscript%3Ealert(1)%3C%2Fscript%3E", 200, "Searches ignore HTML tags, so we searched for “alert(1)”"),
    ("%3Cb%3E%3C%2Fb%3E", 400, "can&#39;t be searched"),
    ("%00%FF%FE", 200, "Search HealthDesk"),  # bytes that are not UTF-8: read as whatever letters they make
    ("stomach&page=-1", 200, "result"),
])
def test_bad_input_gets_a_clear_message_never_a_500(client, site, query, status, message):
    response = client.get(f"/search?q={query}")
    html = response.get_data(as_text=True)
    assert response.status_code == status and message in html
    assert "<script>alert" not in html
    assert html.count("<h1>") == 1


def test_a_refused_query_is_kept_in_the_box_and_tied_to_its_message(client, site):
    html = client.get("/search?q=" + "y" * 300).get_data(as_text=True)
    box = re.search(r'<input type="search" id="search-q"[^>]*>', html, re.S).group(0)
    assert 'value="' + "y" * 300 + '"' in box
    assert 'aria-describedby="search-problem"' in box and 'aria-invalid="true"' in box
    assert 'id="search-problem"' in html


def test_suggestions_while_typing_are_json_with_links(client, site):
    response = client.get("/search/suggest?q=lipi")
    data = response.get_json()
    assert response.headers["Cache-Control"].startswith("public, max-age=300")
    assert {"label": "Atorvastatin", "url": "/drugs/atorvastatin"}.items() <= data["suggestions"][0].items()
    assert "Lipitor" in data["suggestions"][0]["kind"]
    assert data["suggestions"][-1]["url"] == "/search?q=lipi"


def test_suggestions_offer_the_pill_identifier_for_an_imprint(client, site):
    data = client.get("/search/suggest?q=PD+155").get_json()
    first = data["suggestions"][0]
    assert first["kind"] == "Pill identifier" and first["url"] == "/pill-identifier?imprint=PD+155"
    assert re.fullmatch(r"PD 155: \d+ pills? with this imprint", first["label"])


@pytest.mark.parametrize("query", ["", "%F0%9F%92%8A", "z" * 5000, "%00"])
def test_suggestions_for_nothing_searchable_are_empty(client, site, query):
    response = client.get(f"/search/suggest?q={query}")
    assert response.status_code == 200 and response.get_json()["suggestions"] == []


def test_every_page_has_the_search_box_in_its_header_and_the_home_page_a_big_one(client, site):
    for path in ("/drugs", "/pill-identifier", "/health-centers", "/community"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'<form class="site-search-form header-search" method="get" action="/search"', html), path
    home = client.get("/").get_data(as_text=True)
    assert 'class="site-search-form home-search"' in home and '<label for="home-search-q"' in home
    results = client.get("/search?q=stomach").get_data(as_text=True)
    assert "header-search" not in results  # its own box instead of a second one
