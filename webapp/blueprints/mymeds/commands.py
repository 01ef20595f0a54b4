"""flask import recalls FILE; flask alerts send; flask kb (kb/commands.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from webapp.blueprints.mymeds.kb.commands import kb_cli
from webapp.blueprints.mymeds.recalls.alerts import MAIL_CATEGORY
from webapp.blueprints.mymeds.recalls.workflow import import_match_notify
from webapp.blueprints.mymeds.tasks import alerts_url  # noqa: F401 - also registers the recall job
from webapp.jobs.commands import start_from_command

alerts_cli = AppGroup("alerts", help="FDA recall alerts for My Medicine.")


def import_and_notify(session, path: Path, url: str, echo=lambda _m: None) -> dict:
    """The recall workflow (recalls/workflow.py) in one committed transaction; the end-to-end
    tests call it as the command does."""
    run = import_match_notify(session, path, url, echo)
    session.commit()
    echo(run.summary())
    return {"report": run.report, "matches": run.matches, "notifications": run.notifications, "emails": run.emails}


@click.command("recalls")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
def import_recalls(file: Path) -> None:
    """Import FDA drug recalls (openFDA JSON or the weekly report JSON Lines) and alert subscribers."""
    # The recalls.import job runs here, where the file is, with or without a queue; with
    # REDIS_URL it starts the alert delivery on the workers when it is done.
    start_from_command("recalls.import", here=True, show_summary=False, path=str(file.resolve()))
    if not current_app.config.get("REDIS_URL"):
        click.echo("Run `flask alerts send` (or `flask mail deliver`) to send the alert emails.")


@alerts_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many emails in one run.")
def send_alerts(limit: int) -> None:
    """Deliver pending recall-alert emails from the outbox (never twice)."""
    started = start_from_command("mail.deliver", show_summary=False, limit=limit, category=MAIL_CATEGORY)
    if started.queued:
        return
    click.echo(f"Alert emails: {started.summary[0].lower()}{started.summary[1:]}")
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: messages were written to the log instead of sent.")


def register(app: Flask, import_group: AppGroup) -> None:
    import_group.add_command(import_recalls)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(kb_cli)
