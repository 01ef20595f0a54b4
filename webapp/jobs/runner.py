"""Run one attempt of a job and record it; start a job on the queue or right here.

`execute` is the only place a job's function is called, by a Celery worker (queue.py) and
by `start` in the inline mode, so both modes run the same code and record the same rows.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from webapp.core.db_types import utcnow
from webapp.extensions import db
from webapp.jobs import tracking
from webapp.jobs.registry import JOBS, JobSpec

log = logging.getLogger(__name__)

Echo = Callable[[str], None]


class RetryLater(Exception):
    """This attempt failed and the job has attempts left: try again after `delay`."""

    def __init__(self, job_id: int, delay: timedelta):
        super().__init__(job_id, delay)  # the arguments themselves, so Celery can pickle it
        self.job_id = job_id
        self.delay = delay

    def __str__(self) -> str:
        return f"job #{self.job_id} will be retried in {self.delay}"


class JobFailed(Exception):
    """The job failed for good (its last attempt, or an error another attempt cannot fix)."""

    def __init__(self, job_id: int, error: str):
        super().__init__(job_id, error)
        self.job_id = job_id
        self.error = error

    def __str__(self) -> str:
        return f"job #{self.job_id} failed: {self.error}"


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _write(change, *args, **kwargs) -> None:
    """One tracking change in its own short transaction (not the job's)."""
    with Session(db.engine) as session:
        change(session, *args, **kwargs)
        session.commit()


def new_job(name: str, params: dict) -> int:
    with Session(db.engine) as session:
        job_id = tracking.create(session, name, params, utcnow())
        session.commit()
    return job_id


class JobContext:
    """What a running job reports through: lines to say, and progress (written at most once a second)."""

    def __init__(self, job_id: int, echo: Echo | None = None, every: float = 1.0):
        self.job_id = job_id
        self._echo = echo
        self._every = every
        self._last_write = 0.0

    def say(self, line: str) -> None:
        log.info("job #%s: %s", self.job_id, line.strip())
        if self._echo:
            self._echo(line)

    def progress(self, done: int, total: int | None = None) -> None:
        if self._echo and (done == total or done % (50 if (total or 0) <= 5000 else 5000) == 0):
            self._echo(f"  {done}/{total}")
        moment = time.monotonic()
        if moment - self._last_write < self._every and done != total:
            return
        # SQLite has one writer: while the job's own session holds a transaction, a second
        # connection would wait for it. The row is brought up to date when the job ends.
        if db.engine.dialect.name == "sqlite" and db.session().in_transaction():
            return
        self._last_write = moment
        _write(tracking.progressed, self.job_id, done, total, utcnow())


def backoff(attempt: int) -> timedelta:
    """After the 1st, 2nd, 3rd failed attempt: the base delay, twice it, four times it ..."""
    return timedelta(seconds=current_app.config["JOBS_RETRY_BACKOFF_SECONDS"] * 2 ** (attempt - 1))


def max_attempts(spec: JobSpec) -> int:
    retries = spec.retries if spec.retries is not None else current_app.config["JOBS_MAX_RETRIES"]
    return retries + 1


def execute(spec: JobSpec, params: dict, *, job_id: int | None, attempt: int, worker: str,
            echo: Echo | None = None) -> tuple[int, str]:
    """Run one attempt; returns (job id, summary). Raises RetryLater or JobFailed when it fails.

    job_id None: a job nobody recorded yet (started by the scheduler); its row is made now.
    """
    if job_id is None:
        job_id = new_job(spec.name, params)
    _write(tracking.started, job_id, attempt=attempt, worker=worker, now=utcnow())
    try:
        summary = spec.run(JobContext(job_id, echo), **params) or "done"
        db.session.commit()  # what the job left uncommitted is part of its work (and on SQLite, the lock goes)
    except Exception as exc:
        db.session.rollback()
        error = tracking.error_text(exc)
        log.warning("job #%s %s, attempt %s: %s", job_id, spec.name, attempt, error, exc_info=True)
        if attempt < max_attempts(spec) and not isinstance(exc, spec.permanent):
            delay = backoff(attempt)
            _write(tracking.retrying, job_id, error, utcnow() + delay, utcnow())
            raise RetryLater(job_id, delay) from exc
        _write(tracking.failed, job_id, error, utcnow())
        raise JobFailed(job_id, error) from exc
    _write(tracking.finished, job_id, summary, utcnow())
    log.info("job #%s %s finished: %s", job_id, spec.name, summary)
    return job_id, summary


@dataclass(frozen=True)
class Started:
    job_id: int
    queued: bool  # True: on the queue for a worker; False: it ran here and is over
    summary: str | None = None


def queue_mode() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def start(name: str, *, echo: Echo | None = None, here: bool = False, **params) -> Started:
    """Start a job: on the queue when REDIS_URL is set (unless `here`), otherwise in this process.

    The caller's session is committed first, so the job sees what the caller did (and on
    SQLite the caller no longer holds the write lock the job needs). Run here, a failed
    attempt is retried at once, and JobFailed is raised after the last one.
    """
    spec = JOBS[name]
    db.session.commit()
    job_id = new_job(name, params)
    if queue_mode() and not here:
        current_app.extensions["celery"].send_task(name, kwargs={**params, "job_id": job_id},
                                                   queue=current_app.config["JOBS_QUEUE"])
        return Started(job_id, queued=True)
    attempt = 1
    while True:
        try:
            _job_id, summary = execute(spec, params, job_id=job_id, attempt=attempt, worker=this_worker(), echo=echo)
        except RetryLater:
            if echo:
                echo(f"Attempt {attempt} of job #{job_id} failed; trying again.")
            attempt += 1
            continue
        return Started(job_id, queued=False, summary=summary)

