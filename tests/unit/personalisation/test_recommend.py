"""The "Today on HealthDesk" ranking: each signal leads to the right card, with its reason."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from webapp.blueprints.personalisation.recommend import Alert, Answer, Card, SavedMedicine, Signals, recommend

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)

METFORMIN = SavedMedicine(
    "metformin", drug_slug="metformin", ingredients=frozenset({"metformin"}), conditions=frozenset({"type-2-diabetes"})
)
ATORVASTATIN = SavedMedicine(
    "atorvastatin", drug_slug="atorvastatin", ingredients=frozenset({"atorvastatin"}), classes=frozenset({"statin"}),
    conditions=frozenset({"high-cholesterol"}),
)

CATALOG = [
    Card("article", "whipple", "The Whipple procedure", "/a/whipple", tags=frozenset({"center:pancreatic-cancer"}), editorial_rank=1),
    Card("article", "pnet-overview", "Pancreatic NET treatment", "/a/pnet", tags=frozenset({"center:pancreatic-cancer"}), editorial_rank=2),
    Card("article", "levels", "Levels of evidence", "/a/levels", editorial_rank=3),
    Card("group", "diabetes", "Diabetes", "/g/diabetes", tags=frozenset({"group:diabetes", "condition:type-2-diabetes"})),
    Card("group", "heart-health", "Heart Health", "/g/heart", tags=frozenset({"group:heart-health", "condition:high-cholesterol"})),
    Card("drug", "metformin", "Metformin", "/d/metformin", tags=frozenset({"drug:metformin", "ingredient:metformin"})),
    Card("drug", "sitagliptin", "Sitagliptin", "/d/sitagliptin", tags=frozenset({"condition:type-2-diabetes"})),
    Card("drug", "empagliflozin", "Empagliflozin", "/d/empagliflozin", tags=frozenset({"condition:type-2-diabetes"})),
    Card("drug", "glipizide", "Glipizide", "/d/glipizide", tags=frozenset({"condition:type-2-diabetes"})),
    Card("thread", "101", "Low blood sugar at night?", "/t/101", tags=frozenset({"group:diabetes"}), published_at=NOW - timedelta(days=1)),
    Card("thread", "102", "Statins and muscle aches", "/t/102", tags=frozenset({"group:heart-health", "class:statin"})),
]


def _reasons(items):
    return [(r.card.kind, r.card.key, r.reason) for r in items]


def test_a_visitor_gets_editorial_picks_in_editorial_order():
    items = recommend(Signals(), CATALOG, NOW)
    assert [(r.card.key, r.reason) for r in items] == [
        ("whipple", "Editor's pick"), ("pnet-overview", "Editor's pick"), ("levels", "Editor's pick"),
    ]


def test_a_saved_medicine_leads_to_its_condition_with_the_reason():
    items = recommend(Signals(saved_medicines=(METFORMIN,)), CATALOG, NOW)
    top = items[0]
    assert top.reason == "Because you saved metformin"
    assert ("group", "diabetes", "Because you saved metformin") in _reasons(items)
    assert "My Medicine" in top.why


def test_the_page_of_a_saved_medicine_is_not_recommended():
    items = recommend(Signals(saved_medicines=(METFORMIN,)), CATALOG, NOW)
    assert ("drug", "metformin") not in [(r.card.kind, r.card.key) for r in items]


def test_a_recall_for_a_saved_medicine_comes_first():
    alert = Alert("recall-1", "Atorvastatin 20 mg tablets recalled", "/alerts/1", "atorvastatin", NOW - timedelta(hours=2))
    items = recommend(Signals(saved_medicines=(METFORMIN, ATORVASTATIN), unread_alerts=(alert,)), CATALOG, NOW)
    assert items[0].card.kind == "alert"
    assert items[0].reason == "Recall affecting your atorvastatin"
    assert items[0].urgent


def test_new_answers_come_right_after_alerts():
    alert = Alert("recall-1", "Recall", "/alerts/1", "atorvastatin", NOW)
    answer = Answer("post-9", "Low blood sugar at night?", "Diabetes", "/t/101#post-9", NOW)
    items = recommend(Signals(unread_alerts=(alert,), unread_answers=(answer,)), CATALOG, NOW)
    assert [r.reason for r in items[:2]] == ["Recall affecting your atorvastatin", "New answer in Diabetes"]


def test_joined_group_threads_say_which_group():
    items = recommend(Signals(groups=(("diabetes", "Diabetes"),)), CATALOG, NOW)
    assert ("thread", "101", "From your group Diabetes") in _reasons(items)


def test_reading_history_suggests_related_and_drops_what_was_read():
    items = recommend(Signals(read=(("article", "whipple"),)), CATALOG, NOW)
    keys = [r.card.key for r in items]
    assert "whipple" not in keys
    assert items[0].card.key == "pnet-overview"
    assert items[0].reason == "Because you read The Whipple procedure"


def test_variety_no_more_than_two_of_a_kind_while_others_exist():
    items = recommend(Signals(saved_medicines=(METFORMIN,)), CATALOG, NOW, limit=5)
    kinds = [r.card.kind for r in items]
    assert kinds.count("drug") == 2 and kinds.count("article") == 2
    assert len(items) == 5
    # When nothing else is left, a longer list may repeat a kind rather than stop short.
    assert len(recommend(Signals(saved_medicines=(METFORMIN,)), CATALOG, NOW, limit=7)) == 7


def test_deterministic_for_the_same_input_in_any_order():
    signals = Signals(saved_medicines=(METFORMIN, ATORVASTATIN), groups=(("diabetes", "Diabetes"),))
    first = recommend(signals, CATALOG, NOW)
    second = recommend(signals, list(reversed(CATALOG)), NOW)
    assert first == second


def test_turning_personalisation_off_behaves_as_for_a_visitor():
    alert = Alert("recall-1", "Recall", "/alerts/1", "atorvastatin", NOW)
    off = Signals(personalise=False, saved_medicines=(METFORMIN,), unread_alerts=(alert,), groups=(("diabetes", "Diabetes"),))
    assert recommend(off, CATALOG, NOW) == recommend(Signals(), CATALOG, NOW)


@pytest.mark.parametrize("limit", [0, 1, 3, 20])
def test_never_more_than_the_limit_plus_urgent(limit):
    items = recommend(Signals(saved_medicines=(METFORMIN, ATORVASTATIN)), CATALOG, NOW, limit=limit)
    assert len(items) <= limit


def test_empty_catalog_gives_only_urgent_items():
    alert = Alert("recall-1", "Recall", "/alerts/1", "atorvastatin", NOW)
    assert [r.card.kind for r in recommend(Signals(unread_alerts=(alert,)), [], NOW)] == ["alert"]


def test_newsletter_order_puts_recalls_of_saved_medicines_first_then_interests():
    from webapp.blueprints.personalisation.recommend import NewsItem, order_news

    items = [
        NewsItem("article:whipple", "article", frozenset({"center:pancreatic-cancer"})),
        NewsItem("recall:1", "recall", frozenset({"ingredient:lisinopril"})),
        NewsItem("thread:7", "thread", frozenset({"group:diabetes"})),
        NewsItem("recall:2", "recall", frozenset({"ingredient:metformin", "name:glucophage"})),
    ]
    signals = Signals(saved_medicines=(METFORMIN,), groups=(("diabetes", "Diabetes"),))
    assert [items[i].key for i in order_news(items, signals)] == ["recall:2", "thread:7", "article:whipple", "recall:1"]
    assert order_news(items, Signals(personalise=False, saved_medicines=(METFORMIN,))) == [0, 1, 2, 3]
    assert order_news(items, Signals()) == [0, 1, 2, 3]
