"""robots.txt and sitemap.xml: search engines get every public page and nothing private."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.conftest import seed_once
from tests.integration._community import ask, thread_id_from
from webapp.blueprints.community.models import CommunityGroup, CommunityThread
from webapp.blueprints.content import loader as content_loader
from webapp.blueprints.drugs import loader as drug_loader
from webapp.blueprints.main import sitemap
from webapp.blueprints.pills import seed as pill_seed
from webapp.extensions import db

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def public_site(app, asker, people):
    with app.app_context():
        seed_once("sitemap: articles, drugs, pills", lambda: [step(db.session, lambda _m: None) for step in (
            content_loader.seed, drug_loader.seed, pill_seed.seed)])
        private = CommunityGroup(slug="private-circle", name="Private circle", visibility="private", status="approved")
        db.session.add(private)
        db.session.commit()
        private_id = private.id
    shown = thread_id_from(ask(asker, title="Does metformin cause tiredness?"))
    hidden = thread_id_from(ask(asker, title="A thread a moderator hid"))
    with app.app_context():
        db.session.get(CommunityThread, hidden).status = "hidden"
        secret = CommunityThread(group_id=private_id, title="Members only", status="visible")
        db.session.add(secret)
        db.session.commit()
        return {"shown": shown, "hidden": hidden, "private": secret.id}


def _locs(client, path: str, tag: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml", path
    root = ET.fromstring(response.data)  # noqa: S314 - our own response; checks it is well-formed XML
    return [loc.text for loc in root.findall(f"s:{tag}/s:loc", NS)]


def _urls(client, site_url: str) -> list[str]:
    """Every address in every sitemap the index lists, as site paths."""
    sitemaps = _locs(client, "/sitemap.xml", "sitemap")
    assert sitemaps and all(s.startswith(site_url) for s in sitemaps)
    locs = [loc for s in sitemaps for loc in _locs(client, s.removeprefix(site_url), "url")]
    assert locs and all(loc.startswith(site_url) for loc in locs)
    return [loc.removeprefix(site_url) for loc in locs]


def test_the_sitemap_lists_the_public_pages_and_each_one_opens_for_a_visitor(app, client, public_site):
    paths = _urls(client, app.config["SITE_URL"])
    assert "/" in paths and "/health-centers/pancreatic-cancer/pnet-treatment-option-overview" in paths
    assert "/drugs/warfarin" in paths and "/community/groups/diabetes" in paths
    assert [p for p in paths if p.startswith("/pill-identifier/pills/")]  # pill pages: how people search for an imprint
    assert f"/community/threads/{public_site['shown']}" in paths
    assert len(paths) == len(set(paths))
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_the_sitemap_never_lists_private_hidden_or_personal_pages(app, client, public_site):
    paths = _urls(client, app.config["SITE_URL"])
    assert f"/community/threads/{public_site['hidden']}" not in paths
    assert f"/community/threads/{public_site['private']}" not in paths
    assert "/community/groups/private-circle" not in paths
    assert not [p for p in paths if p.startswith(("/my-medicine", "/account", "/community/moderation", "/search"))]


def test_robots_txt_keeps_crawlers_out_of_private_and_endless_pages(app, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    for path in ("/my-medicine", "/account", "/community/moderation", "/search", "/api/"):
        assert f"Disallow: {path}\n" in body
    assert f"Sitemap: {app.config['SITE_URL']}/sitemap.xml" in body


def test_healthz_says_503_in_json_when_the_database_is_gone(make_app):
    client = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/nothing").test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "database unavailable"}


def test_big_sections_come_in_numbered_files_and_past_the_end_is_a_404(app, client, public_site, monkeypatch):
    monkeypatch.setattr(sitemap, "CHUNK", 5)
    site = app.config["SITE_URL"]
    sections = [s.removeprefix(site) for s in _locs(client, "/sitemap.xml", "sitemap")]
    pills = [s for s in sections if s.startswith("/sitemap-pills-")]
    assert sections[0] == "/sitemap-pages.xml" and len(pills) > 2 and pills[:2] == ["/sitemap-pills-1.xml", "/sitemap-pills-2.xml"]
    chunks = [_locs(client, path, "url") for path in pills]
    assert all(0 < len(chunk) <= 5 for chunk in chunks)
    assert len({loc for chunk in chunks for loc in chunk}) == sum(len(chunk) for chunk in chunks)  # no pill twice
    for bad in (f"/sitemap-pills-{len(pills) + 1}.xml", "/sitemap-pills-0.xml", "/sitemap-nothing.xml",
                "/sitemap-pills-99999999999.xml", "/sitemap-%3Cscript%3E.xml"):
        assert client.get(bad).status_code == 404, bad
