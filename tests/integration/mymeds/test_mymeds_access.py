"""Privacy: every My Medicine URL of one member, tried by another member, gives 404 and no data."""

from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import select

from tests.integration.mymeds_helpers import make_reference, signed_in
from webapp.blueprints.mymeds.models import MedNotification, MedProfile, Recall, RecallMatch, SavedMedicine
from webapp.extensions import db

SECRET = "Secretname Ownerfamily"


@pytest.fixture
def owner_data(app, make_user):
    """Alice has a family profile with a medicine and a recall alert."""
    with app.app_context():
        make_reference()
    alice = make_user("alice@example.com", display_name="Alice")
    client = signed_in(app, alice.email)
    response = client.post("/my-medicine/profiles/new", data={"name": SECRET, "relation": "child",
                                                              "allergies": "secret allergy"})
    profile_id = int(re.search(r"/profiles/(\d+)", response.location).group(1))
    client.post(f"/my-medicine/profiles/{profile_id}/medicines", data={"name": "warfarin", "notes": "secret note"})
    with app.app_context():
        medicine = db.session.execute(select(SavedMedicine)).scalar_one()
        recall = Recall(recall_number="D-9-2026", product_description="Warfarin tablets", content_hash="x")
        db.session.add(recall)
        db.session.flush()
        db.session.add(RecallMatch(recall_id=recall.id, saved_medicine_id=medicine.id, profile_id=profile_id,
                                   user_id=alice.id, basis="ingredient"))
        notification = MedNotification(user_id=alice.id, profile_id=profile_id, recall_id=recall.id,
                                       title="FDA recall: secret warfarin", body="secret")
        db.session.add(notification)
        db.session.commit()
        return {"profile": profile_id, "medicine": medicine.id, "notification": notification.id}


def owner_urls(app, ids) -> list[tuple[str, str, dict]]:
    p, m, n = ids["profile"], ids["medicine"], ids["notification"]
    with app.test_request_context():
        return [
            ("GET", url_for("mymeds.profile", profile_id=p), {}),
            ("GET", url_for("mymeds.edit_profile", profile_id=p), {}),
            ("POST", url_for("mymeds.edit_profile", profile_id=p), {"name": "Hijacked", "relation": "child"}),
            ("GET", url_for("mymeds.delete_profile", profile_id=p), {}),
            ("POST", url_for("mymeds.delete_profile", profile_id=p), {}),
            ("GET", url_for("mymeds.wallet_card", profile_id=p), {}),
            ("GET", url_for("mymeds.export_csv", profile_id=p), {}),
            ("GET", url_for("mymeds.export_json", profile_id=p), {}),
            ("POST", url_for("mymeds.add_medicine", profile_id=p), {"name": "ibuprofen"}),
            ("GET", url_for("mymeds.edit_medicine", medicine_id=m), {}),
            ("POST", url_for("mymeds.edit_medicine", medicine_id=m), {"strength": "1 mg"}),
            ("POST", url_for("mymeds.medicine_status", medicine_id=m), {"action": "stop"}),
            ("POST", url_for("mymeds.remove_medicine", medicine_id=m), {}),
            ("POST", url_for("mymeds.mark_alerts_read"), {"notification_id": str(n)}),
            ("POST", url_for("mymeds.save_item"), {"kind": "drug", "item_id": "1", "profile_id": str(p)}),
        ]


def test_the_owner_can_open_every_url(app, owner_data):
    client = signed_in(app, "alice@example.com")
    for method, url, _data in owner_urls(app, owner_data):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_another_member_gets_404_for_every_url_and_changes_nothing(app, make_user, owner_data):
    make_user("mallory@example.com", display_name="Mallory")
    client = signed_in(app, "mallory@example.com")
    for method, url, data in owner_urls(app, owner_data):
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 404, (method, url, response.status_code)
        for secret in (SECRET, "secret note", "secret allergy", "secret warfarin"):
            assert secret not in body, (method, url)

    # Mallory's own pages show nothing of Alice's either.
    for url in ("/my-medicine", "/my-medicine/alerts", "/my-medicine/alerts/settings", "/account/export"):
        body = client.get(url).get_data(as_text=True)
        assert SECRET not in body and "secret warfarin" not in body, url

    with app.app_context():
        profile = db.session.get(MedProfile, owner_data["profile"])
        medicine = db.session.get(SavedMedicine, owner_data["medicine"])
        notification = db.session.get(MedNotification, owner_data["notification"])
        assert profile.name == SECRET and medicine is not None and medicine.status == "active"
        assert medicine.strength == "" and notification.read_at is None
        assert db.session.execute(select(SavedMedicine).where(SavedMedicine.name == "Ibuprofen")).first() is None


def test_subscribing_to_another_members_profile_is_ignored(app, make_user, owner_data):
    make_user("mallory@example.com", display_name="Mallory")
    client = signed_in(app, "mallory@example.com")
    client.get("/my-medicine")
    response = client.post("/my-medicine/alerts/settings", data={"scope": "profiles",
                                                                 "profiles": [str(owner_data["profile"])]})
    assert response.status_code == 200  # not one of her choices: refused beside the field
    from webapp.blueprints.mymeds.models import AlertSubscription

    with app.app_context():
        assert db.session.execute(select(AlertSubscription)).first() is None


def test_visitors_are_sent_to_log_in(app, owner_data):
    client = app.test_client()
    for method, url, data in owner_urls(app, owner_data):
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 302 and "/login" in response.location, url


@pytest.mark.parametrize("url", [
    "/my-medicine/profiles/99999999999999999999", "/my-medicine/profiles/2147483648/card",
    "/my-medicine/medicines/99999999999999999999/edit", "/my-medicine/profiles/0",
])
def test_impossible_ids_are_404_not_errors(logged_in_client, url):
    assert logged_in_client.get(url).status_code == 404


def test_impossible_ids_in_forms_are_not_errors(logged_in_client):
    response = logged_in_client.post("/my-medicine/save", data={"kind": "drug", "item_id": "9" * 30, "profile_id": "0"})
    assert response.status_code == 302
    response = logged_in_client.post("/my-medicine/save", data={"kind": "drug", "item_id": "1", "profile_id": "9" * 30})
    assert response.status_code == 404
    assert logged_in_client.post("/my-medicine/alerts/read", data={"notification_id": "9" * 30}).status_code == 404
    assert logged_in_client.get("/my-medicine/profiles/1?added=" + "9" * 30).status_code in (200, 404)
