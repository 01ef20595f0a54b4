"""Generated pages for catalogue medicines without a written monograph (/drugs/substances/<slug>).

Every active moiety of the Drugs@FDA catalogue (the `ingredients` rows its products link
to) gets a page put together from data alone: the names it is sold under, its forms and
strengths, prescription or over-the-counter status, the companies that hold the
applications, the uses FDA labels state (labeled_uses.py) and its interaction rules. A
moiety that has its own monograph is sent there instead (monograph_for).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.drugsatfda_import import display_name
from webapp.blueprints.drugs.models import Drug, Ingredient, Product, ProductIngredient, drug_ingredients
from webapp.core.datafiles import SLUG
from webapp.core.slugs import slugify

MAX_SLUG = 200
MAX_STRENGTHS = 40
MAX_SPONSORS = 12
MAX_COMBINATIONS = 60
SEVERITY_ORDER = {"major": 0, "moderate": 1, "minor": 2}
# The catalogue writes regulatory notes into the strength ("20MG **Federal Register determination ...**").
_NOTE = re.compile(r"\*\*.*?(\*\*|$)")


@lru_cache(maxsize=8192)  # a search result page makes one per ingredient shown; names are few
def substance_slug(name: str) -> str:
    return slugify(name, normalize=drug_search.normalize, max_length=MAX_SLUG, default="substance")


def find_ingredient(session: Session, slug: str) -> Ingredient | None:
    """The ingredient whose slug this is; None for anything that is not a well-formed slug."""
    if not isinstance(slug, str) or len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        return None
    found = session.execute(select(Ingredient).where(Ingredient.name == slug.replace("-", " "))).scalar_one_or_none()
    if found is not None:
        return found
    # Names with punctuation ("omega-3 fatty acids"): few, found by their first word.
    first = slug.split("-", 1)[0]
    candidates = session.execute(select(Ingredient).where(Ingredient.name.like(first + "%")).limit(200)).scalars()
    return next((c for c in candidates if substance_slug(c.name) == slug), None)


def monograph_for(session: Session, ingredient_id: int) -> Drug | None:
    """The written monograph of this moiety alone (the most popular one, if several)."""
    single = (select(drug_ingredients.c.drug_id).group_by(drug_ingredients.c.drug_id)
              .having(func.count() == 1).scalar_subquery())
    return session.execute(
        select(Drug).join(drug_ingredients, drug_ingredients.c.drug_id == Drug.id)
        .where(drug_ingredients.c.ingredient_id == ingredient_id, Drug.id.in_(single))
        .order_by(Drug.popularity.desc(), Drug.slug).limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class FormStrengths:
    form: str
    route: str
    strengths: tuple[str, ...]
    more: int  # strengths not listed


@dataclass(frozen=True)
class ProductName:
    slug: str
    name: str
    marketed: bool
    with_others: tuple[str, ...] = ()  # the other active ingredients of a combination


@dataclass
class SubstancePage:
    ingredient_id: int
    name: str  # the moiety, lowercase, as stored
    title: str
    slug: str
    printed_names: list[str] = field(default_factory=list)  # as the catalogue prints it (salts)
    brands: list[ProductName] = field(default_factory=list)
    generic_names: list[ProductName] = field(default_factory=list)
    combinations: list[ProductName] = field(default_factory=list)
    more_combinations: int = 0
    forms: list[FormStrengths] = field(default_factory=list)
    status: str = ""  # prescription | otc | both | not-marketed
    status_counts: dict[str, int] = field(default_factory=dict)
    alone: bool = True  # status and forms describe products of this moiety alone (else its combinations)
    sponsors: list[tuple[str, int]] = field(default_factory=list)
    more_sponsors: int = 0
    product_count: int = 0
    combination_monographs: list[Drug] = field(default_factory=list)


_MARKETED = ("prescription", "otc")


def _status(statuses: Counter) -> str:
    rx, otc = statuses.get("prescription", 0), statuses.get("otc", 0)
    if rx and otc:
        return "both"
    if rx:
        return "prescription"
    return "otc" if otc else "not-marketed"


def _strength_key(text: str) -> tuple:
    number = ""
    for ch in text:
        if ch.isdigit() or (ch == "." and number):
            number += ch
        elif number:
            break
    try:
        value = float(number) if number else float("inf")
    except ValueError:
        value = float("inf")
    return (value, text)


def substance_page(session: Session, ingredient: Ingredient) -> SubstancePage | None:
    """What the catalogue says about one moiety; None when no product contains it."""
    rows = session.execute(
        select(Product.id, Product.slug, Product.brand_name, Product.form, Product.route, Product.sponsor,
               Product.marketing_status, ProductIngredient.raw_name, ProductIngredient.strength)
        .join(ProductIngredient, ProductIngredient.product_id == Product.id)
        .where(ProductIngredient.ingredient_id == ingredient.id)
    ).all()
    if not rows:
        return None
    ids = [row.id for row in rows]
    partners: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        for product_id, name in session.execute(
            select(ProductIngredient.product_id, Ingredient.name).join(Ingredient)
            .where(ProductIngredient.product_id.in_(ids[start:start + 5000]), Ingredient.id != ingredient.id)
            .order_by(ProductIngredient.product_id, ProductIngredient.position)
        ):
            partners[product_id].append(name)
    page = SubstancePage(ingredient.id, ingredient.name, display_name(ingredient.name), substance_slug(ingredient.name),
                         product_count=len(rows))
    single = [row for row in rows if not partners.get(row.id)]
    basis = single or rows  # a moiety only sold in combinations is described by those
    page.alone = bool(single)
    statuses = Counter(row.marketing_status or "unknown" for row in basis)
    page.status, page.status_counts = _status(statuses), dict(statuses)

    printed: Counter = Counter()
    for row in rows:
        for name in (row.raw_name or "").split("; "):
            if name:
                printed[name] += 1
    page.printed_names = sorted(printed, key=lambda n: (-printed[n], n))

    groups: dict[str, dict] = {}
    for row in rows:
        group = groups.setdefault(row.slug, {"name": row.brand_name, "marketed": False, "partners": set()})
        group["marketed"] |= row.marketing_status in _MARKETED
        group["partners"].update(partners.get(row.id, ()))
    own_words = {drug_search.normalize(n) for n in printed} | {drug_search.normalize(ingredient.name)}
    for slug, group in sorted(groups.items(), key=lambda item: (not item[1]["marketed"], item[1]["name"])):
        if group["partners"]:
            page.combinations.append(ProductName(slug, display_name(group["name"]), group["marketed"],
                                                 tuple(sorted(group["partners"]))))
        elif drug_search.normalize(group["name"]) in own_words:
            page.generic_names.append(ProductName(slug, display_name(group["name"]), group["marketed"]))
        else:
            page.brands.append(ProductName(slug, display_name(group["name"]), group["marketed"]))
    page.more_combinations = max(0, len(page.combinations) - MAX_COMBINATIONS)
    page.combinations = page.combinations[:MAX_COMBINATIONS]

    forms: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: Counter = Counter()
    for row in basis:
        key = (row.form or "form not listed", row.route or "")
        counts[key] += 1
        strength = _NOTE.sub("", row.strength or "").strip()
        if strength:
            forms[key].add(strength)
    for key in sorted(counts, key=lambda k: (-counts[k], k)):
        strengths = sorted(forms.get(key, ()), key=_strength_key)
        page.forms.append(FormStrengths(key[0], key[1], tuple(strengths[:MAX_STRENGTHS]),
                                        max(0, len(strengths) - MAX_STRENGTHS)))

    sponsors = Counter(row.sponsor for row in basis if row.sponsor and row.marketing_status in _MARKETED)
    if not sponsors:
        sponsors = Counter(row.sponsor for row in basis if row.sponsor)
    ranked = sorted(sponsors, key=lambda s: (-sponsors[s], s))
    page.sponsors = [(s, sponsors[s]) for s in ranked[:MAX_SPONSORS]]  # as printed: "LABS III" is a name
    page.more_sponsors = max(0, len(ranked) - MAX_SPONSORS)
    page.combination_monographs = list(session.execute(
        select(Drug).join(drug_ingredients, drug_ingredients.c.drug_id == Drug.id)
        .where(drug_ingredients.c.ingredient_id == ingredient.id).order_by(Drug.name)
    ).scalars())
    return page


# --- interactions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InteractionItem:
    other: str  # the other medicine, class of medicines, or food
    other_kind: str  # ingredient | class | food
    other_slug: str | None  # the other ingredient's substance slug
    severity: str
    summary: str
    advice: str
    source_title: str
    source_url: str
    via: str = ""  # the class of ours a class rule reaches this medicine through


def interactions_for(kb, name: str) -> list[InteractionItem]:
    """Every rule of the knowledge base that concerns `name`, one per other party: the rule
    the interaction checker would show for that pair (most specific, then most severe)."""
    mine = kb.terms(name)
    chosen: dict[tuple[str, str], object] = {}
    for rule in kb.rules:
        for own, other in ((rule.a, rule.b), (rule.b, rule.a)):
            if own in mine and other != ("ingredient", name):
                current = chosen.get(other)
                if current is None or _ranks_above(rule, current):
                    chosen[other] = rule
                break
    items = []
    for other, rule in chosen.items():
        kind, key = other
        if kind == "ingredient":
            rule = kb.pair_rule(name, key) or rule
        own = rule.a if rule.a in mine else rule.b
        via = kb.term_name(own) if own[0] == "class" else ""
        items.append(InteractionItem(kb.term_name(other), kind, substance_slug(key) if kind == "ingredient" else None,
                                     rule.severity, rule.summary, rule.advice, rule.source.title, rule.source.url, via))
    return sorted(items, key=lambda i: (SEVERITY_ORDER.get(i.severity, 9), i.other_kind != "ingredient", i.other.lower()))


def _ranks_above(rule, than) -> bool:
    rank = {"major": 3, "moderate": 2, "minor": 1}
    return (rule.specificity, rank.get(rule.severity, 0)) > (than.specificity, rank.get(than.severity, 0))
