"""`flask import spl` on the real SPL files as DailyMed publishes them (a release: a zip of
label zips), with photos, bad members, resuming and withdrawals; and `flask import pillbox`."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.integration.site.test_http_cache import purge_server  # noqa: F401 - the fixture
from webapp.blueprints.pills import match as pm
from webapp.blueprints.pills import search as pill_search
from webapp.blueprints.pills.importers import spl as spl_import
from webapp.blueprints.pills.importers.spl import parse_spl
from webapp.blueprints.pills.models import Pill, PillImprintKey, SplImportCheckpoint
from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, SHAPE_BY_CODE
from webapp.extensions import db

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "spl-pill-attributes"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason=f"real SPL files not available ({SHARED} is absent)")


def csv_rows() -> list[dict]:
    with open(SHARED / "spl_products.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def label_zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def release_of_real_labels(path: Path, extra_inner: dict[str, bytes] | None = None) -> Path:
    """The real SPL files in the DailyMed release layout: prescription/<date>_<setid>.zip,
    each inner zip holding one label's XML (the name it had in its source)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as release:  # DailyMed stores the inner zips
        for xml in sorted((SHARED / "spl_xml").glob("*.xml")):
            data = xml.read_bytes()
            document = parse_spl(data)
            inner_name = f"prescription/{document.effective_time}_{document.setid}.zip"
            if inner_name in release.namelist():  # two versions of one set: the release holds one zip each
                inner_name = inner_name.replace(".zip", f"_{document.version}.zip")
            release.writestr(inner_name, label_zip_bytes({xml.name.split("__")[-1]: data}))
        for name, data in (extra_inner or {}).items():
            release.writestr(name, data)
    return path


def assert_pills_are_exactly_the_csv_rows() -> None:
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
        assert pill.image_ref == row["splimage"] and pill.photo_path is None


@needs_shared
def test_a_dailymed_release_imports_to_exactly_the_rows_of_spl_products_csv(app, runner, tmp_path):
    release = release_of_real_labels(tmp_path / "dm_spl_release_human_rx_part1.zip")
    result = runner.invoke(args=["import", "spl", str(release)])
    assert result.exit_code == 0, result.output
    assert "34 label(s) in 1 file(s)." in result.output
    assert "Labels read: 34." in result.output
    assert "loaded:     34 new label(s), 43 product(s)" in result.output
    assert "unreadable: 0" in result.output
    with app.app_context():
        assert_pills_are_exactly_the_csv_rows()
        page = pill_search.search(db.session, pm.parse_query("10 pd 155"))
        assert [r.pill.product_ndc for r in page.items] == ["0071-0155"]
        assert db.session.execute(select(func.count()).select_from(SplImportCheckpoint)).scalar() == 0
    again = runner.invoke(args=["import", "spl", str(release)])
    assert again.exit_code == 0 and "skipped:    34 (34 already loaded" in again.output


@needs_shared
def test_folders_of_xml_files_still_import(app, runner):
    result = runner.invoke(args=["import", "spl", str(SHARED / "spl_xml")])
    assert result.exit_code == 0, result.output
    assert "Labels read: 34." in result.output
    with app.app_context():
        assert_pills_are_exactly_the_csv_rows()


@needs_shared
def test_import_is_idempotent_and_a_newer_version_replaces_the_older(app, runner, tmp_path):
    source = (SHARED / "spl_xml" / "FDA-openfda__lipitor-orig.xml").read_bytes()
    (tmp_path / "v11.xml").write_bytes(source)
    assert runner.invoke(args=["import", "spl", str(tmp_path / "v11.xml")]).exit_code == 0
    with app.app_context():
        ids = dict(db.session.execute(select(Pill.product_ndc, Pill.id)).all())
    again = runner.invoke(args=["import", "spl", str(tmp_path / "v11.xml")])
    assert "1 already loaded" in again.output
    newer = source.replace(b'<versionNumber value="11"/>', b'<versionNumber value="12"/>').replace(
        b"PD;155;10", b"PD;155;NEW")
    (tmp_path / "v12.xml").write_bytes(newer)
    result = runner.invoke(args=["import", "spl", str(tmp_path / "v12.xml"), str(tmp_path / "v11.xml")])
    assert "replaced:   1" in result.output and "1 older than the version we have" in result.output
    with app.app_context():
        imprints = sorted(db.session.execute(select(Pill.imprint)).scalars())
        assert imprints == ["PD;155;NEW", "PD;156;20", "PD;157;40", "PD;158;80"]
        assert db.session.execute(select(func.count()).select_from(PillImprintKey).where(
            PillImprintKey.key_raw == "PD15510")).scalar() == 0  # old keys went with the old version
        # Updated in place: pages keep their address.
        assert dict(db.session.execute(select(Pill.product_ndc, Pill.id)).all()) == ids


