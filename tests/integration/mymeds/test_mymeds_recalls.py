"""FDA recall import -> matching -> one notification per recall and profile -> emails over SMTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.integration.mymeds_helpers import make_reference, signed_in
from webapp.blueprints.mymeds.models import MedNotification, Recall, RecallMatch
from webapp.core.mail.models import OutboxMessage
from webapp.extensions import db

SHARED = Path(__file__).parents[3].parent / "shared" / "data" / "fda-enforcement-samples"
WEEKLY = SHARED / "res_weekly_report_20120613.jsonl"

# Written for these tests in the openFDA layout (not a real recall).
WARFARIN_RECALL = {
    "recall_number": "D-0500-2026",
    "classification": "Class I",
    "status": "Ongoing",
    "product_type": "Drugs",
    "product_description": "Warfarin Sodium Tablets USP, 5 mg, 100-count bottle, Rx only (sample record for tests)",
    "reason_for_recall": "Tablets may contain more active ingredient than labelled (sample).",
    "recalling_firm": "Example Generics LLC",
    "report_date": "20260110",
    "code_info": "Lot W123, Exp 03/27",
    "openfda": {"generic_name": ["WARFARIN SODIUM"], "brand_name": ["WARFARIN SODIUM"]},
}




def write(tmp_path, records, name="recalls.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"meta": {"results": {"total": len(records)}}, "results": records}))
    return path


@pytest.fixture
def member(app, make_user):
    """A member with warfarin on their own list and a child's list with atenolol, subscribed by email."""
    with app.app_context():
        make_reference()
    user = make_user("watcher@example.com", display_name="Watcher")
    client = signed_in(app, user.email)
    page = client.get("/my-medicine").get_data(as_text=True)
    me = int(re.search(r'href="/my-medicine/profiles/(\d+)"', page).group(1))
    client.post(f"/my-medicine/profiles/{me}/medicines", data={"name": "warfarin", "strength": "5 mg"})
    kid = int(re.search(r"/profiles/(\d+)", client.post("/my-medicine/profiles/new", data={
        "name": "Kid", "relation": "child"}).location).group(1))
    client.post(f"/my-medicine/profiles/{kid}/medicines", data={"name": "atenolol"})
    client.post(f"/my-medicine/profiles/{kid}/medicines", data={"name": "warfarin"})
    assert client.post("/my-medicine/alerts/settings", data={"scope": "all", "by_email": "y"}).status_code == 302
    return {"user": user, "client": client, "me": me, "kid": kid}


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_import_matches_notifies_once_per_recall_and_profile(app, runner, member, tmp_path):
    path = write(tmp_path, [WARFARIN_RECALL])
    result = runner.invoke(args=["import", "recalls", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and "notifications: 2" in result.output
    assert count(app, Recall) == 1 and count(app, RecallMatch) == 2
    with app.app_context():
        titles = db.session.execute(select(MedNotification.title)).scalars().all()
        assert titles == ["FDA recall: Warfarin Sodium Tablets USP"] * 2
        mails = db.session.execute(select(OutboxMessage).where(OutboxMessage.category == "recall-alert")).scalars().all()
        assert len(mails) == 2 and all(m.to_address == "watcher@example.com" for m in mails)
        assert "only strength 5 mg" in mails[0].body_text and "Example Generics LLC" in mails[0].body_text
        assert "http://localhost/my-medicine/alerts" in mails[0].body_text

    # Running the same import again sends nothing twice.
    again = runner.invoke(args=["import", "recalls", str(path)])
    assert again.exit_code == 0 and "1 unchanged" in again.output and "notifications: 0" in again.output
    assert count(app, MedNotification) == 2 and count(app, OutboxMessage) == 2


def test_a_changed_record_updates_and_never_duplicates(app, runner, member, tmp_path):
    runner.invoke(args=["import", "recalls", str(write(tmp_path, [WARFARIN_RECALL]))])
    changed = dict(WARFARIN_RECALL, status="Terminated", classification="Class II")
    result = runner.invoke(args=["import", "recalls", str(write(tmp_path, [changed], "v2.json"))])
    assert "1 updated" in result.output
    with app.app_context():
        recall = db.session.execute(select(Recall)).scalar_one()
        assert recall.status == "Terminated" and recall.classification == "Class II"
    assert count(app, MedNotification) == 2


def test_another_strength_or_product_alerts_nobody(app, runner, member, tmp_path):
    other_strength = dict(WARFARIN_RECALL, recall_number="D-0501-2026",
                          product_description="Warfarin Sodium Tablets USP, 10 mg, 100-count bottle")
    combination = dict(WARFARIN_RECALL, recall_number="D-0502-2026", product_description="Something else",
                       openfda={"generic_name": ["HYDROCODONE BITARTRATE AND ACETAMINOPHEN"]})
    runner.invoke(args=["import", "recalls", str(write(tmp_path, [other_strength, combination]))])
    with app.app_context():
        # "Me" saved warfarin 5 mg: not alerted about 10 mg. "Kid" saved warfarin without a strength: told what it covers.
        notifications = db.session.execute(select(MedNotification)).scalars().all()
        assert [n.profile_id for n in notifications] == [member["kid"]]
        assert "only strength 10 mg" in notifications[0].body


def test_unsubscribed_members_get_no_notification(app, runner, member, tmp_path):
    member["client"].post("/my-medicine/alerts/settings", data={"scope": "none"})
    runner.invoke(args=["import", "recalls", str(write(tmp_path, [WARFARIN_RECALL]))])
    assert count(app, RecallMatch) == 2 and count(app, MedNotification) == 0 and count(app, OutboxMessage) == 0


def test_per_profile_subscription_on_the_site_only(app, runner, member, tmp_path):
    member["client"].post("/my-medicine/alerts/settings", data={"scope": "profiles", "profiles": [str(member["kid"])]})
    runner.invoke(args=["import", "recalls", str(write(tmp_path, [WARFARIN_RECALL]))])
    with app.app_context():
        assert db.session.execute(select(MedNotification.profile_id)).scalars().all() == [member["kid"]]
    assert count(app, OutboxMessage) == 0


def test_alerts_page_header_badge_and_mark_read(app, runner, member, tmp_path):
    runner.invoke(args=["import", "recalls", str(write(tmp_path, [WARFARIN_RECALL]))])
    client = member["client"]
    home = client.get("/").get_data(as_text=True)
    assert re.search(r"Alerts <span class=\"badge\">2<span class=\"visually-hidden\"> unread", home)
    page = client.get("/my-medicine/alerts").get_data(as_text=True)
    assert page.count('<h2 class="alert-title"><span class="status-tag status-new">New</span> FDA recall: Warfarin') == 2
    assert "Class I: the most serious kind of recall" in page and "Lot W123" in page
    assert "not every product with this ingredient" in page
    profile_page = client.get(f"/my-medicine/profiles/{member['kid']}").get_data(as_text=True)
    assert "FDA recalls that may concern this list" in profile_page
    with app.app_context():
        first = db.session.execute(select(MedNotification.id).order_by(MedNotification.id)).scalars().first()
    client.post("/my-medicine/alerts/read", data={"notification_id": str(first)})
    assert 'class="badge">1<' in client.get("/").get_data(as_text=True)
    client.post("/my-medicine/alerts/read")
    assert "Alerts <span" not in client.get("/").get_data(as_text=True)


def test_alerts_send_delivers_over_smtp_once(app, runner, member, tmp_path, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    with app.app_context():
        from webapp.core.mail import outbox

        outbox.queue_mail(db.session, to="someone@example.com", subject="Not an alert", text="x", category="general")
        db.session.commit()
    runner.invoke(args=["import", "recalls", str(write(tmp_path, [WARFARIN_RECALL]))])
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output
    assert len(inbox.messages) == 2
    _sender, recipients, content = inbox.messages[0]
    assert recipients == ["watcher@example.com"] and b"Subject: FDA recall: Warfarin Sodium Tablets USP" in content
    assert "sent 0" in runner.invoke(args=["alerts", "send"]).output
    assert len(inbox.messages) == 2  # and the unrelated message was left for `flask mail deliver`
    with app.app_context():
        assert db.session.execute(select(OutboxMessage.status).where(OutboxMessage.category == "general")).scalar_one() == "pending"


@pytest.mark.skipif(not WEEKLY.exists(), reason=f"the shared FDA sample data is not at {WEEKLY}")
def test_the_weekly_report_file_alerts_the_atenolol_family(app, runner, member):
    result = runner.invoke(args=["import", "recalls", str(WEEKLY)])
    assert result.exit_code == 0, result.output
    assert "5 new" in result.output and "67 skipped" in result.output
    with app.app_context():
        (notification,) = db.session.execute(select(MedNotification)).scalars().all()
        assert notification.profile_id == member["kid"] and "Atenolol" in notification.title
        assert "strength 25 mg" in notification.body and "Teva" in notification.body
    again = runner.invoke(args=["import", "recalls", str(WEEKLY)])
    assert "5 unchanged" in again.output and count(app, MedNotification) == 1


@pytest.mark.parametrize(("content", "message"), [
    ("{\"nothing\": 1}", "results"),
    ("{not json\n", "line 1 is not JSON"),
])
def test_bad_files_are_refused_with_a_message(runner, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(args=["import", "recalls", str(path)])
    assert result.exit_code != 0 and message in result.output


def test_a_missing_file_is_refused(runner, tmp_path):
    result = runner.invoke(args=["import", "recalls", str(tmp_path / "nope.json")])
    assert result.exit_code != 0 and "no such file" in result.output


def test_an_empty_file_imports_nothing(runner, tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("")
    result = runner.invoke(args=["import", "recalls", str(path)])
    assert result.exit_code == 0 and "0 new" in result.output


def test_public_recall_pages(app, runner, member, tmp_path, client, make_user):
    runner.invoke(args=["import", "recalls", str(write(tmp_path, [WARFARIN_RECALL]))])
    listing = client.get("/recalls").get_data(as_text=True)
    assert "Warfarin Sodium Tablets USP, 5 mg" in listing and "/recalls/D-0500-2026" in listing
    page = client.get("/recalls/D-0500-2026").get_data(as_text=True)
    assert "Class I: the most serious kind of recall" in page and "Example Generics LLC" in page
    assert "It may concern your lists" not in page
    # The member who saved warfarin sees which of their lists it concerns; nobody else does.
    mine = member["client"].get("/recalls/D-0500-2026").get_data(as_text=True)
    assert "It may concern your lists" in mine and "Kid" in mine
    make_user("other@example.com")
    other = signed_in(app, "other@example.com")
    assert "It may concern your lists" not in other.get("/recalls/D-0500-2026").get_data(as_text=True)
    assert client.get("/recalls/D-0000-0000").status_code == 404
    assert client.get("/recalls/" + "X" * 500).status_code == 404
