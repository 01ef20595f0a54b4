"""Shared set-up for the drug integration tests: a small copy of the embedded data and a
tiny Drugs@FDA folder in the official layout."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import seed_once
from webapp.blueprints.drugs import drugsatfda_import
from webapp.blueprints.drugs import loader as drug_loader
from webapp.extensions import db

DATA = Path(__file__).resolve().parents[2] / "webapp" / "data"
SAMPLE_DRUGS = ("atorvastatin", "acetaminophen", "ibuprofen", "vitamin-d3", "octreotide", "lisinopril")
SHARED = Path(__file__).parents[2].parent / "shared"
DRUGSATFDA = SHARED / "data" / "drugsatfda"

# Lines as they appear in the Drugs@FDA files (tab separated), plus deliberately bad rows.
PRODUCTS = [
    ["ApplNo", "ProductNo", "Form", "Strength", "ReferenceDrug", "DrugName", "ActiveIngredient", "ReferenceStandard"],
    ["020702", "001", "TABLET;ORAL", "EQ 10MG BASE", "1", "LIPITOR", "ATORVASTATIN CALCIUM", "0"],
    ["020702", "002", "TABLET;ORAL", "EQ 20MG BASE", "1", "LIPITOR", "ATORVASTATIN CALCIUM", "0"],
    ["019872", "001", "TABLET;ORAL", "500MG", "0", "TYLENOL", "ACETAMINOPHEN", "0"],
    ["088058", "001", "TABLET;ORAL", "300MG;30MG", "0", "TYLENOL W/ CODEINE NO. 3", "ACETAMINOPHEN; CODEINE PHOSPHATE", "0"],
    ["019280", "001", "INJECTABLE;INJECTION", "EQ 50MCG BASE/ML", "0", "SANDOSTATIN", "OCTREOTIDE ACETATE", "0"],
    ["", "001", "TABLET;ORAL", "1MG", "0", "NO APPLICATION", "NOTHING", "0"],
    ["020702", "001", "TABLET;ORAL", "EQ 10MG BASE", "1", "LIPITOR", "ATORVASTATIN CALCIUM", "0"],
    ["012345", "001", "TABLET;ORAL", "1MG", "0", "", "NOTHING", "0"],
]
APPLICATIONS = [["ApplNo", "ApplType", "ApplPublicNotes", "SponsorName"],
                ["020702", "NDA", "", "PFIZER IRELAND"], ["019872", "NDA", "", "J AND J"],
                ["088058", "ANDA", "", "JANSSEN"], ["019280", "NDA", "", "NOVARTIS"], ["012345", "NDA", "", "X"]]
STATUS = [["MarketingStatusID", "ApplNo", "ProductNo"], ["1", "020702", "001"], ["1", "020702", "002"],
          ["2", "019872", "001"], ["3", "088058", "001"], ["1", "019280", "001"]]
LOOKUP = [["MarketingStatusID", "MarketingStatusDescription"], ["1", "Prescription"], ["2", "Over-the-counter"],
          ["3", "Discontinued"], ["4", "None (Tentative Approval)"]]


def sample_data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    (target / "drugs").mkdir(parents=True)
    shutil.copytree(DATA / "conditions", target / "conditions")
    for slug in SAMPLE_DRUGS:
        shutil.copy(DATA / "drugs" / f"{slug}.yaml", target / "drugs")
    shutil.copy(DATA / "drug_classes.yaml", target / "drug_classes.yaml")
    return target


def write_drugsatfda(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("Products.txt", PRODUCTS), ("Applications.txt", APPLICATIONS),
                       ("MarketingStatus.txt", STATUS), ("MarketingStatus_Lookup.txt", LOOKUP)):
        (folder / name).write_text("\r\n".join("\t".join(r) for r in rows) + "\r\n", encoding="latin-1")
    return folder


def load_sample(tmp_path: Path, with_products: bool = True) -> None:
    """The sample drugs (and their Drugs@FDA products) in the database, inside an app context.
    Loaded from the files once per test process, then replayed (tests/conftest.py seed_once)."""

    def load() -> None:
        drug_loader.load(db.session, sample_data_dir(tmp_path))
        if with_products:
            drugsatfda_import.import_directory(db.session, write_drugsatfda(tmp_path / "fda"))

    seed_once(f"drugs sample, products={with_products}", load)
