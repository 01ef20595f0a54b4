"""Record what jobs do in the jobs table, and read it back for `flask jobs status`.

Every function takes the session to use; the caller commits. The runner writes through a
short session of its own, so a job's progress is visible at once on PostgreSQL, whatever the
job's own transaction is doing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from webapp.jobs.models import Job

# A running job reports progress at least this often; silent for longer, its worker probably died.
SILENT_AFTER = timedelta(minutes=5)
ERROR_LIMIT = 2000


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT]


def create(session: Session, name: str, params: dict, now: datetime) -> int:
    job = Job(name=name, params=dict(params), status="queued", queued_at=now, updated_at=now)
    session.add(job)
    session.flush()
    return job.id


def started(session: Session, job_id: int, *, attempt: int, worker: str, now: datetime) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(
        status="running", attempts=attempt, worker=worker[:200], started_at=now, updated_at=now, next_attempt_at=None))


def progressed(session: Session, job_id: int, done: int, total: int | None, now: datetime) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(progress_done=done, progress_total=total, updated_at=now))


def finished(session: Session, job_id: int, summary: str, now: datetime) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(
        status="finished", summary=summary[:ERROR_LIMIT], finished_at=now, updated_at=now, last_error=None))


def retrying(session: Session, job_id: int, error: str, next_attempt_at: datetime, now: datetime) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(
        status="retrying", last_error=error, next_attempt_at=next_attempt_at, updated_at=now))


def failed(session: Session, job_id: int, error: str, now: datetime) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(
        status="failed", last_error=error, finished_at=now, updated_at=now, next_attempt_at=None))


@dataclass(frozen=True)
class Listing:
    queued: list[Job]     # recorded as queued or waiting for a retry
    running: list[Job]
    failed: list[Job]
    finished: list[Job]


def listing(session: Session, *, recent: int = 10) -> Listing:
    """Every queued, retrying and running job; the most recent failed and finished ones."""

    def rows(*statuses: str, newest_first: bool = False, limit: int | None = None) -> list[Job]:
        order = Job.id.desc() if newest_first else Job.id
        return list(session.execute(select(Job).where(Job.status.in_(statuses)).order_by(order).limit(limit)).scalars())

    return Listing(queued=rows("queued", "retrying"), running=rows("running"),
                   failed=rows("failed", newest_first=True, limit=recent),
                   finished=rows("finished", newest_first=True, limit=recent))


def is_silent(job: Job, now: datetime) -> bool:
    return job.status == "running" and job.updated_at < now - SILENT_AFTER


def prune(session: Session, *, before: datetime) -> int:
    """Forget finished and failed jobs that ended before `before`; returns how many."""
    return session.execute(delete(Job).where(Job.status.in_(["finished", "failed"]), Job.finished_at < before)
                           .execution_options(synchronize_session=False)).rowcount
