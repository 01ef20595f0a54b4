"""Community (groups, questions, answers, moderation): how the area plugs in."""

from webapp.blueprints.community import commands, export, models, notifications, routes, seed
from webapp.core.area import Area

AREA = Area(
    name="community",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Community groups", seed.seed),),
    export_sections=(("community", export.export_section),),
    header_counters=(("Notifications", "community.notifications", notifications.unread_count),),
    cli=commands.register,
)
