"""Personalisation ("Today on HealthDesk", reading history): how the area plugs in."""

from webapp.blueprints.personalisation import models, routes, signals
from webapp.core.area import Area

AREA = Area(
    name="personalisation",
    blueprints=(routes.bp,),
    models=models,
    export_sections=(("personalisation", signals.export_section),),
)
