"""What the drug reference offers the rest of the site (declared in hooks.py): its pages for
the sitemap, drug cards for "Today on HealthDesk", and the facts about drugs and
ingredients that personalisation matches a member's saved medicines on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.drugs.models import Condition, Drug, Ingredient
from webapp.core.area import Card, Link, SitemapEntry, day


def sitemap_pages(session: Session) -> Iterator[SitemapEntry]:
    """Every drug page, then every condition page."""
    for slug, updated_at in session.execute(select(Drug.slug, Drug.updated_at).order_by(Drug.slug)):
        yield SitemapEntry("drugs.detail", {"slug": slug}, day(updated_at))
    for slug in session.execute(select(Condition.slug).order_by(Condition.slug)).scalars():
        yield SitemapEntry("drugs.condition", {"slug": slug})


def today_cards(session: Session, link: Link, now: datetime) -> list[Card]:
    """Every drug, tagged with its ingredients, their classes and the conditions it treats."""
    cards = []
    drugs = session.execute(
        select(Drug).options(selectinload(Drug.ingredients).selectinload(Ingredient.classes), selectinload(Drug.conditions))
    ).scalars()
    for drug in drugs:
        tags = {f"drug:{drug.slug}"} | {f"ingredient:{i.name}" for i in drug.ingredients}
        tags |= {f"class:{c.slug}" for i in drug.ingredients for c in i.classes}
        tags |= {f"condition:{c.slug}" for c in drug.conditions}
        cards.append(Card("drug", drug.slug, drug.name, link("drugs.detail", slug=drug.slug), drug.summary, frozenset(tags)))
    return cards


@dataclass(frozen=True)
class DrugFacts:
    slug: str
    conditions: frozenset[str]  # condition slugs


def drug_facts(session: Session, drug_ids: Iterable[int]) -> dict[int, DrugFacts]:
    """Slug and conditions of each of these drugs, by id (unknown ids left out)."""
    ids = set(drug_ids)
    if not ids:
        return {}
    query = select(Drug).options(selectinload(Drug.conditions)).where(Drug.id.in_(ids))
    return {d.id: DrugFacts(d.slug, frozenset(c.slug for c in d.conditions)) for d in session.execute(query).scalars()}


def ingredient_classes(session: Session, names: Iterable[str]) -> dict[str, set[str]]:
    """The drug-class slugs of each of these ingredients, by name (unknown names left out)."""
    names = set(names)
    if not names:
        return {}
    query = select(Ingredient).options(selectinload(Ingredient.classes)).where(Ingredient.name.in_(names))
    return {i.name: {c.slug for c in i.classes} for i in session.execute(query).scalars()}
