"""flask kb build SOURCE_DIR; flask kb report [SOURCE_DIR]: thin wrappers over kb_build and kb_report."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.blueprints.drugs import feeds as drug_reference
from webapp.blueprints.mymeds.kb import build as kb_build
from webapp.blueprints.mymeds.kb import interaction_loader
from webapp.blueprints.mymeds.kb import report as kb_report
from webapp.blueprints.mymeds.kb import sources as kb_sources
from webapp.core.datafiles import DATA_DIR
from webapp.extensions import db

kb_cli = AppGroup("kb", help="The interaction knowledge base: build it from public lists, report on it.")
DEFAULT_SOURCES = DATA_DIR.parents[2] / "shared" / "data" / "ddi-public-sources"


@kb_cli.command("build")
@click.argument("source_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--catalogue", "catalogue_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Drugs@FDA folder (Products.txt); default: drugsatfda beside SOURCE_DIR when present.")
def build_command(source_dir: Path, catalogue_dir: Path | None) -> None:
    """Convert the ONC lists and the ANSM thesaurus into webapp/data/interactions_public.json.gz."""
    if catalogue_dir is None and (source_dir.parent / "drugsatfda" / "Products.txt").exists():
        catalogue_dir = source_dir.parent / "drugsatfda"
    if catalogue_dir is None:
        click.echo("No Drugs@FDA folder: pairs are kept only among the reference's medicines.")
    try:
        kb_build.run_build(source_dir, DATA_DIR, catalogue_dir, click.echo)
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


def recognised_moieties() -> tuple[frozenset[str], str, frozenset[str]]:
    """(moieties recognised, where from, the reference's moieties)."""
    reference = drug_reference.monograph_ingredient_names(db.session)
    if drug_reference.product_count(db.session):
        return drug_reference.ingredient_names(db.session), "the catalogue and reference", reference
    if reference:
        return reference, "our reference; the catalogue is not loaded", reference
    fallback = frozenset(kb_build.reference_moieties(DATA_DIR))
    return fallback, "our reference files; the database is empty", fallback


@kb_cli.command("report")
@click.argument("source_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--all", "show_all", is_flag=True, help="List every pair of the review list.")
def report_command(source_dir: Path | None, show_all: bool) -> None:
    """Coverage, recall, false-major rate and the review list of the knowledge base."""
    if source_dir is None and DEFAULT_SOURCES.exists():
        source_dir = DEFAULT_SOURCES
    if source_dir is None or not (source_dir / kb_sources.ANSM_FLAT).exists():
        click.echo("No public lists folder: recall is not measured (pass SOURCE_DIR).")
        source_dir = None
    click.echo("Loading the knowledge base ...")
    kb = interaction_loader.read_knowledge_base()
    hand = interaction_loader.read_hand_rules()
    recognised, where, reference = recognised_moieties()
    click.echo("Measuring ...")
    report = kb_report.measure(kb, hand, recognised, where, reference, source_dir)
    for line in kb_report.report_lines(report, None if show_all else 60):
        click.echo(line)
