"""What the pill identifier offers the rest of the site (declared in hooks.py): a sitemap
section of every pill page, the way people search for an imprint; and a pill's facts as
My Medicine saves it."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SavablePill:
    id: int
    name: str
    drug_id: int | None
    active_ingredients: str
    product_ndc: str
    labeler: str
    strength: str


def savable_pill(session: Session, pill_id: int) -> SavablePill | None:
    pill = session.get(Pill, pill_id)
    if pill is None:
        return None
    return SavablePill(pill.id, pill.name, pill.drug_id, pill.active_ingredients or "", pill.product_ndc or "",
                       pill.labeler or "", pill.strength or "")
