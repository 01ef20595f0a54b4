"""The interaction checker on small knowledge bases written in the test, and on the real one."""

from __future__ import annotations

import copy

import pytest

from webapp.blueprints.mymeds.interactions import SAME_INGREDIENT_NOTE, Medicine, check_interactions
from webapp.blueprints.mymeds.kb.interaction_loader import read_knowledge_base
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBaseError, build_knowledge_base

SRC = {"title": "Test source", "url": "https://example.org/label"}

CLASSES = [
    {"slug": "nsaid", "name": "NSAIDs", "members": ["ibuprofen", "naproxen", "aspirin"], "duplication": True,
     "duplication_note": "Two NSAIDs add risk without much benefit."},
    {"slug": "anticoagulant", "name": "Blood thinners", "members": ["warfarin", "apixaban"], "duplication": True,
     "duplication_note": "Two blood thinners are rarely meant."},
    {"slug": "cns-depressant", "name": "Sedating medicines", "members": ["hydrocodone", "alprazolam", "zolpidem"],
     "duplication": False},
    {"slug": "acetaminophen-containing", "name": "Acetaminophen products", "members": ["acetaminophen"],
     "duplication": True, "duplication_note": "The adult maximum is 4,000 mg a day from all sources combined."},
]
RULES = [
    {"a": {"class": "nsaid"}, "b": {"class": "anticoagulant"}, "severity": "major",
     "summary": "Bleeding risk rises.", "advice": "Ask before combining.", "source": SRC},
    {"a": {"ingredient": "warfarin"}, "b": {"ingredient": "acetaminophen"}, "severity": "moderate",
     "summary": "INR may rise with regular use.", "advice": "Keep to low doses.", "source": SRC},
    {"a": {"class": "cns-depressant"}, "b": {"class": "cns-depressant"}, "severity": "major",
     "summary": "Breathing can slow dangerously.", "advice": "Avoid unless prescribed together.", "source": SRC},
    {"a": {"ingredient": "hydrocodone"}, "b": {"ingredient": "alprazolam"}, "severity": "major",
     "summary": "Opioid plus benzodiazepine: specific warning.", "advice": "Boxed warning.", "source": SRC},
    {"a": {"class": "cns-depressant"}, "b": {"food": "alcohol"}, "severity": "major",
     "summary": "Alcohol deepens sedation.", "advice": "Do not drink.", "source": SRC},
    {"a": {"ingredient": "acetaminophen"}, "b": {"food": "alcohol"}, "severity": "moderate",
     "summary": "Liver harm risk.", "advice": "Limit alcohol.", "source": SRC},
]
CONDITIONS = [
    {"drug": {"class": "nsaid"}, "condition": "chronic-kidney-disease", "condition_name": "Chronic kidney disease",
     "condition_synonyms": ["CKD"], "severity": "major", "summary": "Kidneys can get worse.",
     "advice": "Avoid NSAIDs.", "source": SRC},
]


@pytest.fixture(scope="module")
def kb():
    return build_knowledge_base(CLASSES, RULES, CONDITIONS)


def med(key, *ingredients, name=None):
    return Medicine(key, name or key.title(), tuple(ingredients or (key,)))


def pairs(report):
    return {(frozenset(f.medicine_keys), f.severity, f.summary) for f in report.interactions}


def test_a_class_rule_covers_every_member(kb):
    for nsaid in ("ibuprofen", "naproxen", "aspirin"):
        report = check_interactions([med(nsaid), med("warfarin")], kb)
        (finding,) = report.interactions
        assert finding.severity == "major" and finding.summary == "Bleeding risk rises."
        assert {m.key for m in finding.medicines} == {nsaid, "warfarin"}
        assert set(finding.via) == {"NSAIDs", "Blood thinners"}


def test_order_does_not_matter(kb):
    names = ["warfarin", "ibuprofen", "acetaminophen", "alprazolam", "hydrocodone"]
    forward = check_interactions([med(n) for n in names], kb)
    backward = check_interactions([med(n) for n in reversed(names)], kb)
    assert pairs(forward) == pairs(backward)
    assert len(forward.interactions) >= 3


def test_the_most_specific_rule_wins(kb):
    report = check_interactions([med("hydrocodone"), med("alprazolam")], kb)
    (finding,) = report.interactions
    assert finding.summary == "Opioid plus benzodiazepine: specific warning."
    # A pair only the general class rule covers gets the general text.
    report = check_interactions([med("zolpidem"), med("alprazolam")], kb)
    assert [f.summary for f in report.interactions] == ["Breathing can slow dangerously."]


def test_two_ingredients_of_one_product_do_not_interact_with_each_other(kb):
    report = check_interactions([med("norco", "hydrocodone", "acetaminophen")], kb)
    assert report.interactions == [] and report.duplications == []


def test_a_combination_product_is_checked_through_each_ingredient(kb):
    report = check_interactions([med("norco", "hydrocodone", "acetaminophen"), med("warfarin")], kb)
    assert [(f.severity, f.because) for f in report.interactions] == [("moderate", "acetaminophen and warfarin")]


def test_same_ingredient_in_two_products_is_a_duplication_with_the_daily_limit(kb):
    report = check_interactions([med("tylenol", "acetaminophen", name="Tylenol"),
                                 med("norco", "hydrocodone", "acetaminophen", name="Norco")], kb)
    (dup,) = report.duplications
    assert dup.kind == "ingredient" and dup.key == "acetaminophen"
    assert [m.name for m in dup.medicines] == ["Tylenol", "Norco"]
    assert "4,000 mg a day" in dup.note


