"""`flask import drugsatfda DIR`: the real Drugs@FDA files and a small folder with bad rows."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.integration.drugs_helpers import DRUGSATFDA, SHARED, sample_data_dir, write_drugsatfda
from webapp.blueprints.drugs import drugsatfda_import
from webapp.blueprints.drugs import loader as drug_loader
from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.models import Drug, Product
from webapp.extensions import db


def test_small_folder_reports_skipped_rows_and_links_monographs(app, tmp_path):
    with app.app_context():
        drug_loader.load(db.session, sample_data_dir(tmp_path))
        report = drugsatfda_import.import_directory(db.session, write_drugsatfda(tmp_path / "fda"))
        db.session.commit()
        assert (report.inserted, report.updated) == (5, 0)
        assert dict(report.skipped) == {
            "missing or malformed application or product number": 1,
            "the same application and product number appears twice": 1,
            "no drug name": 1,
        }
        lipitor = db.session.execute(select(Product).where(Product.product_no == "002")).scalar_one()
        assert lipitor.drug.slug == "atorvastatin" and lipitor.marketing_status == "prescription"
        assert lipitor.sponsor == "PFIZER IRELAND" and lipitor.route == "oral"
        assert [i.name for i in lipitor.ingredients] == ["atorvastatin"]
        # A combination product is not linked to a single-ingredient monograph.
        combo = db.session.execute(select(Product).where(Product.appl_no == "088058")).scalar_one()
        assert combo.drug_id is None and combo.marketing_status == "discontinued"
        octreotide = db.session.execute(select(Product).where(Product.appl_no == "019280")).scalar_one()
        assert octreotide.drug.slug == "octreotide"

        again = drugsatfda_import.import_directory(db.session, tmp_path / "fda")
        assert (again.inserted, again.updated, again.unchanged, again.linked_to_monograph) == (0, 0, 5, 0)


def test_cli_import_prints_progress_and_skips(runner, app, tmp_path):
    folder = write_drugsatfda(tmp_path / "fda")
    result = runner.invoke(args=["import", "drugsatfda", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Products: 5 new, 0 updated" in result.output
    assert "Skipped 3 rows" in result.output and "no drug name" in result.output
    missing = runner.invoke(args=["import", "drugsatfda", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0 and "is not a folder" in missing.output
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(args=["import", "drugsatfda", str(tmp_path / "empty")])
    assert empty.exit_code != 0 and "Products.txt" in empty.output


@pytest.mark.skipif(not DRUGSATFDA.is_dir(), reason=f"the Drugs@FDA files are not here ({SHARED} is absent)")
def test_real_drugsatfda_files_load_fast_idempotently_and_are_searchable(app, tmp_path):
    with app.app_context():
        drug_loader.load(db.session, sample_data_dir(tmp_path))
        db.session.commit()
        started = time.monotonic()
        report = drugsatfda_import.import_directory(db.session, DRUGSATFDA)
        db.session.commit()
        elapsed = time.monotonic() - started
        assert elapsed < 60, f"import took {elapsed:.0f} s"
        assert report.inserted > 39_000 and report.rows_read == 39_473
        assert db.session.execute(select(func.count(Product.id))).scalar_one() == report.inserted
        assert db.session.execute(select(func.count(Product.id)).where(Product.marketing_status == "otc")).scalar_one() > 0
        atorvastatin = db.session.execute(select(Drug).where(Drug.slug == "atorvastatin")).scalar_one()
        assert db.session.execute(select(func.count(Product.id)).where(Product.drug_id == atorvastatin.id)).scalar_one() > 10

        # One printed part naming two moieties links both, as the other Prempro rows do.
        premphase = db.session.execute(select(Product).where(Product.appl_no == "021396")).scalar_one()
        assert {i.name for i in premphase.ingredients} == {"conjugated estrogens", "medroxyprogesterone"}

        hits = drug_search.search(db.session, "lipitor").hits
        assert [(h.target_type, h.target_key) for h in hits[:2]] == [("drug", "atorvastatin"), ("product", "lipitor")]
        assert any(h.target_type == "product" for h in drug_search.search(db.session, "zoloft").hits)

        again = drugsatfda_import.import_directory(db.session, DRUGSATFDA)
        db.session.commit()
        assert (again.inserted, again.updated) == (0, 0) and again.unchanged == report.inserted
