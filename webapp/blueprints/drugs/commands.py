"""`flask import drugsatfda DIR`: load the Drugs@FDA product catalogue."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from webapp.blueprints.drugs import drugsatfda_import
from webapp.extensions import db


def register(app: Flask, import_group: AppGroup) -> None:
    import_group.add_command(import_drugsatfda)


@click.command("drugsatfda")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def import_drugsatfda(directory: Path) -> None:
    """Load Products.txt, Applications.txt and MarketingStatus*.txt from DIRECTORY (idempotent)."""
    started = time.monotonic()
    try:
        report = drugsatfda_import.import_directory(db.session, directory, click.echo)
    except drugsatfda_import.ImportFilesError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Products: {report.inserted} new, {report.updated} updated, {report.unchanged} unchanged "
               f"({report.rows_read} rows read).")
    if report.without_application:
        click.echo(f"Imported {report.without_application} products whose application is not in Applications.txt "
                   "(sponsor unknown).")
    if report.ingredients_created:
        click.echo(f"Ingredients added: {report.ingredients_created}.")
    click.echo(f"Links to monographs changed: {report.linked_to_monograph}.")
    if report.not_in_files:
        click.echo(f"Kept {report.not_in_files} products that are not in these files.")
    if report.skipped:
        click.echo(f"Skipped {sum(report.skipped.values())} rows:")
        for reason, count in report.skipped.most_common():
            examples = ", ".join(report.skipped_examples.get(reason, []))
            click.echo(f"  {count} × {reason} (e.g. {examples})")
    else:
        click.echo("Skipped 0 rows.")
    click.echo(f"Done in {time.monotonic() - started:.1f} s.")