def test_same_ingredient_without_a_class_note_gets_the_general_note(kb):
    report = check_interactions([med("zolpidem"), med("ambien", "zolpidem")], kb)
    assert [(d.kind, d.note) for d in report.duplications] == [("ingredient", SAME_INGREDIENT_NOTE)]


def test_two_members_of_a_duplication_class(kb):
    report = check_interactions([med("ibuprofen"), med("naproxen")], kb)
    (dup,) = report.duplications
    assert dup.kind == "class" and dup.key == "nsaid" and "Two NSAIDs" in dup.note
    # A class kept only for rules never reports duplication.
    report = check_interactions([med("zolpidem"), med("alprazolam")], kb)
    assert report.duplications == []


def test_the_same_nsaid_twice_is_one_ingredient_duplication_not_also_a_class_one(kb):
    report = check_interactions([med("advil", "ibuprofen"), med("motrin", "ibuprofen")], kb)
    assert [d.kind for d in report.duplications] == ["ingredient"]


def test_food_and_alcohol(kb):
    report = check_interactions([med("norco", "hydrocodone", "acetaminophen")], kb)
    assert sorted((f.other, f.severity) for f in report.food) == [("Alcohol", "major"), ("Alcohol", "moderate")]
    assert all(f.medicines[0].key == "norco" for f in report.food)


def test_conditions_only_when_the_profile_has_them(kb):
    assert check_interactions([med("ibuprofen")], kb).condition_warnings == []
    report = check_interactions([med("ibuprofen")], kb, conditions=["chronic-kidney-disease"])
    (warning,) = report.condition_warnings
    assert warning.other == "Chronic kidney disease" and warning.severity == "major"
    assert report.conditions == ["Chronic kidney disease"]


def test_grouped_by_severity_most_severe_first(kb):
    report = check_interactions([med("warfarin"), med("ibuprofen"), med("acetaminophen")], kb)
    severities = [s for s, _ in report.by_severity()]
    assert severities == ["major", "moderate"]
    assert all(f.severity == "major" for f in report.by_severity()[0][1])


def test_findings_about_one_medicine(kb):
    report = check_interactions([med("warfarin"), med("ibuprofen"), med("zolpidem"), med("alprazolam")], kb)
    about = report.about("ibuprofen")
    assert [f.medicine_keys for f in about.interactions] == [("warfarin", "ibuprofen")]
    assert about.food == []


def test_empty_and_single_lists(kb):
    assert check_interactions([], kb).is_empty
    report = check_interactions([med("warfarin")], kb)
    assert report.interactions == [] and report.duplications == []


def test_unknown_ingredients_are_simply_not_matched(kb):
    assert check_interactions([med("mystery"), med("enigma")], kb).is_empty


def test_thirty_medicines_are_all_checked_in_any_order(kb):
    # Speed is measured in bench/interactions_bench.py, not here.
    real = read_knowledge_base()
    meds = [med(name) for name in sorted(real.known_ingredients)[:30]]
    report = check_interactions(meds, real)
    assert report.count() > 0
    assert check_interactions(list(reversed(meds)), real).count() == report.count()


def test_the_real_knowledge_base_is_valid_and_knows_the_classic_pairs():
    real = read_knowledge_base()
    assert len(real.rules) > 100 and len(real.classes) > 20
    report = check_interactions([Medicine("warfarin", "Warfarin", ("warfarin",)),
                                 Medicine("ibuprofen", "Ibuprofen", ("ibuprofen",))], real)
    assert report.interactions and report.interactions[0].severity == "major"
    report = check_interactions([Medicine("tylenol", "Tylenol", ("acetaminophen",)),
                                 Medicine("norco", "Norco", ("hydrocodone", "acetaminophen"))], real)
    assert any(d.key == "acetaminophen" and "4,000 mg" in d.note for d in report.duplications)


def _broken(doc_index, change):
    docs = [copy.deepcopy(CLASSES), copy.deepcopy(RULES), copy.deepcopy(CONDITIONS)]
    change(docs[doc_index])
    return docs


@pytest.mark.parametrize(("doc_index", "change", "message"), [
    (0, lambda d: d.append(dict(d[0])), "defined twice"),
    (0, lambda d: d[0].update(members=[]), "members"),
    (0, lambda d: d[0].update(members=["Ibuprofen"]), "members"),
    (0, lambda d: d[0].pop("duplication_note"), "duplication_note"),
    (0, lambda d: d[0].update(colour="red"), "unknown field"),
    (1, lambda d: d[0].update(severity="severe"), "severity"),
    (1, lambda d: d[0].update(a={"class": "nope"}), "unknown class"),
    (1, lambda d: d[0].update(b={"food": "chocolate"}), "unknown food"),
    (1, lambda d: d[0].update(a={"herb": "x"}), "unknown kind"),
    (1, lambda d: d[0].update(summary="  "), "summary"),
    (1, lambda d: d[0].update(source={"title": "x", "url": "http://insecure"}), "https"),
    (1, lambda d: d.append(dict(d[0], a=d[0]["b"], b=d[0]["a"])), "same pair"),
    (1, lambda d: d[0].update(a={"ingredient": "warfarin"}, b={"ingredient": "warfarin"}), "the same"),
    (2, lambda d: d[0].pop("condition_name"), "condition_name"),
    (2, lambda d: d[0].update(drug={"food": "alcohol"}), "unknown kind"),
    (2, lambda d: d.append(dict(d[0])), "same drug and condition"),
])
def test_invalid_knowledge_base_is_refused_with_a_clear_message(doc_index, change, message):
    with pytest.raises(KnowledgeBaseError, match=message):
        build_knowledge_base(*_broken(doc_index, change))


def test_documents_must_be_lists():
    with pytest.raises(KnowledgeBaseError, match="expected a list"):
        build_knowledge_base({"slug": "x"}, [], [])
