"""`flask community ...`: maintenance for the community (re-render posts, rebuild the search index)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.blueprints.community import posting, threads
from webapp.extensions import db

community_cli = AppGroup("community", help="Community maintenance.")


@community_cli.command("rerender")
def rerender_command() -> None:
    """Render every post's Markdown again with the current sanitiser (after changing its allow-list)."""
    changed = posting.rerender_all(db.session)
    db.session.commit()
    click.echo(f"Posts re-rendered: {changed} changed.")


@community_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the site-search entries of the community's threads (safe to run again)."""
    count = threads.reindex_all(db.session)
    db.session.commit()
    click.echo(f"Community threads in the search index: {count}.")


def register(app: Flask, import_group: AppGroup) -> None:  # noqa: ARG001 - maintenance, not an importer
    app.cli.add_command(community_cli)
