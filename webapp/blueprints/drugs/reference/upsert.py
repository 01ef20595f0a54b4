"""Writing the drug reference's records (reference/files.py) to the database: every row
compared with its record and only differences written, so loading twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.drugs.models import (
    Condition,
    ConditionSynonym,
    Drug,
    DrugClass,
    DrugForm,
    DrugName,
    Ingredient,
    drug_class_members,
    drug_conditions,
    drug_ingredients,
)
from webapp.blueprints.drugs.reference.files import ClassData, ConditionData, DrugData


@dataclass
class Counts:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.created} new, {self.updated} updated"


def _assign(obj, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def upsert_conditions(session: Session, conditions: dict[str, ConditionData]) -> tuple[dict[str, Condition], Counts]:
    counts = Counts()
    existing = {c.slug: c for c in session.execute(
        select(Condition).options(selectinload(Condition.synonyms))).scalars()}
    for data in conditions.values():
        condition = existing.get(data.slug)
        created = condition is None
        if created:
            condition = Condition(slug=data.slug, name=data.name, description=data.description)
            session.add(condition)
            existing[data.slug] = condition
            counts.created += 1
            changed = False
        else:
            changed = _assign(condition, {"name": data.name, "description": data.description})
        wanted = {s for s in data.synonyms}
        have = {s.name: s for s in condition.synonyms}
        for name in wanted - have.keys():
            condition.synonyms.append(ConditionSynonym(name=name[:200]))
            changed = True
        for name in have.keys() - wanted:
            condition.synonyms.remove(have[name])
            changed = True
        if changed and not created:
            counts.updated += 1
    session.flush()
    return existing, counts


def ingredient_ids(session: Session, names: set[str]) -> dict[str, int]:
    """Ids for these lowercase ingredient names, creating the missing ones."""
    names = {n.lower() for n in names}
    found = dict(session.execute(select(Ingredient.name, Ingredient.id).where(Ingredient.name.in_(names))).all()) \
        if names else {}
    created = [Ingredient(name=name) for name in sorted(names - found.keys())]
    if created:
        session.add_all(created)
        session.flush()
        found.update({i.name: i.id for i in created})
    return found


def _sync_links(session: Session, table, left: str, right: str, left_id: int, wanted: dict[int, dict]) -> bool:
    """Make the link rows of one left id equal `wanted` (right id -> extra columns)."""
    rows = session.execute(select(table).where(table.c[left] == left_id)).mappings().all()
    have = {row[right]: {k: v for k, v in row.items() if k not in (left, right)} for row in rows}
    changed = False
    for right_id, extra in have.items():
        if right_id not in wanted or wanted[right_id] != extra:
            session.execute(delete(table).where(table.c[left] == left_id, table.c[right] == right_id))
            changed = True
    for right_id, extra in wanted.items():
        if right_id not in have or have[right_id] != extra:
            session.execute(table.insert().values({left: left_id, right: right_id, **extra}))
            changed = True
    return changed


def upsert_drug(session: Session, data: DrugData, drug: Drug | None, conditions: dict[str, Condition],
                ingredients: dict[str, int]) -> tuple[Drug, bool]:
    values = {
        "name": data.name, "kind": data.kind, "generic_name": data.generic_name, "popularity": data.popularity,
        **data.monograph,
        "side_effects_common": list(data.side_effects_common),
        "side_effects_serious": list(data.side_effects_serious),
        "sources": [{"title": t, "url": u} for t, u in data.sources],
        "last_reviewed": data.last_reviewed,
        "max_daily_dose": data.max_daily_dose,
    }
    created = drug is None
    if drug is None:
        drug = Drug(slug=data.slug, **values)
        session.add(drug)
        session.flush()
        changed = True
    else:
        changed = _assign(drug, values)
    wanted_names = [("brand", n) for n in data.brand_names] + [("synonym", n) for n in data.synonyms]
    have_names = [(n.kind, n.name, n.position) for n in drug.names]
    if have_names != [(k, n, i) for i, (k, n) in enumerate(wanted_names)]:
        drug.names.clear()
        session.flush()
        for position, (kind, name) in enumerate(wanted_names):
            drug.names.append(DrugName(kind=kind, name=name[:200], position=position))
        changed = True
    have_forms = [(f.form, f.route, list(f.strengths)) for f in drug.forms]
    wanted_forms = [(f.form, f.route, list(f.strengths)) for f in data.forms]
    if have_forms != wanted_forms:
        drug.forms.clear()
        session.flush()
        for position, (form, route, strengths) in enumerate(wanted_forms):
            drug.forms.append(DrugForm(form=form, route=route, strengths=strengths, position=position))
        changed = True
    changed |= _sync_links(session, drug_ingredients, "drug_id", "ingredient_id", drug.id,
                           {ingredients[name]: {"position": i} for i, name in enumerate(data.ingredients)})
    changed |= _sync_links(session, drug_conditions, "drug_id", "condition_id", drug.id,
                           {conditions[slug].id: {} for slug in data.conditions})
    if changed and not created:
        session.expire(drug, ["ingredients", "conditions"])
    return drug, changed


def upsert_classes(session: Session, classes: list[ClassData]) -> Counts:
    counts = Counts()
    existing = {c.slug: c for c in session.execute(select(DrugClass)).scalars()}
    ids = ingredient_ids(session, {m for c in classes for m in c.members})
    for data in classes:
        drug_class = existing.get(data.slug)
        created = drug_class is None
        if created:
            drug_class = DrugClass(slug=data.slug, name=data.name)
            session.add(drug_class)
            session.flush()
            counts.created += 1
            changed = False
        else:
            changed = _assign(drug_class, {"name": data.name})
        changed |= _sync_links(session, drug_class_members, "drug_class_id", "ingredient_id", drug_class.id,
                               {ids[m]: {} for m in data.members})
        if changed and not created:
            counts.updated += 1
            session.expire(drug_class, ["members"])
    return counts


def upsert_drugs(session: Session, drugs: list[DrugData], conditions: dict[str, Condition]) -> tuple[set[str], Counts]:
    """Every drug record written; returns the slugs that were in the database before, and counts."""
    ingredients = ingredient_ids(session, {name for d in drugs for name in d.ingredients})
    existing = {d.slug: d for d in session.execute(
        select(Drug).options(selectinload(Drug.names), selectinload(Drug.forms))).scalars()}
    counts = Counts()
    for data in drugs:
        created = data.slug not in existing
        _drug, changed = upsert_drug(session, data, existing.get(data.slug), conditions, ingredients)
        if created:
            counts.created += 1
        elif changed:
            counts.updated += 1
    session.flush()
    return set(existing), counts
