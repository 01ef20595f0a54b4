"""Background jobs without REDIS_URL (the embedded default, `make run`): the same job functions
the Celery workers run, run by the command that starts them, recorded in `flask jobs status`.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from webapp.core.mail import outbox
from webapp.extensions import db
from webapp.jobs.models import Job


def _jobs(app) -> list[Job]:
    with app.app_context():
        rows = list(db.session.execute(select(Job).order_by(Job.id)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def test_mail_deliver_runs_the_delivery_job_here_and_status_lists_it_as_finished(app, runner, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    with app.app_context():
        for n in range(3):
            outbox.queue_mail(db.session, to=f"reader{n}@example.com", subject=f"Hello {n}", text="Body")
        db.session.commit()

    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Sent 3, will retry 0, failed 0." in result.output and "Queued as job" not in result.output
    assert len(inbox.messages) == 3

    [job] = _jobs(app)
    assert (job.name, job.status, job.attempts, job.progress_done, job.progress_total) == ("mail.deliver", "finished", 1, 3, 3)
    status = runner.invoke(args=["jobs", "status"])
    assert status.exit_code == 0, status.output
    assert "REDIS_URL is not set: jobs run in the process that starts them." in status.output
    assert "Queued: none" in status.output and "Running: none" in status.output and "Failed: none" in status.output
    assert f"#{job.id} mail.deliver limit=500: finished at" in status.output
    assert "3/3 (100%); Sent 3, will retry 0, failed 0." in status.output


def test_a_failing_job_is_retried_then_shown_as_failed(app, runner, tmp_path):
    app.config.update(JOBS_MAX_RETRIES=2)
    missing = tmp_path / "not-there-yet.json"  # unreadable: worth another attempt (a mount coming back)

    result = runner.invoke(args=["import", "recalls", str(missing)])
    assert result.exit_code == 1
    assert "Attempt 1 of job #1 failed; trying again." in result.output
    assert "Attempt 2 of job #1 failed; trying again." in result.output
    assert "FileNotFoundError" in result.output and "see `flask jobs status`" in result.output

    [job] = _jobs(app)
    assert (job.name, job.status, job.attempts) == ("recalls.import", "failed", 3)
    status = runner.invoke(args=["jobs", "status"]).output
    assert "Failed: 1" in status and f"#{job.id} recalls.import path={missing}: failed at" in status
    assert "after 3 attempt(s)" in status and "error: FileNotFoundError" in status


def test_a_malformed_recall_file_fails_at_once_without_retries(app, runner, tmp_path):
    bad = tmp_path / "recalls.json"
    bad.write_text("{ not json", encoding="utf-8")
    result = runner.invoke(args=["import", "recalls", str(bad)])
    assert result.exit_code == 1 and "trying again" not in result.output
    [job] = _jobs(app)
    assert (job.status, job.attempts) == ("failed", 1)

