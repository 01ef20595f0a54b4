"""The medicine resolver: one identity for every way a medicine is written."""

from __future__ import annotations

import pytest

from webapp.blueprints.drugs.moieties import DATA_FILE, MoietyDataError, moieties_of, moiety, parse_tables, resolve, tables


@pytest.mark.parametrize(("name", "expected"), [
    ("ESOMEPRAZOLE MAGNESIUM", "esomeprazole"),
    ("METOPROLOL SUCCINATE", "metoprolol"),
    ("AMLODIPINE BESYLATE", "amlodipine"),
    ("FLUTICASONE PROPIONATE", "fluticasone"),
    ("TRIAMCINOLONE ACETONIDE", "triamcinolone"),
    ("AMPICILLIN TRIHYDRATE", "ampicillin"),
    ("MORPHINE SULFATE", "morphine"),
    ("FENTANYL CITRATE", "fentanyl"),
    ("VERAPAMIL HYDROCHLORIDE", "verapamil"),
    ("TAMOXIFEN CITRATE", "tamoxifen"),
    ("DIVALPROEX SODIUM", "valproic acid"),
    ("INSULIN GLARGINE RECOMBINANT", "insulin glargine"),
    ("ADALIMUMAB-ADAZ", "adalimumab"),  # a biosimilar's suffix
    ("CABOZANTINIB S-MALATE", "cabozantinib"),
])
def test_salts_esters_and_hydrates_are_stripped(name, expected):
    assert moiety(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    # minerals: the metal, except the salts our data and rules name as such
    ("POTASSIUM CHLORIDE", "potassium chloride"),
    ("potassium", "potassium chloride"),  # typed alone: the potassium supplement
    ("POTASSIUM CITRATE", "potassium"),
    ("CALCIUM CARBONATE", "calcium carbonate"),
    ("calcium citrate", "calcium"),
    ("FERROUS SULFATE", "iron"),
    ("ferrous gluconate", "iron"),
    ("MAGNESIUM OXIDE", "magnesium"),
    ("ZINC GLUCONATE", "zinc"),
    ("LITHIUM CARBONATE", "lithium"),
    ("BISMUTH SUBSALICYLATE", "bismuth subsalicylate"),
    ("SODIUM CHLORIDE", "sodium chloride"),
    ("SODIUM PHOSPHATE, DIBASIC, HEPTAHYDRATE", "sodium phosphate"),
    ("DIMETHYL FUMARATE", "dimethyl fumarate"),  # a medicine, not a salt
])
def test_mineral_salts(name, expected):
    assert moiety(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("HYDROCODONE BITARTRATE AND ACETAMINOPHEN", ("hydrocodone", "acetaminophen")),
    ("BUPRENORPHINE HYDROCHLORIDE; NALOXONE HYDROCHLORIDE", ("buprenorphine", "naloxone")),
    ("losartan/HCTZ", ("losartan", "hydrochlorothiazide")),
    ("lisinopril-hctz", ("lisinopril", "hydrochlorothiazide")),
    ("amoxicillin-clavulanate", ("amoxicillin", "clavulanate")),
    ("fluticasone propionate; salmeterol xinafoate", ("fluticasone", "salmeterol")),
    ("budesonide + formoterol", ("budesonide", "formoterol")),
    ("LAMIVUDINE, NEVIRAPINE, AND STAVUDINE", ("lamivudine", "nevirapine", "stavudine")),
    ("CONJUGATED ESTROGENS/MEDROXYPROGESTERONE ACETATE", ("conjugated estrogens", "medroxyprogesterone")),
    ("co-trimoxazole", ("sulfamethoxazole", "trimethoprim")),
    # one moiety written twice, or two variants of one thing: not a combination
    ("AMPICILLIN/AMPICILLIN TRIHYDRATE", ("ampicillin",)),
    ("FOLLITROPIN ALFA/BETA", ("follitropin alfa",)),
    ("alpha-tocopherol acetate", ("vitamin e",)),
    ("ESTROGENS, CONJUGATED", ("conjugated estrogens",)),
    ("ACETIC ACID, GLACIAL", ("acetic acid",)),
])
def test_combinations_are_split(name, expected):
    assert moieties_of(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("metformin ER 500 mg", "metformin"),
    ("Toprol-XL", "toprol"),
    ("bupropion XL", "bupropion"),
    ("lamotrigine ODT", "lamotrigine"),
    ("diltiazem CD", "diltiazem"),
    ("ciprofloxacin HCl", "ciprofloxacin"),
    ("Vitamin D3 1000 IU", "cholecalciferol"),
    ("nifedipine extended-release tablets", "nifedipine"),
    ("Tylenol®", "tylenol"),
])
def test_form_and_strength_words_are_dropped(name, expected):
    assert moiety(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("paracetamol", "acetaminophen"),
    ("APAP", "acetaminophen"),
    ("cyclosporin", "cyclosporine"),
    ("Ciclosporin", "cyclosporine"),
    ("rifampicin", "rifampin"),
    ("salbutamol", "albuterol"),
    ("HCTZ", "hydrochlorothiazide"),
    ("folate", "folic acid"),
    ("vitamin D", "cholecalciferol"),
    ("St John's Wort", "st. john's wort"),
    ("fish oil", "omega-3 fatty acids"),
])
def test_other_names_and_spellings(name, expected):
    assert moiety(name) == expected


@pytest.mark.parametrize(("name", "reason"), [
    ("", "no letters"),
    ("😀💊", "no letters"),
    ("1234 5678", "no letters"),
    ("мелатонин", "no letters we can read"),
])
def test_names_without_a_moiety_say_why(name, reason):
    result = resolve(name)
    assert not result and result.moieties == () and reason in result.reason


def test_bad_input_is_read_safely():
    assert not any("<" in m or ">" in m for m in moieties_of("<b>warfarin</b><script>alert(1)</script>"))
    assert moieties_of("💊 warfarin") == ("warfarin",)
    long = moieties_of("x" * 5000)
    assert len(long) == 1 and len(long[0]) <= 500
    assert moieties_of("warfarin\x00") == ("warfarin",)


def test_every_spelling_points_at_a_lowercase_moiety_and_the_file_is_checked():
    t = tables()
    assert t.spellings["paracetamol"] == ("acetaminophen",)
    assert {g.slug for g in t.nutrient_groups} >= {"calcium", "salicylate", "vitamin-d", "iron", "potassium"}
    with pytest.raises(MoietyDataError):
        parse_tables({"spellings": {"Tylenol": "Acetaminophen"}}, DATA_FILE.name)
    with pytest.raises(MoietyDataError):
        parse_tables({"nutrient_groups": [{"slug": "x", "name": "X", "members": [], "note": "n"}]}, DATA_FILE.name)
