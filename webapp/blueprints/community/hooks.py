"""Community (groups, questions and answers, moderation): how the area plugs in."""

from webapp.blueprints.community import commands, export, group_routes, groups, models, notifications, routes, seed, threads
from webapp.blueprints.community.moderation import routes as moderation_routes
from webapp.core.area import Area
from webapp.extensions import db

# One blueprint, routes.bp, carries the views of these three modules (endpoints community.<view>):
# importing them here, before the blueprint is registered, is what puts every community page on it.
VIEW_MODULES = (routes, group_routes, moderation_routes)


def unread_notifications(user) -> int:
    """The header badge, counted in the request's session."""
    return notifications.unread_count(db.session, user)


AREA = Area(
    name="community",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Community groups", seed.seed),),
    export_sections=(("community", export.export_section),),
    header_counters=(("Notifications", "community.notifications", unread_notifications),),
    cli=commands.register,
    sitemap_start_pages=("community.index", "community.second_opinion"),
    sitemap_pages=(groups.sitemap_pages,),
    sitemap_sections=(threads.SITEMAP_SECTION,),
    today_cards=(groups.today_cards,),
    today_fresh_cards=(threads.today_cards,),  # threads move fast: read on every request
)
