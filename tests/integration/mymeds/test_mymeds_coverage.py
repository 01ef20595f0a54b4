"""Honest coverage and one medicine identity in the checker, the profile page and the API:
medicines we recognise but hold no interaction rule for are named as not checked; other
spellings and combinations are recognised; duplication is found across products by
moiety and by mineral, vitamin or salicylate; bad names never give a 500 or vanish."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert, select

from tests.integration.mymeds_helpers import make_reference
from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.models import Drug, DrugName, Ingredient, drug_ingredients
from webapp.blueprints.drugs.reference.index import reference_search_terms
from webapp.blueprints.mymeds.kb import interaction_loader
from webapp.extensions import db

# A made-up medicine: recognised (it is in the reference) but no rule can ever name it.
UNCHECKED = ("norulamycin", "Norulamycin", "prescription", ["norulamycin"], ["Norulex"])
EXTRA = [
    UNCHECKED,
    ("calcium", "Calcium", "vitamin", ["calcium"], ["Caltrate"]),
    ("calcium-carbonate", "Calcium carbonate", "otc", ["calcium carbonate"], ["Tums"]),
    ("aspirin", "Aspirin", "otc", ["aspirin"], ["Bayer"]),
    ("bismuth-subsalicylate", "Bismuth subsalicylate", "otc", ["bismuth subsalicylate"], ["Pepto-Bismol"]),
    ("multivitamin", "Multivitamin", "vitamin", ["multivitamin"], ["Centrum"]),
    ("iron", "Iron", "vitamin", ["iron"], ["Feosol"]),
    ("vitamin-d3", "Vitamin D3", "vitamin", ["cholecalciferol"], ["D3-Gold"]),
    ("losartan", "Losartan", "prescription", ["losartan"], ["Cozaar"]),
    ("hydrochlorothiazide", "Hydrochlorothiazide", "prescription", ["hydrochlorothiazide"], []),
    ("cyclosporine", "Cyclosporine", "prescription", ["cyclosporine"], ["Neoral"]),
]


def _add_drugs(rows) -> None:
    for slug, name, kind, ingredients, brands in rows:
        drug = Drug(slug=slug, name=name, kind=kind, generic_name=name.lower(), popularity=3)
        drug.names = [DrugName(kind="brand", name=b, position=i) for i, b in enumerate(brands)]
        db.session.add(drug)
        db.session.flush()
        for position, ingredient in enumerate(ingredients):
            row = db.session.execute(select(Ingredient).where(Ingredient.name == ingredient)).scalar_one_or_none()
            if row is None:
                row = Ingredient(name=ingredient)
                db.session.add(row)
                db.session.flush()
            db.session.execute(insert(drug_ingredients).values(drug_id=drug.id, ingredient_id=row.id, position=position))
    db.session.commit()


@pytest.fixture
def reference(app):
    with app.app_context():
        make_reference()
        _add_drugs(EXTRA)
        # the drug search's keys, so that its typo correction can suggest names
        drug_search.sync_terms(db.session, ("drug", "condition"), reference_search_terms(db.session))
        drug_search.sync_typo_keys(db.session)
        db.session.commit()
        assert "norulamycin" not in interaction_loader.knowledge_base().known_ingredients


def check(client, *names, allergies=None) -> dict:
    body = {"drugs": list(names)}
    if allergies:
        body["allergies"] = allergies
    response = client.post("/api/v1/interactions", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def text_of(response) -> str:
    return response.get_data(as_text=True)


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- honest coverage ---------------------------------------------------------------------------


def test_api_names_recognised_medicines_it_could_not_check(client, reference):
    data = check(client, "warfarin", "Norulex", "nope-ium")
    assert [d["slug"] for d in data["drugs"]] == ["warfarin", "norulamycin"]
    assert data["unchecked"] == ["Norulex"]
    assert data["unrecognized"] == ["nope-ium"]
    assert check(client, "warfarin", "Advil")["unchecked"] == []


def test_checker_page_says_it_could_not_check_and_never_lists_it_as_checked(client, reference):
    page = words(text_of(client.get("/interaction-checker", query_string={"medicines": "warfarin\nNorulex\nAdvil"})))
    assert "We could not check Norulamycin against your other medicines" in page and "Ask your pharmacist" in page
    checked = re.search(r"We checked: (.*?)\.", page).group(1)
    assert "warfarin" in checked and "Advil" in checked and "Norulex" not in checked
    what = re.search(r"What we checked: (.*?) against each other", page).group(1)
    assert "Norulamycin" not in what and "Warfarin" in what


def test_checker_with_only_unchecked_medicines_does_not_say_no_interactions(client, reference):
    page = words(text_of(client.get("/interaction-checker", query_string={"medicines": "norulamycin"})))
    assert "No known interactions found" not in page
    assert "We could not check this medicine" in page and "We could not check Norulamycin" in page


def test_profile_page_says_which_saved_medicine_was_not_checked(logged_in_client, reference):
    page = text_of(logged_in_client.get("/my-medicine"))
    pid = int(re.search(r'href="/my-medicine/profiles/(\d+)"', page).group(1))
    for name in ("warfarin", "Norulex"):
        assert logged_in_client.post(f"/my-medicine/profiles/{pid}/medicines", data={"name": name}).status_code == 302
    page = words(text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}")))
    assert "We could not check Norulex (Norulamycin) (norulamycin) against your other medicines" in page
    what = re.search(r"What we checked: (.*?) against each other", page).group(1)
    assert what == "Warfarin"


def test_allergy_check_names_medicines_without_family_data(client, reference):
    page = words(text_of(client.get("/interaction-checker",
                                    query_string={"medicines": "Advil\nNorulex", "allergies": "penicillin"})))
    assert "We could not check Norulamycin against the drug families of the allergies listed" in page
    assert "Ibuprofen against the drug families" not in page  # ibuprofen is an NSAID: its family is known


def test_allergy_to_another_spelling_is_found(client, reference):
    data = check(client, "Tylenol", "warfarin", allergies="paracetamol")
    assert [a["drug"] for a in data["allergies"]] == ["acetaminophen"]


# --- one identity: spellings, salts, combinations ------------------------------------------------------


@pytest.mark.parametrize(("typed", "slug"), [
    ("paracetamol", "acetaminophen"), ("APAP", "acetaminophen"), ("cyclosporin", "cyclosporine"),
    ("Ciclosporin", "cyclosporine"), ("HCTZ", "hydrochlorothiazide"), ("warfarin sodium", "warfarin"),
    ("atenolol 25 mg tablets", "atenolol"), ("ibuprofen 200mg", "ibuprofen"), ("potassium", None),
])
def test_other_spellings_and_forms_are_the_same_medicine(client, reference, typed, slug):
    data = check(client, typed, "warfarin")
    found = [d["slug"] for d in data["drugs"] if d["input"] == typed]
    assert found == ([slug] if slug else []), data


def test_a_typed_combination_is_checked_as_its_parts(client, reference):
    data = check(client, "losartan/HCTZ", "Advil")
    (combo,) = [d for d in data["drugs"] if d["input"] == "losartan/HCTZ"]
    assert combo["name"] == "Losartan + Hydrochlorothiazide"
    assert data["unrecognized"] == []
    # only part of it known: not recognised, never silently half-checked
    assert check(client, "losartan/zzyzxium", "Advil")["unrecognized"] == ["losartan/zzyzxium"]


# --- duplication by moiety and class ---------------------------------------------------------------


@pytest.mark.parametrize(("names", "group"), [
    (("Caltrate", "Tums"), "calcium"),
    (("aspirin", "Pepto-Bismol"), "salicylate"),
    (("Centrum", "Feosol"), "iron"),
    (("Centrum", "vitamin D3"), "vitamin-d"),
])
def test_duplication_across_products_by_mineral_vitamin_and_salicylate(client, reference, names, group):
    data = check(client, *names)
    assert [d.get("class") for d in data["duplications"]] == [group], data["duplications"]
    assert sorted(data["duplications"][0]["drugs"]) == sorted(d["slug"] for d in data["drugs"])
    page = words(text_of(client.get("/interaction-checker", query_string={"medicines": "\n".join(names)})))
    assert "Duplicate" in page


def test_no_duplication_for_unrelated_supplements_or_one_multivitamin(client, reference):
    assert check(client, "Feosol", "Tums")["duplications"] == []
    assert check(client, "Centrum", "warfarin")["duplications"] == []


# --- bad input ----------------------------------------------------------------------------------------


def test_checker_page_lists_every_bad_name_and_never_fails(client, reference):
    names = ["warfarin", "Warfarin", "wafrarin", "<script>alert(1)</script>", "😀💊", "x" * 500, "Norulex", "zzyzxium"]
    response = client.get("/interaction-checker", query_string={"medicines": "\n".join(names)})
    assert response.status_code == 200
    html = text_of(response)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    page = words(html)
    assert "You listed warfarin more than once; each was checked once." in page
    unrecognised = re.search(r"Not recognised, so not checked: (.*?)\. Check the spelling", page).group(1)
    for shown in ("wafrarin", "&lt;script&gt;alert(1)&lt;/script&gt;", "😀💊", "zzyzxium", "xxxxxxxxxx"):
        assert shown in unrecognised, shown
    assert "We could not check Norulamycin" in page
    assert "Did you mean: Warfarin for “wafrarin”" in page


def test_api_bad_names(client, reference):
    data = check(client, "warfarin", "WARFARIN", "😀", "<b>x</b>", "Norulex")
    assert [d["input"] for d in data["drugs"]] == ["warfarin", "Norulex"]  # the repeat is checked once
    assert data["unrecognized"] == ["😀", "<b>x</b>"] and data["unchecked"] == ["Norulex"]
    assert check(client, "wafrarin", "Advil")["suggestions"] == {"wafrarin": "Warfarin"}
    response = client.post("/api/v1/interactions", json={"drugs": ["warfarin", "x" * 500]})
    assert response.status_code == 400 and "at most 100 characters" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("name", "message"), [
    ("x" * 500, "Use at most 100 characters."),
    ("<script>alert(1)</script>", "We couldn&#39;t find \u201c&lt;script&gt;alert(1)&lt;/script&gt;\u201d"),
    ("😀", "We couldn&#39;t find \u201c😀\u201d"),
    ("wafrarin", "We couldn&#39;t find \u201cwafrarin\u201d"),
])
def test_add_medicine_form_says_what_was_not_recognised(logged_in_client, reference, name, message):
    page = text_of(logged_in_client.get("/my-medicine"))
    pid = int(re.search(r'href="/my-medicine/profiles/(\d+)"', page).group(1))
    response = logged_in_client.post(f"/my-medicine/profiles/{pid}/medicines", data={"name": name})
    assert response.status_code == 200 and message in text_of(response)


def test_add_medicine_form_refuses_a_duplicate_and_accepts_a_spelling(logged_in_client, reference):
    page = text_of(logged_in_client.get("/my-medicine"))
    pid = int(re.search(r'href="/my-medicine/profiles/(\d+)"', page).group(1))
    url = f"/my-medicine/profiles/{pid}/medicines"
    assert logged_in_client.post(url, data={"name": "paracetamol"}).status_code == 302
    again = logged_in_client.post(url, data={"name": "Acetaminophen"})
    assert again.status_code == 200 and "is already on the list" in text_of(again)


@pytest.mark.parametrize(("typed", "shown"), [("ciclosporin", "Cyclosporine"), ("HCTZ", "Hydrochlorothiazide"),
                                              ("warfarin sodium 5 mg", "Warfarin")])
def test_drug_search_reads_other_spellings_through_the_resolver(client, reference, typed, shown):
    page = words(text_of(client.get("/drugs/search", query_string={"q": typed})))
    assert "Showing results for" in page and shown in page
