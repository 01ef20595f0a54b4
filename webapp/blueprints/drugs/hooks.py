"""Drugs & Supplements (reference, catalogue, reviews): how the area plugs in."""

from webapp.blueprints.drugs import commands, loader, models, reviews, routes
from webapp.core.area import Area

AREA = Area(
    name="drugs",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Drugs and supplements", loader.seed),),
    export_sections=(("drug_reviews", reviews.export_section),),
    cli=commands.register,
)
