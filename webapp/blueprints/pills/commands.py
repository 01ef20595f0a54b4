"""`flask import spl PATH...` and `flask import pillbox CSV`: load pill characteristics."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from webapp.blueprints.pills import pillbox_import, spl_import
from webapp.blueprints.pills.seed import make_drug_linker
from webapp.extensions import db


def register(app: Flask, import_group: AppGroup) -> None:
    import_group.add_command(import_spl)
    import_group.add_command(import_pillbox)


@click.command("spl")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_appcontext
def import_spl(paths: tuple[Path, ...]) -> None:
    """Load FDA SPL label XML files, folders of them, or zip files containing them.

    Idempotent per document set id and version: a newer version replaces the older one.
    """
    report = spl_import.import_paths(db.session, list(paths), click.echo, make_drug_linker(db.session))
    click.echo(f"Documents read: {report.documents} ({report.products} products loaded, "
               f"{report.replaced} replaced an older version, {report.skipped_same} already loaded, "
               f"{report.skipped_older} older than the version we have).")
    if report.problems:
        click.echo(f"Could not read {len(report.problems)}:")
        for name, reason in report.problems:
            click.echo(f"  {name}: {reason}")


@click.command("pillbox")
@click.argument("csv_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_appcontext
def import_pillbox(csv_file: Path) -> None:
    """Load a CSV file in the NLM Pillbox column layout (splimprint, splcolor, splshape, ...)."""
    report = pillbox_import.import_csv(db.session, csv_file, click.echo)
    click.echo(f"Rows read: {report.rows} ({report.added} added, {report.updated} updated, "
               f"{report.skipped_older} older than what we have).")
    if report.problems:
        click.echo(f"Skipped {len(report.problems)} row(s):")
        for line, reason in report.problems[:50]:
            click.echo(f"  line {line}: {reason}")
        if len(report.problems) > 50:
            click.echo(f"  ... and {len(report.problems) - 50} more")
