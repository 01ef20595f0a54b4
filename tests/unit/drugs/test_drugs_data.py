"""The drug data files and the Drugs@FDA row helpers, without the app."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from webapp.blueprints.drugs import loader as drug_loader
from webapp.blueprints.drugs.drugsatfda_import import display_name, moiety, route_families, split_form, split_ingredients

DATA = Path(__file__).resolve().parents[3] / "webapp" / "data"


@pytest.mark.parametrize(("raw", "expected"), [
    ("METOPROLOL SUCCINATE", "metoprolol"),
    ("ATORVASTATIN CALCIUM", "atorvastatin"),
    ("AMLODIPINE BESYLATE", "amlodipine"),
    ("DOXYCYCLINE HYCLATE", "doxycycline"),
    ("POTASSIUM CHLORIDE", "potassium chloride"),  # only salt words left: keep the name
    ("CALCIUM CARBONATE", "calcium carbonate"),
    ("SODIUM CHLORIDE", "sodium chloride"),
    ("IBUPROFEN", "ibuprofen"),
    ("INSULIN GLARGINE", "insulin glargine"),
    ("POLYETHYLENE GLYCOL 3350", "polyethylene glycol 3350"),
])
def test_moiety_drops_salt_words(raw, expected):
    assert moiety(raw) == expected


def test_form_route_and_ingredient_strengths():
    assert split_form("TABLET, FILM COATED;ORAL") == ("tablet, film coated", "oral")
    assert split_form("INJECTABLE;INJECTION") == ("injectable", "injection")
    assert split_form("") == ("", "")
    assert split_ingredients("FLUOXETINE HYDROCHLORIDE; OLANZAPINE", "EQ 50MG BASE;EQ 12MG BASE") == [
        ("FLUOXETINE HYDROCHLORIDE", "EQ 50MG BASE"), ("OLANZAPINE", "EQ 12MG BASE")]
    # Strengths that do not line up are not guessed.
    assert split_ingredients("A; B", "10MG") == [("A", ""), ("B", "")]


def test_route_families_group_injections_and_oral_routes():
    assert route_families("INTRAVENOUS, SUBCUTANEOUS") == {"injection"}
    assert route_families("intravenous or intramuscular") == {"injection"}
    assert route_families("ORAL-28") == {"oral"}
    assert route_families("oral (buccal)") == {"oral"}
    assert route_families("TOPICAL") == {"topical"}


def test_display_name():
    assert display_name("HYDROCODONE BITARTRATE AND ACETAMINOPHEN") == "Hydrocodone Bitartrate and Acetaminophen"
    assert display_name("LIPITOR") == "Lipitor"


# --- validation of our data format -----------------------------------------------------------


GOOD = {
    "slug": "sampledrug", "name": "Sampledrug", "kind": "prescription", "generic_name": "sampledrug",
    "brand_names": ["Samplex"], "synonyms": [], "ingredients": ["sampledrug"], "popularity": 3,
    "forms": [{"form": "tablet", "route": "oral", "strengths": ["10 mg"]}],
    "conditions": ["sample-condition"],
    "monograph": {"summary": "Sample text (not a real drug).", "uses": "x", "how_to_take": "x",
                  "side_effects": {"common": ["a"], "serious": ["b"]}, "warnings": "x", "do_not_take": "x",
                  "overdose": "x", "storage": "x"},
    "sources": [{"title": "Example", "url": "https://example.org/"}],
    "last_reviewed": "2026-11-28",
    "max_daily_dose": {"adult": "40 mg per day", "note": "Sample note.",
                       "source": {"title": "Example label", "url": "https://example.org/label"}},
}


def write(tmp_path: Path, drug: dict, name: str | None = None) -> Path:
    (tmp_path / "drugs").mkdir(exist_ok=True)
    (tmp_path / "conditions").mkdir(exist_ok=True)
    (tmp_path / "conditions" / "a.yaml").write_text(yaml.safe_dump([
        {"slug": "sample-condition", "name": "Sample condition", "synonyms": ["sample"], "description": "Sample."}]))
    (tmp_path / "drugs" / f"{name or drug.get('slug', 'x')}.yaml").write_text(yaml.safe_dump(drug))
    return tmp_path


def read(tmp_path):
    return drug_loader.read_drugs(tmp_path / "drugs", set(drug_loader.read_conditions(tmp_path / "conditions")))


def test_a_valid_file_is_read(tmp_path):
    (drug,) = read(write(tmp_path, GOOD))
    assert drug.slug == "sampledrug" and drug.brand_names == ("Samplex",)
    assert drug.last_reviewed.isoformat() == "2026-11-28"
    assert drug.max_daily_dose == {"adult": "40 mg per day", "fixed": True, "note": "Sample note.",
                                   "source": {"title": "Example label", "url": "https://example.org/label"}}


def test_no_fixed_maximum_is_read_as_such_and_needs_its_reason(tmp_path):
    honest = {"adult": "No fixed maximum: set by blood tests", "note": "Set by your prescriber from INR tests.",
              "source": {"title": "Example label", "url": "https://example.org/label"}}
    (drug,) = read(write(tmp_path, {**GOOD, "max_daily_dose": honest}))
    assert drug.max_daily_dose["fixed"] is False
    write(tmp_path, {**GOOD, "max_daily_dose": {**honest, "note": None}})
    with pytest.raises(drug_loader.DrugDataError, match="note: must say who sets the dose"):
        read(tmp_path)


def test_the_maximum_dose_is_optional_for_over_the_counter_products(tmp_path):
    otc = {key: value for key, value in GOOD.items() if key != "max_daily_dose"}
    (drug,) = read(write(tmp_path, {**otc, "kind": "otc"}))
    assert drug.max_daily_dose is None


@pytest.mark.parametrize(("change", "reason"), [
    ({"kind": "herbal"}, "kind: 'herbal' is not one of prescription"),
    ({"popularity": 9}, "popularity: must be a whole number from 1 to 5"),
    ({"conditions": ["nowhere"]}, "conditions: unknown condition slug(s): nowhere"),
    ({"ingredients": ["Sampledrug"]}, "ingredients: entry 'Sampledrug' must be lowercase"),
    ({"ingredients": []}, "ingredients: must not be empty"),
    ({"slug": "other"}, "slug: 'other' differs from the file name"),
    ({"sources": [{"title": "x", "url": "javascript:alert(1)"}]}, "sources #1: url: 'javascript:alert(1)' is not an https://"),
    ({"last_reviewed": "yesterday"}, "last_reviewed: 'yesterday' is not a date"),
    ({"extra": 1}, "unknown field 'extra'"),
    ({"max_daily_dose": None}, "max_daily_dose: is required for a prescription drug"),
    ({"max_daily_dose": {"adult": "80 mg per day"}}, "max_daily_dose: missing field(s): source"),
    ({"max_daily_dose": {"adult": " ", "source": {"title": "x", "url": "https://example.org/"}}},
     "max_daily_dose: adult: must not be empty"),
    ({"max_daily_dose": {"adult": "80 mg", "source": {"title": "x", "url": "ftp://example.org/"}}},
     "max_daily_dose: source: url: 'ftp://example.org/' is not an https://"),
    ({"max_daily_dose": {"adult": "80 mg", "dose": "x", "source": {"title": "x", "url": "https://example.org/"}}},
     "max_daily_dose: unknown field 'dose'"),
])
def test_invalid_files_name_the_file_and_the_reason(tmp_path, change, reason):
    write(tmp_path, {**GOOD, **change}, name="sampledrug")
    with pytest.raises(drug_loader.DrugDataError) as error:
        read(tmp_path)
    assert f"sampledrug.yaml: {reason}" in str(error.value)


def test_missing_field_is_reported(tmp_path):
    broken = dict(GOOD)
    del broken["monograph"]
    write(tmp_path, broken)
    with pytest.raises(drug_loader.DrugDataError, match=r"sampledrug.yaml: missing field\(s\): monograph"):
        read(tmp_path)


def test_conditions_are_merged_by_slug(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump([{"slug": "hypertension", "name": "High blood pressure",
                                                      "synonyms": ["HBP"], "description": "One."}]))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump([{"slug": "hypertension", "name": "Hypertension",
                                                      "synonyms": ["hypertension", "HBP"]}]))
    merged = drug_loader.read_conditions(tmp_path)
    assert merged["hypertension"].synonyms == ("HBP", "hypertension")
    assert merged["hypertension"].name == "High blood pressure"


def test_the_embedded_data_set_is_valid():
    conditions = drug_loader.read_conditions(DATA / "conditions")
    drugs = drug_loader.read_drugs(DATA / "drugs", set(conditions))
    assert len(drugs) >= 150
    slugs = {d.slug for d in drugs}
    for net_drug in ("octreotide", "lanreotide", "everolimus", "sunitinib"):
        assert net_drug in slugs
    assert {"prescription", "otc", "vitamin", "supplement"} <= {d.kind for d in drugs}
    classes = drug_loader.read_classes(DATA / "drug_classes.yaml")
    assert classes and all(c.members for c in classes)


def test_every_prescription_monograph_states_its_usual_adult_maximum_with_a_source():
    conditions = drug_loader.read_conditions(DATA / "conditions")
    prescription = [d for d in drug_loader.read_drugs(DATA / "drugs", set(conditions)) if d.kind == "prescription"]
    assert len(prescription) >= 130
    for drug in prescription:
        dose = drug.max_daily_dose
        assert dose and dose["adult"] and dose["source"]["url"].startswith("https://"), drug.slug
        # A number needs its unit; "no fixed maximum" needs the reason (checked by the reader).
        assert not dose["fixed"] or any(unit in dose["adult"] for unit in ("mg", "mcg", "tablet", "drop", "dose", "puff",
                                                                           "inhalation", "unit", "IU")), drug.slug
    by_slug = {d.slug: d.max_daily_dose for d in prescription}
    assert by_slug["atorvastatin"]["adult"] == "80 mg per day"
    assert by_slug["lisinopril"]["adult"].startswith("80 mg per day")
    assert by_slug["metformin"]["adult"].startswith("2,550 mg per day")
    for no_number in ("warfarin", "levothyroxine", "insulin-glargine", "insulin-aspart", "methotrexate"):
        assert by_slug[no_number]["fixed"] is False, no_number
