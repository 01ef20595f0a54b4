"""Recall records (both layouts) and matching them to saved medicines, without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webapp.blueprints.mymeds.models import Recall
from webapp.blueprints.mymeds.recalls.fda_import import canonical_ndc, normalize_record, read_records
from webapp.blueprints.mymeds.recalls.match import MedicineFacts, ingredients_from_description, match_recall, recall_facts, strengths_in

SHARED = Path(__file__).parents[3].parent / "shared" / "data" / "fda-enforcement-samples"
WEEKLY = SHARED / "res_weekly_report_20120613.jsonl"

OPENFDA_RECORD = {
    "recall_number": "D-0001-2026",
    "classification": "Class II",
    "status": "Ongoing",
    "product_type": "Drugs",
    "product_description": "Lisinopril Tablets USP, 10 mg, 90-count bottle, Rx only, NDC 68180-0513-03",
    "reason_for_recall": "Failed dissolution specifications (sample record written for tests)",
    "recalling_firm": "Example Pharma Inc.",
    "report_date": "20260115",
    "code_info": "Lot ABC123, Exp 01/27",
    "openfda": {"product_ndc": ["68180-513"], "generic_name": ["LISINOPRIL"], "brand_name": ["LISINOPRIL"]},
}


@pytest.mark.parametrize(("raw", "expected"), [
    ("0093-0787-01", "00093-0787"),
    ("NDC 11704-600-01", "11704-0600"),
    ("68180-513", "68180-0513"),
    ("68180-0513-03", "68180-0513"),
    ("no code here", None),
    ("", None),
])
def test_ndc_forms_compare_equal(raw, expected):
    assert canonical_ndc(raw) == expected


def test_openfda_record():
    record = normalize_record(OPENFDA_RECORD)
    assert record["recall_number"] == "D-0001-2026"
    assert record["ndcs"] == ["68180-0513"]
    assert record["generic_names"] == ["lisinopril"]
    assert record["report_date"].isoformat() == "2026-01-15"


def test_non_drug_records_are_skipped():
    assert normalize_record({"product-type": "Food", "product-description": "Sandwich"}) is None


def test_weekly_layout_record_numbers_come_from_the_description():
    record = normalize_record({
        "product-type": "Drugs", "report-date": "06/13/2012", "classification": "Class II",
        "product-description": "Atenolol Tablets USP, 25 mg, 100 count bottle (NDC 0093-0787-01). Recall # D-1362-2012",
        "recalling-firm": "Recalling Firm: Teva Pharmaceuticals USA, Inc., Sellersville, PA,Manufacturer: Teva Ltd.",
    })
    assert record["recall_number"] == "D-1362-2012"
    assert record["report_date"].isoformat() == "2012-06-13"
    assert record["ndcs"] == ["00093-0787"]
    assert record["recalling_firm"] == "Teva Pharmaceuticals USA, Inc., Sellersville, PA"


def test_a_record_without_any_number_gets_a_stable_one():
    raw = {"product-type": "Drugs", "product-description": "Something, 5 mg", "report-date": "06/13/2012"}
    first, second = normalize_record(raw), normalize_record(dict(raw))
    assert first["recall_number"].startswith("RES-") and first["recall_number"] == second["recall_number"]


@pytest.mark.skipif(not WEEKLY.exists(), reason=f"the shared FDA sample data is not at {WEEKLY}")
def test_the_real_weekly_report_file():
    records = [normalize_record(r) for r in read_records(WEEKLY)]
    drugs = [r for r in records if r is not None]
    assert len(records) == 72 and len(drugs) == 5
    atenolol = next(r for r in drugs if r["product_description"].startswith("Atenolol"))
    assert atenolol["recall_number"] == "D-1362-2012" and atenolol["ndcs"] == ["00093-0787"]
    assert atenolol["recalling_firm"].startswith("Teva Pharmaceuticals USA")


def test_read_records_accepts_openfda_documents_lists_and_json_lines(tmp_path):
    document = tmp_path / "a.json"
    document.write_text(json.dumps({"meta": {}, "results": [OPENFDA_RECORD]}))
    bare = tmp_path / "b.json"
    bare.write_text(json.dumps([OPENFDA_RECORD]))
    lines = tmp_path / "c.jsonl"
    lines.write_text(json.dumps(OPENFDA_RECORD) + "\n\n" + json.dumps(OPENFDA_RECORD) + "\n")
    assert len(list(read_records(document))) == 1
    assert len(list(read_records(bare))) == 1
    assert len(list(read_records(lines))) == 2


@pytest.mark.parametrize(("description", "ingredients", "brand"), [
    ("Atenolol Tablets USP, 25 mg, a) 100 count bottle", {"atenolol"}, ""),
    ("Pramipexole Dihydrochloride Tablets, 0.125 mg", {"pramipexole"}, ""),
    ("Hydrocodone Bitartrate and Acetaminophen Tablets USP, 10 mg/325 mg", {"hydrocodone", "acetaminophen"}, ""),
    ("Introvale (levonorgestrel and ethinyl estradiol) tablets, USP, 0.15 mg/0.03 mg",
     {"levonorgestrel", "ethinyl estradiol"}, "introvale"),
])
def test_ingredients_read_from_a_description(description, ingredients, brand):
    assert ingredients_from_description(description) == (frozenset(ingredients), brand)


def test_strengths():
    assert strengths_in("Atenolol 25 mg and 50 MG, 0.50 mg, 5 mg/mL") == {"25 mg", "50 mg", "0.5 mg", "5 mg"}


def _recall(**fields) -> Recall:
    base = dict(recall_number="D-1", product_description="Atenolol Tablets USP, 25 mg, (NDC 0093-0787-01)",
                recalling_firm="Teva Pharmaceuticals USA", ndcs=["00093-0787"], generic_names=[], brand_names=[])
    base.update(fields)
    return Recall(**base)


def med(ingredients, ndc=None, brands=(), strength=""):
    return MedicineFacts(ndc, frozenset(ingredients), frozenset(brands), strength)


def test_the_same_ndc_matches_and_says_so():
    result = match_recall(recall_facts(_recall()), med(["atenolol"], ndc="00093-0787"))
    assert result.basis == "ndc" and "NDC 00093-0787" in result.scope_note


def test_a_different_ndc_is_a_different_product():
    assert match_recall(recall_facts(_recall()), med(["atenolol"], ndc="12345-0001")) is None


def test_by_ingredient_the_note_names_the_strength_and_firm():
    result = match_recall(recall_facts(_recall()), med(["atenolol"]))
    assert result.basis == "ingredient"
    assert "25 mg" in result.scope_note and "Teva" in result.scope_note and "not every product" in result.scope_note


def test_another_strength_is_not_alarmed():
    assert match_recall(recall_facts(_recall()), med(["atenolol"], strength="50 mg")) is None
    assert match_recall(recall_facts(_recall()), med(["atenolol"], strength="25 mg")) is not None


def test_a_combination_recall_is_not_about_a_single_ingredient():
    recall = recall_facts(_recall(product_description="Hydrocodone Bitartrate and Acetaminophen Tablets, 5 mg/325 mg",
                                  ndcs=[]))
    assert match_recall(recall, med(["acetaminophen"])) is None
    assert match_recall(recall, med(["hydrocodone", "acetaminophen"])) is not None


def test_an_estradiol_medicine_is_not_matched_by_an_ethinyl_estradiol_recall():
    recall = recall_facts(_recall(product_description="Introvale (levonorgestrel and ethinyl estradiol) tablets, USP",
                                  ndcs=[]))
    assert match_recall(recall, med(["estradiol"])) is None


def test_openfda_generic_names_and_brand():
    recall = recall_facts(_recall(product_description="Tenormin (atenolol) tablets 25 mg", ndcs=[],
                                  generic_names=["atenolol"], brand_names=["tenormin"]))
    assert match_recall(recall, med(["atenolol"], brands=["tenormin"])).basis == "brand"
    assert match_recall(recall, med(["atenolol"])).basis == "ingredient"
