"""`flask import spl` on the real SPL files, and `flask import pillbox` on a Pillbox-layout CSV."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.blueprints.pills import match as pm
from webapp.blueprints.pills import search as pill_search
from webapp.blueprints.pills.models import Pill, PillImprintKey
from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, SHAPE_BY_CODE
from webapp.extensions import db

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "spl-pill-attributes"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason=f"real SPL files not available ({SHARED} is absent)")


def csv_rows() -> list[dict]:
    with open(SHARED / "spl_products.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@needs_shared
def test_import_reproduces_every_row_of_spl_products_csv(app, runner):
    result = runner.invoke(args=["import", "spl", str(SHARED / "spl_xml")])
    assert result.exit_code == 0, result.output
    assert "Documents read: 34 (43 products loaded" in result.output
    with app.app_context():
        pills = {(p.setid, p.product_ndc): p for p in db.session.execute(select(Pill)).scalars()}
        rows = csv_rows()
        assert len(pills) == len(rows) == 43
        for row in rows:
            pill = pills[(row["setid"], row["product_ndc"])]
            assert pill.spl_version == int(row["spl_version"])
            assert pill.effective_date.strftime("%Y%m%d") == row["effective_time"]
            assert pill.document_type == row["document_type"]
            assert pill.labeler == row["labeler"]
            assert pill.name.startswith(row["medicine_name"])
            assert pill.dosage_form == row["dosage_form"]
            assert pill.active_ingredients == row["active_ingredients"]
            assert (pill.imprint or "") == row["splimprint"]
            assert ";".join(pill.colours) == row["splcolor_code"]
            assert ";".join(COLOUR_BY_CODE[c].name for c in pill.colours) == row["splcolor"].upper()
            assert (pill.shape or "") == row["splshape_code"]
            if pill.shape:
                assert SHAPE_BY_CODE[pill.shape].name == row["splshape"]
            assert pill.size_mm == (float(row["splsize_mm"]) if row["splsize_mm"] else None)
            assert pill.score == (int(row["splscore"]) if row["splscore"] else None)
            assert pill.flavor == row["splflavor"]
        # Found by imprint through the lookup table, with the reason.
        page = pill_search.search(db.session, pm.parse_query("10 pd 155"))
        assert [r.pill.product_ndc for r in page.items] == ["0071-0155"]


@needs_shared
def test_import_is_idempotent_and_a_newer_version_replaces_the_older(app, runner, tmp_path):
    source = (SHARED / "spl_xml" / "FDA-openfda__lipitor-orig.xml").read_bytes()
    (tmp_path / "v11.xml").write_bytes(source)
    assert runner.invoke(args=["import", "spl", str(tmp_path / "v11.xml")]).exit_code == 0
    again = runner.invoke(args=["import", "spl", str(tmp_path / "v11.xml")])
    assert "1 already loaded" in again.output
    newer = source.replace(b'<versionNumber value="11"/>', b'<versionNumber value="12"/>').replace(
        b"PD;155;10", b"PD;155;NEW")
    (tmp_path / "v12.xml").write_bytes(newer)
    result = runner.invoke(args=["import", "spl", str(tmp_path / "v12.xml"), str(tmp_path / "v11.xml")])
    assert "1 replaced an older version" in result.output and "1 older than the version we have" in result.output
    with app.app_context():
        imprints = sorted(db.session.execute(select(Pill.imprint)).scalars())
        assert imprints == ["PD;155;NEW", "PD;156;20", "PD;157;40", "PD;158;80"]
        assert db.session.execute(select(func.count()).select_from(PillImprintKey).where(
            PillImprintKey.key_raw == "PD15510")).scalar() == 0  # old keys went with the old version


@needs_shared
def test_zip_files_bad_files_are_reported_and_the_import_goes_on(app, runner, tmp_path):
    bundle = tmp_path / "labels.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(SHARED / "spl_xml" / "FDA-openfda__no-title.xml", "label.xml")
        archive.writestr("readme.txt", "not a label")
    (tmp_path / "broken.xml").write_text("<document><unclosed>", encoding="utf-8")
    (tmp_path / "other.xml").write_text("<html xmlns='x'/>", encoding="utf-8")
    (tmp_path / "bomb.xml").write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>')
    (tmp_path / "fake.zip").write_bytes(b"PK not really")
    shutil.copy(SHARED / "spl_xml" / "FDA-openfda__lipitor-repack.xml", tmp_path / "repack.xml")
    result = runner.invoke(args=["import", "spl", str(tmp_path), str(tmp_path / "missing.xml")])
    assert result.exit_code == 0, result.output
    assert "Documents read: 2" in result.output
    assert "Could not read 5:" in result.output
    assert "not well-formed XML" in result.output
    assert "not an HL7 SPL document" in result.output
    assert "DTD" in result.output
    assert "not a readable zip file" in result.output
    assert "no such file or folder" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Pill)).scalar() == 2


PILLBOX_CSV = (
    "setid,version_number,product_code,medicine_name,spl_strength,author,dosage_form,"
    "splimprint,splcolor,splcolor_text,splshape,splshape_text,splsize,splscore\n"
    """aaaa-1,3,11111-222,Examplin,5 mg,Sample Labs,TABLET,EX;5,C48325,WHITE,C48348,ROUND,7,2
