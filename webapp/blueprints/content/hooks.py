"""Health centers and articles: how the area plugs in."""

from webapp.blueprints.content import commands, loader, models, routes
from webapp.core.area import Area

AREA = Area(
    name="content",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Health center articles", loader.seed),),
    cli=commands.register,
)
