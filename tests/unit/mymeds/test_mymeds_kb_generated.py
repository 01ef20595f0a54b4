"""Pairs generated from public lists, merged with the hand-written rules: which one a
person sees, the file's round trip, and what counts as a medicine we can check."""

from __future__ import annotations

import gzip
import json

import pytest

from webapp.blueprints.mymeds.interactions import Medicine, check_interactions
from webapp.blueprints.mymeds.kb.build import PairFacts, encode
from webapp.blueprints.mymeds.kb.generated import GeneratedFileError, GeneratedRules
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBase, build_knowledge_base

SRC = {"title": "Test label", "url": "https://example.org/label"}
CLASSES = [
    {"slug": "nsaid", "name": "NSAIDs", "members": ["ibuprofen", "naproxen"], "duplication": False},
    {"slug": "unused", "name": "A class no rule names", "members": ["zzz-member"], "duplication": False},
]
RULES = [
    {"a": {"ingredient": "warfarin"}, "b": {"class": "nsaid"}, "severity": "major",
     "summary": "Hand: bleeding.", "advice": "Hand advice.", "source": SRC},
    {"a": {"ingredient": "clopidogrel"}, "b": {"ingredient": "omeprazole"}, "severity": "moderate",
     "summary": "Hand: weaker clopidogrel.", "advice": "Hand advice.", "source": SRC},
    {"a": {"ingredient": "clopidogrel"}, "b": {"ingredient": "aspirin"}, "severity": "moderate",
     "summary": "Hand: prescribed together on purpose.", "advice": "Hand advice.", "source": SRC,
     "stands_over_lists": True},
    {"a": {"ingredient": "levothyroxine"}, "b": {"food": "dairy-calcium"}, "severity": "minor",
     "summary": "Hand: food.", "advice": "Hand advice.", "source": SRC},
]


def facts(**grades):
    return PairFacts(grades={s: (g, 2) for s, g in grades.items()}, mechanism="raises-level")


PAIRS = {
    ("naproxen", "warfarin"): facts(ansm="ansm-precaution"),  # hand is stricter: hand shown
    ("clopidogrel", "omeprazole"): facts(ansm="ansm-contraindication"),  # list stricter: list shown
    ("aspirin", "clopidogrel"): facts(ansm="ansm-not-recommended"),  # stricter, but the hand rule stands
    ("erythromycin", "simvastatin"): facts(ansm="ansm-contraindication", **{"onc-high": "onc-high-priority"}),
    ("fluconazole", "tacrolimus"): PairFacts(grades={"ansm": ("ansm-precaution", 2), "onc-ni": ("onc-non-interruptive", 2)},
                                             mechanism="raises-level", affected="tacrolimus"),
}


def generated_from(pairs) -> GeneratedRules:
    return GeneratedRules(json.loads(gzip.decompress(encode(pairs, {}))))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    hand = build_knowledge_base(CLASSES, RULES, [])
    return KnowledgeBase(hand.classes.values(), hand.rules, generated=generated_from(PAIRS))


def test_a_hand_rule_as_strict_as_the_list_is_the_one_shown(kb):
    assert kb.pair_rule("warfarin", "naproxen").summary == "Hand: bleeding."


def test_a_stricter_list_wins_over_a_hand_rule(kb):
    rule = kb.pair_rule("omeprazole", "clopidogrel")
    assert rule.severity == "major" and rule.summary != "Hand: weaker clopidogrel."
    assert "ANSM" in rule.source.title and "2016" in rule.source.title


def test_a_reviewed_hand_rule_stands_over_a_stricter_list(kb):
    assert kb.pair_rule("aspirin", "clopidogrel").severity == "moderate"


def test_a_pair_only_the_lists_name_is_found_in_our_words_with_source_and_date(kb):
    report = check_interactions([Medicine("ery", "Erythromycin", ("erythromycin",)),
                                 Medicine("simva", "Zocor", ("simvastatin",))], kb)
    (finding,) = report.interactions
    assert finding.severity == "major" and "Do not combine" in finding.advice
    assert "erythromycin" in finding.summary.lower() and "simvastatin" in finding.summary.lower()
    assert "2016" in finding.source.title  # the strictest list names the finding
    assert kb.pair_rule("simvastatin", "erythromycin").onc_high_priority


def test_the_stricter_of_two_lists_grades_the_pair_and_the_direction_survives_the_file(kb):
    facts_ = kb.generated.facts("tacrolimus", "fluconazole")
    assert facts_.strictest == ("ansm", "ansm-precaution") and facts_.affected == "tacrolimus"
    rule = kb.pair_rule("tacrolimus", "fluconazole")
    assert rule.severity == "moderate"
    assert rule.summary.startswith("Fluconazole can raise the blood level of tacrolimus")


def test_known_ingredients_are_those_with_a_rule(kb):
    assert {"warfarin", "ibuprofen", "naproxen", "levothyroxine", "erythromycin", "tacrolimus"} <= kb.known_ingredients
    assert "zzz-member" not in kb.known_ingredients  # in a class, but no rule names the class
    assert "paracetamol-unknown" not in kb.known_ingredients


def test_the_file_is_the_same_bytes_for_the_same_pairs():
    assert encode(PAIRS, {}) == encode(dict(reversed(list(PAIRS.items()))), {})


@pytest.mark.parametrize("document", [{}, {"format": 2}, {"format": 1, "sources": []},
                                      {"format": 1, "sources": [], "grades": ["nope"], "mechanisms": [],
                                       "moieties": [], "pairs": []}])
def test_a_malformed_file_is_refused_with_a_reason(document):
    with pytest.raises(GeneratedFileError):
        GeneratedRules(document)
