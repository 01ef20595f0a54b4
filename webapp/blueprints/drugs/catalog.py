"""Reading the drug reference for pages and the API: A–Z browse, search results with
their details, condition pages, catalogue product groups, monograph Markdown."""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.drugsatfda_import import display_name, marketed
from webapp.blueprints.drugs.models import (
    DRUG_KINDS,
    KIND_LABELS,
    MARKETING_STATUS_LABELS,
    Condition,
    ConditionSynonym,
    Drug,
    DrugClass,
    DrugName,
    Ingredient,
    Product,
    ProductIngredient,
    drug_class_members,
    drug_ingredients,
)
from webapp.core.paging import Page, page_of, paginate

LETTERS = list(string.ascii_uppercase) + ["#"]
PER_PAGE = 20
MAX_PAGE = 10_000

# Our monographs are trusted text, but raw HTML stays off anyway and headings are off so
# the page's own heading order is kept.
_markdown = (MarkdownIt("commonmark", {"html": False, "linkify": False})
             .disable(["image", "heading", "lheading", "html_block", "html_inline"]))


def markdown(text: str | None) -> Markup:
    return Markup(_rendered(text or ""))  # noqa: S704 - html is off in this renderer


# Rendering a monograph's sections was a tenth of a drug page's cost on every request (#20).
# Keyed on the Markdown text itself, so an edited section is a new key and renders afresh:
# nothing to invalidate. Bounded: 194 monographs have about 1,200 sections.
@lru_cache(maxsize=4096)
def _rendered(text: str) -> str:
    return _markdown.render(text)


def parse_kind(value) -> str | None:
    return value if value in DRUG_KINDS else None


def parse_letter(value) -> str | None:
    value = (value or "").strip().upper()
    return value if value in LETTERS else None


