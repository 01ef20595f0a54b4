"""Findings of the attack pass (issue #13) on accounts: where email links point, which
hosts and proxies are believed, reset links after an email change, `next` with control
characters, forgot-password doing the same work either way, look-alike addresses."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from config import ProductionConfig
from tests.conftest import PASSWORD, first_link
from tests.integration._community import ask, client_as, thread_id_from
from webapp import create_app
from webapp.blueprints.accounts.models import User
from webapp.blueprints.newsletter import seed as newsletter_seed
from webapp.extensions import db

PUBLIC = "https://healthdesk.example"
OTHER_HOST = "http://127.0.0.1"  # a host the app answers to that is not SITE_URL's


@pytest.fixture
def public_site(app):
    """The app's public address differs from the host the requests below are sent to."""
    app.config["SITE_URL"] = PUBLIC
    return app


def _links(message) -> list[str]:
    return [word for word in message.body_text.split() if word.startswith(("http://", "https://"))]


def _assert_all_links_public(message) -> None:
    links = _links(message)
    assert links, message.body_text
    assert all(link.startswith(PUBLIC + "/") for link in links), links


# --- 1. every absolute link in an email is built from SITE_URL ------------------------

def test_reset_link_ignores_the_request_host(public_site, user, sent_mail):
    client = public_site.test_client()
    client.post("/forgot-password", data={"email": user.email}, base_url=OTHER_HOST)
    (message,) = sent_mail(user.email)
    _assert_all_links_public(message)
    assert "/reset-password/" in message.body_text


def test_signup_mails_link_to_the_public_site(public_site, user, sent_mail):
    client = public_site.test_client()
    client.post("/signup", data={"email": "fresh@example.com", "display_name": "Fresh", "password": PASSWORD},
                base_url=OTHER_HOST)
    client.post("/signup", data={"email": user.email, "display_name": "Again", "password": PASSWORD},
                base_url=OTHER_HOST)
    _assert_all_links_public(sent_mail("fresh@example.com")[0])
    _assert_all_links_public(sent_mail(user.email)[0])  # "you already have an account"


def test_email_change_link_points_at_the_public_site(public_site, user, sent_mail):
    client = public_site.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD}, base_url=OTHER_HOST)
    client.post("/account/email", data={"em-current_password": PASSWORD, "em-new_email": "moved@example.com"},
                base_url=OTHER_HOST)
    (message,) = sent_mail("moved@example.com")
    _assert_all_links_public(message)


def test_newsletter_confirmation_points_at_the_public_site(public_site, sent_mail):
    with public_site.app_context():
        newsletter_seed.seed(db.session, lambda _m: None)
        db.session.commit()
    public_site.test_client().post("/newsletter", data={"email": "reader@example.com", "topics": ["cancer"]},
                                   base_url=OTHER_HOST)
    (message,) = sent_mail("reader@example.com")
    _assert_all_links_public(message)


def test_community_notification_points_at_the_public_site(public_site, people, sent_mail):
    asker = client_as(public_site, people.asker.email)
    thread_id = thread_id_from(ask(asker))
    answerer = public_site.test_client()
    answerer.post("/login", data={"email": people.other.email, "password": PASSWORD}, base_url=OTHER_HOST)
    answerer.post(f"/community/threads/{thread_id}/answer", data={"body": "Take it with food."}, base_url=OTHER_HOST)
    (message,) = sent_mail(people.asker.email)
    _assert_all_links_public(message)


def test_a_request_naming_another_host_is_refused(client, user, sent_mail):
    response = client.post("/forgot-password", data={"email": user.email}, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert sent_mail() == []


def test_production_trusts_only_the_site_host(make_app, database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-value")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SITE_URL", PUBLIC)
    app = make_app(ProductionConfig, RATELIMIT_STORAGE_URI="memory://", SITE_URL=PUBLIC)
    client = app.test_client()
    assert client.get("/login", base_url=PUBLIC).status_code == 200
    assert client.get("/login", base_url="https://localhost").status_code == 400


def test_production_refuses_to_start_without_site_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-value")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/none")
    monkeypatch.delenv("SITE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SITE_URL"):
        create_app(ProductionConfig)