@needs_shared
def test_bad_labels_are_reported_by_name_and_the_rest_of_the_release_loads(app, runner, tmp_path):
    good = label_zip_bytes({"label.xml": (SHARED / "spl_xml" / "FDA-openfda__no-title.xml").read_bytes()})
    bad = {
        "prescription/20240101_truncated.zip": good[: len(good) // 2],
        # 60 MB of spaces packs into about 60 KB: refused from the zip directory, never unpacked.
        "prescription/20240101_bomb.zip": label_zip_bytes({"bomb.xml": b" " * (60 * 1024 * 1024)}),
        "prescription/20240101_not-spl.zip": label_zip_bytes({"page.xml": b"<html xmlns='x'><p>hello</p></html>"}),
        "prescription/20240101_no-xml.zip": label_zip_bytes({"picture.jpg": b"\xff\xd8\xff not much"}),
        "prescription/20240101_zz-good.zip": good,
    }
    release = release_of_real_labels(tmp_path / "release.zip", extra_inner=bad)
    (tmp_path / "cut.zip").write_bytes(release.read_bytes()[:5000])  # a download that stopped
    result = runner.invoke(args=["import", "spl", str(release), str(tmp_path / "cut.zip")])
    assert result.exit_code == 0, result.output
    assert "Labels read: 35." in result.output  # the 34 real labels and the good extra one
    assert "unreadable: 5" in result.output
    lines = result.output.splitlines()

    def reason(name: str) -> str:
        (line,) = [line for line in lines if line.strip().startswith(name)]
        return line

    assert "not a readable zip file" in reason(f"{release}::prescription/20240101_truncated.zip")
    assert "zip bomb" in reason(f"{release}::prescription/20240101_bomb.zip")
    assert "not an HL7 SPL document" in reason(f"{release}::prescription/20240101_not-spl.zip")
    assert "holds no SPL .xml file" in reason(f"{release}::prescription/20240101_no-xml.zip")
    assert "not a readable zip file" in reason(str(tmp_path / "cut.zip"))
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Pill)).scalar() == 43


@needs_shared
def test_an_import_purges_the_shared_cache_once_not_per_batch(make_app, purge_server, tmp_path, monkeypatch):  # noqa: F811
    url, received = purge_server
    monkeypatch.setattr(spl_import, "COMMIT_EVERY_LABELS", 5)
    app = make_app(CACHE_PURGE_URLS=[url])
    release = release_of_real_labels(tmp_path / "release.zip")
    result = app.test_cli_runner().invoke(args=["import", "spl", str(release)])
    assert result.exit_code == 0, result.output
    assert received and set(received) == {"site"} and len(received) <= 2  # no purge of pill keys per commit


def test_nothing_readable_exits_non_zero(runner, tmp_path):
    (tmp_path / "broken.xml").write_text("<document><unclosed>", encoding="utf-8")
    (tmp_path / "bomb.xml").write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>')
    (tmp_path / "empty.zip").write_bytes(label_zip_bytes({"readme.txt": b"no labels here"}))
    result = runner.invoke(args=["import", "spl", str(tmp_path), str(tmp_path / "missing.xml")])
    assert result.exit_code == 1, result.output
    assert "Labels read: 0." in result.output and "unreadable: 4" in result.output
    assert "not well-formed XML" in result.output and "DTD" in result.output
    assert "holds no SPL .xml file and no label .zip file" in result.output
    assert "no such file or folder" in result.output


def test_a_path_or_remove_list_is_required(runner):
    result = runner.invoke(args=["import", "spl"])
    assert result.exit_code == 2 and "--remove SETIDS_FILE" in result.output


# --- photos ---------------------------------------------------------------------------------

