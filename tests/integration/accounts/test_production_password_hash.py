"""Sign-up and log-in with the production password hash.

The other tests run with TestConfig's cheap scrypt cost (see config.py); this one keeps the
method production uses under test, so a change to it (or to Werkzeug's handling of it) that
stops members from logging in cannot pass unnoticed.
"""

from __future__ import annotations

from sqlalchemy import select

from config import Config, TestConfig
from tests.conftest import PASSWORD, first_link
from webapp.blueprints.accounts.models import User
from webapp.extensions import db


def test_a_member_signs_up_and_logs_in_with_the_production_hash(make_app, sent_mail):
    assert Config.PASSWORD_HASH_METHOD != TestConfig.PASSWORD_HASH_METHOD
    app = make_app(PASSWORD_HASH_METHOD=Config.PASSWORD_HASH_METHOD)
    client = app.test_client()
    response = client.post("/signup", data={"email": "prod@example.com", "display_name": "Pat Prod", "password": PASSWORD})
    assert response.status_code == 302
    (message,) = sent_mail("prod@example.com")
    client.get(first_link(message.body_text, "/verify-email/"))
    with app.app_context():
        stored = db.session.execute(select(User.password_hash).where(User.email == "prod@example.com")).scalar_one()
    # Werkzeug's default scrypt cost (N=32768), the password itself nowhere in it.
    assert stored.startswith("scrypt:32768:8:1$") and PASSWORD not in stored

    client.post("/logout")
    wrong = client.post("/login", data={"email": "prod@example.com", "password": PASSWORD + "x"})
    assert wrong.status_code == 200 and "The email address or password is not correct." in wrong.get_data(as_text=True)
    right = client.post("/login", data={"email": "prod@example.com", "password": PASSWORD})
    assert right.status_code == 302
    assert "Pat Prod" in client.get("/").get_data(as_text=True)
