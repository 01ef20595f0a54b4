"""The jobs table's own upkeep: forget finished and failed jobs after JOBS_KEEP_DAYS days."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from webapp.core.db_types import utcnow
from webapp.extensions import db
from webapp.jobs import tracking
from webapp.jobs.registry import job


@job("jobs.prune")
def prune_jobs(ctx) -> str:
    days = current_app.config["JOBS_KEEP_DAYS"]
    removed = tracking.prune(db.session, before=utcnow() - timedelta(days=days))
    db.session.commit()
    return f"forgot {removed} job(s) that ended over {days} days ago"
