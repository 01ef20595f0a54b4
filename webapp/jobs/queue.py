"""Celery, set up as the Flask documentation's "Background Tasks with Celery" describes.

`celery_init_app(app)` is called by create_app, so the app factory stays the only way to build
the app: a worker builds it too (webapp/jobs/worker.py) and every task runs inside its app
context. Each registered job (registry.py) becomes a Celery task of the same name whose body
is runner.execute; a failed attempt is retried with back-off through Celery's own retry.

Redis is the broker. Results are not stored by Celery: a job's progress and outcome are in
the jobs table, readable from any machine. Without REDIS_URL the broker is never used (jobs
run where they are started, runner.start), and `task_always_eager` makes any stray `.delay()`
run in place too.
"""

from __future__ import annotations

from pathlib import Path

from celery import Celery, Task
from flask import Flask

from webapp.jobs import runner
from webapp.jobs.registry import JOBS, JobSpec


def celery_settings(config) -> dict:
    redis_url = config.get("REDIS_URL")
    every = config["MAIL_DELIVER_EVERY_SECONDS"]
    return {
        "broker_url": redis_url or "memory://",
        "broker_connection_retry_on_startup": True,
        "task_always_eager": not redis_url,
        "task_ignore_result": True,
        "task_default_queue": config["JOBS_QUEUE"],
        # A task is acknowledged when it ends, and a worker takes one at a time: a worker that
        # dies hands its task back to the queue (every job is safe to run again) rather than
        # losing it, and a long job never holds others back in its prefetch.
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        # The scheduler (`celery beat`, one per site) replaces the cron lines.
        "beat_schedule": {
            "deliver-mail": {"task": "mail.deliver", "schedule": every,
                             # ticks a busy queue has not reached are dropped, not piled up
                             "options": {"expires": max(every * 3, 30)}},
            "remove-old-mail-text": {"task": "mail.purge", "schedule": 3600.0},
            "forget-old-jobs": {"task": "jobs.prune", "schedule": 86400.0},
        },
    }


def _register(celery_app: Celery, spec: JobSpec) -> None:
    @celery_app.task(name=spec.name, bind=True, max_retries=None, shared=False)
    def run_job(self, job_id: int | None = None, **params):
        try:
            _job_id, summary = runner.execute(spec, params, job_id=job_id, attempt=self.request.retries + 1,
                                              worker=runner.this_worker())
        except runner.RetryLater as later:
            raise self.retry(kwargs={**params, "job_id": later.job_id}, countdown=later.delay.total_seconds()) from None
        return summary


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    # The jobs of core; each area's tasks.py is imported by its commands module, which its
    # hooks (and so create_app) import before this runs.
    from webapp.core.mail import tasks as _mail_tasks  # noqa: F401
    from webapp.jobs import tasks as _jobs_tasks  # noqa: F401

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))
    # beat's record of when each periodic job last ran: the instance folder, not the current directory
    celery_app.conf.beat_schedule_filename = str(Path(app.instance_path) / "celerybeat-schedule")
    for spec in JOBS.values():
        _register(celery_app, spec)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def queued_count(app: Flask) -> int | None:
    """Tasks waiting in Redis for a worker (None without Redis)."""
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        return None
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return int(client.llen(app.config["JOBS_QUEUE"]))
    finally:
        client.close()