# A made-up label in the SPL structure (not a real product) whose product names its photo.
PHOTO_LABEL = """<document xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <code displayName="HUMAN PRESCRIPTION DRUG LABEL"/><effectiveTime value="20240105"/>
  <setId root="0f0f0f0f-1111-2222-3333-444444444444"/><versionNumber value="1"/>
  <author><assignedEntity><representedOrganization><name>Test Fixture Labs</name></representedOrganization>
  </assignedEntity></author>
  <component><structuredBody><component><section><subject><manufacturedProduct>
    <manufacturedProduct><code code="99999-001"/><name>Testfixturin</name><formCode displayName="TABLET"/>
      <ingredient classCode="ACTIB"><quantity><numerator value="5" unit="mg"/></quantity>
        <ingredientSubstance><name>TESTFIXTURIN</name></ingredientSubstance></ingredient>
    </manufacturedProduct>
    <subjectOf><characteristic><code code="SPLCOLOR"/><value code="C48333" displayName="BLUE"/></characteristic></subjectOf>
    <subjectOf><characteristic><code code="SPLSHAPE"/><value code="C48348" displayName="ROUND"/></characteristic></subjectOf>
    <subjectOf><characteristic><code code="SPLIMPRINT"/><value>TFX;5</value></characteristic></subjectOf>
    <subjectOf><characteristic><code code="SPLSIZE"/><value value="8" unit="mm"/></characteristic></subjectOf>
    <subjectOf><characteristic><code code="SPLIMAGE"/><value xsi:type="ED" mediaType="image/jpeg">
      <reference value="testfixturin-5.jpg"/></value></characteristic></subjectOf>
  </manufacturedProduct></subject></section></component></structuredBody></component>
</document>"""


def generated_photo(size=(1600, 1200)) -> bytes:
    image = Image.new("RGB", size, (230, 230, 230))
    image.paste((40, 80, 200), (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, comment=b"camera notes that must not be served")
    return out.getvalue()


@pytest.fixture
def photo_folder(app, tmp_path):
    folder = tmp_path / "media" / "pills"
    app.config["PILL_PHOTO_FOLDER"] = str(folder)
    return folder


def test_a_label_zip_with_a_photo_gives_a_pill_with_a_served_photo(app, runner, client, tmp_path, photo_folder):
    original = generated_photo()
    label = tmp_path / "20240105_0f0f0f0f-1111-2222-3333-444444444444.zip"
    label.write_bytes(label_zip_bytes({"label.xml": PHOTO_LABEL.encode(), "testfixturin-5.jpg": original}))
    result = runner.invoke(args=["import", "spl", str(label)])
    assert result.exit_code == 0, result.output
    assert "Photos: 1 product(s) with a photo." in result.output
    with app.app_context():
        pill = db.session.execute(select(Pill)).scalar_one()
        pill_id, photo_name = pill.id, pill.photo_path
    assert photo_name and (photo_folder / photo_name).exists()
    photo_url = f"/pill-identifier/photos/{photo_name}"

    detail = client.get(f"/pill-identifier/pills/{pill_id}").get_data(as_text=True)
    assert f'src="{photo_url}"' in detail
    assert 'alt="Photograph of a blue round pill' in detail
    assert f'/pill-identifier/pills/{pill_id}/image.svg' in detail  # the drawn picture stays beside it
    results = client.get("/pill-identifier?imprint=TFX+5").get_data(as_text=True)
    assert f'src="{photo_url}"' in results and "image.svg" in results

    with client.get(photo_url) as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        body = served.get_data()
    assert body != original and b"camera notes" not in body  # a fresh copy, not the label's file
    assert Image.open(io.BytesIO(body)).size == (480, 360)
    with client.get(photo_url, headers={"If-None-Match": served.headers["ETag"]}) as unchanged:
        assert unchanged.status_code == 304

    api = client.get("/api/v1/pills?imprint=TFX5").get_json()
    assert api["results"][0]["image_url"] == f"http://localhost{photo_url}"

    # With a session the answer may carry its cookie: browsers keep the photo, shared caches do not.
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "a-session")
    with client.get(photo_url) as personal:
        assert personal.headers["Cache-Control"] == "private, max-age=31536000, immutable"


def test_an_unpacked_label_folder_gives_the_photo_beside_its_xml(app, runner, tmp_path, photo_folder):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "label.xml").write_text(PHOTO_LABEL, encoding="utf-8")
    (folder / "testfixturin-5.jpg").write_bytes(generated_photo((800, 600)))
    result = runner.invoke(args=["import", "spl", str(folder)])
    assert result.exit_code == 0 and "Photos: 1 product(s) with a photo." in result.output, result.output
    with app.app_context():
        assert (photo_folder / db.session.execute(select(Pill.photo_path)).scalar_one()).exists()


def test_photo_addresses_that_are_not_photos_are_not_found(client, photo_folder):
    photo_folder.mkdir(parents=True)
    (photo_folder / "notes.txt").write_text("secret")
    for name in ("notes.txt", "..%2Fsecret.jpg", "0123456789abcdef01234567.jpg"):
        assert client.get(f"/pill-identifier/photos/{name}").status_code == 404


