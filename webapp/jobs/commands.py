"""`flask jobs status`: what the background jobs are doing, read from the jobs table (and Redis)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError

from webapp.core.db_types import utcnow
from webapp.extensions import db
from webapp.jobs import queue, tracking
from webapp.jobs.models import Job
from webapp.jobs.runner import JobFailed, Started, start

jobs_cli = AppGroup("jobs", help="Background jobs (mail delivery, newsletter sends, recall imports, purges).")


def start_from_command(name: str, *, here: bool = False, show_summary: bool = True, **params) -> Started:
    """Start a job from a command: queued for the workers (REDIS_URL set, not `here`), or run
    here with its progress and summary shown. A job that failed for good is a ClickException."""
    try:
        started = start(name, echo=click.echo, here=here, **params)
    except JobFailed as exc:
        raise click.ClickException(f"{exc.error} (job #{exc.job_id}, failed; see `flask jobs status`)") from exc
    if started.queued:
        click.echo(f"Queued as job #{started.job_id}; `flask jobs status` shows how it is going.")
    elif show_summary:
        click.echo(started.summary)
    return started


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _progress(job: Job) -> str:
    if job.progress_total:
        return f"{job.progress_done}/{job.progress_total} ({100 * job.progress_done // job.progress_total}%)"
    return f"{job.progress_done} done" if job.progress_done else "not started"


def _params(job: Job) -> str:
    shown = {name: value for name, value in (job.params or {}).items() if value is not None}
    return " " + ", ".join(f"{name}={value}" for name, value in shown.items()) if shown else ""


def describe(job: Job, now: datetime) -> str:
    head = f"  #{job.id} {job.name}{_params(job)}"
    if job.status == "queued":
        return f"{head}: queued at {_when(job.queued_at)}"
    if job.status == "retrying":
        return (f"{head}: attempt {job.attempts} failed, next attempt at {_when(job.next_attempt_at)}"
                f"\n      error: {(job.last_error or '')[:200]}")
    if job.status == "running":
        line = f"{head}: {_progress(job)}, attempt {job.attempts}, since {_when(job.started_at)} on {job.worker}"
        if tracking.is_silent(job, now):
            minutes = int((now - job.updated_at).total_seconds() // 60)
            line += f"\n      no progress for {minutes} minutes: its worker may have stopped (the queue runs it again)"
        return line
    if job.status == "failed":
        return (f"{head}: failed at {_when(job.finished_at)} after {job.attempts} attempt(s)"
                f"\n      error: {(job.last_error or '')[:200]}")
    # A finished job with no counted steps (nothing to send) has no progress worth a word.
    progress = f", {_progress(job)}" if job.progress_total or job.progress_done else ""
    return f"{head}: finished at {_when(job.finished_at)}{progress}; {job.summary or ''}"


@jobs_cli.command("status")
@click.option("--recent", default=10, show_default=True, help="How many failed and finished jobs to list.")
def status(recent: int) -> None:
    """Queued, running, failed and finished jobs, with their progress."""
    now = utcnow()
    listing = tracking.listing(db.session, recent=recent)
    if current_app.config.get("REDIS_URL"):
        try:
            waiting = queue.queued_count(current_app)
            click.echo(f"Queue {current_app.config['JOBS_QUEUE']!r} in Redis: {waiting} task(s) waiting for a worker.")
        except RedisError as exc:
            click.echo(f"Redis cannot be reached ({exc}); the jobs table follows.")
    else:
        click.echo("REDIS_URL is not set: jobs run in the process that starts them.")
    for title, jobs in (("Queued", listing.queued), ("Running", listing.running),
                        ("Failed", listing.failed), ("Finished", listing.finished)):
        click.echo(f"{title}: {len(jobs) if jobs else 'none'}")
        for job in jobs:
            click.echo(describe(job, now))
