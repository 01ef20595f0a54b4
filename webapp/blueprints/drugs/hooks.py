"""Drugs & Supplements (reference, catalogue, reviews): how the area plugs in."""

from webapp.blueprints.drugs import commands, feeds, loader, models, reviews, routes
from webapp.core.area import Area

AREA = Area(
    name="drugs",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Drugs and supplements", loader.seed),),
    export_sections=(("drug_reviews", reviews.export_section),),
    cli=commands.register,
    # What other areas ask of the drug reference (drugs/feeds.py).
    sitemap_start_pages=("drugs.index", "drugs.conditions"),
    sitemap_pages=(feeds.sitemap_pages,),
    today_cards=(feeds.today_cards,),
)
