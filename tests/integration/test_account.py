"""Settings, email change, export my data, delete my account."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.conftest import PASSWORD, first_link
from webapp.extensions import db
from webapp.models import User


def test_settings_needs_login(client):
    response = client.get("/account/settings")
    assert response.status_code == 302
    assert "/login" in response.location


def test_settings_page_is_never_cached(logged_in_client):
    response = logged_in_client.get("/account/settings")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "member@example.com" in response.get_data(as_text=True)


def test_change_display_name(logged_in_client):
    logged_in_client.post("/account/profile", data={"profile-display_name": "  Morgan   M. "})
    assert "Morgan M." in logged_in_client.get("/account/settings").get_data(as_text=True)


def test_change_password_needs_the_current_one(logged_in_client):
    data = {"pw-current_password": "wrong password here", "pw-new_password": "a brand new passphrase"}
    response = logged_in_client.post("/account/password", data=data)
    assert response.status_code == 400
    assert "current password is not correct" in response.get_data(as_text=True)


def test_change_email_takes_effect_after_the_link(app, logged_in_client, user, sent_mail):
    response = logged_in_client.post("/account/email", data={"em-new_email": "Moved@Example.com", "em-current_password": PASSWORD})
    assert response.status_code == 302
    (message,) = sent_mail("moved@example.com")
    with app.app_context():
        assert db.session.get(User, user.id).email == "member@example.com"
    logged_in_client.get(first_link(message.body_text, "/account/email/confirm/"))
    with app.app_context():
        assert db.session.get(User, user.id).email == "moved@example.com"


def test_change_email_to_a_taken_address_fails_at_confirmation(app, logged_in_client, make_user, sent_mail):
    make_user("taken@example.com")
    logged_in_client.post("/account/email", data={"em-new_email": "taken@example.com", "em-current_password": PASSWORD})
    (message,) = [m for m in sent_mail("taken@example.com") if "new" in m.subject]
    response = logged_in_client.get(first_link(message.body_text, "/account/email/confirm/"), follow_redirects=True)
    assert "cannot be used" in response.get_data(as_text=True)


def test_export_is_json_with_the_account(logged_in_client):
    response = logged_in_client.get("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    document = json.loads(response.data)
    assert document["account"]["email"] == "member@example.com"
    assert "password_hash" not in json.dumps(document)
    assert "session_token" not in json.dumps(document)


def test_delete_account_needs_password_and_confirmation(app, logged_in_client, user):
    response = logged_in_client.post("/account/delete", data={"password": "wrong password here", "confirm": "y"})
    assert response.status_code == 400
    response = logged_in_client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    assert "Tick the box" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id) is not None


def test_delete_account_removes_it_and_logs_out(app, logged_in_client, user, auth):
    response = logged_in_client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == user.email)).scalar_one_or_none() is None
    assert logged_in_client.get("/account/settings").status_code == 302
    assert auth.login(user.email).status_code == 200  # no such account any more
