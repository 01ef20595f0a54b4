"""flask commands: seed, users, mail, jobs. Each is a thin wrapper over a tested function."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from webapp.blueprints.accounts import rules as accounts
from webapp.core.area import EXTENSION_KEY
from webapp.core.caching import http_cache
from webapp.core.mail import outbox
from webapp.extensions import db
from webapp.jobs.commands import jobs_cli, start_from_command

import_cli = AppGroup("import", help="Import real reference data (idempotent; safe to re-run).")


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(jobs_cli)
    for register_area_cli in app.extensions[EXTENSION_KEY].cli:
        register_area_cli(app, import_cli)
    app.cli.add_command(import_cli)


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the embedded default data (safe to run again)."""
    from webapp.seeding import run_seed

    run_seed(db.session, click.echo)
    http_cache.purge_site()
    click.echo("Seed complete.")


@import_cli.result_callback()
@with_appcontext
def _after_import(*_results, **_options) -> None:
    # An import may change any public page (products, pills, recalls): the caches start over.
    http_cache.purge_site()


users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", default="member", show_default=True, help="member, expert, moderator or admin")
@click.option("--name", "display_name", default="", help="Display name (default: the part before @).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
def create_user(email: str, role: str, display_name: str, password: str) -> None:
    """Create a verified account."""
    try:
        user = accounts.create_user(
            db.session, email, password, current_app.config["PASSWORD_HASH_METHOD"], role=role, display_name=display_name
        )
    except accounts.AccountError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Created {user.email} with role {user.role}.")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role")
def set_role(email: str, role: str) -> None:
    """Give an account a role: member, expert, moderator or admin."""
    try:
        user = accounts.set_role(db.session, email, role)
    except accounts.AccountError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{user.email} is now {user.role}.")


mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("deliver")
@click.option("--limit", default=500, show_default=True, help="At most this many messages in one run.")
def deliver(limit: int) -> None:
    """Send due messages from the outbox (retries with back-off, never twice).

    With REDIS_URL, the delivery job goes to the workers (the scheduler also starts one every
    few seconds); without it, it runs here.
    """
    started = start_from_command("mail.deliver", limit=limit)
    if started.queued:
        return
    stuck = outbox.stuck_messages(db.session, datetime.now(timezone.utc))
    if stuck:
        click.echo(f"Warning: {len(stuck)} message(s) stopped half way through sending (the process died). "
                   "See `flask mail status`.")
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: messages were written to the log instead of sent.")
    _remove_old_text(quiet=True)


def _remove_old_text(*, quiet: bool = False) -> None:
    """Enforce MAIL_BODY_RETENTION_DAYS; quiet (after a delivery run) says nothing when nothing was due."""
    days = current_app.config["MAIL_BODY_RETENTION_DAYS"]

    def progress(done: int, total: int) -> None:
        if done == total or done % 5000 == 0:
            click.echo(f"  {done}/{total}")

    if days < 0:
        raise click.ClickException(f"MAIL_BODY_RETENTION_DAYS must be 0 or more, not {days}.")
    removed = outbox.remove_old_text(db.session, now=datetime.now(timezone.utc), retention=timedelta(days=days),
                                     progress=progress)
    if removed or not quiet:
        click.echo(f"Removed the text of {removed} message(s) sent or failed over {days} days ago "
                   "(their delivery records remain).")


@mail_cli.command("purge")
def mail_purge() -> None:
    """Remove the subject, text and headers of messages sent over MAIL_BODY_RETENTION_DAYS days ago."""
    start_from_command("mail.purge")


def _describe(message) -> str:
    subject = "(text removed)" if message.text_removed else repr(message.subject[:60])
    line = f"  #{message.id} to {message.to_address}: {subject} ({message.category})"
    return line + (f"\n      last error: {message.last_error[:200]}" if message.last_error else "")


@mail_cli.command("status")
def mail_status() -> None:
    """How many messages are in each state, and which need an operator."""
    counts = outbox.status_counts(db.session)
    click.echo(", ".join(f"{status} {counts.get(status, 0)}" for status in ("pending", "sending", "sent", "failed")))
    stuck = outbox.stuck_messages(db.session, datetime.now(timezone.utc))
    if stuck:
        minutes = int(outbox.STUCK_AFTER.total_seconds() // 60)
        click.echo(f"Stopped while sending (over {minutes} minutes ago; they may or may not have arrived):")
        click.echo("\n".join(_describe(m) for m in stuck))
    failed = outbox.failed_messages(db.session)
    if failed:
        click.echo(f"Failed after {outbox.MAX_ATTEMPTS} attempts:")
        click.echo("\n".join(_describe(m) for m in failed))
    if stuck or failed:
        click.echo("Check the mail server's log, then `flask mail retry ID...` (or --stuck / --failed) to send them again.")


@mail_cli.command("retry")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--stuck", is_flag=True, help="Every message that stopped while sending.")
@click.option("--failed", is_flag=True, help="Every message that failed after its last attempt.")
def mail_retry(message_ids: tuple[int, ...], stuck: bool, failed: bool) -> None:
    """Queue stuck or failed messages again; the next `flask mail deliver` sends them."""
    now = datetime.now(timezone.utc)
    ids = set(message_ids)
    if stuck:
        ids |= {m.id for m in outbox.stuck_messages(db.session, now)}
    if failed:
        ids |= {m.id for m in outbox.failed_messages(db.session)}
    if not ids:
        raise click.ClickException("Name the messages to retry (IDs from `flask mail status`), or use --stuck / --failed.")
    requeued = outbox.requeue(db.session, ids, now)
    db.session.commit()
    skipped = sorted(ids - set(requeued))
    click.echo(f"Queued again: {len(requeued)} message(s); `flask mail deliver` sends them.")
    if skipped:
        click.echo(f"Not queued (unknown, not stuck or failed, or its text was removed): {', '.join(f'#{i}' for i in skipped)}")
