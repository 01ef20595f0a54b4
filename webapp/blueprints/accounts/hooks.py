"""Accounts (sign up, log in, settings, export, delete): how the area plugs in."""

from webapp.blueprints.accounts import models, routes, settings_routes
from webapp.core.area import Area

AREA = Area(name="accounts", blueprints=(routes.bp, settings_routes.bp), models=models)
