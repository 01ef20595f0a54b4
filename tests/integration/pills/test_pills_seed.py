"""The embedded pills: every record matches its real SPL label, and seeding links our drugs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from webapp.blueprints.pills import match as pm
from webapp.blueprints.pills import search as pill_search
from webapp.blueprints.pills.models import Pill
from webapp.blueprints.pills.seed import PillDataError, load_records, seed
from webapp.blueprints.pills.vocab import colour_by_name_or_code, shape_by_name_or_code
from webapp.extensions import db

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "spl-pill-attributes"
INGREDIENTS = Path(__file__).resolve().parents[3] / "webapp" / "data" / "INGREDIENTS.md"


def our_drug_slugs() -> set[str]:
    lines = INGREDIENTS.read_text(encoding="utf-8").splitlines()
    return {line.split("|")[0].strip() for line in lines if line.count("|") >= 3}


def test_records_are_well_formed_and_link_only_drugs_in_our_reference():
    records = load_records()
    assert records
    slugs = our_drug_slugs()
    for record in records:
        assert "drug" not in record or record["drug"] in slugs, record["_where"]
        assert all(colour_by_name_or_code(c) for c in record["colors"]), record["_where"]
        assert shape_by_name_or_code(record["shape"]), record["_where"]
        assert record["source"]["setid"] and record["ndc"], record["_where"]


@pytest.mark.parametrize(("change", "message"), [
    ({"colors": ["WHITE", "PLAID"]}, "pills.yaml: record 2: colors: unknown colour 'PLAID'"),
    ({"shape": "STAR OF DAVID?"}, "pills.yaml: record 2: shape: unknown shape 'STAR OF DAVID?'"),
    ({"ndc": None}, "pills.yaml: record 2: missing field(s): ndc"),
    ({"flavour": "mint"}, "pills.yaml: record 2: unknown field 'flavour'"),
])
def test_a_bad_record_is_refused_with_file_record_and_field(tmp_path, change, message):
    good = {"drug": "x", "name": "X", "colors": ["WHITE"], "shape": "ROUND", "ndc": "1-2", "source": {"setid": "s"}}
    bad = {k: v for k, v in {**good, **change}.items() if v is not None}
    (tmp_path / "pills.yaml").write_text(yaml.safe_dump([good, bad]), encoding="utf-8")
    with pytest.raises(PillDataError) as info:
        load_records(tmp_path)
    assert str(info.value).startswith(message)


@pytest.mark.skipif(not SHARED.exists(), reason=f"real SPL rows not available ({SHARED} is absent)")
def test_every_solid_product_of_the_real_labels_is_embedded_once():
    with open(SHARED / "spl_products.csv", encoding="utf-8") as handle:
        solid = sorted((r["setid"], r["product_ndc"]) for r in csv.DictReader(handle) if r["splshape"])
    assert sorted((r["source"]["setid"], r["ndc"]) for r in load_records()) == solid


@pytest.mark.skipif(not SHARED.exists(), reason=f"real SPL rows not available ({SHARED} is absent)")
def test_every_record_matches_the_real_spl_row():
    with open(SHARED / "spl_products.csv", encoding="utf-8") as handle:
        rows = {(r["setid"], r["product_ndc"]): r for r in csv.DictReader(handle)}
    for record in load_records():
        row = rows[(record["source"]["setid"], record["ndc"])]
        assert record["imprint"] == row["splimprint"]
        assert [c.upper() for c in record["colors"]] == row["splcolor"].upper().split(";")
        assert record["shape"] == row["splshape"]
        assert float(record["size_mm"]) == float(row["splsize_mm"])
        assert int(record["score"]) == int(row["splscore"])
        assert record["labeler"] == row["labeler"]
        assert record["active_ingredients"] == row["active_ingredients"]
        assert record["source"]["spl_version"] == int(row["spl_version"])


def test_seed_is_idempotent_and_links_drugs(app_ctx):
    from webapp.blueprints.drugs.loader import seed as drug_seed

    drug_seed(db.session, lambda _m: None)
    db.session.commit()
    seed(db.session, lambda _m: None)
    db.session.commit()
    seed(db.session, lambda _m: None)
    db.session.commit()
    count = db.session.execute(select(func.count()).select_from(Pill)).scalar()
    assert count == len(load_records())
    page = pill_search.search(db.session, pm.parse_query("PD 155 10", ["white"], "oval"))
    assert [r.pill.product_ndc for r in page.items] == ["0071-0155"]
    if drug_seed is not None:
        assert page.items[0].pill.drug is not None and page.items[0].pill.drug.slug == "atorvastatin"
        from webapp.blueprints.drugs.models import Drug

        drug_id = db.session.execute(select(Drug.id).where(Drug.slug == "atorvastatin")).scalar_one()
        linked = pill_search.pills_for_drug(db.session, drug_id)
        assert {p.product_ndc for p in linked} >= {"0071-0155", "0071-0156", "0071-0157", "0071-0158"}
