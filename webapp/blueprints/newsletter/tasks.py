"""The newsletter job: queue one issue for every confirmed subscriber (send.send_issue)."""

from __future__ import annotations

from flask import current_app, url_for

from webapp.blueprints.newsletter import send as newsletter_send
from webapp.blueprints.newsletter.models import NewsletterIssue
from webapp.core.db_types import utcnow
from webapp.core.mail.tasks import start_parallel_delivery
from webapp.extensions import db
from webapp.jobs import job

# Delivery jobs started with a send wait this long for more mail before they stop, so they
# keep up with the send instead of finding the outbox empty and ending at once.
DELIVERY_LINGER_SECONDS = 10.0
# Recipients queued per commit: a commit each cost more than composing the email on PostgreSQL.
# A crash loses at most this many, which the retried job queues again.
RECIPIENTS_PER_COMMIT = 100


class UnknownIssue(LookupError):
    pass


def manage_links(token: str) -> tuple[str, str]:
    return (url_for("newsletter.unsubscribe", token=token, _external=True),
            url_for("newsletter.preferences", token=token, _external=True))


@job("newsletter.send_issue", permanent=(UnknownIssue,))
def send_issue(ctx, issue_id: int) -> str:
    """Queue the issue's emails (resuming where an earlier attempt stopped); on the queue, delivery
    jobs start beside it."""
    # Links in the emails point at the public site, not at wherever this job runs.
    with current_app.test_request_context("/", base_url=current_app.config["SITE_URL"]):
        issue = db.session.get(NewsletterIssue, issue_id)
        if issue is None:
            raise UnknownIssue(f"No newsletter issue #{issue_id}.")
        start_parallel_delivery(linger=DELIVERY_LINGER_SECONDS, category="newsletter")
        report = newsletter_send.send_issue(db.session, issue, secret=current_app.config["SECRET_KEY"],
                                            manage_links=manage_links, now=utcnow(), progress=ctx.progress,
                                            commit_every=RECIPIENTS_PER_COMMIT)
    return f"Queued {report.queued} email(s), skipped {report.skipped}."
