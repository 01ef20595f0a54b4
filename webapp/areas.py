"""Where each area of the site plugs into the shared parts (seed, export, search, header).

Each entry names "module:attribute". An area is built in its own modules; while a
module does not exist yet its entries are skipped, so the site runs at every stage.
An import error inside an existing module is never hidden.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

# Blueprint packages under webapp.blueprints, registered in this order.
BLUEPRINT_PACKAGES = ["main", "auth", "account", "content", "drugs", "pills", "mymeds", "community", "newsletter", "personalisation", "api"]

# `flask seed` steps, in order (drugs before pills, pills before interactions ...).
SEED_STEPS = [
    ("Health center articles", "webapp.blueprints.content.loader:seed"),
    ("Drugs and supplements", "webapp.blueprints.drugs.loader:seed"),
    ("Pills", "webapp.blueprints.pills.seed:seed"),
    ("Interaction knowledge base", "webapp.blueprints.mymeds.interaction_loader:seed"),
    ("Community groups", "webapp.blueprints.community.seed:seed"),
    ("Newsletter topics", "webapp.blueprints.newsletter.seed:seed"),
]

# Sections of "Export my data": name -> function(session, user) returning JSON-able data.
EXPORT_SECTIONS = [
    ("my_medicine", "webapp.blueprints.mymeds.export:export_section"),
    ("drug_reviews", "webapp.blueprints.drugs.reviews:export_section"),
    ("community", "webapp.blueprints.community.export:export_section"),
    ("newsletter", "webapp.blueprints.newsletter.export:export_section"),
    ("personalisation", "webapp.blueprints.personalisation.signals:export_section"),
]

# Full-text search objects: functions (connection) -> None and (session) -> None.
SEARCH_INSTALLERS = ["webapp.core.search:install"]
SEARCH_CLEARERS = ["webapp.core.search:clear"]

# CLI modules: each defines register(app, import_group) adding its commands; the shared
# `flask import ...` group is passed in so every importer sits under one name.
CLI_MODULES = [
    "webapp.blueprints.content.commands",
    "webapp.blueprints.drugs.commands",
    "webapp.blueprints.pills.commands",
    "webapp.blueprints.mymeds.commands",
    "webapp.blueprints.community.commands",
    "webapp.blueprints.newsletter.commands",
]

# Called when a member's new email address takes effect: function(session, user, new_email)
# moves whatever the area keeps under the old address (the newsletter mails the account's address).
EMAIL_CHANGE_HOOKS = ["webapp.blueprints.newsletter.signup:follow_email_change"]

# Header badges: (label, endpoint, "module:function(user) -> int").
HEADER_COUNTERS = [
    ("Alerts", "mymeds.alerts", "webapp.blueprints.mymeds.alerts:unread_count"),
    ("Notifications", "community.notifications", "webapp.blueprints.community.notifications:unread_count"),
]


def module_exists(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def resolve(target: str) -> Any | None:
    """The object named "module:attribute", or None while that module does not exist."""
    module_name, _, attribute = target.partition(":")
    if not module_exists(module_name):
        return None
    return getattr(import_module(module_name), attribute)
