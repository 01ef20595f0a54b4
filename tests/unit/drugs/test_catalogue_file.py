"""The embedded catalogue and labeled-uses files: written deterministically, read back
unchanged, and refused with a clear reason when damaged."""

from __future__ import annotations

import gzip
import random
from datetime import date
from pathlib import Path

import pytest

from tests.integration.drugs_helpers import DRUGSATFDA, SHARED, write_drugsatfda
from webapp.blueprints.drugs import drugsatfda_import
from webapp.blueprints.drugs.catalogue import embedded, labeled_uses
from webapp.blueprints.drugs.catalogue.embedded import CatalogueFileError
from webapp.blueprints.drugs.catalogue.labeled_uses import IndicationsFileError, Use
from webapp.blueprints.drugs.drugsatfda_import import ImportReport

EMBEDDED = Path(embedded.CATALOGUE_DIR)
LABELEDIN = SHARED / "data" / "drug-indications" / "labeledin_indications.tsv"


def product(appl_no: str, product_no: str, name: str, **extra) -> dict:
    values = {"appl_no": appl_no, "product_no": product_no, "appl_type": "NDA", "brand_name": name,
              "slug": drugsatfda_import.product_slug(name), "active_ingredients": "ESOMEPRAZOLE MAGNESIUM",
              "form": "capsule, delayed release", "route": "oral", "strength": "EQ 20MG BASE", "sponsor": "ASTRAZENECA",
              "marketing_status": "prescription", "te_code": "AB", "reference_drug": True}
    return {**values, **extra}


PRODUCTS = {
    ("021153", "001"): product("021153", "001", "NEXIUM"),
    ("204655", "001"): product("204655", "001", "NEXIUM 24HR", marketing_status="otc", te_code=None,
                               reference_drug=False),
    ("000004", "004"): product("000004", "004", "Café «au» lait® ☃", marketing_status=None, te_code=None,
                               appl_type="", sponsor=""),
}


def test_products_round_trip_through_the_file():
    back = embedded.decode_products(embedded.encode_products(PRODUCTS))
    assert back == PRODUCTS
    assert list(back) == sorted(PRODUCTS)  # sorted by application and product number


def test_the_same_products_give_the_same_bytes_in_any_order():
    items = list(PRODUCTS.items())
    random.Random(7).shuffle(items)
    assert embedded.encode_products(dict(items)) == embedded.encode_products(PRODUCTS)


def test_tabs_and_line_breaks_inside_a_value_cannot_break_a_row():
    odd = {("000001", "001"): product("000001", "001", "TWO\tWORDS", sponsor="LINE\r\nBREAK")}
    back = embedded.decode_products(embedded.encode_products(odd))
    assert back[("000001", "001")]["brand_name"] == "TWO WORDS"
    assert back[("000001", "001")]["sponsor"] == "LINE BREAK"


def test_limit_keeps_the_first_products():
    back = embedded.decode_products(embedded.encode_products(PRODUCTS), limit=2)
    assert list(back) == sorted(PRODUCTS)[:2]


def _gz(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)


HEADER = "\t".join(embedded.COLUMNS)
GOOD_ROW = "021153\t001\tNDA\tASTRAZENECA\tNEXIUM\tESOMEPRAZOLE MAGNESIUM\t20MG\tcapsule\toral\tprescription\tAB\t1"


