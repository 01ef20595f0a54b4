"""The generated catalogue pages' pure parts: slugs and the interaction list of one moiety."""

from __future__ import annotations

import pytest

from webapp.blueprints.drugs.catalogue import substances
from webapp.blueprints.mymeds.kb.knowledge import DrugClassInfo, KnowledgeBase, Rule, Source

SOURCE = Source("A public list", "https://example.org/list")


def rule(a, b, severity, summary="What happens.", advice="What to do."):
    return Rule(a, b, severity, summary, advice, SOURCE)


KB = KnowledgeBase(
    [DrugClassInfo("stimulants", "Stimulant medicines", frozenset({"amphetamine", "methylphenidate"})),
     DrugClassInfo("maois", "MAO inhibitors", frozenset({"phenelzine"}))],
    [rule(("class", "stimulants"), ("class", "maois"), "major", "Blood pressure can rise sharply."),
     rule(("class", "stimulants"), ("ingredient", "linezolid"), "moderate"),
     rule(("ingredient", "amphetamine"), ("ingredient", "linezolid"), "major", "The specific rule."),
     rule(("ingredient", "amphetamine"), ("food", "alcohol"), "minor"),
     rule(("ingredient", "warfarin"), ("ingredient", "aspirin"), "major")],
)


def test_each_other_party_once_with_the_rule_the_checker_would_show():
    items = substances.interactions_for(KB, "amphetamine")
    # Most severe first, a named medicine before a class or a food.
    assert [(i.other, i.severity) for i in items] == [("linezolid", "major"), ("MAO inhibitors", "major"), ("Alcohol", "minor")]
    by_other = {i.other: i for i in items}
    assert set(by_other) == {"linezolid", "MAO inhibitors", "Alcohol"}
    # The ingredient rule beats the class rule for the same pair.
    assert by_other["linezolid"].severity == "major" and by_other["linezolid"].summary == "The specific rule."
    assert by_other["linezolid"].other_slug == "linezolid" and by_other["linezolid"].via == ""
    assert by_other["MAO inhibitors"].via == "Stimulant medicines" and by_other["MAO inhibitors"].other_slug is None
    assert by_other["Alcohol"].other_kind == "food"
    assert all(i.source_url == "https://example.org/list" for i in items)


def test_a_class_member_gets_the_class_rules_and_an_unknown_moiety_none():
    assert [i.other for i in substances.interactions_for(KB, "methylphenidate")] == ["MAO inhibitors", "linezolid"]
    assert substances.interactions_for(KB, "esomeprazole") == []


@pytest.mark.parametrize("name, slug", [
    ("esomeprazole", "esomeprazole"), ("sodium chloride", "sodium-chloride"),
    ("st. john's wort", "st-johns-wort"), ("omega-3 fatty acids", "omega-3-fatty-acids"), ("", "substance"),
])
def test_substance_slugs(name, slug):
    assert substances.substance_slug(name) == slug
