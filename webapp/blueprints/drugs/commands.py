"""`flask import drugsatfda DIR`: load the Drugs@FDA product catalogue.
`flask drugs build-catalogue DIR`, `flask drugs build-indications FILE`: write the
embedded copies under webapp/data/catalogue/ that `flask seed` loads."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from webapp.blueprints.drugs import drugsatfda_import
from webapp.blueprints.drugs.catalogue import embedded, labeled_uses
from webapp.extensions import db

drugs_cli = AppGroup("drugs", help="The drug reference's embedded data files.")


def register(app: Flask, import_group: AppGroup) -> None:
    import_group.add_command(import_drugsatfda)
    app.cli.add_command(drugs_cli)


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
    try:
        snapshot = embedded.catalogue_info().snapshot.isoformat()
    except embedded.CatalogueFileError:
        snapshot = "unknown"
    # The pages take the source and date from the embedded copy's metadata, not from the database.
    click.echo(f"Catalogue pages name the embedded copy's snapshot ({snapshot}); to show this release's date, "
               "rebuild it: flask drugs build-catalogue DIR --snapshot-date YYYY-MM-DD.")
    click.echo(f"Done in {time.monotonic() - started:.1f} s.")


def _snapshot(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("give the date as YYYY-MM-DD", param_hint="--snapshot-date") from None


@drugs_cli.command("build-catalogue")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--snapshot-date", help="Date of the FDA release (YYYY-MM-DD); default: read from DIRECTORY/SOURCE.md.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=embedded.CATALOGUE_DIR,
              show_default=True, help="Folder to write drugsatfda.tsv.gz and drugsatfda.json into.")
def build_catalogue(directory: Path, snapshot_date: str | None, output: Path) -> None:
    """Write the embedded catalogue `flask seed` loads from a Drugs@FDA folder (same input, same bytes)."""
    started = time.monotonic()
    try:
        info, report = embedded.build_from_directory(directory, _snapshot(snapshot_date), output, click.echo)
    except embedded.CatalogueFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {info.products} products (snapshot {info.snapshot.isoformat()}) to {output}.")
    if report.skipped:
        click.echo(f"Skipped {sum(report.skipped.values())} rows: "
                   + "; ".join(f"{count} × {reason}" for reason, count in report.skipped.most_common()))
    click.echo(f"Done in {time.monotonic() - started:.1f} s. Load it with `flask seed`.")


@drugs_cli.command("build-indications")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=labeled_uses.FOLDER,
              show_default=True, help="Folder to write labeledin.tsv.gz and labeledin.json into.")
def build_indications(source: Path, output: Path) -> None:
    """Write the embedded labeled uses from LabeledIn's indications.tsv (same input, same bytes)."""
    try:
        count = labeled_uses.build(source, output, click.echo)
    except labeled_uses.IndicationsFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {count} uses to {output}.")