def test_an_image_bomb_or_a_missing_image_gives_no_photo_and_the_label_loads(app, runner, tmp_path, photo_folder):
    bomb = io.BytesIO()
    Image.new("1", (9000, 6000)).save(bomb, "PNG")  # 54 megapixels in a few KB
    label = tmp_path / "bomb.zip"
    label.write_bytes(label_zip_bytes({"label.xml": PHOTO_LABEL.encode(), "testfixturin-5.jpg": bomb.getvalue()}))
    result = runner.invoke(args=["import", "spl", str(label)])
    assert result.exit_code == 0, result.output
    assert "Photos: 0 product(s) with a photo; 1 unusable:" in result.output
    assert f"{label}::label.xml :: testfixturin-5.jpg: " in result.output and "image bomb" in result.output
    without = tmp_path / "without.zip"
    newer = PHOTO_LABEL.replace('<versionNumber value="1"/>', '<versionNumber value="2"/>')
    without.write_bytes(label_zip_bytes({"label.xml": newer.encode()}))
    result = runner.invoke(args=["import", "spl", str(without)])
    assert "1 named a file their label's zip does not hold" in result.output
    with app.app_context():
        pill = db.session.execute(select(Pill)).scalar_one()
        assert pill.photo_path is None and pill.image_ref == "testfixturin-5.jpg"
    assert not photo_folder.exists() or not any(photo_folder.iterdir())


# --- resuming and withdrawals ---------------------------------------------------------------------


@needs_shared
def test_an_interrupted_import_resumes_where_it_stopped(app, runner, tmp_path, monkeypatch):
    release = release_of_real_labels(tmp_path / "release.zip")
    monkeypatch.setattr(spl_import, "COMMIT_EVERY_LABELS", 5)
    real_import_label = spl_import._import_label
    calls = {"n": 0}

    def interrupted_at_the_21st(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 21:
            raise KeyboardInterrupt
        return real_import_label(*args, **kwargs)

    monkeypatch.setattr(spl_import, "_import_label", interrupted_at_the_21st)
    result = runner.invoke(args=["import", "spl", str(release)])
    assert result.exit_code == 130 and "run the same command again to resume" in result.output
    with app.app_context():
        done = db.session.execute(select(SplImportCheckpoint.labels_done)).scalar_one()
        assert done == 20  # committed every 5 labels: all 20 finished labels are kept
    monkeypatch.setattr(spl_import, "_import_label", real_import_label)
    result = runner.invoke(args=["import", "spl", str(release)])
    assert result.exit_code == 0, result.output
    assert "resuming after label 20 of 34" in result.output
    assert "Labels read: 14." in result.output and "skipped:    0" in result.output  # the first 20 not read again
    with app.app_context():
        assert_pills_are_exactly_the_csv_rows()
        assert db.session.execute(select(func.count()).select_from(SplImportCheckpoint)).scalar() == 0


@needs_shared
def test_a_changed_file_under_the_same_name_starts_over(app, tmp_path):
    release = release_of_real_labels(tmp_path / "release.zip")
    with app.app_context():
        db.session.add(SplImportCheckpoint(source=str(release.resolve()), fingerprint="1:2", labels_done=30))
        db.session.commit()
        report = spl_import.import_paths(db.session, [release])
        assert report.labels == 34 and not report.resumed


@needs_shared
def test_remove_takes_out_withdrawn_labels(app, runner, tmp_path):
    assert runner.invoke(args=["import", "spl", str(SHARED / "spl_xml")]).exit_code == 0
    withdrawn = tmp_path / "withdrawn.txt"
    # DailyMed's lists are delimited lines with the set id in one column.
    withdrawn.write_text("SETID|SPL_VERSION|TITLE\n"
                         "c6e131fe-e7df-4876-83f7-9156fc4e8228|11|LIPITOR\n"
                         "00000000-0000-0000-0000-000000000000|1|NOT LOADED\n", encoding="utf-8")
    result = runner.invoke(args=["import", "spl", "--remove", str(withdrawn)])
    assert result.exit_code == 0, result.output
    assert "Withdrawn labels: 2 set id(s) listed, 4 pill(s) removed." in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Pill)).scalar() == 39
        assert pill_search.search(db.session, pm.parse_query("PD 155 10")).total == 0
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here\n", encoding="utf-8")
    result = runner.invoke(args=["import", "spl", "--remove", str(empty)])
    assert result.exit_code == 1 and "no set ids found" in result.output


# --- Pillbox CSV ----------------------------------------------------------------------------------

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
