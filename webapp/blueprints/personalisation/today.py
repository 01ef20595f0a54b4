""""Today on HealthDesk" for the current reader: glue between the request and the
personalisation service (the home page and the article sidebar both use it)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, url_for
from flask_login import current_user

from webapp.blueprints.personalisation import signals as personalisation
from webapp.core.area import registry
from webapp.extensions import db


def today_for_reader(limit: int = 6) -> personalisation.Today:
    # A member's cards are personal: security.py makes any response that read current_user no-store.
    # A visitor gets the editors' picks; site.js reorders them by the history in their browser.
    user_id = current_user.id if current_user.is_authenticated else None
    cache = current_app.extensions.setdefault("today_catalog", {})
    areas = registry()
    return personalisation.today(db.session, user_id, (), url_for, datetime.now(timezone.utc), limit=limit,
                                 cache=cache, cards=areas.today_cards, fresh_cards=areas.today_fresh_cards)


def member_cache_key() -> tuple:
    """Everything the signed-in member's home page depends on (for the per-worker page cache)."""
    user = current_user
    fingerprint = personalisation.signals_fingerprint(db.session, user.id)
    return ("member", user.id, user.display_name, user.email, user.role, user.is_verified, fingerprint)


def today_cards(limit: int = 6):
    return today_for_reader(limit).cards


KIND_LABELS = {"alert": "Recall alert", "answer": "Community", "article": "Article", "drug": "Drug guide",
               "group": "Community group", "thread": "Community"}


def sidebar_cards(editorial, *, exclude: tuple[str, str] | None = None, limit: int = 4):
    """The article sidebar: personal cards for a member who allows it, else `editorial()`.

    Visitors always get the editorial picks: the page is the same for every visitor, so a
    shared cache can serve it."""
    from webapp.blueprints.content.queries import Card

    if not current_user.is_authenticated:
        return editorial()
    cards = [item for item in today_for_reader(limit + 1).cards if (item.card.kind, item.card.key) != exclude][:limit]
    if not cards:
        return editorial()
    return [Card(title=item.card.title, url=item.card.url, teaser=item.card.summary, label=KIND_LABELS.get(item.card.kind, ""),
                 reason=item.reason) for item in cards]
