"""`flask import spl PATH...` and `flask import pillbox CSV`: load pill characteristics."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from webapp.blueprints.pills import photos
from webapp.blueprints.pills.importers import pillbox as pillbox_import
from webapp.blueprints.pills.importers import spl as spl_import
from webapp.blueprints.pills.importers.spl_sources import find_sources
from webapp.blueprints.pills.seed import make_drug_linker
from webapp.core.caching import http_cache
from webapp.extensions import db


def register(app: Flask, import_group: AppGroup) -> None:
    import_group.add_command(import_spl)
    import_group.add_command(import_pillbox)


class _Rate:
    """Labels per second for the progress bar's text."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.done = 0

    def add(self, labels: int) -> None:
        self.done += labels

    def text(self, _item=None) -> str:
        elapsed = time.monotonic() - self.started
        return f"{self.done / elapsed:.0f} labels/s" if elapsed > 0.5 else ""


@click.command("spl")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--remove", "remove_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A file of set ids DailyMed lists as withdrawn (one a line, or its delimited lists): "
                   "their pills are removed.")
@with_appcontext
def import_spl(paths: tuple[Path, ...], remove_file: Path | None) -> None:
    """Load FDA SPL labels as DailyMed publishes them: release and update zips (a zip of label
    zips), label zips, folders, XML files; with the pill photos the label zips ship.

    Idempotent per set id and version: a newer version replaces the older one. An interrupted
    import, started again with the same files, resumes where it stopped.
    """
    if not paths and remove_file is None:
        raise click.UsageError("Give the SPL files or folders to import, or --remove SETIDS_FILE.")
    if remove_file is not None:
        _remove(remove_file)
    if not paths:
        return
    sources = find_sources(list(paths))
    total = sum(max(source.count, 1) for source in sources)
    rate = _Rate()
    folder = photos.folder_for(current_app.config, current_app.instance_path)
    click.echo(f"{total} label(s) in {len(sources)} file(s).")
    with click.progressbar(length=total, label="Importing labels", show_eta=True, show_pos=True,
                           item_show_func=rate.text) as bar:
        def progress(labels: int) -> None:
            rate.add(labels)
            bar.update(labels)

        try:
            with http_cache.bulk_change(db.session):
                report = spl_import.import_paths(db.session, list(paths), click.echo, make_drug_linker(db.session),
                                                 photo_folder=folder, progress=progress, sources=sources)
        except KeyboardInterrupt:
            db.session.rollback()
            click.echo("\nInterrupted. What was committed is kept: run the same command again to resume.")
            raise SystemExit(130) from None
    _summary(report)
    if report.labels == 0:
        raise SystemExit(1)  # nothing could be read: a script running this must notice


def _remove(path: Path) -> None:
    try:
        setids = spl_import.read_setids(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: could not be read ({exc})") from None
    if not setids:
        raise click.ClickException(f"{path}: no set ids found (expected one like 6f1f1e2a-...-... a line)")
    removed = spl_import.remove_setids(db.session, setids)
    click.echo(f"Withdrawn labels: {len(setids)} set id(s) listed, {removed} pill(s) removed.")


def _summary(report: spl_import.ImportReport) -> None:
    click.echo(f"Labels read: {report.labels}.")
    click.echo(f"  loaded:     {report.loaded} new label(s), {report.products} product(s) stored in all")
    click.echo(f"  replaced:   {report.replaced} (a newer version of a label we had)")
    click.echo(f"  skipped:    {report.skipped} ({report.skipped_same} already loaded, "
               f"{report.skipped_older} older than the version we have)")
    click.echo(f"  unreadable: {len(report.problems)}")
    for name, reason in report.problems:
        click.echo(f"    {name}: {reason}")
    click.echo(f"Photos: {report.photos} product(s) with a photo"
               + (f"; {report.photos_not_shipped} named a file their label's zip does not hold"
                  if report.photos_not_shipped else "")
               + (f"; {len(report.photo_problems)} unusable:" if report.photo_problems else "."))
    for name, reason in report.photo_problems:
        click.echo(f"    {name}: {reason}")
    if report.resumed:
        click.echo("Resumed: " + ", ".join(f"{name} after label {done}" for name, done in report.resumed))


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
