"""flask import recalls FILE; flask alerts send."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from webapp.blueprints.mymeds.alerts import MAIL_CATEGORY
from webapp.blueprints.mymeds.recall_import import RecallFileError
from webapp.core.mail import outbox
from webapp.extensions import db

alerts_cli = AppGroup("alerts", help="FDA recall alerts for My Medicine.")


def alerts_url() -> str:
    return current_app.config["SITE_URL"].rstrip("/") + "/my-medicine/alerts"


def import_and_notify(session, path: Path, url: str, echo=lambda _m: None) -> dict:
    """Import a recall file, match it to saved medicines and notify subscribers; one transaction."""
    from webapp.blueprints.mymeds import alerts as mymeds_alerts
    from webapp.blueprints.mymeds import recall_import, recall_match

    report = recall_import.import_file(session, path, echo)
    matches = recall_match.match_recalls(session, report.recall_ids)
    created, emailed = mymeds_alerts.notify(session, report.recall_ids, url)
    session.commit()
    echo(f"  matched to saved medicines: {len(matches)} new; notifications: {created}; alert emails queued: {emailed}")
    return {"report": report, "matches": len(matches), "notifications": created, "emails": emailed}


@click.command("recalls")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
def import_recalls(file: Path) -> None:
    """Import FDA drug recalls (openFDA JSON or the weekly report JSON Lines) and alert subscribers."""
    try:
        import_and_notify(db.session, file, alerts_url(), click.echo)
    except (RecallFileError, UnicodeDecodeError, OSError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo("Run `flask alerts send` (or `flask mail deliver`) to send the alert emails.")


@alerts_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many emails in one run.")
def send_alerts(limit: int) -> None:
    """Deliver pending recall-alert emails from the outbox (never twice)."""
    from webapp.core.mail.mailer import sender_for_app

    report = outbox.deliver_pending(db.session, sender_for_app(), current_app.config["MAIL_DEFAULT_SENDER"],
                                    limit=limit, category=MAIL_CATEGORY)
    click.echo(f"Alert emails: sent {report.sent}, will retry {report.retried}, failed {report.failed}.")
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: messages were written to the log instead of sent.")


def register(app: Flask, import_group: AppGroup) -> None:
    import_group.add_command(import_recalls)
    app.cli.add_command(alerts_cli)
