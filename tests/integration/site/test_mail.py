"""The outbox: delivery over real SMTP on loopback, retries with back-off, never twice."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from webapp.core.mail import outbox
from webapp.core.mail.models import OutboxMessage
from webapp.extensions import db


def _queue(app, count=1):
    with app.app_context():
        for n in range(count):
            outbox.queue_mail(db.session, to=f"reader{n}@example.com", subject=f"Hello {n}", text=f"Body {n} ✓", html=f"<p>Body {n}</p>")
        db.session.commit()


def test_deliver_command_sends_over_smtp_once(app, runner, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    _queue(app, count=3)

    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Sent 3" in result.output
    assert len(inbox.messages) == 3
    sender, recipients, content = inbox.messages[0]
    assert recipients == ["reader0@example.com"]
    assert b"Subject: Hello 0" in content
    assert b"Message-ID:" in content and b"@healthdesk.local>" in content

    again = runner.invoke(args=["mail", "deliver"])
    assert "Sent 0" in again.output
    assert len(inbox.messages) == 3


def test_failed_delivery_is_retried_later_with_backoff(app):
    _queue(app)
    now = datetime.now(timezone.utc) + timedelta(hours=1)
    attempts = []

    def refuse(email):
        attempts.append(email["To"])
        raise smtplib.SMTPServerDisconnected("connection lost")

    with app.app_context():
        report = outbox.deliver_pending(db.session, refuse, "sender@example.com", now=lambda: now)
        assert (report.sent, report.retried) == (0, 1)
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        assert message.status == "pending" and message.attempts == 1
        assert message.next_attempt_at == now + timedelta(minutes=1)
        assert "connection lost" in message.last_error

        # Not due yet: nothing is tried.
        outbox.deliver_pending(db.session, refuse, "sender@example.com", now=lambda: now + timedelta(seconds=30))
        assert len(attempts) == 1

        delivered = []
        report = outbox.deliver_pending(db.session, delivered.append, "sender@example.com", now=lambda: now + timedelta(minutes=2))
        assert report.sent == 1 and len(delivered) == 1


def test_gives_up_after_the_last_attempt(app):
    _queue(app)
    clock = [datetime.now(timezone.utc) + timedelta(hours=1)]

    def refuse(email):
        raise OSError("no route to host")

    with app.app_context():
        for _ in range(outbox.MAX_ATTEMPTS):
            outbox.deliver_pending(db.session, refuse, "s@example.com", now=lambda: clock[0])
            clock[0] += timedelta(days=1)
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        assert message.status == "failed" and message.attempts == outbox.MAX_ATTEMPTS


def test_a_message_claimed_by_another_worker_is_not_sent_again(app):
    _queue(app)
    with app.app_context():
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        message.status = "sending"  # another process is delivering it right now
        db.session.commit()
        sent = []
        report = outbox.deliver_pending(db.session, sent.append, "s@example.com")
        assert report.sent == 0 and sent == []


def test_without_smtp_settings_mail_goes_to_the_log(app, runner, caplog):
    _queue(app)
    app.config["MAIL_SERVER"] = None
    result = runner.invoke(args=["mail", "deliver"])
    assert "written to the log" in result.output
    assert "Body 0" in caplog.text


def test_development_logs_signup_mail_at_once(make_app, caplog):
    app = make_app(MAIL_LOG_IMMEDIATELY=True)
    client = app.test_client()
    client.post("/signup", data={"email": "dev@example.com", "display_name": "Dev", "password": "correct horse battery"})
    assert "/verify-email/" in caplog.text
    with app.app_context():
        assert db.session.execute(select(OutboxMessage.status)).scalar_one() == "sent"
        db.session.execute(db.delete(OutboxMessage))
        db.session.execute(db.text("DELETE FROM users"))
        db.session.commit()


# --- what a message said is kept for MAIL_BODY_RETENTION_DAYS, then only its delivery record ---

def _message(app, *, to="reader@example.com", status="sent", age_days=0.0, **fields) -> int:
    """A message sent (or last tried) age_days ago, with health data in everything it says."""
    when = datetime.now(timezone.utc) - timedelta(days=age_days)
    with app.app_context():
        message = outbox.queue_mail(
            db.session, to=to, subject="Recall: Warfarin 5 mg for Grandma", text="Grandma's warfarin is recalled.",
            html="<p>Grandma's warfarin is recalled.</p>", headers={"List-Unsubscribe": "<https://x.example/u/tok>"},
            category="mymeds-recall", **fields)
        db.session.flush()
        message.status, message.attempts, message.next_attempt_at = status, 2, when
        message.created_at = when - timedelta(minutes=5)
        message.sent_at = when if status == "sent" else None
        db.session.commit()
        return message.id


def _read(app, message_id) -> OutboxMessage:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        db.session.expunge(message)
        return message


def test_purge_removes_what_old_messages_said_and_keeps_their_delivery_record(app, runner, make_user):
    member = make_user("reader@example.com")
    old_sent = _message(app, age_days=31)
    old_failed = _message(app, status="failed", age_days=31)
    recent = _message(app, age_days=29)
    waiting = _message(app, status="pending", age_days=40)  # not sent yet: it still has to say something
    before = _read(app, old_sent)

    result = runner.invoke(args=["mail", "purge"])
    assert result.exit_code == 0, result.output
    assert "2/2" in result.output and "Removed the text of 2 message(s)" in result.output

    for message_id in (old_sent, old_failed):
        message = _read(app, message_id)
        assert message.text_removed and message.subject == "" and message.body_html is None
        assert "arfarin" not in message.body_text + message.subject
        # Only the delivery record remains, with the account it belongs to (so deleting it still deletes it).
        assert message.headers == {} and message.user_id == member.id
    after = _read(app, old_sent)
    assert (after.to_address, after.status, after.message_id, after.category, after.attempts, after.sent_at,
            after.created_at, after.user_id) == (before.to_address, before.status, before.message_id, before.category,
                                                 before.attempts, before.sent_at, before.created_at, before.user_id)
    for message_id in (recent, waiting):
        assert _read(app, message_id).subject == "Recall: Warfarin 5 mg for Grandma"

    again = runner.invoke(args=["mail", "purge"])
    assert again.exit_code == 0 and "Removed the text of 0 message(s)" in again.output


def test_every_delivery_run_enforces_the_retention_setting(app, runner):
    app.config["MAIL_BODY_RETENTION_DAYS"] = 7
    old = _message(app, age_days=8)
    kept = _message(app, age_days=6)
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Removed the text of 1 message(s) sent or failed over 7 days ago" in result.output
    assert _read(app, old).text_removed and not _read(app, kept).text_removed
    assert "Removed the text" not in runner.invoke(args=["mail", "deliver"]).output  # nothing due: nothing said


def test_removal_goes_in_batches_with_progress(app):
    ids = [_message(app, to=f"r{n}@example.com", age_days=40) for n in range(5)]
    seen = []
    with app.app_context():
        removed = outbox.remove_old_text(db.session, now=datetime.now(timezone.utc), retention=timedelta(days=30),
                                         batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert removed == 5 and seen == [(2, 5), (4, 5), (5, 5)]
    assert all(_read(app, i).headers == {} and _read(app, i).user_id is None for i in ids)  # no account has these addresses


def test_a_failed_message_whose_text_was_removed_is_not_sent_again(app, runner):
    gone = _message(app, status="failed", age_days=31)
    runner.invoke(args=["mail", "purge"])
    result = runner.invoke(args=["mail", "retry", "--failed"])
    assert "Queued again: 0 message(s)" in result.output and f"#{gone}" in result.output
    assert "(text removed)" in runner.invoke(args=["mail", "status"]).output


def test_a_message_deleted_while_it_is_being_sent_does_not_stop_the_run(app, make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: on SQLite the delivery run holds the write lock while it sends, so the deletion waits")
    _queue(app, count=2)
    elsewhere = make_app()  # the web worker where the member deletes their account
    sent = []

    def send_while_the_account_is_deleted(email):
        sent.append(email["To"])
        if email["To"] == "reader0@example.com":
            with elsewhere.app_context():
                db.session.execute(db.delete(OutboxMessage).where(OutboxMessage.to_address == "reader0@example.com"))
                db.session.commit()

    with app.app_context():
        report = outbox.deliver_pending(db.session, send_while_the_account_is_deleted, "s@example.com")
        assert report.sent == 2 and sent == ["reader0@example.com", "reader1@example.com"]
        assert db.session.execute(select(OutboxMessage.to_address, OutboxMessage.status)).all() == [
            ("reader1@example.com", "sent")]


def test_the_account_a_message_belongs_to_is_stored_beside_it_not_in_its_headers(app, smtp_server, make_user):
    controller, inbox = smtp_server
    member = make_user("reader@example.com")
    with app.app_context():
        message = outbox.queue_mail(db.session, to="reader@example.com", subject="Hi", text="Body")
        stranger = outbox.queue_mail(db.session, to="nobody@example.com", subject="Hi", text="Body")
        named = outbox.queue_mail(db.session, to="new-address@example.com", subject="Hi", text="Body", account_id=member.id)
        db.session.commit()
        assert (message.user_id, stranger.user_id, named.user_id) == (member.id, None, member.id)
        assert message.headers == stranger.headers == named.headers == {}
        outbox.deliver_pending(db.session, outbox.smtp_sender("127.0.0.1", controller.port, use_tls=False,
                                                              username=None, password=None), "s@example.com")
    assert len(inbox.messages) == 3
    assert all(b"_account_id" not in content and b"user_id" not in content for _s, _r, content in inbox.messages)
