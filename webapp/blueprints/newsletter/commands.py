"""`flask newsletter send TOPIC [--since DATE] [--dry-run]`: a thin wrapper over newsletter_send."""

from __future__ import annotations

from datetime import datetime, timezone

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup
from werkzeug.routing import BuildError

from webapp.blueprints.newsletter import send as newsletter_send
from webapp.blueprints.newsletter import tasks  # noqa: F401 - registers the newsletter job
from webapp.extensions import db
from webapp.jobs.commands import start_from_command

newsletter_cli = AppGroup("newsletter", help="The newsletter: compose and send issues.")


def register(app: Flask, import_group) -> None:
    app.cli.add_command(newsletter_cli)


def _link(endpoint: str, values: dict) -> str | None:
    try:
        return url_for(endpoint, _external=True, **values)
    except BuildError:
        return None


@newsletter_cli.command("send")
@click.argument("topic")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Include content from this date (YYYY-MM-DD). Default: since the topic's last issue.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; queue nothing.")
def send(topic: str, since: datetime | None, dry_run: bool) -> None:
    """Compose an issue of TOPIC (slug or name) and queue it for every confirmed subscriber."""
    now = datetime.now(timezone.utc)
    since_utc = since.replace(tzinfo=timezone.utc) if since else None
    if since_utc and since_utc > now:
        raise click.BadParameter("the date is in the future.", param_hint="--since")
    # Links in the emails point at the public site, not at wherever this command runs.
    with current_app.test_request_context("/", base_url=current_app.config["SITE_URL"]):
        try:
            topic_row = newsletter_send.find_topic(db.session, topic)
        except newsletter_send.SendError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Topic: {topic_row.name}.")
        draft = newsletter_send.draft_issue(db.session, topic_row, since=since_utc, now=now, link=_link)
        if draft.resumed_issue is not None:
            note = " (--since ignored)" if since_utc else ""
            click.echo(f"Resuming unfinished issue #{draft.resumed_issue.id}{note}.")
        click.echo(f"Content since {draft.since:%Y-%m-%d %H:%M} UTC: {len(draft.items)} item(s).")
        for item in draft.items:
            click.echo(f"  - [{item.kind}] {item.title}")
        if not draft.items:
            click.echo("Nothing new to send; no issue was created.")
            return
        if dry_run:
            waiting = (len(newsletter_send.pending_recipient_ids(db.session, draft.resumed_issue)) if draft.resumed_issue
                       else newsletter_send.confirmed_subscriber_count(db.session, topic_row))
            click.echo(f"Dry run: would queue {waiting} email(s). Nothing was queued.")
            return
        issue = newsletter_send.create_issue(db.session, draft, now=now)
        click.echo(f"Issue #{issue.id}: {issue.subject}")
        issue_id = issue.id
    # The emails are queued by the newsletter.send_issue job (tasks.py): on the workers with
    # REDIS_URL (delivery jobs start beside it), otherwise here and now.
    started = start_from_command("newsletter.send_issue", show_summary=False, issue_id=issue_id)
    if not started.queued:
        click.echo(f"{started.summary} Run `flask mail deliver` to send them.")