aaaa-1,3,11111-333,Examplin Duo,10 mg,Sample Labs,CAPSULE,EX 10,C48333;C48330,BLUE;YELLOW,C48336,CAPSULE,16,1
bbbb-2,1,,No NDC,1 mg,Sample Labs,TABLET,NN,C48325,WHITE,C48348,ROUND,5,1
bbbb-2,1,22222-111,Bad colour,1 mg,Sample Labs,TABLET,BC,C99999,MAUVE,C48348,ROUND,5,1
bbbb-2,1,22222-112,Bad size,1 mg,Sample Labs,TABLET,BS,C48325,WHITE,C48348,ROUND,huge,1
""")


def test_pillbox_csv_import(app, runner, tmp_path):
    path = tmp_path / "pillbox.csv"
    path.write_text(PILLBOX_CSV, encoding="utf-8")
    result = runner.invoke(args=["import", "pillbox", str(path)])
    assert result.exit_code == 0, result.output
    assert "Rows read: 5 (2 added" in result.output
    assert "line 4: no NDC product code" in result.output
    assert "line 5: unknown colour" in result.output
    assert "line 6: size 'huge' is not a number" in result.output
    again = runner.invoke(args=["import", "pillbox", str(path)])
    assert "0 added, 2 updated" in again.output
    with app.app_context():
        duo = db.session.execute(select(Pill).where(Pill.product_ndc == "11111-333")).scalar_one()
        assert duo.colours == ("C48333", "C48330") and duo.size_mm == 16.0
        page = pill_search.search(db.session, pm.parse_query(None, ["yellow"], "capsule"))
        assert [r.pill.product_ndc for r in page.items] == ["11111-333"]


def test_pillbox_rejects_a_csv_in_another_layout(runner, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(args=["import", "pillbox", str(path)])
    assert "not a Pillbox-layout CSV" in result.output


def test_csv_module_used_for_fixture_is_valid():
    assert len(list(csv.DictReader(io.StringIO(PILLBOX_CSV)))) == 5


def test_an_import_leaves_fresh_planner_statistics(app, runner, tmp_path):
    path = tmp_path / "pillbox.csv"
    path.write_text(PILLBOX_CSV, encoding="utf-8")
    assert runner.invoke(args=["import", "pillbox", str(path)]).exit_code == 0
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            analysed = db.session.execute(db.text("SELECT COUNT(DISTINCT tbl) FROM sqlite_stat1 WHERE tbl LIKE 'pill%'"))
        else:
            analysed = db.session.execute(db.text(
                "SELECT COUNT(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND relname LIKE 'pill%' AND last_analyze IS NOT NULL"))
        assert analysed.scalar_one() == 3
