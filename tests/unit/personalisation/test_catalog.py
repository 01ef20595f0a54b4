"""The "Today" catalog is made of the cards the areas' today_cards hooks offer."""

from __future__ import annotations

from datetime import datetime, timezone

from webapp.blueprints.personalisation import signals
from webapp.core.area import Card

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _source(kind: str, calls: list):
    def cards(session, link, now):
        calls.append(kind)
        return [Card(kind, f"{kind}-{n}", f"{kind} {n}", link(f"{kind}.detail", key=n)) for n in (1, 2)]
    return cards


def _link(endpoint, **values):
    return f"/{endpoint}/{values['key']}"


def test_the_catalog_holds_each_sources_cards_in_order_and_reads_fresh_ones_every_time():
    calls: list[str] = []
    cache: dict = {}
    sources = {"cards": (_source("article", calls), _source("drug", calls)), "fresh_cards": (_source("thread", calls),)}
    first = signals.build_catalog(None, _link, NOW, cache, **sources)
    assert [c.key for c in first] == ["article-1", "article-2", "drug-1", "drug-2", "thread-1", "thread-2"]
    assert first[0].url == "/article.detail/1"
    second = signals.build_catalog(None, _link, NOW, cache, **sources)
    assert second == first
    # The slow-changing cards were read once and kept; the fresh ones were read again.
    assert calls == ["article", "drug", "thread", "thread"]


def test_a_visitor_gets_the_areas_editorial_picks():
    picks = [Card("article", "a", "A", "/a", editorial_rank=2), Card("article", "b", "B", "/b", editorial_rank=1)]
    today = signals.today(None, None, [], _link, NOW, cards=(lambda *_: picks,))
    assert [r.card.key for r in today.cards] == ["b", "a"] and today.groups == ()
