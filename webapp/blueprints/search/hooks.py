"""Site-wide search: how the area plugs in (it has no tables: it asks the other areas' searches)."""

from webapp.blueprints.search import routes
from webapp.core.area import Area

AREA = Area(name="search", blueprints=(routes.bp,))
