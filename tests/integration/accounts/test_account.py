"""Settings, email change, export my data, delete my account."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, first_link
from tests.integration.mymeds_helpers import make_reference
from webapp.blueprints.accounts.models import User
from webapp.blueprints.newsletter import seed as newsletter_seed
from webapp.core.mail import outbox
from webapp.core.mail.models import OutboxMessage
from webapp.extensions import db


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


# --- deleting an account deletes its mail, at every address it had (security issue #13) ---

def _recall_file(tmp_path, number="D-0600-2026"):
    """One FDA recall of warfarin, in the openFDA layout (written for the tests)."""
    record = {"recall_number": number, "classification": "Class I", "status": "Ongoing", "product_type": "Drugs",
              "product_description": "Warfarin Sodium Tablets USP, 5 mg (sample record for tests)",
              "reason_for_recall": "Superpotent (sample).", "recalling_firm": "Example Generics LLC",
              "report_date": date.today().strftime("%Y%m%d"), "openfda": {"generic_name": ["WARFARIN SODIUM"], "brand_name": []}}
    path = tmp_path / f"{number}.json"
    path.write_text(json.dumps({"meta": {"results": {"total": 1}}, "results": [record]}))
    return path


def _family_member_on_warfarin(client, name: str) -> None:
    """A profile for a relative, warfarin on their list, recall alerts by email."""
    created = client.post("/my-medicine/profiles/new", data={"name": name, "relation": "grandparent"})
    profile_id = int(re.search(r"/profiles/(\d+)", created.location).group(1))
    client.post(f"/my-medicine/profiles/{profile_id}/medicines", data={"name": "warfarin"})
    assert client.post("/my-medicine/alerts/settings", data={"scope": "all", "by_email": "y"}).status_code == 302


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        messages = list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        db.session.expunge_all()
        return messages


def _said(message: OutboxMessage) -> str:
    return " ".join([message.to_address, message.subject, message.body_text, message.body_html or "",
                     json.dumps(message.headers)])


def test_deleting_the_account_deletes_its_mail_at_every_address_it_had(app, client, auth, make_user, runner, tmp_path):
    with app.app_context():
        make_reference()
        newsletter_seed.seed(db.session, lambda _m: None)
        db.session.commit()
    make_user("neighbour@example.com")
    user = make_user("first@example.com", display_name="Morgan")
    auth.login(user.email)
    _family_member_on_warfarin(client, "Grandma Zebrafinch")
    client.post("/newsletter/settings", data={"topics": ["drug-safety"]})

    # At the first address: a recall alert naming the relative and the medicine (sent), the newsletter about it.
    assert runner.invoke(args=["import", "recalls", str(_recall_file(tmp_path))]).exit_code == 0
    sent = runner.invoke(args=["newsletter", "send", "drug-safety"])
    assert "Queued 1 email(s)" in sent.output, sent.output
    assert "Sent " in runner.invoke(args=["mail", "deliver"]).output
    # A newsletter queued before messages remembered their account: found through its delivery record.
    with app.app_context():
        newsletter = db.session.execute(select(OutboxMessage).where(OutboxMessage.category == "newsletter")).scalar_one()
        newsletter.user_id = None
        db.session.commit()

    # The address changes; an alert goes to the new one; a later change is asked for but never confirmed.
    client.post("/account/email", data={"em-new_email": "second@example.com", "em-current_password": PASSWORD})
    (confirm,) = [m for m in _outbox(app) if m.to_address == "second@example.com"]
    client.get(first_link(confirm.body_text, "/account/email/confirm/"))
    assert runner.invoke(args=["import", "recalls", str(_recall_file(tmp_path, "D-0601-2026"))]).exit_code == 0
    client.post("/account/email", data={"em-new_email": "never-confirmed@example.com", "em-current_password": PASSWORD})
    # Someone else's mail stays.
    with app.app_context():
        outbox.queue_mail(db.session, to="neighbour@example.com", subject="Welcome", text="Hello neighbour")
        db.session.commit()

    addresses = {m.to_address for m in _outbox(app)}
    assert {"first@example.com", "second@example.com", "never-confirmed@example.com"} <= addresses
    assert any("Grandma Zebrafinch" in _said(m) and "Warfarin" in _said(m) for m in _outbox(app))

    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302

    left = _outbox(app)
    assert [(m.to_address, m.subject) for m in left] == [("neighbour@example.com", "Welcome")]
    assert not any("Zebrafinch" in _said(m) for m in left)


def test_a_wrong_password_deletes_no_mail(app, logged_in_client, user, sent_mail):
    with app.app_context():
        outbox.queue_mail(db.session, to=user.email, subject="Your alert", text="Body")
        db.session.commit()
    response = logged_in_client.post("/account/delete", data={"password": "wrong password here", "confirm": "y"})
    assert response.status_code == 400
    assert [m.subject for m in sent_mail(user.email)] == ["Your alert"]


def test_deleting_the_account_deletes_mail_that_belongs_to_it_at_any_address(app, logged_in_client, user, make_user):
    """outbox_messages.user_id is a foreign key with ON DELETE CASCADE: the message goes with the
    account although it went to an address the account never had; the same address's other mail stays."""
    neighbour = make_user("neighbour@example.com")
    with app.app_context():
        mine = outbox.queue_mail(db.session, to="family-inbox@example.com", subject="Recall for Grandma",
                                 text="Grandma's warfarin is recalled.", account_id=user.id)
        outbox.queue_mail(db.session, to="family-inbox@example.com", subject="Not theirs", text="Body", account_id=None)
        outbox.queue_mail(db.session, to=neighbour.email, subject="Welcome", text="Hello neighbour")
        db.session.commit()
        assert mine.user_id == user.id and mine.headers == {}

    response = logged_in_client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert [(m.to_address, m.subject, m.user_id) for m in _outbox(app)] == [
        ("family-inbox@example.com", "Not theirs", None), ("neighbour@example.com", "Welcome", neighbour.id)]


def test_deleted_text_is_not_left_in_the_sqlite_files(app, client, auth, make_user, database_url):
    """Security issue #13, finding 11: secure_delete zeroes deleted rows in the database file and a
    TRUNCATE checkpoint empties the write-ahead log, where earlier copies of the pages stay readable."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: the database and its -wal file are read byte by byte")
    from pathlib import Path

    secret = f"Zebrafinch{uuid.uuid4().hex[:12]}"
    with app.app_context():
        make_reference()
        assert db.session.execute(db.text("PRAGMA secure_delete")).scalar_one() == 1
        db.session.rollback()
    user = make_user(f"{secret.lower()}@example.com", display_name=f"Morgan {secret}")
    auth.login(user.email)
    _family_member_on_warfarin(client, f"Grandma {secret}")
    with app.app_context():
        outbox.queue_mail(db.session, to=user.email, subject=f"Recall for Grandma {secret}",
                          text=f"Grandma {secret}'s warfarin is recalled.")
        db.session.commit()

    database = Path(database_url.removeprefix("sqlite:///"))
    wal = database.with_name(database.name + "-wal")
    files = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert secret.encode() in files  # the test can see it before...

    assert client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302

    assert secret.encode() not in database.read_bytes()  # ...and neither file holds it after
    assert not wal.exists() or secret.encode() not in wal.read_bytes()
    assert secret.lower().encode() not in database.read_bytes().lower()
