"""My Medicine pages: profiles, saved medicines, interaction reports, print, export, the
ad-hoc checker and its API, bad input, and the account-level export and deletion."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tests.integration.mymeds_helpers import make_reference, shown_version
from webapp.blueprints.mymeds.models import MedProfile, SavedMedicine
from webapp.extensions import db


@pytest.fixture
def reference(app):
    with app.app_context():
        return make_reference()


def me_profile_id(client) -> int:
    page = client.get("/my-medicine").get_data(as_text=True)
    return int(re.search(r'href="/my-medicine/profiles/(\d+)"', page).group(1))


def add(client, profile_id, name, **fields):
    return client.post(f"/my-medicine/profiles/{profile_id}/medicines", data={"name": name, **fields})


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_visitors_see_what_my_medicine_is_and_how_to_start(client):
    page = text_of(client.get("/my-medicine"))
    assert "Sign up" in page and "check a list of medicines" in page
    assert client.get("/my-medicine/alerts").status_code == 302


def test_every_account_gets_a_me_profile_once(logged_in_client, app):
    logged_in_client.get("/my-medicine")
    logged_in_client.get("/my-medicine")
    with app.app_context():
        profiles = db.session.execute(select(MedProfile)).scalars().all()
        assert [(p.name, p.is_self) for p in profiles] == [("Me", True)]


def test_adding_two_interacting_medicines_shows_the_warning_right_after_add(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    assert add(logged_in_client, pid, "warfarin").status_code == 302
    response = add(logged_in_client, pid, "Advil", strength="200 mg", how_taken="1 tablet when needed")
    assert response.status_code == 302 and "added=" in response.location
    page = text_of(logged_in_client.get(response.location))
    new = page[page.index('id="new-findings"'):page.index('id="list-heading"')]
    assert "New findings for Advil (Ibuprofen)" in new
    assert "Major" in new and "Warfarin" in new and "Advil (Ibuprofen)" in new
    assert "⛔" in new  # an icon as well as the word
    assert "What we checked" in page and "not a guarantee" in page
    assert "200 mg" in page and "1 tablet when needed" in page


def test_a_list_with_nothing_known_says_what_was_checked(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    add(logged_in_client, pid, "atenolol")
    page = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    assert "No known interactions found" in page
    assert "Add at least one more medicine" in page
    assert "not a guarantee" in page


def test_acetaminophen_in_two_products_warns_about_the_daily_limit(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    add(logged_in_client, pid, "Tylenol")
    page = text_of(logged_in_client.get(add(logged_in_client, pid, "Norco").location))
    assert "Duplicate" in page and "acetaminophen" in page and "4,000 mg" in page


def test_conditions_on_a_family_profile_are_checked(logged_in_client, reference):
    response = logged_in_client.post("/my-medicine/profiles/new", data={
        "name": "Grandma Rose", "relation": "grandparent", "birth_year": "1941",
        "conditions": ["chronic-kidney-disease"], "allergies": "penicillin: rash"})
    assert response.status_code == 302
    pid = int(re.search(r"/profiles/(\d+)", response.location).group(1))
    page = text_of(logged_in_client.get(add(logged_in_client, pid, "naproxen").location))
    assert "Grandma Rose" in page and "Chronic kidney disease" in page
    assert "Warning for a health condition" in page
    card = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}/card"))
    assert "penicillin: rash" in card and "Naproxen" in card and "Born 1941" in card


def test_unknown_medicine_is_refused_beside_the_field_and_can_be_saved_anyway(logged_in_client, reference, app):
    pid = me_profile_id(logged_in_client)
    response = add(logged_in_client, pid, "Zzyzxium", notes="from the health store")
    page = text_of(response)
    assert response.status_code == 200
    assert "We couldn&#39;t find \u201cZzyzxium\u201d in our drug reference" in page
    assert 'value="Zzyzxium"' in page and "from the health store" in page  # nothing typed is lost
    response = add(logged_in_client, pid, "Zzyzxium", save_unrecognised="y")
    assert response.status_code == 302
    page = text_of(logged_in_client.get(response.location))
    assert "could not check Zzyzxium" in page
    with app.app_context():
        assert db.session.execute(select(SavedMedicine.kind)).scalar_one() == "other"


@pytest.mark.parametrize("name", ["", "   ", "x" * 10_000, "bad\x00name"])
def test_bad_medicine_names_get_a_message_not_an_error(logged_in_client, reference, name, app):
    pid = me_profile_id(logged_in_client)
    response = add(logged_in_client, pid, name)
    assert response.status_code == 200
    assert 'class="error"' in text_of(response)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SavedMedicine)).scalar_one() == 0


def test_markup_in_notes_is_shown_as_text(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    add(logged_in_client, pid, "warfarin", notes="<script>alert(1)</script> take with food")
    page = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; take with food" in page


def test_profile_name_of_5000_characters_is_refused_and_kept(logged_in_client):
    response = logged_in_client.post("/my-medicine/profiles/new", data={"name": "A" * 5000, "relation": "child"})
    assert response.status_code == 200
    assert "Use at most 80 characters." in text_of(response)


def test_profile_form_rejects_unknown_choices(logged_in_client):
    response = logged_in_client.post("/my-medicine/profiles/new", data={
        "name": "Sam", "relation": "robot", "conditions": ["made-up"], "birth_year": "1700"})
    page = text_of(response)
    assert response.status_code == 200 and page.count('class="error"') >= 3


def test_rename_and_remove_a_family_profile(logged_in_client, reference, app):
    pid = int(re.search(r"/profiles/(\d+)", logged_in_client.post(
        "/my-medicine/profiles/new", data={"name": "Sam", "relation": "child"}).location).group(1))
    add(logged_in_client, pid, "ibuprofen")
    edit_url = f"/my-medicine/profiles/{pid}/edit"
    logged_in_client.post(edit_url, data={"name": "Samuel", "relation": "child",
                                          "shown_version": shown_version(logged_in_client, edit_url)})
    assert "Samuel" in text_of(logged_in_client.get("/my-medicine"))
    assert "1 medicine" in text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}/delete"))
    response = logged_in_client.post(f"/my-medicine/profiles/{pid}/delete")
    assert response.status_code == 302
    assert logged_in_client.get(f"/my-medicine/profiles/{pid}").status_code == 404
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SavedMedicine)).scalar_one() == 0


def test_the_me_profile_cannot_be_removed(logged_in_client):
    pid = me_profile_id(logged_in_client)
    logged_in_client.post(f"/my-medicine/profiles/{pid}/delete")
    assert logged_in_client.get(f"/my-medicine/profiles/{pid}").status_code == 200


def test_edit_stop_restart_and_remove_a_medicine(logged_in_client, reference, app):
    pid = me_profile_id(logged_in_client)
    add(logged_in_client, pid, "warfarin")
    add(logged_in_client, pid, "ibuprofen")
    with app.app_context():
        ibuprofen = db.session.execute(select(SavedMedicine.id).where(SavedMedicine.name == "Ibuprofen")).scalar_one()
    edit_url = f"/my-medicine/medicines/{ibuprofen}/edit"
    response = logged_in_client.post(edit_url, data={
        "shown_version": shown_version(logged_in_client, edit_url),
        "strength": "400 mg", "how_taken": "with food", "started_on": "2024-03-01", "notes": "for knees"})
    assert response.status_code == 302
    page = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    assert "400 mg" in page and "March 1, 2024" in page and "Major" in page

    logged_in_client.post(f"/my-medicine/medicines/{ibuprofen}/status", data={"action": "stop"})
    page = text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))
    report = page[page.index('id="report-heading"'):]
    assert "Stopped" in page and "Major" not in report  # a stopped medicine is not checked
    logged_in_client.post(f"/my-medicine/medicines/{ibuprofen}/status", data={"action": "restart"})
    assert "Major" in text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))

    assert logged_in_client.post(f"/my-medicine/medicines/{ibuprofen}/remove").status_code == 302
    # A stale form sent after the medicine was removed: a clear page, nothing else changes.
    stale = logged_in_client.post(f"/my-medicine/medicines/{ibuprofen}/edit", data={"strength": "1 mg"})
    assert stale.status_code == 404 and "removed in another window" in text_of(stale)
    assert logged_in_client.post(f"/my-medicine/medicines/{ibuprofen}/remove").status_code == 404
    assert "Warfarin" in text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}"))


def test_future_start_date_is_refused(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    response = add(logged_in_client, pid, "warfarin", started_on="2999-01-01")
    assert response.status_code == 200 and "can&#39;t be in the future" in text_of(response)


def test_exports_per_profile(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    add(logged_in_client, pid, "warfarin", notes="=HYPERLINK(\"http://evil\")")
    csv_response = logged_in_client.get(f"/my-medicine/profiles/{pid}/export.csv")
    assert csv_response.mimetype == "text/csv"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    assert "no-store" in csv_response.headers["Cache-Control"]
    body = text_of(csv_response)
    assert body.startswith("name,status,strength") and "Warfarin,active" in body
    assert "'=HYPERLINK" in body  # never a live spreadsheet formula
    data = json.loads(text_of(logged_in_client.get(f"/my-medicine/profiles/{pid}/export.json")))
    assert data["name"] == "Me" and data["medicines"][0]["ingredients"] == ["warfarin"]


def test_account_export_includes_every_profile(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    add(logged_in_client, pid, "warfarin")
    logged_in_client.post("/my-medicine/profiles/new", data={"name": "Sam", "relation": "child"})
    response = logged_in_client.get("/account/export")
    data = json.loads(text_of(response))
    section = data["my_medicine"]
    assert [p["name"] for p in section["profiles"]] == ["Me", "Sam"]
    assert section["profiles"][0]["medicines"][0]["name"] == "Warfarin"


def test_deleting_the_account_deletes_the_lists(app, client, auth, make_user, reference):
    from tests.conftest import PASSWORD
    from webapp.blueprints.accounts.rules import delete_account

    user = make_user("leaving@example.com")
    auth.login(user.email)
    pid = me_profile_id(client)
    add(client, pid, "warfarin")
    with app.app_context():
        from webapp.blueprints.accounts.models import User

        delete_account(db.session, db.session.get(User, user.id), PASSWORD, app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(SavedMedicine)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(MedProfile)).scalar_one() == 0


def test_personal_pages_are_not_stored_by_caches(logged_in_client, reference):
    pid = me_profile_id(logged_in_client)
    for url in ["/my-medicine", f"/my-medicine/profiles/{pid}", f"/my-medicine/profiles/{pid}/card",
                "/my-medicine/alerts", "/my-medicine/alerts/settings", f"/my-medicine/profiles/{pid}/edit"]:
        response = logged_in_client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers["Cache-Control"], url


def test_save_to_my_medicine_from_a_reference_page(logged_in_client, reference, app):
    response = logged_in_client.post("/my-medicine/save", data={"kind": "drug", "item_id": reference["warfarin"],
                                                                 "profile_id": 0})
    assert response.status_code == 302
    assert "Warfarin" in text_of(logged_in_client.get(response.location))
    # A drug that no longer exists: a clear message, nothing saved.
    response = logged_in_client.post("/my-medicine/save", data={"kind": "drug", "item_id": 999999, "profile_id": 0},
                                     follow_redirects=True)
    assert "no longer in our reference" in text_of(response)
    response = logged_in_client.post("/my-medicine/save", data={"kind": "spaceship", "item_id": 1, "profile_id": 0},
                                     follow_redirects=True)
    assert "could not be saved" in text_of(response)


def test_the_save_partial_for_visitors_and_members(app, client, auth, make_user, reference):
    from flask import render_template_string
    from flask_login import login_user

    from webapp.blueprints.accounts.models import User

    template = '{% include "mymeds/_save_to_my_medicine.html" %}'
    item = {"kind": "drug", "id": reference["warfarin"], "name": "Warfarin"}
    with app.test_request_context("/drugs/warfarin"):
        html = render_template_string(template, save_item=item)
        assert "Log in to save Warfarin" in html and "next=/drugs/warfarin" in html
    user = make_user("saver@example.com")
    with app.test_request_context("/drugs/warfarin"):
        login_user(db.session.get(User, user.id))
        html = render_template_string(template, save_item=item)
        assert 'action="/my-medicine/save"' in html and 'name="csrf_token"' in html
        assert 'name="profile_id" value="0"' in html


# --- the checker for everyone ------------------------------------------------------------------


def test_checker_works_without_an_account(client, reference):
    response = client.get("/interaction-checker", query_string={"medicines": "warfarin\nAleve\nzzyzx\nwarfarin"})
    page = text_of(response)
    assert response.status_code == 200
    assert "Major" in page and "Warfarin" in page and "Naproxen" in page
    assert "Not recognised, so not checked:</strong> zzyzx" in page
    assert "more than once" in page
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(("query", "message"), [
    ({"medicines": ""}, "Enter at least two medicines"),
    ({"medicines": " , ,\n"}, "Enter at least two medicines"),
    ({"medicines": "\n".join(f"drug{i}" for i in range(200))}, "at most 50 medicines"),
    ({"medicines": "a\x00b"}, "control characters"),
])
def test_checker_bad_input_gets_a_message(client, reference, query, message):
    response = client.get("/interaction-checker", query_string=query)
    assert response.status_code == 200 and message in text_of(response)


def test_checker_with_invalid_utf8_in_the_query_string(client):
    response = client.get("/interaction-checker?medicines=%ff%fe")
    assert response.status_code in (200, 400)


def test_checker_with_one_medicine_explains_what_was_checked(client, reference):
    page = text_of(client.get("/interaction-checker", query_string={"medicines": "atenolol"}))
    assert "Add at least one more medicine" in page and "not a guarantee" in page


# --- the API ------------------------------------------------------------------------------------


def test_api_contract(client, reference):
    response = client.post("/api/v1/interactions", json={"drugs": ["warfarin", "Advil", "nope-ium"]})
    assert response.status_code == 200
    data = response.get_json()
    assert data["drugs"] == [{"input": "warfarin", "slug": "warfarin", "name": "Warfarin"},
                             {"input": "Advil", "slug": "ibuprofen", "name": "Ibuprofen"}]
    assert data["unrecognized"] == ["nope-ium"]
    (interaction,) = data["interactions"]
    assert interaction["drugs"] == ["warfarin", "ibuprofen"] and interaction["severity"] == "major"
    assert interaction["summary"] and interaction["advice"] and interaction["source"]
    assert data["duplications"] == []


def test_api_symmetry_and_duplications(client, reference):
    forward = client.post("/api/v1/interactions", json={"drugs": ["Tylenol", "Norco"]}).get_json()
    backward = client.post("/api/v1/interactions", json={"drugs": ["Norco", "Tylenol"]}).get_json()
    assert forward["duplications"][0]["ingredient"] == "acetaminophen"
    assert sorted(forward["duplications"][0]["drugs"]) == ["acetaminophen", "hydrocodone-acetaminophen"]
    assert len(forward["interactions"]) == len(backward["interactions"])
    classes = client.post("/api/v1/interactions", json={"drugs": ["ibuprofen", "naproxen"]}).get_json()
    assert classes["duplications"][0]["class"] == "nsaid"


@pytest.mark.parametrize("body", [
    None, "not json", [], {"drug": ["x"]}, {"drugs": "warfarin"}, {"drugs": []}, {"drugs": [1, 2]},
    {"drugs": ["  "]}, {"drugs": ["x"] * 51}, {"drugs": ["x" * 101]},
])
def test_api_bad_bodies_get_a_400_json_error(client, body):
    if body is None:
        response = client.post("/api/v1/interactions", data=b"\xff\xfe", content_type="application/json")
    elif isinstance(body, str):
        response = client.post("/api/v1/interactions", data=body, content_type="application/json")
    else:
        response = client.post("/api/v1/interactions", json=body)
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]["message"]


def test_api_needs_no_csrf_token_but_forms_do(app, database_url, reference):
    from config import TestConfig
    from webapp import create_app

    strict = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    client = strict.test_client()
    response = client.post("/api/v1/interactions", json={"drugs": ["warfarin", "ibuprofen"]})
    assert response.status_code == 200 and response.get_json()["interactions"]
    refused = client.post("/my-medicine/save", data={"kind": "drug", "item_id": 1})
    assert refused.status_code == 400 and "This form has expired" in refused.get_data(as_text=True)
    with strict.app_context():
        db.session.remove()
        db.engine.dispose()


def test_api_is_rate_limited(app, database_url, reference):
    from config import TestConfig
    from webapp import create_app

    limited = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True})
    client = limited.test_client()
    codes = [client.post("/api/v1/interactions", json={"drugs": ["warfarin"]}).status_code for _ in range(61)]
    assert codes[0] == 200 and codes[-1] == 429
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_double_submit_saves_one_medicine(logged_in_client, reference, app):
    pid = me_profile_id(logged_in_client)
    assert add(logged_in_client, pid, "warfarin", strength="5 mg").status_code == 302
    again = add(logged_in_client, pid, "warfarin", strength="5 mg")
    assert again.status_code == 200 and "Warfarin 5 mg is already on the list of Me." in text_of(again)
    assert add(logged_in_client, pid, "warfarin", strength="1 mg").status_code == 302  # another strength is fine
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SavedMedicine)).scalar_one() == 2


def test_a_second_profile_with_the_same_name_is_refused(logged_in_client, app):
    logged_in_client.post("/my-medicine/profiles/new", data={"name": "Sam", "relation": "child"})
    again = logged_in_client.post("/my-medicine/profiles/new", data={"name": "Sam", "relation": "child"})
    assert again.status_code == 200 and "You already have a profile called Sam." in text_of(again)


def test_conditions_typed_as_free_text_are_recognised(logged_in_client, reference):
    response = logged_in_client.post("/my-medicine/profiles/new", data={
        "name": "Uncle Ray", "relation": "other-family", "other_conditions": "gout; CKD stage 3"})
    pid = int(re.search(r"/profiles/(\d+)", response.location).group(1))
    page = text_of(logged_in_client.get(add(logged_in_client, pid, "ibuprofen").location))
    assert "Warning for a health condition" in page and "Chronic kidney disease" in page


def test_alert_settings_need_a_profile_when_choosing_some(logged_in_client):
    response = logged_in_client.post("/my-medicine/alerts/settings", data={"scope": "profiles"})
    assert response.status_code == 200 and "Choose at least one profile" in text_of(response)
    assert logged_in_client.post("/my-medicine/alerts/settings", data={"scope": "all"}).status_code == 302
    assert "Alerts are on for all your profiles, on the site only" in text_of(logged_in_client.get("/my-medicine/alerts"))
