"""flask commands: seed, users, mail. Each is a thin wrapper over a tested function."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .areas import CLI_MODULES, resolve
from .extensions import db
from .services import accounts, outbox

import_cli = AppGroup("import", help="Import real reference data (idempotent; safe to re-run).")


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    for target in CLI_MODULES:
        module_register = resolve(f"{target}:register")
        if module_register is not None:
            module_register(app, import_cli)
    app.cli.add_command(import_cli)


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the embedded default data (safe to run again)."""
    from .seeding import run_seed

    run_seed(db.session, click.echo)
    click.echo("Seed complete.")


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
    """Send due messages from the outbox (retries with back-off, never twice)."""
    from .mailer import sender_for_app

    def progress(done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            click.echo(f"  {done}/{total}")

    report = outbox.deliver_pending(
        db.session, sender_for_app(), current_app.config["MAIL_DEFAULT_SENDER"], limit=limit, progress=progress
    )
    click.echo(f"Sent {report.sent}, will retry {report.retried}, failed {report.failed}.")
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: messages were written to the log instead of sent.")
