"""Shared set-up for the My Medicine integration tests: a tiny drug reference."""

from __future__ import annotations

import re

from sqlalchemy import insert, select

from tests.conftest import PASSWORD
from webapp.blueprints.drugs.models import Drug, DrugName, Ingredient, drug_ingredients
from webapp.extensions import db

REFERENCE = [
    # slug, name, kind, ingredients, brands
    ("warfarin", "Warfarin", "prescription", ["warfarin"], ["Jantoven"]),
    ("ibuprofen", "Ibuprofen", "otc", ["ibuprofen"], ["Advil", "Motrin"]),
    ("naproxen", "Naproxen", "otc", ["naproxen"], ["Aleve"]),
    ("acetaminophen", "Acetaminophen", "otc", ["acetaminophen"], ["Tylenol"]),
    ("hydrocodone-acetaminophen", "Hydrocodone and acetaminophen", "prescription", ["hydrocodone", "acetaminophen"],
     ["Norco"]),
    ("atenolol", "Atenolol", "prescription", ["atenolol"], ["Tenormin"]),
    ("sertraline", "Sertraline", "prescription", ["sertraline"], ["Zoloft"]),
]


def make_reference() -> dict[str, int]:
    """Create the drugs (inside an app context); returns slug -> drug id."""
    ids: dict[str, int] = {}
    ingredient_ids: dict[str, int] = {}
    for slug, name, kind, ingredients, brands in REFERENCE:
        drug = Drug(slug=slug, name=name, kind=kind, generic_name=name.lower(), popularity=4)
        drug.names = [DrugName(kind="brand", name=b, position=i) for i, b in enumerate(brands)]
        db.session.add(drug)
        db.session.flush()
        for position, ingredient in enumerate(ingredients):
            if ingredient not in ingredient_ids:
                existing = db.session.execute(select(Ingredient).where(Ingredient.name == ingredient)).scalar_one_or_none()
                if existing is None:
                    existing = Ingredient(name=ingredient)
                    db.session.add(existing)
                    db.session.flush()
                ingredient_ids[ingredient] = existing.id
            db.session.execute(insert(drug_ingredients).values(drug_id=drug.id, ingredient_id=ingredient_ids[ingredient],
                                                               position=position))
        ids[slug] = drug.id
    db.session.commit()
    return ids


def shown_version(client, edit_url: str) -> str:
    """Open an edit form (GET) and return its hidden fingerprint, as a browser would send it back."""
    page = client.get(edit_url).get_data(as_text=True)
    match = re.search(r'<input[^>]*name="shown_version"[^>]*type="hidden"[^>]*value="([0-9a-f]*)"', page)
    assert match, f"no shown_version in the form at {edit_url}"
    return match.group(1)


def signed_in(app, email: str):
    """A test client signed in as the member with this address (made by make_user)."""
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client