# --- 5. a reset link dies with an email change ----------------------------------------

def test_reset_link_sent_to_the_old_address_dies_with_an_email_change(app, client, auth, user, sent_mail):
    client.post("/forgot-password", data={"email": user.email})
    old_link = first_link(sent_mail(user.email)[0].body_text, "/reset-password/")

    auth.login(user.email)
    client.post("/account/email", data={"em-current_password": PASSWORD, "em-new_email": "new-home@example.com"})
    client.get(first_link(sent_mail("new-home@example.com")[0].body_text, "/account/email/confirm/"))
    auth.logout()
    with app.app_context():
        assert db.session.get(User, user.id).email == "new-home@example.com"

    response = client.post(old_link, data={"password": "a brand new passphrase"})
    assert response.status_code == 400
    assert auth.login("new-home@example.com", PASSWORD).status_code == 302  # password unchanged


# --- 7. control characters in `next` --------------------------------------------------

@pytest.mark.parametrize("target", ["/drugs\r\nSet-Cookie: evil=1", "/drugs\nX: y", "/drugs\x00", "/drugs\x7f"])
def test_control_characters_in_next_are_not_followed(client, user, target):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.location == "/"
    response = client.post("/font-size", data={"size": "larger", "next": target})
    assert response.status_code == 303 and response.location == "/"


# --- 9. forgot-password does the same work for a known and an unknown address --------

def _statements_for(app, client, email: str) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement.split()[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post("/forgot-password", data={"email": email})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def test_forgot_password_does_the_same_database_work_either_way(app, client, user, sent_mail):
    _statements_for(app, client, "warm-up@example.com")  # first-request costs out of the way
    known = _statements_for(app, client, user.email)
    unknown = _statements_for(app, client, "ghost@example.com")
    assert known == unknown
    assert len(sent_mail(user.email)) == 1 and len(sent_mail("ghost@example.com")) == 1
    assert "/reset-password/" in sent_mail(user.email)[0].body_text
    assert "no HealthDesk account" in sent_mail("ghost@example.com")[0].body_text
    assert "/reset-password/" not in sent_mail("ghost@example.com")[0].body_text


# --- 10. look-alike addresses fold to one account -------------------------------------

FULLWIDTH_BOB = "\uff42ob@example.com"  # ｂob@example.com


def test_a_fullwidth_look_alike_is_the_same_account(app, client, make_user, sent_mail):
    make_user("bob@example.com")
    client.post("/signup", data={"email": FULLWIDTH_BOB, "display_name": "Not Bob", "password": PASSWORD})
    with app.app_context():
        emails = db.session.execute(select(User.email)).scalars().all()
    assert emails == ["bob@example.com"]
    assert "already have an account" in sent_mail("bob@example.com")[0].body_text
    assert client.post("/login", data={"email": FULLWIDTH_BOB, "password": PASSWORD}).status_code == 302


# --- 12. X-Forwarded-For only from configured proxies ---------------------------------

def _login_statuses(client, forwarded_for) -> list[int]:
    return [client.post("/login", data={"email": "nobody@example.com", "password": "wrong"},
                        headers={"X-Forwarded-For": forwarded_for(i)}).status_code for i in range(11)]


def test_forwarded_for_is_ignored_without_trusted_proxies(make_app):
    client = make_app().test_client()
    statuses = _login_statuses(client, lambda i: f"203.0.113.{i}")
    assert statuses[:10] == [200] * 10 and statuses[10] == 429  # one bucket: the header is not believed


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(make_app):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    assert _login_statuses(client, lambda i: f"203.0.113.{i}") == [200] * 11  # a bucket per client
    same = _login_statuses(client, lambda _i: "198.51.100.7")
    assert same[:10] == [200] * 10 and same[10] == 429
