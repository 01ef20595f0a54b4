"""The outbox: delivery over real SMTP on loopback, retries with back-off, never twice."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import OutboxMessage
from webapp.services import outbox


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
