"""The recall job: import an FDA enforcement file, match it to saved medicines, queue the alerts
(recalls/workflow.py, one transaction); on the queue, alert delivery starts right after."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from webapp.blueprints.mymeds.recalls.alerts import MAIL_CATEGORY
from webapp.blueprints.mymeds.recalls.fda_import import RecallFileError
from webapp.blueprints.mymeds.recalls.workflow import import_match_notify
from webapp.core.mail.tasks import start_parallel_delivery
from webapp.extensions import db
from webapp.jobs import job


def alerts_url() -> str:
    return current_app.config["SITE_URL"].rstrip("/") + "/my-medicine/alerts"


# A malformed file stays malformed: no retry. A missing or unreadable one (OSError) may be a
# network mount coming back or a download not finished, so it is retried.
@job("recalls.import", permanent=(RecallFileError, UnicodeDecodeError))
def import_recalls(ctx, path: str) -> str:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such file")
    run = import_match_notify(db.session, Path(path), alerts_url(), ctx.say)
    db.session.commit()
    ctx.say(run.summary())
    if run.emails:
        start_parallel_delivery(category=MAIL_CATEGORY)
    return (f"{len(run.report.recall_ids)} recall(s) in the file; {run.matches} new match(es), "
            f"{run.notifications} notification(s), {run.emails} alert email(s) queued")
