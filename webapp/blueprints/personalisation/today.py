""""Today on HealthDesk" for the current reader: glue between the request and the
personalisation service (the home page and the article sidebar both use it)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, session, url_for
from flask_login import current_user

from webapp.blueprints.personalisation import signals as personalisation
from webapp.core.area import registry
from webapp.extensions import db

VISITOR_SESSION_KEY = "reads"


def visitor_reads() -> list[tuple[str, str]]:
    """A visitor's reading history lives only in their own session cookie."""
    return [tuple(item) for item in session.get(VISITOR_SESSION_KEY, []) if isinstance(item, list) and len(item) == 2]


def today_for_reader(limit: int = 6) -> personalisation.Today:
    # A member's cards are personal: security.py makes any response that read current_user no-store.
    user_id = current_user.id if current_user.is_authenticated else None
    cache = current_app.extensions.setdefault("today_catalog", {})
    areas = registry()
    return personalisation.today(db.session, user_id, visitor_reads(), url_for, datetime.now(timezone.utc), limit=limit,
                                 cache=cache, cards=areas.today_cards, fresh_cards=areas.today_fresh_cards)


def reader_cache_key() -> tuple:
    """Everything a page with "Today" cards depends on for this reader."""
    if current_user.is_authenticated:
        user = current_user
        fingerprint = personalisation.signals_fingerprint(db.session, user.id)
        return ("member", user.id, user.display_name, user.email, user.role, user.is_verified, fingerprint)
    return ("visitor", tuple(visitor_reads()))


def today_cards(limit: int = 6):
    return today_for_reader(limit).cards


KIND_LABELS = {"alert": "Recall alert", "answer": "Community", "article": "Article", "drug": "Drug guide",
               "group": "Community group", "thread": "Community"}


def sidebar_cards(editorial, *, exclude: tuple[str, str] | None = None, limit: int = 4):
    """The article sidebar: personal cards for a member who allows it, else `editorial()`.

    Anonymous article pages are served from a per-worker cache, so visitors always get the
    editorial picks there; their own reading history shapes their home page instead."""
    from webapp.blueprints.content.queries import Card

    if not current_user.is_authenticated:
        return editorial()
    cards = [item for item in today_for_reader(limit + 1).cards if (item.card.kind, item.card.key) != exclude][:limit]
    if not cards:
        return editorial()
    return [Card(title=item.card.title, url=item.card.url, teaser=item.card.summary, label=KIND_LABELS.get(item.card.kind, ""),
                 reason=item.reason) for item in cards]
