"""What the drug reference offers the rest of the site (declared in hooks.py): its pages for
the sitemap, drug cards for "Today on HealthDesk", the facts about drugs and
ingredients that personalisation matches a member's saved medicines on, and (further
down) typed names turned into medicines, the names allergy checks know, and the ingredient
lists pill imports link by. Other areas read the drug tables only through these functions,
which hand out plain values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

# The kinds and marketing statuses other areas name (the API's document lists them as enums).
from webapp.blueprints.drugs.models import DRUG_KINDS as DRUG_KINDS
from webapp.blueprints.drugs.models import MARKETING_STATUSES as MARKETING_STATUSES
from webapp.blueprints.drugs.models import (
    Condition,
    Drug,
    DrugName,
    Ingredient,
    Product,
    ProductIngredient,
    drug_ingredients,
)
from webapp.blueprints.drugs.moieties import moieties_of
from webapp.core.area import Card, Link, SitemapEntry, day
from webapp.core.slugs import slugify


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


# --- the catalogue's ingredient names (interaction knowledge, pill imports) -----------------


def ingredient_names(session: Session) -> frozenset[str]:
    """Every ingredient (active moiety) the reference and the catalogue know."""
    return frozenset(session.execute(select(Ingredient.name)).scalars())


def monograph_ingredient_names(session: Session) -> frozenset[str]:
    """The ingredients of the drugs with a written monograph."""
    return frozenset(session.execute(
        select(Ingredient.name).join(drug_ingredients, drug_ingredients.c.ingredient_id == Ingredient.id)
        .join(Drug, Drug.id == drug_ingredients.c.drug_id).distinct()).scalars())


def product_count(session: Session) -> int:
    """How many Drugs@FDA products are loaded (0: the catalogue is not)."""
    return session.execute(select(func.count(Product.id))).scalar_one()


def drug_ids_by_slug(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Drug.slug, Drug.id)).all())


def drug_ids_by_ingredients(session: Session) -> dict[frozenset[str], int]:
    """Each drug's exact set of ingredients, to its id (the lowest id where two drugs share one)."""
    by_drug: dict[int, set[str]] = {}
    rows = session.execute(select(drug_ingredients.c.drug_id, Ingredient.name)
                           .join(Ingredient, Ingredient.id == drug_ingredients.c.ingredient_id))
    for drug_id, name in rows:
        by_drug.setdefault(drug_id, set()).add(name)
    found: dict[frozenset[str], int] = {}
    for drug_id, names in sorted(by_drug.items()):
        found.setdefault(frozenset(names), drug_id)
    return found


# --- every drug's names (allergy checks) ----------------------------------------------------


@dataclass(frozen=True)
class DrugNaming:
    name: str
    ingredients: tuple[str, ...]
    generic_name: str
    brand_names: tuple[str, ...]
    synonyms: tuple[str, ...]


def drug_namings(session: Session) -> list[DrugNaming]:
    stmt = select(Drug).options(selectinload(Drug.names), selectinload(Drug.ingredients))
    return [DrugNaming(d.name, tuple(i.name for i in d.ingredients), d.generic_name or "", tuple(d.brand_names),
                       tuple(d.synonyms)) for d in session.execute(stmt).scalars()]


def namings_version(session: Session) -> tuple:
    """Changes whenever a drug, one of its names or ingredients is added, removed or updated."""
    names = select(func.count()).select_from(DrugName).scalar_subquery()
    links = select(func.count()).select_from(drug_ingredients).scalar_subquery()
    return tuple(session.execute(select(func.count(Drug.id), func.max(Drug.updated_at), names, links)).one())


# --- typed names to medicines (My Medicine's lists and the interaction checker) -------------

MAX_NAME_CHARS = 100
_SPACES = re.compile(r"\s+")
_MARKS = str.maketrans("", "", "®™©")


