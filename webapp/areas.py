"""The areas of the site, in order, each by its hooks module (real imports, no strings).

The order is the order of blueprints, `flask seed` steps (drugs before the pills that
point at them, pills before the interaction rules) and "Export my data" sections.
Only the app factory imports this module, so no area's code can import it back.
"""

from __future__ import annotations

from webapp.blueprints.accounts import hooks as accounts
from webapp.blueprints.api import hooks as api
from webapp.blueprints.community import hooks as community
from webapp.blueprints.content import hooks as content
from webapp.blueprints.drugs import hooks as drugs
from webapp.blueprints.main import hooks as main
from webapp.blueprints.mymeds import hooks as mymeds
from webapp.blueprints.newsletter import hooks as newsletter
from webapp.blueprints.personalisation import hooks as personalisation
from webapp.blueprints.pills import hooks as pills
from webapp.blueprints.search import hooks as search
from webapp.core.area import Registry

AREAS = (
    main.AREA,
    accounts.AREA,
    content.AREA,
    drugs.AREA,
    pills.AREA,
    mymeds.AREA,
    community.AREA,
    newsletter.AREA,
    personalisation.AREA,
    search.AREA,
    api.AREA,
)

REGISTRY = Registry(AREAS)
