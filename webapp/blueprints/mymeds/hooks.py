"""My Medicine (profiles, interactions, allergies, recalls): how the area plugs in."""

from webapp.blueprints.mymeds import alerts, commands, export, interaction_loader, models, routes
from webapp.core.area import Area

AREA = Area(
    name="mymeds",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Interaction knowledge base", interaction_loader.seed),),
    export_sections=(("my_medicine", export.export_section),),
    header_counters=(("Alerts", "mymeds.alerts", alerts.unread_count),),
    cli=commands.register,
)
