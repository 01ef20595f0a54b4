"""What the pill identifier offers the rest of the site (declared in hooks.py): a sitemap
section of every pill page, the way people search for an imprint."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.blueprints.pills.models import Pill
from webapp.core.area import SitemapEntry, SitemapSection, day


def _count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Pill)).scalar_one()


def _entries(session: Session, offset: int, limit: int) -> list[SitemapEntry]:
    rows = session.execute(select(Pill.id, Pill.updated_at).order_by(Pill.id).offset(offset).limit(limit))
    return [SitemapEntry("pills.detail", {"pill_id": pill_id}, day(changed)) for pill_id, changed in rows]


SITEMAP_SECTION = SitemapSection("pills", _count, _entries)
