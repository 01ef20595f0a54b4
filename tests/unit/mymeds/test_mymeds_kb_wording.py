"""How a public list's grade becomes our severity, how a row's mechanism is read from its
description, and the words a reader sees for a generated pair."""

from __future__ import annotations

import pytest

from webapp.blueprints.mymeds.kb.sources import ansm_grade
from webapp.blueprints.mymeds.kb.wording import GRADES, MECHANISMS, classify_mechanism, wording


@pytest.mark.parametrize(("grade", "severity"), [
    ("ansm-contraindication", "major"),
    ("ansm-not-recommended", "major"),
    ("ansm-precaution", "moderate"),
    ("ansm-take-into-account", "minor"),
    ("onc-high-priority", "major"),
    ("onc-non-interruptive", "minor"),
])
def test_the_documented_severity_table(grade, severity):
    assert GRADES[grade].severity == severity


def test_a_contraindication_says_do_not_combine_and_a_non_interruptive_pair_says_so():
    assert "Do not combine" in GRADES["ansm-contraindication"].advice
    assert "without interrupting" in GRADES["onc-non-interruptive"].advice
    # Where two lists disagree the stricter wins: the order must follow the severities.
    ranked = sorted(GRADES.values(), key=lambda g: g.strictness)
    ranks = {"minor": 1, "moderate": 2, "major": 3}
    assert [ranks[g.severity] for g in ranked] == sorted(ranks[g.severity] for g in ranked)


@pytest.mark.parametrize(("cell", "grade"), [
    ("CONTRAINDICATION", "ansm-contraindication"),
    ("Contraindication:", "ansm-contraindication"),
    ("CONTRAINDICATON", "ansm-contraindication"),
    ("C0NTRAINDICATION", "ansm-contraindication"),
    ("Not recommended with:", "ansm-not-recommended"),
    ("Nor recommended", "ansm-not-recommended"),
    ("Precaution of use", "ansm-precaution"),
    ("Tale into account", "ansm-take-into-account"),
    # Several levels named (it depends on the member): the least strict, never over-alert.
    ("Contraindication - Not recommended - Precaution for use", "ansm-precaution"),
    ("With doses of methotrexate > 20 mg/week", "ansm-precaution"),
    ("", None),
])
def test_ansm_severity_cells_in_every_spelling(cell, grade):
    assert ansm_grade(cell) == grade


@pytest.mark.parametrize(("description", "kind"), [
    ("Increased risk of ventricular arrhythmias, especially of torsades de pointes", "qt"),
    ("Risk of appearance of a serotonin syndrome: diarrhea, tachycardia, sweats", "serotonin"),
    ("Risk of hyperkalemia (potentially lethal) especially when there is renal insufficiency", "hyperkalaemia"),
    ("Increase of the effect of the vitamin K antagonist and of the risk of hemorrhage", "bleeding"),
    ("Increased risk of respiratory depression, which can be fatal", "breathing"),
    ("Increase of the hypotensive effect. Increased risk of orthostatic hypotension", "low-blood-pressure"),
    ("Addition of the nephrotoxic effects.", "kidney"),
    ("Risk of possibly fatal general vaccine disease.", "live-vaccine"),
    ("Risk of decrease of the effectiveness of the hormonal contraceptive", "contraceptive"),
    ("Decrease of the digestive absorption of the thyroid hormones", "absorption"),
    ("Decrease of the plasma concentrations of fentanyl due to increase of its hepatic metabolism by the "
     "anticonvulsant", "lowers-effect"),
    ("Increase of the plasma concentrations of carbamazepine with signs of overdose", "raises-level"),
    ("Increase of the plasma concentrations of midazolam due to decrease of its hepatic metabolism, with increase "
     "of sedation", "raises-level/sedation"),
    ("Something no keyword names", "generic"),
])
def test_the_mechanism_is_read_from_the_description(description, kind):
    assert classify_mechanism(description) == kind
    assert kind in MECHANISMS


def test_an_anticonvulsant_losing_effect_is_not_read_as_a_seizure_drug_pair():
    assert classify_mechanism("Risk of decrease of the plasma concentrations and of the effectiveness of the "
                              "anticonvulsant") == "lowers-effect"


def test_the_words_name_both_medicines_and_the_direction_when_the_list_gives_it():
    summary, advice = wording("lowers-effect", "ansm-not-recommended", "atorvastatin", "rifampin", "atorvastatin")
    assert summary == ("Rifampin can lower the blood level or the effect of atorvastatin, so atorvastatin may not "
                       "work as well.")
    assert advice.startswith("These are usually not taken together")


def test_without_a_direction_the_words_do_not_guess_one():
    summary, _ = wording("raises-level", "ansm-precaution", "carbamazepine", "clarithromycin", None)
    assert summary.startswith("One of carbamazepine and clarithromycin can raise the blood level of the other")


def test_a_raised_level_with_its_consequence_and_the_kind_of_advice():
    summary, advice = wording("raises-level/breathing", "ansm-not-recommended", "fluconazole", "oxycodone",
                              "oxycodone")
    assert "Fluconazole can raise the blood level of oxycodone" in summary
    assert "slowed breathing" in summary and "slow breathing" in advice


def test_minor_pairs_get_no_emergency_advice():
    _, advice = wording("qt", "onc-non-interruptive", "a", "b")
    assert "emergency" not in advice and "without interrupting" in advice


@pytest.mark.parametrize("kind", MECHANISMS)
def test_every_kind_has_words_of_its_own(kind):
    summary, advice = wording(kind, "ansm-precaution", "drug-a", "drug-b", "drug-a")
    assert "drug-a" in summary.lower() and "drug-b" in summary.lower()
    assert advice and "{" not in summary + advice


def test_proper_names_keep_their_capitals():
    summary, _ = wording("lowers-effect", "ansm-contraindication", "phenytoin", "st. john's wort", "phenytoin")
    assert summary.startswith("St. John's wort can lower the blood level or the effect of phenytoin")
