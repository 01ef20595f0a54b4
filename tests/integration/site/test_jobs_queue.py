"""Background jobs on the real queue: Celery workers (separate processes, `--pool solo`) taking
jobs from Redis, delivering the outbox to a real SMTP server on loopback, on PostgreSQL.

Skipped unless TEST_DATABASE_URL is PostgreSQL and TEST_REDIS_URL is set: several delivery
workers at once need a database with row locks (SQLite has one writer). Each test run uses
a Redis list of its own (JOBS_QUEUE), so runs sharing the Redis database do not meet.
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
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import running_smtp_server
from webapp import jobs
from webapp.core.mail import outbox
from webapp.core.mail.models import OutboxMessage
from webapp.extensions import db
from webapp.jobs.models import Job

PROJECT_ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") and REDIS_URL),
    reason="needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL: the task queue runs on Redis, "
           "and delivery workers side by side need PostgreSQL's row locks",
)


class Inbox:
    """A real SMTP server's handler: every Message-ID it accepted. With hold_at, it stalls on that
    message (after recording it) until the test lets go."""

    def __init__(self, hold_at: int | None = None):
        self.message_ids: list[str] = []
        self.lock = threading.Lock()
        self.hold_at = hold_at
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.message_ids.append(email.message_from_bytes(envelope.content)["Message-ID"].strip())
            count = len(self.message_ids)
        if self.hold_at is not None and count == self.hold_at:
            self.holding.set()
            await asyncio.sleep(30)  # the worker is killed meanwhile
        return "250 Message accepted for delivery"


@pytest.fixture
def queue_name():
    name = f"hd-test-jobs-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    yield name
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(name)
    client.close()


@pytest.fixture
def queue_app(make_app, queue_name):
    """The test's app, starting jobs on the Redis queue the workers read."""
    return make_app(REDIS_URL=REDIS_URL, JOBS_QUEUE=queue_name, JOBS_MAX_RETRIES=2, JOBS_RETRY_BACKOFF_SECONDS=0.2)


