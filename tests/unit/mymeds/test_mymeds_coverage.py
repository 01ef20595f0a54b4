"""The checker's honesty and duplication by moiety group, on a small knowledge base."""

from __future__ import annotations

from webapp.blueprints.mymeds.interactions import Medicine, check_interactions
from webapp.blueprints.mymeds.kb.knowledge import build_knowledge_base

SRC = {"title": "Test source", "url": "https://example.org/label"}
KB = build_knowledge_base(
    [{"slug": "nsaid", "name": "NSAIDs", "members": ["ibuprofen", "aspirin"], "duplication": True,
      "duplication_note": "Two NSAIDs."}],
    [{"a": {"class": "nsaid"}, "b": {"ingredient": "warfarin"}, "severity": "major", "summary": "Bleeding.",
      "advice": "Ask.", "source": SRC}],
    [])


def med(key: str, *ingredients: str) -> Medicine:
    return Medicine(key, key.capitalize(), tuple(ingredients))


def test_a_medicine_without_any_rule_is_unchecked_and_not_counted_as_checked():
    report = check_interactions([med("warfarin", "warfarin"), med("ery", "erythromycin"), med("advil", "ibuprofen")], KB)
    assert [m.key for m in report.unchecked] == ["ery"]
    assert [m.key for m in report.checked] == ["warfarin", "advil"]
    assert len(report.interactions) == 1
    assert [m.key for m in report.about("ery").unchecked] == ["ery"] and report.about("warfarin").unchecked == []


def test_a_combination_is_checked_when_one_part_has_a_rule():
    report = check_interactions([med("combo", "erythromycin", "ibuprofen"), med("warfarin", "warfarin")], KB)
    assert report.unchecked == [] and len(report.interactions) == 1


def test_a_medicine_with_no_ingredients_is_not_recognised_rather_than_unchecked():
    report = check_interactions([med("other"), med("warfarin", "warfarin")], KB)
    assert report.unchecked == [] and [m.key for m in report.checked] == ["warfarin"]


def groups(*meds: Medicine) -> list[tuple[str, list[str]]]:
    return [(d.key, [m.key for m in d.medicines]) for d in check_interactions(list(meds), KB).duplications]


def test_minerals_vitamins_and_salicylates_across_products():
    assert groups(med("caltrate", "calcium", "cholecalciferol"), med("tums", "calcium carbonate")) == [
        ("calcium", ["caltrate", "tums"])]
    assert groups(med("aspirin", "aspirin"), med("pepto", "bismuth subsalicylate")) == [
        ("salicylate", ["aspirin", "pepto"])]
    assert groups(med("centrum", "multivitamin"), med("feosol", "iron")) == [("iron", ["centrum", "feosol"])]
    assert groups(med("centrum", "multivitamin"), med("d3", "cholecalciferol")) == [("vitamin-d", ["centrum", "d3"])]
    assert groups(med("d2", "ergocalciferol"), med("d3", "cholecalciferol")) == [("vitamin-d", ["d2", "d3"])]
    assert groups(med("kcl", "potassium chloride"), med("urocit", "potassium")) == [("potassium", ["kcl", "urocit"])]


def test_the_same_ingredient_twice_is_reported_once_and_one_product_never_duplicates_itself():
    assert groups(med("a", "iron"), med("b", "iron")) == [("iron", ["a", "b"])]  # the ingredient duplication
    assert groups(med("caltrate", "calcium carbonate", "calcium")) == []
    assert groups(med("centrum", "multivitamin"), med("one-a-day", "multivitamin")) == [
        ("multivitamin", ["centrum", "one-a-day"])]
    assert groups(med("centrum", "multivitamin"), med("tums", "calcium carbonate")) == []
