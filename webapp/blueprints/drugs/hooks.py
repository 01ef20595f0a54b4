"""Drugs & Supplements (reference, catalogue, reviews): how the area plugs in."""

from flask import current_app
from sqlalchemy.orm import Session

from webapp.blueprints.drugs import commands, feeds, loader, models, reviews, routes
from webapp.blueprints.drugs.catalogue import embedded
from webapp.core.area import Area


def seed_catalogue(session: Session, echo) -> None:
    # After the reference: loading products links them to the monographs just written.
    embedded.seed(session, echo, limit=current_app.config.get("DRUG_CATALOGUE_SEED_LIMIT"))


AREA = Area(
    name="drugs",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Drugs and supplements", loader.seed), ("Drugs@FDA product catalogue", seed_catalogue)),
    export_sections=(("drug_reviews", reviews.export_section),),
    cli=commands.register,
    # What other areas ask of the drug reference (drugs/feeds.py).
    sitemap_start_pages=("drugs.index", "drugs.conditions"),
    sitemap_pages=(feeds.sitemap_pages,),
    today_cards=(feeds.today_cards,),
)
