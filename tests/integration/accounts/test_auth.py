"""Sign-up, verification, log-in, log-out, reset: through the test client on a real database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, first_link
from webapp.blueprints.accounts.models import User
from webapp.extensions import db

NEW_PASSWORD = "a brand new passphrase"


def _signup(client, email="new@example.com", name="New Person", password=PASSWORD):
    return client.post("/signup", data={"email": email, "display_name": name, "password": password})


def _user(app, email) -> User:
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        db.session.expunge(user)
        return user


def test_signup_sends_a_verification_link_that_confirms_the_address(app, client, sent_mail):
    response = _signup(client)
    assert response.status_code == 302 and response.location.endswith("/signup/check-email")
    assert not _user(app, "new@example.com").is_verified

    (message,) = sent_mail("new@example.com")
    assert message.subject == "Confirm your email address for HealthDesk"
    response = client.get(first_link(message.body_text, "/verify-email/"), follow_redirects=True)
    assert "your email address is confirmed" in response.get_data(as_text=True)
    assert _user(app, "new@example.com").is_verified


def test_signup_normalises_the_email(app, client):
    _signup(client, email="  Mixed.Case@Example.COM ")
    assert _user(app, "mixed.case@example.com").email == "mixed.case@example.com"


@pytest.mark.parametrize(
    ("email", "name", "password", "message"),
    [
        ("", "Ann", PASSWORD, "Enter your email address."),
        ("not-an-email", "Ann", PASSWORD, "Enter a valid email address"),
        ("a@example.com", "   ", PASSWORD, "Enter a display name."),
        ("a@example.com", "x" * 61, PASSWORD, "at most 60 characters"),
        ("a@example.com", "Ann\x00", PASSWORD, "control characters"),
        ("a@example.com", "Ann", "short", "at least 12 characters"),
        ("a@example.com", "Ann", "password1234", "too common"),
        ("a@example.com", "Ann", "p" * 129, "at most 128 characters"),
        ("x" * 300 + "@example.com", "Ann", PASSWORD, "254 characters"),
    ],
)
def test_signup_validation_keeps_what_was_typed(client, email, name, password, message):
    response = _signup(client, email=email, name=name, password=password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    if email and len(email) < 100:
        assert f'value="{email}"' in html


def test_signup_with_markup_in_the_name_is_escaped(app, client):
    _signup(client, name="<script>alert(1)</script>")
    user = _user(app, "new@example.com")
    assert user.display_name == "<script>alert(1)</script>"


def test_signup_for_an_existing_email_looks_the_same_and_tells_only_the_owner(client, user, sent_mail):
    first = _signup(client, email="brand.new@example.com")
    second = _signup(client, email=user.email)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    (message,) = sent_mail(user.email)
    assert "already have an account" in message.body_text


def test_double_submitted_signup_creates_one_account(app, client):
    _signup(client)
    _signup(client)
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(User)).scalar_one() == 1


def test_tampered_verification_link_shows_a_clear_page(client):
    response = client.get("/verify-email/not-a-real-token")
    assert response.status_code == 400
    assert "This link doesn't work" in response.get_data(as_text=True)


def test_login_failure_message_is_the_same_for_unknown_email_and_wrong_password(client, user, auth):
    wrong_password = auth.login(user.email, "not the right password").get_data(as_text=True)
    unknown_email = auth.login("nobody@example.com", "not the right password").get_data(as_text=True)
    message = "The email address or password is not correct."
    assert message in wrong_password and message in unknown_email
    strip = re.compile(r'name="csrf_token"[^>]*|value="[^"]*"')
    assert strip.sub("", wrong_password) == strip.sub("", unknown_email)


def test_login_and_logout(client, user, auth):
    response = auth.login(user.email)
    assert response.status_code == 302
    assert "Morgan Member" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert client.get("/account/settings").status_code == 302


def test_login_follows_only_safe_next(client, user):
    data = {"email": user.email, "password": PASSWORD}
    assert client.post("/login", data={**data, "next": "/account/settings"}).location == "/account/settings"
    client.post("/logout")
    for evil in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]:
        response = client.post("/login", data={**data, "next": evil})
        assert response.location == "/", evil
        client.post("/logout")


def test_a_copied_session_cookie_stops_working_after_logout(app, client, user, auth):
    auth.login(user.email)
    stolen = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/account/settings").status_code == 302


def test_remember_me_cookie_dies_with_a_password_change(app, client, user, auth):
    auth.login(user.email, remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    other_device = app.test_client()
    other_device.set_cookie("remember_token", remember.value)
    assert other_device.get("/account/settings").status_code == 200

    client.post("/account/password", data={"pw-current_password": PASSWORD, "pw-new_password": NEW_PASSWORD})
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/account/settings").status_code == 302


def test_forgot_password_answers_the_same_for_unknown_addresses(client, user, sent_mail):
    known = client.post("/forgot-password", data={"email": user.email}).get_data(as_text=True)
    unknown = client.post("/forgot-password", data={"email": "ghost@example.com"}).get_data(as_text=True)
    assert known.replace(user.email, "EMAIL") == unknown.replace("ghost@example.com", "EMAIL")
    assert len(sent_mail(user.email)) == 1
    # The unknown address hears that it has no account (and gets no reset link).
    (ghost,) = sent_mail("ghost@example.com")
    assert "/reset-password/" not in ghost.body_text


def test_reset_link_works_once(client, user, auth, sent_mail):
    client.post("/forgot-password", data={"email": user.email})
    link = first_link(sent_mail(user.email)[0].body_text, "/reset-password/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302
    auth.logout()
    again = client.post(link, data={"password": "yet another passphrase"})
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302


def test_reset_refuses_a_weak_password(client, user, sent_mail):
    client.post("/forgot-password", data={"email": user.email})
    link = first_link(sent_mail(user.email)[0].body_text, "/reset-password/")
    response = client.post(link, data={"password": "123456789012"})
    assert response.status_code == 200
    assert "too common" in response.get_data(as_text=True)