@pytest.mark.parametrize("raw, reason", [
    (b"not gzip at all", "not a gzipped UTF-8 file"),
    (_gz("appl_no\tsomething else\n"), "expected columns"),
    (_gz(f"{HEADER}\n021153\t001\tNDA\n"), "3 fields where 12 are expected"),
    (_gz(f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW}\n"), "appears twice"),
    (_gz(f"{HEADER}\n{GOOD_ROW.replace('prescription', 'maybe')}\n"), "unknown marketing status"),
    (_gz(f"{HEADER}\n{GOOD_ROW.replace('021153', 'x21153')}\n"), "no application number"),
])
def test_a_damaged_catalogue_file_is_refused_with_its_line(raw, reason):
    with pytest.raises(CatalogueFileError, match=reason):
        embedded.decode_products(raw)


def test_building_twice_from_a_folder_gives_byte_identical_files(tmp_path):
    folder = write_drugsatfda(tmp_path / "fda")
    info, report = embedded.build_from_directory(folder, date(2024, 5, 1), tmp_path / "out1")
    embedded.build_from_directory(folder, date(2024, 5, 1), tmp_path / "out2")
    for name in (embedded.PRODUCTS_NAME, embedded.METADATA_NAME):
        assert (tmp_path / "out1" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes()
    assert info.products == 5 and sum(report.skipped.values()) == 3  # the folder's three bad rows
    read_back = embedded.catalogue_info(tmp_path / "out1")
    assert read_back.snapshot == date(2024, 5, 1) and "Drugs@FDA" in read_back.source
    # What the file holds is what the folder importer reads from the folder.
    assert embedded.read_products(tmp_path / "out1") == drugsatfda_import.read_catalogue(
        folder, ImportReport(), lambda _m: None)


def test_the_snapshot_date_comes_from_source_md_or_must_be_given(tmp_path):
    folder = write_drugsatfda(tmp_path / "fda")
    with pytest.raises(CatalogueFileError, match="snapshot-date"):
        embedded.build_from_directory(folder, None, tmp_path / "out")
    (folder / "SOURCE.md").write_text("# Drugs@FDA data files (snapshot 2019-07-02)\n", encoding="utf-8")
    info, _report = embedded.build_from_directory(folder, None, tmp_path / "out")
    assert info.snapshot == date(2019, 7, 2)
    with pytest.raises(CatalogueFileError, match="is not a folder"):
        embedded.build_from_directory(tmp_path / "nowhere", date(2019, 7, 2), tmp_path / "out")


def test_the_committed_catalogue_says_where_it_comes_from():
    info = embedded.catalogue_info(EMBEDDED)
    assert info.snapshot == date(2019, 7, 2) and info.products == 39_473
    assert "Food and Drug Administration" in info.source and "public domain" in info.licence


@pytest.mark.skipif(not DRUGSATFDA.is_dir(), reason=f"the Drugs@FDA files are not here ({SHARED} is absent)")
def test_the_committed_catalogue_is_what_the_shared_files_build(tmp_path):
    embedded.build_from_directory(DRUGSATFDA, None, tmp_path)
    for name in (embedded.PRODUCTS_NAME, embedded.METADATA_NAME):
        assert (tmp_path / name).read_bytes() == (EMBEDDED / name).read_bytes(), f"{name}: rebuild with flask drugs build-catalogue"


# --- labeled uses --------------------------------------------------------------------------


LABELEDIN_ROWS = [
    "rxnorm_id\tdisease_cui\tn_labels\texpert\tcrowd\tdisease_mesh_name\trxnorm_name",
    "1\tC1\t1\t1\t0\tGastroesophageal Reflux\tEsomeprazole Magnesium",  # expert: kept, salt stripped
    "2\tC2\t2\t0\t1\tHeartburn\tEsomeprazole",  # two labels: kept
    "3\tC3\t1\t0\t1\tHiccup\tEsomeprazole",  # one crowd reading: dropped
    "4\tC4\t3\t1\t0\t\tEsomeprazole",  # no disease name: dropped
    "5\tC5\t1\t1\t0\tConstipation\tsennosides, USP",
]


def _labeledin(tmp_path) -> Path:
    path = tmp_path / "indications.tsv"
    path.write_text("\n".join(LABELEDIN_ROWS) + "\n", encoding="utf-8")
    return path


def test_only_well_supported_uses_are_kept_under_the_moiety(tmp_path):
    facts = labeled_uses.read_labeledin(_labeledin(tmp_path))
    assert set(facts) == {"esomeprazole", "sennosides"}
    assert set(facts["esomeprazole"]) == {"Gastroesophageal Reflux", "Heartburn"}


def test_uses_round_trip_and_rebuild_byte_identical(tmp_path):
    source = _labeledin(tmp_path)
    labeled_uses.build(source, tmp_path / "a")
    labeled_uses.build(source, tmp_path / "b")
    for name in (labeled_uses.FACTS_NAME, labeled_uses.METADATA_NAME):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert labeled_uses.uses_for("esomeprazole", tmp_path / "a") == (
        Use("Gastroesophageal Reflux", 1, True), Use("Heartburn", 2, False))  # expert-curated first
    assert labeled_uses.uses_for("nothing", tmp_path / "a") == ()
    assert labeled_uses.uses_for("esomeprazole", tmp_path / "empty") == ()  # no file: no uses, no error


@pytest.mark.parametrize("raw, reason", [
    (b"junk", "not a gzipped UTF-8 file"),
    (_gz("moiety\tcondition\n"), "expected columns"),
    (_gz("moiety\tcondition\tlabels\texpert\nx\ty\tmany\t1\n"), "malformed row"),
])
def test_a_damaged_uses_file_is_refused(raw, reason):
    with pytest.raises(IndicationsFileError, match=reason):
        labeled_uses.decode(raw)


def test_a_labeledin_file_without_its_columns_is_refused(tmp_path):
    path = tmp_path / "other.tsv"
    path.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(IndicationsFileError, match="missing columns"):
        labeled_uses.read_labeledin(path)


@pytest.mark.skipif(not LABELEDIN.is_file(), reason=f"the LabeledIn file is not here ({SHARED} is absent)")
def test_the_committed_uses_are_what_the_shared_file_builds(tmp_path):
    labeled_uses.build(LABELEDIN, tmp_path)
    for name in (labeled_uses.FACTS_NAME, labeled_uses.METADATA_NAME):
        assert (tmp_path / name).read_bytes() == (labeled_uses.FOLDER / name).read_bytes()