@pytest.fixture
def start_workers(database_url, queue_name, tmp_path):
    """start_workers(n, smtp_port, **env): n Celery worker processes on the test database and queue."""
    processes: list[subprocess.Popen] = []

    def start(count: int, smtp_port: int, **extra_env: str) -> list[subprocess.Popen]:
        env = {**os.environ, "HEALTHDESK_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
               "JOBS_QUEUE": queue_name, "HEALTHDESK_INSTANCE": str(tmp_path), "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "0", "JOBS_MAX_RETRIES": "2",
               "JOBS_RETRY_BACKOFF_SECONDS": "0.2", **extra_env}
        started = []
        for _ in range(count):
            number = len(processes)
            with open(tmp_path / f"worker{number}.log", "wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "webapp.jobs.worker", "worker", "--pool", "solo",
                     "-Q", queue_name, "-n", f"test{number}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
                     "--without-heartbeat", "--loglevel", "WARNING"],
                    cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
            processes.append(process)
            started.append(process)
        return started

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until(condition: Callable[[], bool], timeout: float, what: str, logs: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    detail = "".join(p.read_text(errors="replace")[-3000:] for p in sorted(logs.glob("worker*.log"))) if logs else ""
    raise AssertionError(f"timed out waiting for {what}\n{detail}")


def _wait_while_sending(app, expected: int, logs: Path, patience: float = 60) -> None:
    """Wait until `expected` messages are sent, as long as the count keeps rising (the machine
    may be slow and shared: a stall fails the test, slowness does not)."""
    last, last_change = -1, time.monotonic()
    while (sent := _statuses(app).get("sent", 0)) < expected:
        if sent != last:
            last, last_change = sent, time.monotonic()
        elif time.monotonic() - last_change > patience:
            _wait_until(lambda: False, 0, f"delivery: stuck at {sent} of {expected} sent", logs)
        time.sleep(0.5)
    assert _statuses(app) == {"sent": expected}


def _ready_workers(app) -> int:
    """How many of this test run's workers answer a ping (their names end in -<our pid>@host)."""
    replies = app.extensions["celery"].control.ping(timeout=1.0)
    return sum(1 for reply in replies for name in reply if f"-{os.getpid()}@" in name)


def _statuses(app) -> dict[str, int]:
    with app.app_context():
        counts = outbox.status_counts(db.session)
        db.session.remove()
        return counts


def _job_rows(app, name: str | None = None) -> list[Job]:
    with app.app_context():
        stmt = select(Job).order_by(Job.id)
        if name:
            stmt = stmt.where(Job.name == name)
        rows = list(db.session.execute(stmt).scalars())
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
        return rows


def _queue_messages(app, count: int) -> set[str]:
    with app.app_context():
        messages = [outbox.queue_mail(db.session, to=f"reader{n}@example.com", subject=f"Recall alert {n}",
                                      text=f"Body {n}", account_id=None) for n in range(count)]
        db.session.commit()
        ids = {message.message_id for message in messages}
        db.session.remove()
        return ids


def test_four_workers_deliver_2000_messages_with_no_duplicates_and_none_lost(queue_app, start_workers, tmp_path):
    inbox = Inbox()
    expected = _queue_messages(queue_app, 2000)
    with running_smtp_server(inbox) as controller:
        start_workers(4, controller.port)
        _wait_until(lambda: _ready_workers(queue_app) >= 4, 180, "4 workers ready", tmp_path)
        with queue_app.app_context():
            started = [jobs.start("mail.deliver") for _ in range(4)]
        assert all(s.queued for s in started)
        _wait_while_sending(queue_app, 2000, tmp_path)
        _wait_until(lambda: all(j.status == "finished" for j in _job_rows(queue_app, "mail.deliver")), 60,
                    "the delivery jobs to finish", tmp_path)

    assert len(inbox.message_ids) == 2000, "a message arrived twice" if len(inbox.message_ids) > 2000 else "lost"
    assert set(inbox.message_ids) == expected
    deliveries = _job_rows(queue_app, "mail.deliver")
    assert len(deliveries) == 4
    # The work was shared: each worker process sent some of it, and together exactly all.
    assert len({job.worker for job in deliveries}) == 4
    sent_by_each = [int(job.summary.split()[1].rstrip(",")) for job in deliveries]
    assert sum(sent_by_each) == 2000 and min(sent_by_each) > 0, sent_by_each


def test_a_worker_killed_mid_batch_loses_nothing_it_had_not_claimed(queue_app, start_workers, tmp_path):
    total, hold_at = 60, 5
    inbox = Inbox(hold_at=hold_at)
    expected = _queue_messages(queue_app, total)
    with running_smtp_server(inbox) as controller:
        [worker] = start_workers(1, controller.port, MAIL_CLAIM_LEASE_SECONDS="1")
        # A worker's start-up (building the app) is slow on a busy machine: wait for it to answer
        # before timing the delivery itself.
        _wait_until(lambda: _ready_workers(queue_app) >= 1, 180, "the worker ready", tmp_path)
        with queue_app.app_context():
            jobs.start("mail.deliver")
        assert inbox.holding.wait(timeout=60), "the worker never reached the server"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        # Only the message the server was holding is in doubt; the rest of the worker's batch
        # is still pending, due again when its one-second reservation ends.
        assert _statuses(queue_app) == {"sent": hold_at - 1, "sending": 1, "pending": total - hold_at}

        inbox.hold_at = None
        start_workers(1, controller.port)
        time.sleep(1)  # the killed worker's reservation (one second) runs out
        _wait_until(lambda: _ready_workers(queue_app) >= 1, 180, "the second worker ready", tmp_path)
        with queue_app.app_context():
            jobs.start("mail.deliver")
        _wait_until(lambda: _statuses(queue_app) == {"sent": total - 1, "sending": 1}, 60, "the rest sent", tmp_path)

    assert sorted(inbox.message_ids) == sorted(expected)  # each arrived exactly once, the held one included
    with queue_app.app_context():
        stuck = db.session.execute(select(OutboxMessage).where(OutboxMessage.status == "sending")).scalar_one()
        assert stuck.to_address == f"reader{hold_at - 1}@example.com"  # reported by `flask mail status`, not resent
        db.session.remove()


def test_a_failing_job_is_retried_with_backoff_then_shown_as_failed(queue_app, start_workers, tmp_path):
    runner = queue_app.test_cli_runner()
    missing = tmp_path / "recalls-not-there.json"
    with queue_app.app_context():
        started = jobs.start("recalls.import", path=str(missing))
    assert started.queued
    status = runner.invoke(args=["jobs", "status"]).output
    assert "in Redis: 1 task(s) waiting for a worker" in status
    assert f"#{started.job_id} recalls.import path={missing}: queued at" in status

    start_workers(1, 25)  # no mail in this test: the port is never used
    _wait_until(lambda: _job_rows(queue_app)[0].status == "failed", 60, "the job to fail", tmp_path)
    [job] = _job_rows(queue_app)
    assert job.attempts == 3 and "FileNotFoundError" in job.last_error
    status = runner.invoke(args=["jobs", "status"]).output
    assert "in Redis: 0 task(s) waiting" in status and "Failed: 1" in status
    assert f"#{job.id} recalls.import path={missing}: failed at" in status and "after 3 attempt(s)" in status
