"""Mail jobs: delivery (run by the scheduler every few seconds, and started in parallel by a big
send) and the retention purge. Thin wrappers over outbox.py."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app

from webapp.core.db_types import utcnow
from webapp.core.mail import outbox
from webapp.core.mail.mailer import sender_for_app
from webapp.extensions import db
from webapp.jobs.registry import job
from webapp.jobs.runner import queue_mode, start


@job("mail.deliver")
def deliver(ctx, limit: int | None = None, category: str | None = None, linger: float = 0) -> str:
    """Send due messages until none is due (or `limit` were handled); with `linger`, wait up to
    that many seconds for more (a newsletter still being queued) before stopping."""
    totals = {"sent": 0, "retried": 0, "failed": 0}
    handled = 0
    idle_since = time.monotonic()
    while True:
        def progress(done: int, total: int, before: int = handled) -> None:
            ctx.progress(before + done, before + total)

        remaining = None if limit is None else limit - handled
        report = outbox.deliver_pending(
            db.session, sender_for_app(), current_app.config["MAIL_DEFAULT_SENDER"], limit=remaining,
            category=category, progress=progress,
            lease=timedelta(seconds=current_app.config["MAIL_CLAIM_LEASE_SECONDS"]),
        )
        for outcome in totals:
            totals[outcome] += getattr(report, outcome)
        handled_now = report.sent + report.retried + report.failed
        handled += handled_now
        if limit is not None and handled >= limit:
            break
        if handled_now:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= linger:
            break
        else:
            time.sleep(min(1.0, linger))
    return f"Sent {totals['sent']}, will retry {totals['retried']}, failed {totals['failed']}."


@job("mail.purge", permanent=(ValueError,))
def purge(ctx) -> str:
    """Blank the text of messages sent or failed over MAIL_BODY_RETENTION_DAYS days ago."""
    days = current_app.config["MAIL_BODY_RETENTION_DAYS"]
    if days < 0:
        raise ValueError(f"MAIL_BODY_RETENTION_DAYS must be 0 or more, not {days}.")
    removed = outbox.remove_old_text(db.session, now=utcnow(), retention=timedelta(days=days),
                                     progress=lambda done, total: ctx.progress(done, total))
    return f"Removed the text of {removed} message(s) sent or failed over {days} days ago (their delivery records remain)."


def start_parallel_delivery(*, linger: float = 0, category: str | None = None) -> list[int]:
    """On the queue, start MAIL_DELIVERY_JOBS delivery jobs side by side (a big send has just
    begun or ended); returns their ids. Without a queue, nothing: `flask mail deliver` sends."""
    if not queue_mode():
        return []
    return [start("mail.deliver", linger=linger, category=category).job_id
            for _ in range(current_app.config["MAIL_DELIVERY_JOBS"])]
