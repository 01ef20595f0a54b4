"""Fault test: `flask mail deliver` killed (SIGKILL) in the middle of a send, then run again.

A real delivery process on the test database talks to a real SMTP server on loopback. The
server holds the fifth message without answering, the process is killed right then, and
we check what the design promises: nothing is sent twice by itself, everything else goes
out on the next run, the interrupted message is reported, and an operator can send it again.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import running_smtp_server
from webapp.core.mail import outbox
from webapp.core.mail.models import OutboxMessage
from webapp.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 12
HOLD_AT = 5  # the server stalls on this message until the process is killed
# Delivery reserves a batch of messages for this long (outbox.reserve_batch): what the killed
# process had reserved but not begun is due again after it.
LEASE_SECONDS = 1


class StallingInbox:
    """Accepts messages; on the HOLD_AT-th one it records it, signals, and never answers."""

    def __init__(self):
        self.message_ids: list[str] = []
        self.holding = threading.Event()
        self.stall = True

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.message_ids.append(email.message_from_bytes(envelope.content)["Message-ID"].strip())  # may be folded
        if self.stall and len(self.message_ids) == HOLD_AT:
            self.holding.set()
            await asyncio.sleep(30)  # the client is killed meanwhile
        return "250 Message accepted for delivery"


@pytest.fixture
def stalling_smtp():
    inbox = StallingInbox()
    with running_smtp_server(inbox) as controller:
        yield controller, inbox


def _deliver_process(database_url: str, port: int, instance: Path) -> subprocess.Popen:
    env = {**os.environ, "FLASK_APP": "webapp", "HEALTHDESK_ENV": "development", "DATABASE_URL": database_url,
           "HEALTHDESK_INSTANCE": str(instance), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_USE_TLS": "0",
           "MAIL_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS)}
    return subprocess.Popen([sys.executable, "-m", "flask", "mail", "deliver"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _statuses(app) -> dict[str, int]:
    with app.app_context():
        return outbox.status_counts(db.session)


def test_a_delivery_killed_mid_send_never_sends_twice_and_reports_the_lost_message(
        app, runner, database_url, stalling_smtp, tmp_path):
    controller, inbox = stalling_smtp
    with app.app_context():
        for n in range(MESSAGES):
            outbox.queue_mail(db.session, to=f"reader{n}@example.com", subject=f"Recall alert {n}", text=f"Body {n}")
        db.session.commit()

    process = _deliver_process(database_url, controller.port, tmp_path)
    try:
        assert inbox.holding.wait(timeout=60), process.stdout.read().decode() if process.poll() is not None else "no stall"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    assert _statuses(app) == {"sent": HOLD_AT - 1, "sending": 1, "pending": MESSAGES - HOLD_AT}
    time.sleep(LEASE_SECONDS)

    # The next run sends the rest and leaves the interrupted message alone.
    inbox.stall = False
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    result = runner.invoke(args=["mail", "deliver"])
    assert f"Sent {MESSAGES - HOLD_AT}," in result.output and "Warning" not in result.output
    assert _statuses(app) == {"sent": MESSAGES - 1, "sending": 1}
    assert len(inbox.message_ids) == MESSAGES == len(set(inbox.message_ids))  # nothing arrived twice

    # Ten minutes on, it is reported as interrupted, by deliver and by status.
    with app.app_context():
        lost = db.session.execute(select(OutboxMessage).where(OutboxMessage.status == "sending")).scalar_one()
        lost.next_attempt_at -= outbox.STUCK_AFTER + timedelta(seconds=1)
        db.session.commit()
        lost_id, lost_message_id = lost.id, lost.message_id
    assert "1 message(s) stopped half way through sending" in runner.invoke(args=["mail", "deliver"]).output
    status = runner.invoke(args=["mail", "status"]).output
    assert "pending 0, sending 1, sent 11, failed 0" in status
    assert f"#{lost_id} to reader{HOLD_AT - 1}@example.com" in status and "flask mail retry" in status

    # The operator checked the server's log and sends it again, under the same Message-ID,
    # so a receiving server that did get it the first time can recognise the repeat.
    assert "Queued again: 1 message(s)" in runner.invoke(args=["mail", "retry", "--stuck"]).output
    assert "Sent 1," in runner.invoke(args=["mail", "deliver"]).output
    assert _statuses(app) == {"sent": MESSAGES}
    assert inbox.message_ids.count(lost_message_id) == 2 and len(set(inbox.message_ids)) == MESSAGES


def test_retry_refuses_to_guess_and_names_what_it_skipped(app, runner):
    with app.app_context():
        sent = outbox.queue_mail(db.session, to="a@example.com", subject="Hi", text="Body")
        failed = outbox.queue_mail(db.session, to="b@example.com", subject="Hi", text="Body")
        db.session.flush()
        sent.status, failed.status, failed.attempts = "sent", "failed", outbox.MAX_ATTEMPTS
        db.session.commit()
        sent_id, failed_id = sent.id, failed.id
    assert "Name the messages to retry" in runner.invoke(args=["mail", "retry"]).output
    assert f"Failed after {outbox.MAX_ATTEMPTS} attempts" in runner.invoke(args=["mail", "status"]).output
    result = runner.invoke(args=["mail", "retry", str(sent_id), str(failed_id), "99999"])
    assert "Queued again: 1 message(s)" in result.output
    assert f"Not queued (unknown, not stuck or failed, or its text was removed): #{sent_id}, #99999" in result.output
    assert _statuses(app) == {"sent": 1, "pending": 1}
    with app.app_context():
        requeued = db.session.get(OutboxMessage, failed_id)
        assert requeued.attempts == 0  # a fresh set of attempts
        assert outbox.due_message_ids(db.session, requeued.next_attempt_at, 10) == [failed_id]  # due at once
