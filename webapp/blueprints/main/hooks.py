"""Home page, font size, robots.txt and the sitemap: how the main area plugs in."""

from webapp.blueprints.main import routes
from webapp.core.area import Area

AREA = Area(name="main", blueprints=(routes.bp,), sitemap_start_pages=("main.index",))
