"""The allergy check of My Medicine: parsing the free-text allergy list and matching it to
medicines by ingredient, by a name of our drug reference and by drug family."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from webapp.blueprints.mymeds import allergies as allergy_check
from webapp.blueprints.mymeds.allergies import ASK, AVOID, DrugNames, build_reference, check_allergies, parse_allergies
from webapp.blueprints.mymeds.interactions import Medicine
from webapp.core.datafiles import read_yaml

ROOT = Path(__file__).resolve().parents[3]
DRUGS = ROOT / "webapp" / "data" / "drugs"


@pytest.fixture(scope="module")
def classes():
    return allergy_check.allergy_classes()


@pytest.fixture(scope="module")
def reference(classes):
    """Our real drug reference (webapp/data/drugs), as the page reads it from the database."""
    drugs = []
    for path in sorted(DRUGS.glob("*.yaml")):
        doc = read_yaml(path)
        drugs.append(DrugNames(doc["name"], tuple(doc["ingredients"]), doc.get("generic_name") or "",
                               tuple(doc.get("brand_names") or ()), tuple(doc.get("synonyms") or ())))
    return build_reference(drugs, classes)


AMOXICILLIN = Medicine("1", "Amoxicillin 500 mg", ("amoxicillin",))
AUGMENTIN = Medicine("2", "Augmentin (Amoxicillin and clavulanate)", ("amoxicillin", "clavulanate"))
KEFLEX = Medicine("3", "Keflex (Cephalexin)", ("cephalexin",))
NAPROXEN = Medicine("4", "Naproxen", ("naproxen",))
ASPIRIN = Medicine("5", "Aspirin 81 mg", ("aspirin",))
BACTRIM = Medicine("6", "Bactrim DS", ("sulfamethoxazole", "trimethoprim"))
FUROSEMIDE = Medicine("7", "Furosemide", ("furosemide",))
OXYCODONE = Medicine("8", "Oxycodone", ("oxycodone",))
METFORMIN = Medicine("9", "Metformin", ("metformin",))


def check(text, medicines, reference, classes):
    return check_allergies(text, medicines, reference, classes).findings


def test_the_list_is_split_on_commas_semicolons_and_new_lines():
    entries = parse_allergies("Penicillin (rash); sulfa and codeine\nlatex, , peanuts / bee stings")
    assert [e.text for e in entries] == ["Penicillin (rash)", "sulfa", "codeine", "latex", "peanuts", "bee stings"]


def test_repeats_and_empty_text_give_nothing_extra():
    assert parse_allergies("") == [] and parse_allergies(None) == [] and parse_allergies(" ,;\n and ") == []
    assert [e.text for e in parse_allergies("Penicillin, penicillin, PENICILLINS.")] == ["Penicillin"]


def test_huge_text_is_cut_not_an_error(reference, classes):
    text = "penicillin rash " * 50_000 + ", " + "x" * 100_000 + ";" * 10_000
    entries = parse_allergies(text)
    assert 0 < len(entries) <= allergy_check.MAX_ENTRIES
    assert all(len(e.text) <= allergy_check.MAX_SHOWN_CHARS for e in entries)
    findings = check(text, [AMOXICILLIN], reference, classes)
    assert [f.basis for f in findings] == ["class"]


@pytest.mark.parametrize("text", ["penicillin", "Penicillins", "PENICILLIN", "allergic to penicillin",
                                  "Penicillin allergy (hives)", "pcn"])
def test_a_family_is_matched_whatever_the_case_plural_or_extra_words(text, reference, classes):
    (finding,) = check(text, [AMOXICILLIN, METFORMIN], reference, classes)
    assert finding.medicine is AMOXICILLIN and finding.severity == AVOID and finding.basis == "class"
    assert finding.ingredient == "amoxicillin" and finding.allergy == parse_allergies(text)[0].text
    assert finding.why == "amoxicillin is a penicillin"
    assert finding.explanation == "Amoxicillin 500 mg contains amoxicillin, a penicillin."
    assert finding.advice == "Do not take it unless your prescriber knows about the allergy."


def test_an_ingredient_named_directly(reference, classes):
    (finding,) = check("Amoxicillin", [AMOXICILLIN], reference, classes)
    assert (finding.basis, finding.severity, finding.ingredient) == ("ingredient", AVOID, "amoxicillin")


def test_a_brand_name_of_our_reference(reference, classes):
    (finding,) = check("amoxil", [AMOXICILLIN], reference, classes)
    assert finding.basis == "name" and finding.matched == "Amoxil" and finding.severity == AVOID
    assert finding.why == "Amoxil is a brand name of Amoxicillin"
    (finding,) = check("Augmentin", [AUGMENTIN], reference, classes)
    assert finding.basis == "name" and finding.severity == AVOID


def test_part_of_a_combination_is_still_a_warning(reference, classes):
    (finding,) = check("Augmentin", [AMOXICILLIN], reference, classes)
    assert finding.basis == "combination" and finding.severity == AVOID
    assert "which is also in Augmentin" in finding.explanation


def test_sulfa_means_sulfonamide_antibiotics_only(reference, classes):
    findings = check("Sulfa drugs", [BACTRIM, FUROSEMIDE], reference, classes)
    assert [(f.medicine, f.ingredient) for f in findings] == [(BACTRIM, "sulfamethoxazole")]


def test_opioids_and_nsaids(reference, classes):
    findings = check("opiates; NSAIDs", [OXYCODONE, NAPROXEN, ASPIRIN, METFORMIN], reference, classes)
    assert {(f.medicine.key, f.severity) for f in findings} == {("8", AVOID), ("4", AVOID), ("5", AVOID)}


def test_aspirin_allergy_asks_about_other_nsaids_without_claiming_certainty(reference, classes):
    findings = check("aspirin", [ASPIRIN, NAPROXEN], reference, classes)
    assert [(f.medicine, f.severity) for f in findings] == [(ASPIRIN, AVOID), (NAPROXEN, ASK)]
    assert findings[1].advice == "Ask your pharmacist or prescriber before taking it."


def test_penicillin_and_cephalosporin_only_ask_first(reference, classes):
    (finding,) = check("penicillin", [KEFLEX], reference, classes)
    assert finding.severity == ASK and finding.basis == "cross-reactivity"
    assert "Many can take both safely" in finding.explanation
    (finding,) = check("Keflex", [AMOXICILLIN], reference, classes)
    assert finding.severity == ASK


@pytest.mark.parametrize("text", ["peanuts", "latex", "bee stings", "shellfish, eggs", "no known drug allergies",
                                  "sulfites", "antibiotics", "<script>alert(1)</script>", "' OR 1=1 --", "💊 青霉素"])
def test_unknown_entries_match_nothing(text, reference, classes):
    assert check(text, [AMOXICILLIN, KEFLEX, BACTRIM, NAPROXEN, OXYCODONE, METFORMIN], reference, classes) == []


def test_a_medicine_we_cannot_check_is_compared_by_its_name(reference, classes):
    hand_written = Medicine("10", "Penicillin VK 250", ())
    (finding,) = check("penicillin", [hand_written, METFORMIN], reference, classes)
    assert finding.severity == ASK and finding.basis == "medicine-name"


def test_one_finding_per_medicine_and_entry_avoid_first(reference, classes):
    findings = check("penicillin, cephalosporins", [KEFLEX, AMOXICILLIN], reference, classes)
    assert [(f.medicine, f.allergy, f.severity) for f in findings] == [
        (KEFLEX, "cephalosporins", AVOID), (AMOXICILLIN, "penicillin", AVOID),
        (KEFLEX, "penicillin", ASK), (AMOXICILLIN, "cephalosporins", ASK)]


def test_group_synonyms_are_not_drug_names(reference):
    assert ("antibiotic",) not in reference and ("blood", "thinner") not in reference
    assert reference[("amoxil",)].ingredients == ("amoxicillin",)
    assert reference[("salbutamol",)].ingredients == ("albuterol",)


def test_every_class_member_is_an_ingredient_we_carry(classes):
    text = (ROOT / "webapp" / "data" / "INGREDIENTS.md").read_text(encoding="utf-8")
    carried = {name.strip() for line in text.splitlines() if line.count("|") >= 3
               for name in line.split("|")[2].split(",")}
    for info in classes.classes.values():
        assert info.members <= carried, info.slug
    header = (ROOT / "webapp" / "data" / "allergy_classes.yaml").read_text(encoding="utf-8")[:1500]
    assert "not yet reviewed by a pharmacist" in header.lower()


@pytest.mark.parametrize("doc, message", [
    ([], "allergy_classes.yaml: expected a mapping with a list under 'classes'"),
    ({"classes": [{"slug": "x", "name": "x", "singular": "x", "article": "a", "aliases": ["x"], "members": ["X"]}]},
     "allergy_classes.yaml: class 1: members: entry 'X' must be lowercase"),
    ({"classes": [{"slug": "x", "name": "x", "singular": "x", "article": "the", "aliases": ["x"], "members": ["x"]}]},
     "allergy_classes.yaml: class 1: article: 'the' is not one of a, an"),
    ({"classes": [], "cross_reactivity": [{"classes": ["a", "b"], "note": "n"}]},
     "allergy_classes.yaml: cross_reactivity 1: classes: must name two known classes"),
])
def test_an_invalid_data_file_is_refused(doc, message):
    with pytest.raises(allergy_check.AllergyDataError) as info:
        allergy_check.parse_classes(doc)
    assert str(info.value) == message


def test_allergy_text_with_html_is_rendered_escaped(reference, classes):
    report = check_allergies("<img src=x onerror=alert(1)> penicillin <b>", [AMOXICILLIN], reference, classes)
    env = Environment(loader=FileSystemLoader(ROOT / "templates"), autoescape=True)
    html = env.get_template("mymeds/_allergies.html").module.allergy_findings(report, 3)
    assert "<img" not in str(html) and "<b>" not in str(html)
    assert "&lt;img src=x onerror=alert(1)&gt; penicillin &lt;b&gt;" in str(html)
    assert re.search(r"⛔</span> Allergy warning", str(html))


def test_families_shared_with_the_interaction_classes_have_the_same_members(classes):
    """A family named in both data files (opioids / opioid ...) must not drift apart."""
    documents = read_yaml(ROOT / "webapp" / "data" / "drug_classes.yaml")
    drug_classes = {c["slug"]: set(c["members"]) for c in documents}
    shared = {slug: slug.removesuffix("s") for slug in classes.classes if slug.removesuffix("s") in drug_classes}
    assert {"opioids", "macrolides", "fluoroquinolones", "statins", "ace-inhibitors"} <= set(shared)
    for slug, drug_class in shared.items():
        assert set(classes.classes[slug].members) == drug_classes[drug_class], slug


LIPITOR = Medicine("10", "Lipitor (Atorvastatin)", ("atorvastatin",))
ZESTRIL = Medicine("11", "Zestril (Lisinopril)", ("lisinopril",))
VASOTEC = Medicine("12", "Vasotec (Enalapril)", ("enalapril",))


def test_statins_and_ace_inhibitors(reference, classes):
    meds = [LIPITOR, ZESTRIL, VASOTEC]
    assert [(f.medicine, f.severity) for f in check("statins (muscle pain)", meds, reference, classes)] == [(LIPITOR, AVOID)]
    swelling = check("lisinopril - angioedema", meds, reference, classes)
    assert [(f.medicine, f.severity) for f in swelling] == [(ZESTRIL, AVOID), (VASOTEC, ASK)]
    assert "angioedema" in swelling[1].explanation
