"""Health centers and articles: how the area plugs in."""

from webapp.blueprints.content import commands, feeds, loader, models, routes
from webapp.core.area import Area

AREA = Area(
    name="content",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Health center articles", loader.seed),),
    cli=commands.register,
    sitemap_start_pages=("content.centers", "content.levels_of_evidence"),
    sitemap_pages=(feeds.sitemap_pages,),
    today_cards=(feeds.today_cards,),
)
