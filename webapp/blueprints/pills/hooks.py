"""Pill Identifier: how the area plugs in."""

from webapp.blueprints.pills import commands, feeds, models, routes, seed
from webapp.core.area import Area

AREA = Area(
    name="pills",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Pills", seed.seed),),
    cli=commands.register,
    sitemap_start_pages=("pills.index",),
    sitemap_sections=(feeds.SITEMAP_SECTION,),
)
