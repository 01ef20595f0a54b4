"""Allergy warnings on a My Medicine profile: the allergy text of a profile checked against
the medicines saved to it, on the profile page and right after a medicine is added."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert, select

from tests.conftest import PASSWORD
from tests.integration.mymeds_helpers import make_reference, shown_version
from webapp.blueprints.drugs.models import Drug, DrugName, Ingredient, drug_ingredients
from webapp.extensions import db

# Real entries of webapp/data/drugs (names, brands and ingredients as there).
ANTIBIOTICS = [
    ("amoxicillin", "Amoxicillin", ["amoxicillin"], ["Amoxil"]),
    ("amoxicillin-clavulanate", "Amoxicillin and clavulanate", ["amoxicillin", "clavulanate"], ["Augmentin"]),
    ("cephalexin", "Cephalexin", ["cephalexin"], ["Keflex"]),
]


@pytest.fixture
def reference(app):
    with app.app_context():
        make_reference()
        for slug, name, ingredients, brands in ANTIBIOTICS:
            drug = Drug(slug=slug, name=name, kind="prescription", generic_name=name.lower(), popularity=4)
            drug.names = [DrugName(kind="brand", name=b, position=i) for i, b in enumerate(brands)]
            db.session.add(drug)
            db.session.flush()
            for position, ingredient_name in enumerate(ingredients):
                ingredient = db.session.execute(select(Ingredient).where(Ingredient.name == ingredient_name)).scalar_one_or_none()
                if ingredient is None:
                    ingredient = Ingredient(name=ingredient_name)
                    db.session.add(ingredient)
                    db.session.flush()
                db.session.execute(insert(drug_ingredients).values(drug_id=drug.id, ingredient_id=ingredient.id,
                                                                   position=position))
        db.session.commit()


def text_of(response) -> str:
    return response.get_data(as_text=True)


def new_profile(client, name="Sam", allergies="penicillin") -> int:
    response = client.post("/my-medicine/profiles/new", data={"name": name, "relation": "child", "allergies": allergies})
    assert response.status_code == 302
    return int(re.search(r"/profiles/(\d+)", response.location).group(1))


def add(client, profile_id, name, **fields):
    return client.post(f"/my-medicine/profiles/{profile_id}/medicines", data={"name": name, **fields})


def edit_allergies(client, profile_id, name, allergies):
    edit_url = f"/my-medicine/profiles/{profile_id}/edit"
    return client.post(edit_url, data={"name": name, "relation": "child", "allergies": allergies,
                                       "shown_version": shown_version(client, edit_url)})


def section(page: str, start: str, end: str) -> str:
    return page[page.index(start):page.index(end, page.index(start))]


def test_a_penicillin_allergy_warns_as_soon_as_amoxicillin_is_added(logged_in_client, reference):
    pid = new_profile(logged_in_client, allergies="Penicillins (rash)")
    response = add(logged_in_client, pid, "amoxicillin", strength="500 mg")
    assert response.status_code == 302 and response.location.endswith("#new-findings")
    page = text_of(logged_in_client.get(response.location))
    new = section(page, 'id="new-findings"', "</section>")
    assert "Allergy warning" in new and "⛔" in new and 'role="alert"' in new
    assert "Listed allergy: <strong>Penicillins (rash)</strong>" in new
    assert "Amoxicillin 500 mg contains amoxicillin, a penicillin." in new
    assert "Do not take it unless your prescriber knows about the allergy." in new
    # The warning comes first on the page: above the medicine list and the interaction report.
    assert page.index('id="allergy-warnings"') < page.index('id="list-heading"') < page.index('id="report-heading"')


def test_a_brand_name_in_the_allergy_list_is_recognised(logged_in_client, reference):
    pid = new_profile(logged_in_client, allergies="allergic to Augmentin")
    page = text_of(logged_in_client.get(add(logged_in_client, pid, "Augmentin").location))
    warnings = section(page, 'id="allergy-warnings"', "</section>")
    assert "Augmentin is a brand name of Amoxicillin and clavulanate" in warnings


def test_cross_reactivity_is_only_an_ask_first_note(logged_in_client, reference):
    pid = new_profile(logged_in_client, allergies="penicillin")
    page = text_of(logged_in_client.get(add(logged_in_client, pid, "Keflex").location))
    warnings = section(page, 'id="allergy-warnings"', "</section>")
    assert "Ask first" in warnings and "⚠" in warnings
    assert "Ask your pharmacist or prescriber before taking it." in warnings
    assert "Do not take it" not in warnings


def test_unrelated_medicines_and_unknown_allergies_give_no_warning(logged_in_client, reference):
    pid = new_profile(logged_in_client, allergies="peanuts, latex and bee stings")
    response = add(logged_in_client, pid, "amoxicillin")
    page = text_of(logged_in_client.get(response.location))
    assert response.status_code == 302
    assert 'id="allergy-warnings"' not in page and "Allergy warning" not in page
    assert "none of the medicines taken now matched them" in page


def test_editing_the_allergy_away_removes_the_warning(logged_in_client, reference):
    pid = new_profile(logged_in_client, name="Sam", allergies="penicillin")
    add(logged_in_client, pid, "amoxicillin")
    assert 'id="allergy-warnings"' in text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    assert edit_allergies(logged_in_client, pid, "Sam", "latex").status_code == 302
    page = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    assert 'id="allergy-warnings"' not in page and "Allergy warning" not in page
    assert edit_allergies(logged_in_client, pid, "Sam", "latex\nAMOXIL").status_code == 302
    page = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    assert "Listed allergy: <strong>AMOXIL</strong>" in page


def test_a_stopped_medicine_is_not_warned_about(logged_in_client, reference, app):
    pid = new_profile(logged_in_client, allergies="penicillin")
    add(logged_in_client, pid, "amoxicillin")
    page = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    medicine_id = re.search(r"/my-medicine/medicines/(\d+)/status", page).group(1)
    logged_in_client.post(f"/my-medicine/medicines/{medicine_id}/status", data={"action": "stop"})
    assert 'id="allergy-warnings"' not in text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))


@pytest.mark.parametrize("allergies", [
    "<script>alert(1)</script> penicillin",
    "penicillin' OR 1=1; DROP TABLE med_profiles; --",
    "пеницилли́н, 青霉素, penicillin 💊",
    ("penicillin, " * 200)[:1990],
])
def test_hostile_or_huge_allergy_text_is_safe(logged_in_client, reference, allergies):
    pid = new_profile(logged_in_client, allergies=allergies)
    response = add(logged_in_client, pid, "amoxicillin")
    assert response.status_code == 302
    page = text_of(logged_in_client.get(response.location))
    assert "<script>alert(1)" not in page
    assert "Amoxicillin contains amoxicillin, a penicillin." in page
    if "<script>" in allergies:
        assert "&lt;script&gt;alert(1)&lt;/script&gt; penicillin" in page


def test_another_members_allergy_warnings_are_never_shown(app, make_user, reference):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    alice_client, bob_client = app.test_client(), app.test_client()
    alice_client.post("/login", data={"email": alice.email, "password": PASSWORD})
    bob_client.post("/login", data={"email": bob.email, "password": PASSWORD})
    pid = new_profile(alice_client, name="Alicechild", allergies="secretallergy, penicillin")
    added = add(alice_client, pid, "amoxicillin")
    for url in (f"/my-medicine/profiles/{pid}", added.location, f"/my-medicine/profiles/{pid}/card"):
        response = bob_client.get(url)
        assert response.status_code == 404
        assert "secretallergy" not in text_of(response) and "Alicechild" not in text_of(response)


# --- the interaction checker: allergies typed beside the medicines, no account needed ---

def checker(client, medicines: str, allergies: str | None = None) -> str:
    query = {"medicines": medicines, **({"allergies": allergies} if allergies is not None else {})}
    response = client.get("/interaction-checker", query_string=query)
    assert response.status_code == 200
    return text_of(response)


def test_the_checker_warns_a_visitor_about_a_typed_allergy(client, reference):
    page = checker(client, "Amoxil\nibuprofen", "Penicillin (hives)")
    warnings = section(page, 'id="allergy-warnings"', "</section>")
    assert "Allergy warning" in warnings and "Listed allergy: <strong>Penicillin (hives)</strong>" in warnings
    assert "Amoxicillin" in warnings and "a penicillin" in warnings
    assert "Ibuprofen" not in warnings
    assert 'name="allergies"' in page and "Penicillin (hives)</textarea>" in page  # kept as typed


def test_the_checker_says_when_no_medicine_matched_the_allergies(client, reference):
    page = checker(client, "warfarin\nibuprofen", "peanuts, latex")
    assert 'id="allergy-warnings"' not in page
    assert "None of these medicines matched the allergies you listed (peanuts, latex)" in page


def test_the_checker_without_allergies_is_as_before_and_odd_text_is_escaped(client, reference):
    assert "allergies you listed" not in checker(client, "warfarin\nibuprofen")
    page = checker(client, "warfarin\nibuprofen", "<script>alert(1)</script>, penicillin")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    too_long = client.get("/interaction-checker", query_string={"medicines": "warfarin\nibuprofen", "allergies": "x" * 2001})
    assert too_long.status_code == 200 and "Use at most 2,000 characters." in text_of(too_long)


# --- drug, product and pill pages: the member's listed allergies, before they save ---

def test_a_drug_page_warns_a_member_whose_profile_lists_a_matching_allergy(app, logged_in_client, reference):
    new_profile(logged_in_client, name="Robin", allergies="penicillin")
    new_profile(logged_in_client, name="Sam", allergies="sulfa")
    page = text_of(logged_in_client.get("/drugs/amoxicillin"))
    box = section(page, 'class="allergy-box allergy-before-save"', "</div>")
    assert "Allergy warning for Robin:" in box and "listed allergy “penicillin”" in box and "a penicillin" in box
    assert "Sam" not in box
    assert "allergy-before-save" not in text_of(logged_in_client.get("/drugs/warfarin"))  # nothing listed matches
    assert "allergy-before-save" not in text_of(app.test_client().get("/drugs/amoxicillin"))  # a visitor has no profiles


def test_cross_reactivity_is_only_ask_first_on_the_drug_page(logged_in_client, reference):
    new_profile(logged_in_client, name="Robin", allergies="penicillin")
    box = section(text_of(logged_in_client.get("/drugs/cephalexin")), 'class="allergy-box allergy-before-save"', "</div>")
    assert "Ask first for Robin:" in box and "Allergy warning" not in box


def test_a_brand_added_to_the_reference_is_recognised_at_once(app, logged_in_client, reference):
    """The reference is kept between requests; a change to the drugs' names is seen on the next one."""
    new_profile(logged_in_client, name="Robin", allergies="Moxatag")
    assert "allergy-before-save" not in text_of(logged_in_client.get("/drugs/amoxicillin"))
    with app.app_context():
        drug = db.session.execute(select(Drug).where(Drug.slug == "amoxicillin")).scalar_one()
        db.session.add(DrugName(drug_id=drug.id, kind="brand", name="Moxatag", position=5))
        db.session.commit()
    assert "listed allergy “Moxatag”" in text_of(logged_in_client.get("/drugs/amoxicillin"))


def test_the_interactions_api_checks_allergies_too(client, reference):
    body = client.post("/api/v1/interactions", json={"drugs": ["Augmentin", "Keflex", "warfarin"],
                                                      "allergies": "penicillin (rash)"}).get_json()
    found = {(a["drug"], a["severity"]) for a in body["allergies"]}
    assert found == {("amoxicillin-clavulanate", "avoid"), ("cephalexin", "ask")}
    assert all(a["allergy"] == "penicillin (rash)" and a["explanation"] and a["advice"] for a in body["allergies"])
    assert client.post("/api/v1/interactions", json={"drugs": ["warfarin"]}).get_json()["allergies"] == []
    assert client.post("/api/v1/interactions", json={"drugs": ["warfarin"], "allergies": None}).status_code == 200
    for bad in (["penicillin"], 5, "x" * 2001):
        response = client.post("/api/v1/interactions", json={"drugs": ["warfarin"], "allergies": bad})
        assert response.status_code == 400 and '"allergies"' in response.get_json()["error"]["message"]
