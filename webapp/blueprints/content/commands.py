"""`flask content sync`: load the health-center articles in webapp/content/ into the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.blueprints.content import loader as content_loader
from webapp.extensions import db

content_cli = AppGroup("content", help="Health-center articles (Markdown files in webapp/content/).")


@content_cli.command("sync")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Content folder (default: webapp/content).")
def sync_command(folder: Path | None) -> None:
    """Add, update and remove articles to match the files (safe to run again)."""
    try:
        content_loader.sync(db.session, folder or content_loader.CONTENT_DIR, click.echo)
    except content_loader.ContentError as exc:
        db.session.rollback()
        raise click.ClickException(f"nothing was loaded: {exc}") from exc
    db.session.commit()
    click.echo("Content sync complete.")


def register(app: Flask, import_group: AppGroup) -> None:  # noqa: ARG001 - content is its own group, not an import
    app.cli.add_command(content_cli)