def normalize_name(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(_MARKS).replace("\x00", "")
    return _SPACES.sub(" ", text).strip().lower()[:MAX_NAME_CHARS]


def name_slug(text: str | None, *, max_length: int | None = None, default: str = "") -> str:
    """A typed name as a slug, normalised the way names are matched (Advil® -> advil)."""
    return slugify(text, normalize=normalize_name, max_length=max_length, default=default)


@dataclass(frozen=True)
class ReferenceMedicine:
    """A drug, catalogue product or bare ingredient of the reference, as another area keeps it."""

    kind: str  # drug | product | ingredient
    id: int | None
    slug: str  # drug or product slug, or the ingredient name's slug
    name: str
    ingredients: tuple[str, ...] = ()
    brand_names: tuple[str, ...] = ()
    labeler: str = ""
    strength: str = ""
    matched_brand: str = ""  # the brand name that was typed, in its usual spelling ("Advil")


def _of_drug(drug: Drug) -> ReferenceMedicine:
    return ReferenceMedicine("drug", drug.id, drug.slug, drug.name, tuple(i.name for i in drug.ingredients),
                             tuple(drug.brand_names))


def _of_product(product: Product) -> ReferenceMedicine:
    ingredients = tuple(i.name for i in product.ingredients)
    if not ingredients and product.drug is not None:
        ingredients = tuple(i.name for i in product.drug.ingredients)
    return ReferenceMedicine("product", product.id, product.slug, product.brand_name, ingredients, (product.brand_name,),
                             labeler=product.sponsor or "", strength=(product.strength or "")[:120])


def reference_medicine(session: Session, kind: str, item_id: int) -> ReferenceMedicine | None:
    """The drug, product or ingredient (a catalogue medicine's generated page) with this id."""
    if kind == "drug":
        drug = session.get(Drug, item_id)
        return _of_drug(drug) if drug else None
    if kind == "product":
        product = session.get(Product, item_id)
        return _of_product(product) if product else None
    if kind == "ingredient":
        ingredient = session.get(Ingredient, item_id)
        return ReferenceMedicine("ingredient", ingredient.id, name_slug(ingredient.name), ingredient.name.capitalize(),
                                 (ingredient.name,)) if ingredient else None
    return None


def labelled_ingredients(session: Session, drug_id: int | None, label: str) -> tuple[str, ...]:
    """A labelled medicine's ingredients (a pill's): its drug's, else the moieties of the label's
    text ("ATORVASTATIN CALCIUM 10 mg; ...") that our reference knows."""
    if drug_id is not None:
        drug = session.get(Drug, drug_id)
        if drug is not None:
            return tuple(i.name for i in drug.ingredients)
    wanted = moieties_of(label)
    if not wanted:
        return ()
    known = set(session.execute(select(Ingredient.name).where(Ingredient.name.in_(wanted))).scalars())
    return tuple(m for m in wanted if m in known)


def find_medicines(session: Session, names: Sequence[str]) -> list[ReferenceMedicine | None]:
    """Match typed names (generic, brand or slug, any case) to the reference, in the order given.

    Drugs first (name, generic name, slug, brand and other names), then catalogue
    products by name, then bare ingredient names. A name none of those know is read by the
    medicine resolver (moieties.py: other spellings, salts, XR/ER, "losartan/HCTZ")
    and its moieties are looked up the same way; a combination is recognised when every
    part is. A few indexed queries for the whole list.
    """
    found = _find_exact(session, names)
    leftover = [name for name, medicine in zip(names, found, strict=True) if medicine is None]
    if not leftover:
        return found
    parts = {name: moieties_of(name) for name in leftover}
    wanted = sorted({m for found_parts in parts.values() for m in found_parts if m not in leftover})
    by_part = dict(zip(wanted, _find_exact(session, wanted), strict=True)) if wanted else {}
    combos = _drugs_with_ingredients(session, {frozenset(p) for p in parts.values() if len(p) > 1})
    resolved: dict[str, ReferenceMedicine] = {}
    for name, moieties in parts.items():
        if len(moieties) > 1 and frozenset(moieties) in combos:
            resolved[name] = _of_drug(combos[frozenset(moieties)])
        elif moieties and all(by_part.get(m) is not None for m in moieties):
            sources = [by_part[m] for m in moieties]
            if len(sources) == 1:
                resolved[name] = sources[0]
            else:
                ingredients = tuple(dict.fromkeys(i for s in sources for i in s.ingredients))
                resolved[name] = ReferenceMedicine("ingredient", None, name_slug(" ".join(ingredients)),
                                                   " + ".join(s.name for s in sources), ingredients)
    return [resolved.get(name) if medicine is None else medicine for name, medicine in zip(names, found, strict=True)]


def _drugs_with_ingredients(session: Session, sets: set[frozenset[str]]) -> dict[frozenset[str], Drug]:
    """The drug (monograph) made of exactly each set of ingredients, where there is one."""
    if not sets:
        return {}
    names = sorted({n for s in sets for n in s})
    stmt = (select(drug_ingredients.c.drug_id, Ingredient.name)
            .join(Ingredient, Ingredient.id == drug_ingredients.c.ingredient_id)
            .where(drug_ingredients.c.drug_id.in_(
                select(drug_ingredients.c.drug_id).join(Ingredient, Ingredient.id == drug_ingredients.c.ingredient_id)
                .where(Ingredient.name.in_(names)))))
    held: dict[int, set[str]] = {}
    for drug_id, name in session.execute(stmt):
        held.setdefault(drug_id, set()).add(name)
    found: dict[frozenset[str], Drug] = {}
    for drug_id, ingredients in sorted(held.items()):
        key = frozenset(ingredients)
        if key in sets and key not in found:
            drug = session.get(Drug, drug_id)
            if drug is not None:
                found[key] = drug
    return found


def _find_exact(session: Session, names: Sequence[str]) -> list[ReferenceMedicine | None]:
    """find_medicines without the resolver: the names as typed (any case, trademark marks)."""
    wanted = {name: normalize_name(name) for name in names}
    norms = {n for n in wanted.values() if n}
    slugs = {name_slug(n) for n in norms} - {""}
    by_key: dict[str, Drug] = {}
    brand_spelling: dict[str, str] = {}
    if norms:
        drug_options = selectinload(Drug.names), selectinload(Drug.ingredients)
        stmt = select(Drug).options(*drug_options).where(
            Drug.slug.in_(slugs) | func.lower(Drug.name).in_(norms) | func.lower(Drug.generic_name).in_(norms))
        for drug in session.execute(stmt).scalars():
            for key in (drug.slug, normalize_name(drug.name), normalize_name(drug.generic_name)):
                by_key.setdefault(key, drug)
        stmt = (select(DrugName.name, Drug).join(Drug, Drug.id == DrugName.drug_id).options(*drug_options)
                .where(func.lower(DrugName.name).in_(norms)))
        for alias, drug in session.execute(stmt).all():
            if normalize_name(alias) not in by_key:
                by_key[normalize_name(alias)] = drug
                if alias in drug.brand_names:
                    brand_spelling[normalize_name(alias)] = alias
    products: dict[str, Product] = {}
    missing = {name_slug(n) for n in norms if n not in by_key and name_slug(n) not in by_key} - {""}
    if missing:
        stmt = (select(Product).options(selectinload(Product.ingredient_links).selectinload(ProductIngredient.ingredient))
                .where(Product.slug.in_(missing))
                .order_by(Product.marketing_status.is_(None), Product.reference_drug.desc(), Product.id))
        for product in session.execute(stmt).scalars():
            products.setdefault(product.slug, product)
    ingredients: set[str] = set()
    leftover = {n for n in norms if n not in by_key and name_slug(n) not in by_key and name_slug(n) not in products}
    if leftover:
        ingredients = set(session.execute(select(Ingredient.name).where(Ingredient.name.in_(leftover))).scalars())

    results: list[ReferenceMedicine | None] = []
    for name in names:
        norm = wanted[name]
        drug = by_key.get(norm) or by_key.get(name_slug(norm))
        if drug is not None:
            found = _of_drug(drug)
            results.append(replace(found, matched_brand=brand_spelling[norm]) if norm in brand_spelling else found)
        elif name_slug(norm) in products:
            results.append(_of_product(products[name_slug(norm)]))
        elif norm in ingredients:
            results.append(ReferenceMedicine("ingredient", None, name_slug(norm), norm, (norm,)))
        else:
            results.append(None)
    return results
