"""My Medicine (profiles, interactions, allergies, recalls): how the area plugs in."""

from webapp.blueprints.mymeds import commands, export, models, routes
from webapp.blueprints.mymeds.kb import interaction_loader
from webapp.blueprints.mymeds.recalls import alerts
from webapp.core.area import Area
from webapp.extensions import db


def unread_alerts(user) -> int:
    """The header badge: the request's session passed into the domain count."""
    return alerts.unread_count(db.session, user.id)


AREA = Area(
    name="mymeds",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Interaction knowledge base", interaction_loader.seed),),
    export_sections=(("my_medicine", export.export_section),),
    header_counters=(("Alerts", "mymeds.alerts", unread_alerts),),
    cli=commands.register,
    # What other areas ask of My Medicine: its public tools for the sitemap (the newsletter's
    # recalls and personalisation's saved medicines and alerts are in mymeds/feeds.py).
    sitemap_start_pages=("mymeds.interaction_checker", "mymeds.recalls"),
)
