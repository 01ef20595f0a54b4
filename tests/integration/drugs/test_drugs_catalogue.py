"""The embedded catalogue through `flask seed`, the catalogue pages' source line, and the
generated pages of catalogue medicines without a written monograph."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.integration.drugs_helpers import APPLICATIONS, LOOKUP, PRODUCTS, STATUS, sample_data_dir
from webapp.blueprints.drugs import loader as drug_loader
from webapp.blueprints.drugs.catalogue import embedded
from webapp.blueprints.drugs.models import Ingredient, Product
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBase, Rule, Source
from webapp.blueprints.mymeds.models import SavedMedicine
from webapp.extensions import db
from webapp.seeding import run_seed

# The helper's small Drugs@FDA folder plus esomeprazole, which has no monograph in the sample.
EXTRA_PRODUCTS = [
    ["021153", "001", "CAPSULE, DELAYED REL PELLETS;ORAL", "EQ 20MG BASE", "1", "NEXIUM", "ESOMEPRAZOLE MAGNESIUM", "0"],
    ["021153", "002", "CAPSULE, DELAYED REL PELLETS;ORAL", "EQ 40MG BASE", "1", "NEXIUM", "ESOMEPRAZOLE MAGNESIUM", "0"],
    ["204655", "001", "CAPSULE, DELAYED REL PELLETS;ORAL", "EQ 20MG BASE", "1", "NEXIUM 24HR", "ESOMEPRAZOLE MAGNESIUM", "0"],
    ["078279", "001", "CAPSULE, DELAYED REL PELLETS;ORAL", "EQ 40MG BASE", "0", "ESOMEPRAZOLE MAGNESIUM",
     "ESOMEPRAZOLE MAGNESIUM", "0"],
    ["022511", "001", "TABLET, DELAYED RELEASE;ORAL", "375MG;EQ 20MG BASE", "1", "VIMOVO",
     "NAPROXEN; ESOMEPRAZOLE MAGNESIUM", "0"],
]
EXTRA_APPLICATIONS = [["021153", "NDA", "", "ASTRAZENECA PHARMS"], ["204655", "NDA", "", "GLAXOSMITHKLINE CONS"],
                      ["078279", "ANDA", "", "MYLAN"], ["022511", "NDA", "", "HORIZON"]]
EXTRA_STATUS = [["1", "021153", "001"], ["1", "021153", "002"], ["2", "204655", "001"], ["1", "078279", "001"],
                ["1", "022511", "001"]]
SNAPSHOT = date(2019, 7, 2)


def write_folder(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("Products.txt", PRODUCTS + EXTRA_PRODUCTS), ("Applications.txt", APPLICATIONS + EXTRA_APPLICATIONS),
                       ("MarketingStatus.txt", STATUS + EXTRA_STATUS), ("MarketingStatus_Lookup.txt", LOOKUP)):
        (folder / name).write_text("\r\n".join("\t".join(r) for r in rows) + "\r\n", encoding="latin-1")
    return folder


@pytest.fixture
def catalogue_dir(tmp_path):
    """A small embedded catalogue built from the folder above, as `flask drugs build-catalogue` does."""
    target = tmp_path / "catalogue"
    embedded.build_from_directory(write_folder(tmp_path / "fda"), SNAPSHOT, target)
    return target


@pytest.fixture
def catalogue(app, tmp_path, catalogue_dir):
    with app.app_context():
        drug_loader.load(db.session, sample_data_dir(tmp_path))
        embedded.seed(db.session, lambda _m: None, folder=catalogue_dir)
        db.session.commit()
        db.session.remove()
    return app


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def counts() -> dict[str, int]:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Product.__table__, Ingredient.__table__)}


def test_seed_loads_the_embedded_catalogue_once_with_progress(app, tmp_path, catalogue_dir):
    with app.app_context():
        drug_loader.load(db.session, sample_data_dir(tmp_path))
        messages: list[str] = []
        first = embedded.seed(db.session, messages.append, folder=catalogue_dir)
        db.session.commit()
        assert first.inserted == 10 and first.linked_to_monograph > 0
        assert any("10 products from the 2019-07-02 snapshot" in m for m in messages)
        assert any("inserted 10/10 new products" in m for m in messages)
        after_first = counts()
        again = embedded.seed(db.session, lambda _m: None, folder=catalogue_dir)
        db.session.commit()
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 10)
        assert counts() == after_first
        lipitor = db.session.execute(select(Product).where(Product.appl_no == "020702", Product.product_no == "002")).scalar_one()
        assert lipitor.drug.slug == "atorvastatin" and lipitor.sponsor == "PFIZER IRELAND"


def test_seed_leaves_a_newer_imported_release_alone(app, tmp_path, catalogue_dir):
    with app.app_context():
        db.session.add(Product(appl_no="999999", product_no="001", brand_name="NEWER DRUG", slug="newer-drug"))
        db.session.commit()
        messages: list[str] = []
        assert embedded.seed(db.session, messages.append, folder=catalogue_dir) is None
        assert db.session.execute(select(func.count()).select_from(Product)).scalar_one() == 1
        assert any("newer release" in m for m in messages)


def test_flask_seed_loads_as_many_products_as_the_configuration_says(make_app):
    app = make_app(DRUG_CATALOGUE_SEED_LIMIT=25)
    with app.app_context():
        run_seed(db.session, lambda _m: None)
        assert db.session.execute(select(func.count()).select_from(Product)).scalar_one() == 25
    skipped = make_app(DRUG_CATALOGUE_SEED_LIMIT=0)
    with skipped.app_context():
        db.session.execute(Product.__table__.delete())
        db.session.commit()
        lines: list[str] = []
        run_seed(db.session, lines.append)
        assert db.session.execute(select(func.count()).select_from(Product)).scalar_one() == 0
        assert any("not loaded" in line for line in lines)


def test_product_pages_show_the_catalogue_source_and_snapshot(client, catalogue):
    for url in ("/drugs/products/nexium", "/drugs/products/lipitor"):
        page = visible(client.get(url))
        assert "Drugs@FDA" in page and "snapshot of 2019-07-02" in page, url
    nexium = text(client.get("/drugs/products/nexium"))
    assert 'href="/drugs/substances/esomeprazole"' in nexium


def test_generated_page_shows_names_forms_status_uses_and_its_marking(client, catalogue):
    response = client.get("/drugs/substances/esomeprazole")
    assert response.status_code == 200
    # The same bytes for every visitor: a shared cache keeps it, and an import purges it.
    assert response.headers["Cache-Control"].startswith("public, ") and "Set-Cookie" not in response.headers
    assert "substance:esomeprazole" in response.headers["xkey"].split()
    page = visible(response)
    assert "Catalogue data without a written monograph" in page
    assert "snapshot of 2019-07-02" in page and "Drugs@FDA" in page
    assert "Nexium" in page and "Nexium 24HR" in page  # brands
    assert "Esomeprazole Magnesium" in page  # the generic's catalogue name
    assert "Prescription and over the counter" in page
    assert "capsule, delayed rel pellets" in page and "EQ 20MG BASE; EQ 40MG BASE" in page
    assert "ASTRAZENECA PHARMS" in page and "MYLAN" in page
    assert "Vimovo" in page and "with naproxen" in page  # the combination
    # Uses from the embedded LabeledIn facts (expert-curated for esomeprazole).
    assert "Gastroesophageal Reflux" in page and "LabeledIn" in page
    assert "We have no interaction rule for esomeprazole" in page or "Interactions we know of" in page


def test_a_moiety_with_a_monograph_goes_to_it(client, catalogue):
    response = client.get("/drugs/substances/atorvastatin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/drugs/atorvastatin")


def test_generated_page_lists_the_moietys_interactions(client, catalogue, monkeypatch):
    source = Source("DailyMed: clopidogrel label", "https://dailymed.nlm.nih.gov/")
    kb = KnowledgeBase([], [Rule(("ingredient", "esomeprazole"), ("ingredient", "clopidogrel"), "major",
                                 "It lowers the effect of clopidogrel.", "Ask for another acid reducer.", source)])
    monkeypatch.setattr("webapp.blueprints.drugs.routes.knowledge_base", lambda: kb)
    page = visible(client.get("/drugs/substances/esomeprazole"))
    assert "Major esomeprazole + clopidogrel" in page
    assert "It lowers the effect of clopidogrel." in page and "DailyMed: clopidogrel label" in page


def test_search_results_link_catalogue_names_to_their_ingredient_page(client, catalogue):
    page = text(client.get("/drugs/search?q=nexium"))
    assert 'href="/drugs/products/nexium"' in page and 'href="/drugs/substances/esomeprazole"' in page


def test_a_generated_page_can_be_saved_to_my_medicine(client, catalogue, make_user, auth):
    user = make_user()
    auth.login(user.email)
    page = text(client.get("/drugs/substances/esomeprazole"))
    assert 'name="kind" value="ingredient"' in page
    item_id = re.search(r'name="item_id" value="(\d+)"', page).group(1)
    response = client.post("/my-medicine/save", data={"kind": "ingredient", "item_id": item_id, "profile_id": "0"})
    assert response.status_code == 302
    with catalogue.app_context():
        saved = db.session.execute(select(SavedMedicine)).scalar_one()
        assert saved.name == "Esomeprazole" and saved.ingredients == ["esomeprazole"]
    gone = client.post("/my-medicine/save", data={"kind": "ingredient", "item_id": "999999", "profile_id": "0"})
    assert gone.status_code == 302
    with catalogue.app_context():
        assert db.session.execute(select(func.count()).select_from(SavedMedicine)).scalar_one() == 1


def test_anonymous_visitors_are_asked_to_log_in_to_save(client, catalogue):
    assert "Log in to save Esomeprazole to My Medicine" in visible(client.get("/drugs/substances/esomeprazole"))


HOSTILE_SLUGS = [
    "no-such-medicine", "nothing", "a" * 5000, "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%F0%9F%92%8A", "caf%C3%A9",
    "esomeprazole%00", "-esomeprazole", "esomeprazole-", "ESOMEPRAZOLE", "..%2F..%2Fetc", "a--b", "%25",
    "naproxen-" * 40, "drop%20table%20ingredients", "esomeprazole/extra",
]


def test_unknown_or_hostile_slugs_are_404_never_500(client, catalogue):
    # One set-up for all of them: loading the sample is what costs time here.
    for slug in HOSTILE_SLUGS:
        assert client.get(f"/drugs/substances/{slug}").status_code == 404, slug


def test_an_ingredient_without_products_has_no_page(client, catalogue):
    with catalogue.app_context():
        db.session.add(Ingredient(name="nothing sold"))
        db.session.commit()
    assert client.get("/drugs/substances/nothing-sold").status_code == 404


def test_build_commands_write_the_embedded_files_and_refuse_bad_input(runner, tmp_path):
    folder = write_folder(tmp_path / "fda")
    out = tmp_path / "out"
    result = runner.invoke(args=["drugs", "build-catalogue", str(folder), "--snapshot-date", "2024-05-01", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 10 products (snapshot 2024-05-01)" in result.output and "Skipped 3 rows" in result.output
    first = (out / embedded.PRODUCTS_NAME).read_bytes()
    assert runner.invoke(args=["drugs", "build-catalogue", str(folder), "--snapshot-date", "2024-05-01",
                               "--output", str(out)]).exit_code == 0
    assert (out / embedded.PRODUCTS_NAME).read_bytes() == first
    bad_date = runner.invoke(args=["drugs", "build-catalogue", str(folder), "--snapshot-date", "May 2024", "--output", str(out)])
    assert bad_date.exit_code != 0 and "YYYY-MM-DD" in bad_date.output
    no_date = runner.invoke(args=["drugs", "build-catalogue", str(folder), "--output", str(out)])
    assert no_date.exit_code != 0 and "--snapshot-date" in no_date.output
    uses = tmp_path / "indications.tsv"
    uses.write_text("rxnorm_id\tdisease_cui\tn_labels\texpert\tcrowd\tdisease_mesh_name\trxnorm_name\n"
                    "1\tC1\t1\t1\t0\tHeartburn\tEsomeprazole\n", encoding="utf-8")
    built = runner.invoke(args=["drugs", "build-indications", str(uses), "--output", str(out)])
    assert built.exit_code == 0 and "Wrote 1 uses" in built.output
    missing = runner.invoke(args=["drugs", "build-indications", str(tmp_path / "none.tsv"), "--output", str(out)])
    assert missing.exit_code != 0 and "cannot be read" in missing.output
