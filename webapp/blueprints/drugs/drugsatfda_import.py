"""Import the Drugs@FDA product catalogue (tab-separated text files) into `products`.

Idempotent: rows are keyed by (application number, product number); unchanged rows
are not written, changed ones are updated, new ones inserted. Rows that cannot be
used are skipped and counted by reason. Afterwards each product is linked to the
curated monograph with the same active ingredients (and a compatible route), and the
product names are added to the drug search keys.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.models import Drug, DrugForm, Ingredient, Product, ProductIngredient, drug_ingredients

# moiety and SALT_WORDS live in moieties.py (the one resolver); imported here for this module's callers.
from webapp.blueprints.drugs.moieties import SALT_WORDS, moieties_of, moiety  # noqa: F401
from webapp.core.db_types import utcnow
from webapp.core.slugs import slugify

REQUIRED_FILES = ("Products.txt", "Applications.txt", "MarketingStatus.txt", "MarketingStatus_Lookup.txt")
STATUS_BY_DESCRIPTION = {
    "prescription": "prescription",
    "over-the-counter": "otc",
    "discontinued": "discontinued",
    "none (tentative approval)": "tentative",
}
ORAL_ROUTES = {"oral", "sublingual", "buccal"}
INJECTED_ROUTES = {"injection", "injectable", "intravenous", "intramuscular", "subcutaneous", "iv", "im", "infusion",
                   "intrathecal", "intravitreal", "intradermal", "intra", "epidural"}
ROUTE_NOISE = {"or", "and", "deep", "21", "28", "91", "n", "a", "single", "use", "vial"}

_DIGITS = re.compile(r"^\d+$")
SMALL_WORDS = {"and", "or", "in", "of", "with", "for", "the", "a", "to"}


class ImportFilesError(ValueError):
    """The folder does not hold the Drugs@FDA files."""


@dataclass
class ImportReport:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    skipped_examples: dict[str, list[str]] = field(default_factory=dict)
    not_in_files: int = 0
    linked_to_monograph: int = 0
    ingredients_created: int = 0
    without_application: int = 0  # imported, but the sponsor and application type are unknown

    def skip(self, reason: str, line_number: int) -> None:
        self.skipped[reason] += 1
        examples = self.skipped_examples.setdefault(reason, [])
        if len(examples) < 5:
            examples.append(f"line {line_number}")


# --- pure helpers ----------------------------------------------------------------------


def product_slug(brand_name: str) -> str:
    """A product group's slug: the brand name as the drug search folds it ("Tylenol®" and
    "TYLENOL" are one group)."""
    return slugify(brand_name, normalize=drug_search.normalize, max_length=300, default="product")


def display_name(catalogue_name: str) -> str:
    """Catalogue names are upper case: "HYDROCODONE BITARTRATE AND ACETAMINOPHEN" ->
    "Hydrocodone Bitartrate and Acetaminophen"."""
    words = catalogue_name.strip().split()
    out = []
    for index, word in enumerate(words):
        lower = word.lower()
        if index and lower in SMALL_WORDS:
            out.append(lower)
        elif any(ch.isdigit() for ch in word) or len(word) <= 2 and word.isupper() and index:
            out.append(word)
        else:
            out.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(out)


def split_form(value: str) -> tuple[str, str]:
    """"TABLET, FILM COATED;ORAL" -> ("tablet, film coated", "oral")."""
    parts = [p.strip() for p in value.split(";")]
    form = parts[0].lower() if parts else ""
    route = ", ".join(p.lower() for p in parts[1:] if p)
    return form, route


def split_ingredients(active: str, strength: str) -> list[tuple[str, str]]:
    """Pairs of (ingredient as printed, its strength). Strengths line up with the
    ingredients when both lists have the same length; otherwise each gets ""."""
    names = [n.strip() for n in active.split(";") if n.strip()]
    strengths = [s.strip() for s in strength.split(";")]
    if len(strengths) != len(names):
        strengths = [""] * len(names)
    return list(zip(names, strengths, strict=True))


def route_families(route: str) -> set[str]:
    families = set()
    for word in drug_search.normalize(route).split():
        if word in ORAL_ROUTES:
            families.add("oral")
        elif word in INJECTED_ROUTES:
            families.add("injection")
        elif word not in ROUTE_NOISE:
            families.add(word)
    return families


def marketed(statuses: set[str | None]) -> bool:
    return bool(statuses & {"prescription", "otc"})


# --- reading the files ----------------------------------------------------------------


def _rows(path: Path):
    with path.open(encoding="latin-1", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        for row in reader:
            yield reader.line_num, row


def _clean(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def check_directory(directory: Path) -> None:
    if not directory.is_dir():
        raise ImportFilesError(f"{directory} is not a folder")
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise ImportFilesError(f"{directory} is missing {', '.join(missing)} (the Drugs@FDA text files)")


def read_catalogue(directory: Path, report: ImportReport, progress: Callable[[str], None]) -> dict[tuple[str, str], dict]:
    check_directory(directory)
    applications = {}
    for _line, row in _rows(directory / "Applications.txt"):
        appl_no = _clean(row.get("ApplNo"))
        if appl_no:
            applications[appl_no] = (_clean(row.get("ApplType"))[:10], _clean(row.get("SponsorName"))[:300])
    lookup = {}
    for _line, row in _rows(directory / "MarketingStatus_Lookup.txt"):
        description = _clean(row.get("MarketingStatusDescription")).lower()
        lookup[_clean(row.get("MarketingStatusID"))] = STATUS_BY_DESCRIPTION.get(description)
    statuses = {}
    for _line, row in _rows(directory / "MarketingStatus.txt"):
        statuses[(_clean(row.get("ApplNo")), _clean(row.get("ProductNo")))] = lookup.get(_clean(row.get("MarketingStatusID")))
    te_codes = {}
    if (directory / "TE.txt").is_file():
        for _line, row in _rows(directory / "TE.txt"):
            key = (_clean(row.get("ApplNo")), _clean(row.get("ProductNo")))
            te_codes.setdefault(key, _clean(row.get("TECode"))[:20] or None)
    progress(f"  read {len(applications)} applications and {len(statuses)} marketing statuses")

    products: dict[tuple[str, str], dict] = {}
    for line, row in _rows(directory / "Products.txt"):
        report.rows_read += 1
        appl_no, product_no = _clean(row.get("ApplNo")), _clean(row.get("ProductNo"))
        name = _clean(row.get("DrugName"))
        if not _DIGITS.match(appl_no) or not _DIGITS.match(product_no):
            report.skip("missing or malformed application or product number", line)
            continue
        if not name:
            report.skip("no drug name", line)
            continue
        if (appl_no, product_no) in products:
            report.skip("the same application and product number appears twice", line)
            continue
        if appl_no not in applications:
            report.without_application += 1
        form, route = split_form(_clean(row.get("Form")))
        appl_type, sponsor = applications.get(appl_no, ("", ""))
        active = _clean(row.get("ActiveIngredient"))
        strength = _clean(row.get("Strength"))
        products[(appl_no, product_no)] = {
            "appl_no": appl_no, "product_no": product_no, "appl_type": appl_type,
            "brand_name": name[:300], "slug": product_slug(name), "active_ingredients": active, "form": form[:200],
            "route": route[:200], "strength": strength, "sponsor": sponsor,
            "marketing_status": statuses.get((appl_no, product_no)),
            "te_code": te_codes.get((appl_no, product_no)),
            "reference_drug": _clean(row.get("ReferenceDrug")) == "1",
        }
        if report.rows_read % 10000 == 0:
            progress(f"  read {report.rows_read} product rows")
    progress(f"  read {report.rows_read} product rows, {len(products)} usable")
    return products


# --- writing ---------------------------------------------------------------------------

_COMPARED = ("appl_type", "brand_name", "slug", "active_ingredients", "form", "route", "strength", "sponsor",
             "marketing_status", "te_code", "reference_drug")


def _bulk_ingredient_ids(session: Session, names: set[str], report: ImportReport) -> dict[str, int]:
    known = dict(session.execute(select(Ingredient.name, Ingredient.id)).all())
    missing = sorted(n for n in names if n and n not in known)
    if missing:
        drug_search.bulk_insert(session, Ingredient.__table__, [{"name": n[:200]} for n in missing])
        report.ingredients_created += len(missing)
        known = dict(session.execute(select(Ingredient.name, Ingredient.id)).all())
    return known


def _sync_product_ingredients(session: Session, products: dict[tuple[str, str], dict], ids: dict[tuple[str, str], int],
                              report: ImportReport) -> None:
    wanted_raw: dict[int, dict[str, dict]] = {}
    for key, values in products.items():
        links: dict[str, dict] = {}
        for position, (raw, strength) in enumerate(split_ingredients(values["active_ingredients"], values["strength"])):
            # One printed part may name two moieties ("CONJUGATED ESTROGENS/MEDROXYPROGESTERONE ACETATE").
            for name in moieties_of(raw):
                if name in links:  # two salts of one moiety (amphetamine aspartate; amphetamine sulfate)
                    links[name]["raw_name"] = (links[name]["raw_name"] + "; " + raw.lower())[:300]
                    links[name]["strength"] = "; ".join(s for s in (links[name]["strength"], strength) if s)[:300]
                else:
                    links[name] = {"raw_name": raw.lower()[:300], "strength": strength[:300], "position": position}
        wanted_raw[ids[key]] = links
    ingredient_id = _bulk_ingredient_ids(session, {n for links in wanted_raw.values() for n in links}, report)
    wanted = {(pid, ingredient_id[name]): extra for pid, links in wanted_raw.items() for name, extra in links.items()}
    existing = {
        (row.product_id, row.ingredient_id): {"raw_name": row.raw_name, "strength": row.strength, "position": row.position}
        for row in session.execute(select(ProductIngredient.product_id, ProductIngredient.ingredient_id,
                                          ProductIngredient.raw_name, ProductIngredient.strength,
                                          ProductIngredient.position))
    }
    table = ProductIngredient.__table__
    stale = [key for key, extra in existing.items() if key[0] in wanted_raw and wanted.get(key) != extra]
    for product_id, ing_id in stale:
        session.execute(table.delete().where(table.c.product_id == product_id, table.c.ingredient_id == ing_id))
    stale_set = set(stale)
    new = [{"product_id": p, "ingredient_id": i, **extra} for (p, i), extra in wanted.items()
           if (p, i) not in existing or (p, i) in stale_set]
    drug_search.bulk_insert(session, table, new)


def upsert_products(session: Session, products: dict[tuple[str, str], dict], report: ImportReport,
                    progress: Callable[[str], None]) -> dict[tuple[str, str], int]:
    columns = [getattr(Product, name) for name in _COMPARED]
    existing = {
        (row.appl_no, row.product_no): row
        for row in session.execute(select(Product.id, Product.appl_no, Product.product_no, *columns))
    }
    new_rows, changed_rows = [], []
    now = utcnow()
    for key, values in products.items():
        current = existing.get(key)
        if current is None:
            new_rows.append(values)
        elif any(getattr(current, name) != values[name] for name in _COMPARED):
            changed_rows.append({"id": current.id, **{name: values[name] for name in _COMPARED}})
        else:
            report.unchanged += 1
    for start in range(0, len(new_rows), 10000):
        drug_search.bulk_insert(session, Product.__table__,
                                [{**row, "imported_at": now} for row in new_rows[start:start + 10000]])
        progress(f"  inserted {min(start + 10000, len(new_rows))}/{len(new_rows)} new products")
    if changed_rows:
        session.execute(update(Product), changed_rows)
    report.inserted, report.updated = len(new_rows), len(changed_rows)
    report.not_in_files = len(set(existing) - set(products))
    ids = {(a, p): i for i, a, p in session.execute(select(Product.id, Product.appl_no, Product.product_no))}
    _sync_product_ingredients(session, products, ids, report)
    return ids


def link_products_to_drugs(session: Session) -> int:
    """Point each product at the monograph with exactly its active ingredients and a
    compatible route (tablets are not linked to a cream's monograph). Returns how
    many links changed."""
    drug_sets: dict[frozenset[int], list[tuple[int, int, str, set[str]]]] = defaultdict(list)
    ingredient_sets: dict[int, set[int]] = defaultdict(set)
    for drug_id, ingredient_id in session.execute(select(drug_ingredients.c.drug_id, drug_ingredients.c.ingredient_id)):
        ingredient_sets[drug_id].add(ingredient_id)
    routes: dict[int, set[str]] = defaultdict(set)
    for drug_id, route in session.execute(select(DrugForm.drug_id, DrugForm.route)):
        routes[drug_id] |= route_families(route)
    for drug_id, popularity, slug in session.execute(select(Drug.id, Drug.popularity, Drug.slug)):
        if ingredient_sets.get(drug_id):
            drug_sets[frozenset(ingredient_sets[drug_id])].append((-popularity, drug_id, slug, routes.get(drug_id, set())))
    if not drug_sets:
        product_ingredients: dict[int, set[int]] = {}
    else:
        product_ingredients = defaultdict(set)
        for product_id, ingredient_id in session.execute(select(ProductIngredient.product_id,
                                                                ProductIngredient.ingredient_id)):
            product_ingredients[product_id].add(ingredient_id)
    changes = []
    for product_id, route, current in session.execute(select(Product.id, Product.route, Product.drug_id)):
        wanted = None
        candidates = drug_sets.get(frozenset(product_ingredients.get(product_id, ())), [])
        if candidates:
            families = route_families(route)
            for _pop, drug_id, _slug, drug_routes in sorted(candidates, key=lambda c: (c[0], c[2])):
                if not drug_routes or not families or drug_routes & families:
                    wanted = drug_id
                    break
        if wanted != current:
            changes.append((product_id, wanted))
    by_drug: dict[int | None, list[int]] = defaultdict(list)
    for product_id, drug_id in changes:
        by_drug[drug_id].append(product_id)
    for drug_id, product_ids in by_drug.items():
        for start in range(0, len(product_ids), 5000):
            session.execute(update(Product.__table__).where(Product.__table__.c.id.in_(product_ids[start:start + 5000]))
                            .values(drug_id=drug_id))
    return len(changes)


def product_search_terms(session: Session) -> list[drug_search.TermRow]:
    """One search target per product name (its slug), with its ingredient names."""
    groups: dict[str, dict] = {}
    for slug, name, active, status in session.execute(
        select(Product.slug, Product.brand_name, Product.active_ingredients, Product.marketing_status)
    ):
        group = groups.setdefault(slug, {"name": name, "ingredients": set(), "rows": 0, "statuses": set()})
        group["rows"] += 1
        group["statuses"].add(status)
        for raw, _strength in split_ingredients(active, ""):
            group["ingredients"].add(raw)
    rows = []
    for slug, group in groups.items():
        names = [("brand", group["name"])]
        for raw in sorted(group["ingredients"]):
            names.append(("ingredient", raw))
            names.append(("ingredient", moiety(raw)))
        weight = drug_search.product_weight(group["rows"], marketed(group["statuses"]))
        rows += drug_search.terms_for("product", slug, display_name(group["name"]), weight, names, SALT_WORDS)
    return rows


def import_directory(session: Session, directory: Path, progress: Callable[[str], None] = lambda _m: None) -> ImportReport:
    """Load the catalogue from `directory`; the caller commits."""
    report = ImportReport()
    products = read_catalogue(Path(directory), report, progress)
    load_products(session, products, report, progress)
    return report


def load_products(session: Session, products: dict[tuple[str, str], dict], report: ImportReport,
                  progress: Callable[[str], None] = lambda _m: None) -> None:
    """Upsert products as read_catalogue returns them, link them to monographs and update
    the search keys: shared by the folder import and the embedded catalogue (catalogue/embedded.py)."""
    upsert_products(session, products, report, progress)
    progress("  linking products to monographs")
    report.linked_to_monograph = link_products_to_drugs(session)
    progress("  updating search keys")
    drug_search.sync_terms(session, ("product",), product_search_terms(session))
    drug_search.sync_typo_keys(session)
    session.flush()
