"""The JSON API and its OpenAPI document: how the area plugs in."""

from webapp.blueprints.api import routes
from webapp.core.area import Area

AREA = Area(name="api", blueprints=(routes.bp,))
