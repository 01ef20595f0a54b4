"""Every health-center page, as a reader (and a search engine) gets it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from webapp.blueprints.content import loader as content_loader
from webapp.extensions import db

ARTICLE = "/health-centers/pancreatic-cancer/pnet-treatment-option-overview"
WHIPPLE = "/health-centers/pancreatic-cancer/whipple-procedure"
NEXT = "/health-centers/pancreatic-cancer/pnet-systemic-therapy"


@pytest.fixture
def loaded(app):
    with app.app_context():
        content_loader.sync(db.session, content_loader.CONTENT_DIR, echo=lambda _m: None)
        db.session.commit()
    return app


@pytest.fixture
def page(client, loaded):
    def get(path: str, status: int = 200) -> str:
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)

    return get


def test_centers_list_links_to_the_center(page):
    html = page("/health-centers")
    assert '<a href="/health-centers/pancreatic-cancer">Pancreatic Cancer Health Center</a>' in html


def test_center_page_groups_articles_by_kind(page):
    html = page("/health-centers/pancreatic-cancer")
    assert "<h1>Pancreatic Cancer Health Center</h1>" in html
    pdq = html.index(">PDQ summaries</h2>")
    features = html.index(">Features</h2>")
    assert pdq < html.index(ARTICLE) < features < html.index(WHIPPLE)
    perspectives = html.index(">Expert perspectives</h2>")
    assert features < perspectives < html.index("/health-centers/pancreatic-cancer/choosing-where-to-have-pancreatic-surgery")
    assert "Today on HealthDesk" in html


def test_center_links_related_drugs_and_the_community_group(app, client, loaded):
    html = client.get("/health-centers/pancreatic-cancer").get_data(as_text=True)
    from flask import url_for

    with app.test_request_context():
        for slug in ("octreotide", "lanreotide", "everolimus", "sunitinib", "temozolomide", "capecitabine"):
            assert f'href="{url_for("drugs.detail", slug=slug)}"' in html
        assert f'href="{url_for("community.group", slug="pancreatic-cancer")}"' in html


def test_article_has_title_breadcrumb_sections_toc_and_dates(page):
    html = page(ARTICLE)
    assert re.search(r"<h1[^>]*>Pancreatic Neuroendocrine Tumors \(Islet Cell Tumors\) Treatment \(PDQ®\): Treatment - Health Professional "
                     r"Information \[NCI\] - Treatment Option Overview</h1>", html)
    crumbs = html[html.index('aria-label="Breadcrumb"'):]
    assert crumbs.index(">Health Centers</a>") < crumbs.index(">Pancreatic Cancer</a>")
    assert '<h2 id="localized-disease">Localized Disease</h2>' in html
    assert '<h2 id="surgical-cytoreduction-for-metastases">Surgical Cytoreduction for Metastases</h2>' in html
    toc = html[html.index('class="toc"'):html.index("</nav>", html.index('class="toc"'))]
    assert '<a href="#localized-disease">' in toc and '<a href="#references">' in toc
    assert 'Last reviewed <time datetime="2026-11-28">November 28, 2026</time>' in html


def test_every_citation_and_backlink_points_at_something_on_the_page(page):
    html = page(ARTICLE)
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    fragments = re.findall(r'href="#([^"]+)"', html)
    assert {f"ref-{n}" for n in range(1, 13)} <= set(fragments)
    assert {f"cite-{n}-1" for n in range(1, 13)} <= set(fragments)
    missing = [f for f in fragments if f not in ids]
    assert not missing, f"links to anchors that do not exist: {missing}"
    assert len(ids) == len(re.findall(r'\bid="', html)), "duplicate ids"
    assert html.count('href="https://www.cancer.gov/types/pancreatic/hp/pnet-treatment-pdq"') >= 12


def test_evidence_badges_link_to_the_levels_page(page):
    html = page(ARTICLE)
    assert html.count('class="evidence-badge" href="/health-centers/levels-of-evidence"') == 2
    levels = page("/health-centers/levels-of-evidence")
    assert "consecutive but not population based" in levels and "Indirect surrogate end point" in levels
    assert 'href="https://www.cancer.gov/publications/pdq/levels-evidence/treatment"' in levels


def test_related_card_next_article_and_their_pages(page):
    html = page(ARTICLE)
    card = html[html.index('<aside class="related-card"'):html.index("</aside>")]
    assert "Recommended related to Pancreatic Cancer" in card
    assert f'<a class="related-link" href="{WHIPPLE}">Read the Whipple Procedure article' in card
    next_nav = html[html.index('class="next-article"'):]
    assert f'href="{NEXT}"' in next_nav[:600]
    for path in (WHIPPLE, NEXT):
        other = page(path)
        assert "Sample content." in other and "Sources</h2>" in other
    assert "Pancreaticoduodenectomy" in page(WHIPPLE)
    # Related articles not shown as a card in the text are listed at the end.
    assert "Related articles</h2>" not in html
    perspective = page("/health-centers/pancreatic-cancer/choosing-where-to-have-pancreatic-surgery")
    listed = perspective[perspective.index("Related articles</h2>"):]
    assert f'href="{WHIPPLE}">Whipple Procedure</a>' in listed[:800]


def test_attribution_in_pdq_citation_format(page):
    html = page(ARTICLE)
    assert ("PDQ® Adult Treatment Editorial Board. PDQ Pancreatic Neuroendocrine Tumors (Islet Cell Tumors) Treatment. "
            "Bethesda, MD: National Cancer Institute. Available at: "
            '<a href="https://www.cancer.gov/types/pancreatic/hp/pnet-treatment-pdq">') in html
    assert "public domain" in html
    assert "logo" not in html.lower()


def test_seo_metadata_and_json_ld(client, loaded):
    response = client.get(ARTICLE)
    html = response.get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost' + ARTICLE + '">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="Pancreatic Neuroendocrine Tumors' in html
    description = re.search(r'<meta name="description" content="([^"]+)">', html).group(1)
    assert description.startswith("Treatment options for pancreatic neuroendocrine tumors")
    # A data block, not script: no nonce, so the page is the same bytes for every reader.
    payload = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "nonce" not in response.headers["Content-Security-Policy"]
    data = json.loads(payload)
    assert data["@type"] == "MedicalWebPage" and data["lastReviewed"] == "2026-11-28"
    assert data["isBasedOn"] == "https://www.cancer.gov/types/pancreatic/hp/pnet-treatment-pdq"
    assert data["audience"]["audienceType"] == "Clinician"


def test_print_stylesheet_keeps_references_and_drops_navigation(page, app):
    html = page(ARTICLE)
    assert "css/content.css" in html
    css = (Path(app.static_folder) / "css" / "content.css").read_text(encoding="utf-8")
    print_rules = css[css.index("@media print"):]
    assert ".content-side" in print_rules and ".toc" in print_rules
    assert ".references" not in print_rules.split("display: none")[0]


def test_today_sidebar_shows_editorial_picks_but_not_the_current_article(page):
    html = page(WHIPPLE)
    sidebar = html[html.index('<section class="today"'):]
    assert "Editor&#39;s pick" in sidebar
    assert f'href="{ARTICLE}"' in sidebar and f'href="{WHIPPLE}"' not in sidebar


@pytest.mark.parametrize("path", [
    "/health-centers/no-such-center",
    "/health-centers/pancreatic-cancer/no-such-article",
    "/health-centers/pancreatic-cancer/whipple-procedure-x",
    "/health-centers/other-center/whipple-procedure",
    "/health-centers/%3Cscript%3E",
    "/health-centers/" + "a" * 5000,
    "/health-centers/pancreatic-cancer/%00",
    "/health-centers/PANCREATIC-CANCER",
])
def test_unknown_slugs_give_the_404_page(page, path):
    assert "Page not found" in page(path, 404)


def test_search_finds_articles_with_highlighted_snippets(page):
    html = page("/health-centers/search?q=liver+metastases")
    assert "result" in html and f'href="{ARTICLE}"' in html
    assert "<mark>" in html


@pytest.mark.parametrize("query", [
    "", "%20%20", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "x" * 10_000, "%FF%FE%00", "%22unbalanced", "NEAR(a+b)+OR+*",
    "liver&page=-5", "liver&page=abc", "liver&page=99999999999999999999", "%F0%9F%A7%AC",
])
def test_search_never_fails_on_odd_input(page, query):
    html = page(f"/health-centers/search?q={query}")
    assert "<script>alert" not in html
    assert "Search HealthDesk" in html


def test_search_without_results_says_so(page):
    assert "No results for" in page("/health-centers/search?q=zzqqxx")


def test_a_visitors_article_is_the_same_public_bytes_every_time(client, loaded):
    first, second = client.get(ARTICLE), client.get(ARTICLE)
    assert first.get_data() == second.get_data() and first.headers["ETag"] == second.headers["ETag"]
    assert "Set-Cookie" not in first.headers and 'name="csrf_token"' not in first.get_data(as_text=True)
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "article:pnet-treatment-option-overview" in first.headers["xkey"].split()
    assert first.headers["Last-Modified"]
    again = client.get(ARTICLE, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()


def test_signed_in_readers_and_text_size_are_never_served_someone_elses_page(client, loaded, auth, user):
    assert client.get(ARTICLE).headers["Cache-Control"].startswith("public")
    client.set_cookie("font_size", "larger")
    assert '<html lang="en" class="fs-larger">' in client.get(ARTICLE).get_data(as_text=True)
    assert client.get(ARTICLE).headers["Cache-Control"] == "private, no-cache"  # never shared
    auth.login(user.email)
    response = client.get(ARTICLE)
    html = response.get_data(as_text=True)
    assert "Morgan Member" in html and "Log out" in html
    assert response.headers["Cache-Control"] == "private, no-store" and "xkey" not in response.headers


@pytest.fixture
def purged(app, monkeypatch):
    """The keys the app asks the shared cache to purge (no cache runs in these tests)."""
    from webapp.core.caching import http_cache

    sent: list[set[str]] = []
    app.config["CACHE_PURGE_URLS"] = ["http://127.0.0.1:9/"]
    monkeypatch.setattr(http_cache, "purge", lambda keys, urls=None: sent.append(set(keys)) or 1)
    return sent


def test_a_content_sync_purges_the_article_it_changed(app, client, loaded, tmp_path, purged):
    import shutil

    assert "Localized Disease" in client.get(ARTICLE).get_data(as_text=True)
    folder = tmp_path / "content"
    shutil.copytree(content_loader.CONTENT_DIR, folder)
    path = folder / "pancreatic-cancer" / "pnet-treatment-option-overview.md"
    path.write_text(path.read_text().replace("## Localized Disease", "## Localised Disease (edited)"))
    with app.app_context():
        content_loader.sync(db.session, folder, echo=lambda _m: None)
        db.session.commit()
    assert any("article:pnet-treatment-option-overview" in keys for keys in purged)
    assert not any("article:whipple-procedure" in keys for keys in purged)  # unchanged: stays cached
    assert "Localised Disease (edited)" in client.get(ARTICLE).get_data(as_text=True)


@pytest.mark.parametrize("query", ["?q=%3Cscript%3Ealert(1)%3C/script%3E", "?x=" + "y" * 10_000, "?%FF%FE=%00%C3%28"])
def test_odd_query_strings_on_article_pages_are_harmless(page, query):
    html = page(ARTICLE + query)
    assert "Surgical Cytoreduction for Metastases" in html and "<script>alert" not in html


def test_search_can_show_one_kind_only(page):
    everything = page("/health-centers/search?q=pancreatic")
    assert 'name="kind"' in everything and ">Health center</option>" in everything
    articles_only = page("/health-centers/search?q=pancreatic&kind=article")
    assert 'href="/health-centers/pancreatic-cancer"' not in articles_only.split('class="search-results"')[1]
    assert f'href="{ARTICLE}"' in articles_only
    centers_only = page("/health-centers/search?q=pancreatic&kind=center")
    assert f'href="{ARTICLE}"' not in centers_only.split('class="search-results"')[1]
    assert "1 result for" in centers_only
    assert page("/health-centers/search?q=pancreatic&kind=%3Cbogus%3E").count('class="result"') == everything.count('class="result"')


def test_an_article_removed_by_a_content_sync_is_purged_and_gone(app, client, loaded, tmp_path, purged):
    import shutil

    assert client.get(ARTICLE).status_code == 200
    folder = tmp_path / "content"
    shutil.copytree(content_loader.CONTENT_DIR, folder)
    (folder / "pancreatic-cancer" / "pnet-treatment-option-overview.md").unlink()
    with app.app_context():
        content_loader.sync(db.session, folder, echo=lambda _m: None)
        db.session.commit()
    assert any("article:pnet-treatment-option-overview" in keys for keys in purged)
    assert client.get(ARTICLE).status_code == 404
