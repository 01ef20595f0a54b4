"""What the areas declare for each other in their hooks.py: real pages, one name per
sitemap section, and cards that lead somewhere."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import url_for

from webapp.areas import REGISTRY
from webapp.blueprints.community import seed as community_seed
from webapp.blueprints.content import loader as content_loader
from webapp.blueprints.main.sitemap import _SECTION
from webapp.extensions import db


def test_every_declared_start_page_is_a_page_of_the_site_that_opens(app, client):
    """A mistyped endpoint would drop a page from the sitemap: the names must be routes."""
    assert len(REGISTRY.sitemap_start_pages) == len(set(REGISTRY.sitemap_start_pages)) >= 10
    with app.test_request_context():
        paths = [url_for(endpoint) for endpoint in REGISTRY.sitemap_start_pages]
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_sitemap_sections_have_distinct_names_the_sitemap_can_serve():
    names = [section.name for section in REGISTRY.sitemap_sections]
    assert sorted(names) == ["pills", "threads"]
    assert all(_SECTION.fullmatch(f"{name}-1") for name in names)


def test_the_areas_today_cards_link_to_pages_that_open(app, client):
    with app.app_context():
        content_loader.seed(db.session, lambda _m: None)
        community_seed.seed(db.session, lambda _m: None)
        db.session.commit()
        with app.test_request_context():
            now = datetime.now(timezone.utc)
            cards = [card for source in (*REGISTRY.today_cards, *REGISTRY.today_fresh_cards)
                     for card in source(db.session, url_for, now)]
    kinds = {card.kind for card in cards}
    assert {"article", "group"} <= kinds
    assert all(card.tags for card in cards)
    for kind in sorted(kinds):
        first = next(card for card in cards if card.kind == kind)
        assert client.get(first.url).status_code == 200, first.url
