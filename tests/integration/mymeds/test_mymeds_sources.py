"""Saving a catalogue product or an identified pill, and recalls matched by NDC first."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from tests.integration.mymeds_helpers import make_reference
from webapp.blueprints.drugs.models import Drug, Ingredient, Product, ProductIngredient
from webapp.blueprints.mymeds.commands import import_and_notify
from webapp.blueprints.mymeds.models import MedNotification, RecallMatch, SavedMedicine
from webapp.blueprints.pills.models import Pill
from webapp.extensions import db


def _setup(app):
    with app.app_context():
        ids = make_reference()
        atenolol = db.session.execute(select(Ingredient).where(Ingredient.name == "atenolol")).scalar_one()
        pill = Pill(product_ndc="0093-0787", name="Atenolol", strength="25 mg", active_ingredients="ATENOLOL 25 mg",
                    labeler="Teva Pharmaceuticals USA, Inc.", imprint="93 787", drug_id=ids["atenolol"])
        other_pill = Pill(product_ndc="51655-0123", name="Atenolol", strength="25 mg",
                          active_ingredients="ATENOLOL 25 mg", labeler="Another Labeler", imprint="X1")
        product = Product(appl_no="018240", product_no="001", brand_name="Tenormin", slug="tenormin",
                          active_ingredients="ATENOLOL", strength="25MG", sponsor="Example Sponsor",
                          drug_id=ids["atenolol"])
        catalogue_only = Product(appl_no="070000", product_no="001", brand_name="Atenolol Example", slug="atenolol-example",
                                 active_ingredients="ATENOLOL", strength="50MG", sponsor="Example Generics")
        db.session.add_all([pill, other_pill, product, catalogue_only])
        db.session.flush()
        for item in (product, catalogue_only):
            db.session.add(ProductIngredient(product_id=item.id, ingredient_id=atenolol.id, raw_name="ATENOLOL",
                                             strength="25MG"))
        db.session.commit()
        return {"pill": pill.id, "other_pill": other_pill.id, "product": product.id, "drug": db.session.get(Drug, ids["atenolol"]).id}


def test_saving_a_pill_keeps_its_ndc_and_a_product_its_brand(app, logged_in_client):
    ids = _setup(app)
    response = logged_in_client.post("/my-medicine/save", data={"kind": "pill", "item_id": ids["pill"], "profile_id": 0})
    assert response.status_code == 302
    logged_in_client.post("/my-medicine/save", data={"kind": "product", "item_id": ids["product"], "profile_id": 0})
    with app.app_context():
        pill, product = db.session.execute(select(SavedMedicine).order_by(SavedMedicine.id)).scalars().all()
        assert (pill.kind, pill.ndc, pill.ingredients, pill.strength) == ("pill", "0093-0787", ["atenolol"], "25 mg")
        assert (product.kind, product.name, product.ingredients) == ("product", "Tenormin", ["atenolol"])
    page = logged_in_client.get(response.location).get_data(as_text=True)
    assert "Duplicate" in page and "atenolol" in page  # the same ingredient twice


def test_typed_product_names_resolve_to_the_catalogue(app, logged_in_client):
    _setup(app)
    data = logged_in_client.post("/api/v1/interactions", json={"drugs": ["Tenormin", "ATENOLOL EXAMPLE"]}).get_json()
    assert data["drugs"][0]["name"] == "Atenolol"  # the monograph's brand name wins over the catalogue
    assert data["drugs"][1] == {"input": "ATENOLOL EXAMPLE", "slug": "atenolol-example", "name": "Atenolol Example"}
    assert data["duplications"][0]["ingredient"] == "atenolol"


def test_recall_by_ndc_alerts_only_the_listed_product(app, logged_in_client, tmp_path):
    ids = _setup(app)
    page = logged_in_client.get("/my-medicine").get_data(as_text=True)
    me = int(re.search(r'href="/my-medicine/profiles/(\d+)"', page).group(1))
    kid = int(re.search(r"/profiles/(\d+)", logged_in_client.post(
        "/my-medicine/profiles/new", data={"name": "Kid", "relation": "child"}).location).group(1))
    logged_in_client.post("/my-medicine/save", data={"kind": "pill", "item_id": ids["pill"], "profile_id": me})
    logged_in_client.post("/my-medicine/save", data={"kind": "pill", "item_id": ids["other_pill"], "profile_id": kid})
    logged_in_client.post("/my-medicine/alerts/settings", data={"scope": "all", "by_email": "y"})
    recall = {"recall_number": "D-1362-2012", "classification": "Class II", "product_type": "Drugs",
              "product_description": "Atenolol Tablets USP, 25 mg, 100 count bottle (NDC 0093-0787-01)",
              "recalling_firm": "Teva Pharmaceuticals USA", "openfda": {"generic_name": ["ATENOLOL"]}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"results": [recall]}))
    with app.app_context():
        import_and_notify(db.session, path, "http://localhost/my-medicine/alerts")
        (match,) = db.session.execute(select(RecallMatch)).scalars().all()
        assert match.basis == "ndc" and match.profile_id == me
        (notification,) = db.session.execute(select(MedNotification)).scalars().all()
        assert "NDC 00093-0787" in notification.body