def browse(session: Session, *, letter: str | None = None, kind: str | None = None, condition: str | None = None,
           page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Curated drugs A–Z, optionally by first letter ("#" = not a letter), kind, condition slug."""
    statement = select(Drug)
    if kind:
        statement = statement.where(Drug.kind == kind)
    if letter == "#":
        statement = statement.where(~func.upper(func.substr(Drug.name, 1, 1)).in_(list(string.ascii_uppercase)))
    elif letter:
        statement = statement.where(func.upper(func.substr(Drug.name, 1, 1)) == letter)
    if condition:
        statement = statement.where(Drug.conditions.any(Condition.slug == condition))
    return paginate(session, statement.options(selectinload(Drug.names)).order_by(func.lower(Drug.name), Drug.id),
                    page, per_page)


def letters_in_use(session: Session, kind: str | None = None) -> set[str]:
    statement = select(func.upper(func.substr(Drug.name, 1, 1))).distinct()
    if kind:
        statement = statement.where(Drug.kind == kind)
    found = set()
    for (first,) in session.execute(statement):
        found.add(first if first in string.ascii_uppercase else "#")
    return found


def get_drug(session: Session, slug: str) -> Drug | None:
    return session.execute(
        select(Drug).where(Drug.slug == slug[:100])
        .options(selectinload(Drug.names), selectinload(Drug.forms), selectinload(Drug.ingredients),
                 selectinload(Drug.conditions))
    ).scalar_one_or_none()


def classes_of(session: Session, drug: Drug) -> list[DrugClass]:
    """Drug classes any of the drug's ingredients belongs to."""
    return list(session.execute(
        select(DrugClass).join(drug_class_members).join(drug_ingredients, drug_ingredients.c.ingredient_id
                                                       == drug_class_members.c.ingredient_id)
        .where(drug_ingredients.c.drug_id == drug.id).distinct().order_by(DrugClass.name)
    ).scalars())


def product_groups_for(session: Session, drug_id: int, limit: int = 12) -> tuple[list[dict], int]:
    """The catalogue names of a drug's products ([{slug, name, count}], the most products
    first) and how many products it has in all."""
    rows = session.execute(
        # The window sums the groups' counts before LIMIT: the total without a second query.
        select(Product.slug, func.min(Product.brand_name), func.count(), func.sum(func.count()).over())
        .where(Product.drug_id == drug_id).group_by(Product.slug).order_by(func.count().desc(), Product.slug)
        .limit(limit)
    ).all()
    total = int(rows[0][3]) if rows else 0
    return [{"slug": s, "name": display_name(n), "count": c} for s, n, c, _total in rows], total


# --- search results with details -------------------------------------------------------------


@dataclass
class Result:
    type: str  # drug | product | condition
    slug: str
    name: str
    kind: str | None = None  # drug kind, or the product's marketing status
    kind_label: str = ""
    generic_name: str = ""
    brand_names: list[str] = field(default_factory=list)
    summary: str = ""
    matched: str = ""  # shown as "matched Tylenol" when the name differs
    typo: bool = False
    ingredients: list[str] = field(default_factory=list)  # a product's moieties (each has a page)


_p = Product.__table__
_pi = ProductIngredient.__table__
_ing = Ingredient.__table__
_d = Drug.__table__
_dn = DrugName.__table__
# Built once (Core, bound parameters): search result details cost a few index lookups.
_GROUP_STATUSES = (select(_p.c.slug, _p.c.marketing_status, func.min(_p.c.brand_name))
                   .where(_p.c.slug.in_(bindparam("slugs", expanding=True))).group_by(_p.c.slug, _p.c.marketing_status))
_GROUP_INGREDIENTS = (
    select(_p.c.slug, _ing.c.name).join(_pi, _pi.c.product_id == _p.c.id).join(_ing, _ing.c.id == _pi.c.ingredient_id)
    .where(_p.c.id.in_(select(func.min(_p.c.id)).where(_p.c.slug.in_(bindparam("slugs", expanding=True)))
                       .group_by(_p.c.slug).scalar_subquery()))
    .order_by(_p.c.slug, _pi.c.position)
)
_DRUG_CARDS = select(_d.c.slug, _d.c.name, _d.c.kind, _d.c.generic_name, _d.c.summary).where(
    _d.c.slug.in_(bindparam("slugs", expanding=True)))
_DRUG_BRANDS = (select(_d.c.slug, _dn.c.name).join(_dn, _dn.c.drug_id == _d.c.id)
                .where(_d.c.slug.in_(bindparam("slugs", expanding=True)), _dn.c.kind == "brand")
                .order_by(_d.c.slug, _dn.c.position))


def _product_group_details(session: Session, slugs: list[str], ingredients: bool = True) -> dict[str, dict]:
    """Name, marketing statuses and ingredients of each product name (from one row each)."""
    if not slugs:
        return {}
    connection = session.connection()
    details: dict[str, dict] = {}
    for slug, status, brand in connection.execute(_GROUP_STATUSES, {"slugs": slugs}):
        group = details.setdefault(slug, {"name": display_name(brand), "statuses": set(), "ingredients": []})
        group["statuses"].add(status)
    if ingredients:
        for slug, ingredient in connection.execute(_GROUP_INGREDIENTS, {"slugs": slugs}):
            if slug in details and ingredient not in details[slug]["ingredients"]:
                details[slug]["ingredients"].append(ingredient)
    return details


def group_status(statuses: set) -> str:
    for status in ("prescription", "otc", "discontinued", "tentative"):
        if status in statuses:
            return status
    return "discontinued"


def describe(session: Session, hits: list[drug_search.Hit], *, light: bool = False) -> list[Result]:
    """Details for search hits. `light` (autocomplete) skips brand names and ingredients."""
    drug_slugs = [h.target_key for h in hits if h.target_type == "drug"]
    drugs: dict[str, tuple] = {}
    brands: dict[str, list[str]] = {}
    if drug_slugs:
        connection = session.connection()
        drugs = {row.slug: row for row in connection.execute(_DRUG_CARDS, {"slugs": drug_slugs})}
        if not light:
            for slug, brand in connection.execute(_DRUG_BRANDS, {"slugs": drug_slugs}):
                brands.setdefault(slug, []).append(brand)
    products = _product_group_details(session, [h.target_key for h in hits if h.target_type == "product"],
                                      ingredients=not light)
    results = []
    for hit in hits:
        matched = hit.matched if drug_search.normalize(hit.matched) != drug_search.normalize(hit.label) else ""
        if hit.target_type == "drug" and hit.target_key in drugs:
            drug = drugs[hit.target_key]
            results.append(Result("drug", drug.slug, drug.name, drug.kind, KIND_LABELS.get(drug.kind, drug.kind),
                                  drug.generic_name, brands.get(drug.slug, []), drug.summary, matched, hit.typo))
        elif hit.target_type == "product" and hit.target_key in products:
            group = products[hit.target_key]
            status = group_status(group["statuses"])
            results.append(Result("product", hit.target_key, group["name"], status,
                                  "FDA catalogue: " + MARKETING_STATUS_LABELS.get(status, status).lower(),
                                  ", ".join(group["ingredients"]), [group["name"]], "", matched, hit.typo,
                                  list(group["ingredients"])))
        elif hit.target_type == "condition":
            results.append(Result("condition", hit.target_key, hit.label, None, "Condition", matched=matched,
                                  typo=hit.typo))
    return results


@dataclass(frozen=True)
class SearchOutcome:
    """What the search page shows: the query as understood, its correction, the matching
    conditions, and a Page of drugs and products."""

    query: str
    corrected: str | None
    conditions: list[Result]
    results: Page[Result]


def search(session: Session, text: str, *, kind: str | None = None, page: int = 1,
           per_page: int = PER_PAGE) -> SearchOutcome:
    """Search for the results page: matching conditions first, then drugs and catalogue
    products in rank order. A kind filter keeps curated drugs of that kind only."""
    types = ("drug", "condition") if kind else ("drug", "product", "condition")
    outcome = drug_search.search(session, text, target_types=types, want=per_page)
    condition_hits = [h for h in outcome.hits if h.target_type == "condition"][:5]
    others = [h for h in outcome.hits if h.target_type != "condition"]
    if kind:
        allowed = set(session.execute(select(Drug.slug).where(
            Drug.kind == kind, Drug.slug.in_([h.target_key for h in others]))).scalars()) if others else set()
        others = [h for h in others if h.target_key in allowed]
    shown = page_of(others, page, per_page)  # described after paging: describing costs queries
    return SearchOutcome(outcome.query, outcome.corrected, describe(session, condition_hits),
                         replace(shown, items=describe(session, list(shown.items))))


def suggestions(session: Session, text: str, limit: int = 8) -> list[Result]:
    outcome = drug_search.search(session, text, want=limit)
    return describe(session, outcome.hits[:limit], light=True)


# --- conditions ----------------------------------------------------------------------------


def get_condition(session: Session, slug: str) -> Condition | None:
    return session.execute(
        select(Condition).where(Condition.slug == slug[:100])
        .options(selectinload(Condition.synonyms), selectinload(Condition.drugs).selectinload(Drug.names))
    ).scalar_one_or_none()


def all_conditions(session: Session) -> list[tuple[Condition, int]]:
    from webapp.blueprints.drugs.models import drug_conditions

    counts = dict(session.execute(
        select(drug_conditions.c.condition_id, func.count()).group_by(drug_conditions.c.condition_id)).all())
    conditions = session.execute(select(Condition).order_by(func.lower(Condition.name))).scalars().all()
    return [(c, counts.get(c.id, 0)) for c in conditions]


def condition_synonyms(session: Session, condition_id: int) -> list[str]:
    return list(session.execute(select(ConditionSynonym.name).where(ConditionSynonym.condition_id == condition_id)
                                .order_by(ConditionSynonym.name)).scalars())


# --- catalogue products -----------------------------------------------------------------------


def product_by_id(session: Session, product_id: int) -> Product | None:
    return session.execute(
        select(Product).where(Product.id == product_id)
        .options(selectinload(Product.ingredient_links).selectinload(ProductIngredient.ingredient),
                 selectinload(Product.drug))
    ).scalar_one_or_none()


def products_by_slug(session: Session, slug: str, limit: int = 200) -> list[Product]:
    return list(session.execute(
        select(Product).where(Product.slug == slug[:300])
        .options(selectinload(Product.ingredient_links).selectinload(ProductIngredient.ingredient),
                 selectinload(Product.drug))
        .order_by(Product.marketing_status.is_(None), Product.marketing_status, Product.form, Product.appl_no,
                  Product.product_no).limit(limit)
    ).scalars())


def monographs_for_products(session: Session, products: list[Product]) -> list[Drug]:
    """Curated drugs for these products: the linked monograph, or else the monographs of
    their single ingredients (a combination product shows each ingredient's page)."""
    found: dict[int, Drug] = {}
    for product in products:
        if product.drug is not None:
            found[product.drug.id] = product.drug
    if found:
        return list(found.values())
    ingredient_ids = {link.ingredient_id for p in products for link in p.ingredient_links}
    if not ingredient_ids:
        return []
    rows = session.execute(
        select(Drug, func.count()).join(drug_ingredients, drug_ingredients.c.drug_id == Drug.id)
        .group_by(Drug.id).having(func.count() == 1)
        .where(Drug.id.in_(select(drug_ingredients.c.drug_id).where(drug_ingredients.c.ingredient_id.in_(ingredient_ids))))
    ).all()
    single = [drug for drug, _n in rows
              if {i.id for i in drug.ingredients} <= ingredient_ids]
    return sorted(single, key=lambda d: d.name)


def marketed_label(products: list[Product]) -> str:
    return "Marketed" if marketed({p.marketing_status for p in products}) else "Not marketed"


def names_for_api(drug: Drug) -> list[str]:
    return [n.name for n in drug.names if n.kind == "brand"]


KIND_CHOICES = [("", "All kinds")] + [(k, KIND_LABELS[k]) for k in DRUG_KINDS]
