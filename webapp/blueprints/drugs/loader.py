"""`flask seed` step for the drug reference: conditions, drugs, ingredients, names,
forms and drug classes from webapp/data/, validated strictly and upserted.

Running it twice changes nothing: every row is compared with the data file and only
differences are written. Drugs whose data file disappeared are kept (members' reviews
point at them) and reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.models import (
    DRUG_KINDS,
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
from webapp.core.datafiles import DATA_DIR

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MONOGRAPH_TEXT_FIELDS = ("summary", "uses", "how_to_take", "warnings", "do_not_take", "overdose", "storage")
DRUG_KEYS = {"slug", "name", "kind", "generic_name", "brand_names", "synonyms", "ingredients", "popularity", "forms",
             "conditions", "monograph", "sources", "last_reviewed"}


class DrugDataError(ValueError):
    """A data file is malformed; the message names the file and the reason."""


# --- reading and validating ------------------------------------------------------------


@dataclass(frozen=True)
class ConditionData:
    slug: str
    name: str
    description: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class FormData:
    form: str
    route: str
    strengths: tuple[str, ...]


@dataclass(frozen=True)
class DrugData:
    slug: str
    name: str
    kind: str
    generic_name: str
    brand_names: tuple[str, ...]
    synonyms: tuple[str, ...]
    ingredients: tuple[str, ...]
    popularity: int
    forms: tuple[FormData, ...]
    conditions: tuple[str, ...]
    monograph: dict
    side_effects_common: tuple[str, ...]
    side_effects_serious: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]
    last_reviewed: date | None


@dataclass(frozen=True)
class ClassData:
    slug: str
    name: str
    members: tuple[str, ...]


def _read_yaml(path: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DrugDataError(f"{path.name}: not valid YAML ({exc})") from exc


def _text(value, where: str, *, required: bool = True, limit: int | None = None) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise DrugDataError(f"{where} must be non-empty text")
    value = value.strip()
    if limit and len(value) > limit:
        raise DrugDataError(f"{where} is longer than {limit} characters")
    return value


def _text_list(value, where: str, *, lowercase: bool = False, allow_empty: bool = True) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise DrugDataError(f"{where} must be a list")
    items = []
    for item in value:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        text = _text(item, f"{where} entry {item!r}", limit=300)
        if lowercase and text != text.lower():
            raise DrugDataError(f"{where} entry {text!r} must be lowercase")
        if text not in items:
            items.append(text)
    if not items and not allow_empty:
        raise DrugDataError(f"{where} must not be empty")
    return tuple(items)


def read_conditions(directory: Path) -> dict[str, ConditionData]:
    merged: dict[str, ConditionData] = {}
    for path in sorted(directory.glob("*.yaml")):
        entries = _read_yaml(path)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise DrugDataError(f"{path.name}: must be a list of conditions")
        for number, entry in enumerate(entries, 1):
            try:
                if not isinstance(entry, dict):
                    raise DrugDataError("must be a mapping")
                slug = _text(entry.get("slug"), "slug", limit=100)
                if not SLUG_RE.match(slug):
                    raise DrugDataError(f"slug {slug!r} must be lowercase words joined by hyphens")
                name = _text(entry.get("name"), "name", limit=200)
                description = _text(entry.get("description"), "description", required=False)
                synonyms = _text_list(entry.get("synonyms"), "synonyms")
            except DrugDataError as exc:
                raise DrugDataError(f"{path.name}: condition #{number}: {exc}") from None
            if slug in merged:
                old = merged[slug]
                synonyms = old.synonyms + tuple(s for s in synonyms if s not in old.synonyms)
                merged[slug] = ConditionData(slug, old.name, old.description or description, synonyms)
            else:
                merged[slug] = ConditionData(slug, name, description, synonyms)
    return merged


def _validate_drug(raw, path: Path, condition_slugs: set[str]) -> DrugData:
    if not isinstance(raw, dict):
        raise DrugDataError("must be a mapping of fields")
    missing = sorted(DRUG_KEYS - raw.keys())
    if missing:
        raise DrugDataError(f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(raw) - DRUG_KEYS)
    if unknown:
        raise DrugDataError(f"unknown field(s): {', '.join(unknown)}")
    slug = _text(raw["slug"], "slug", limit=100)
    if slug != path.stem:
        raise DrugDataError(f"slug {slug!r} differs from the file name")
    if not SLUG_RE.match(slug):
        raise DrugDataError(f"slug {slug!r} must be lowercase words joined by hyphens")
    kind = raw["kind"]
    if kind not in DRUG_KINDS:
        raise DrugDataError(f"kind {kind!r} must be one of {', '.join(DRUG_KINDS)}")
    popularity = raw["popularity"]
    if not isinstance(popularity, int) or isinstance(popularity, bool) or not 1 <= popularity <= 5:
        raise DrugDataError("popularity must be a whole number from 1 to 5")
    forms = raw["forms"]
    if not isinstance(forms, list):
        raise DrugDataError("forms must be a list")
    form_rows = []
    for number, form in enumerate(forms, 1):
        if not isinstance(form, dict) or set(form) - {"form", "route", "strengths"}:
            raise DrugDataError(f"forms #{number} must have form, route and strengths only")
        form_rows.append(FormData(
            _text(form.get("form"), f"forms #{number} form", limit=120),
            _text(form.get("route"), f"forms #{number} route", required=False, limit=120),
            _text_list(form.get("strengths"), f"forms #{number} strengths"),
        ))
    conditions = _text_list(raw["conditions"], "conditions")
    unknown_conditions = [c for c in conditions if c not in condition_slugs]
    if unknown_conditions:
        raise DrugDataError(f"unknown condition slug(s): {', '.join(unknown_conditions)} (define them in conditions/)")
    monograph = raw["monograph"]
    if not isinstance(monograph, dict):
        raise DrugDataError("monograph must be a mapping")
    extra = sorted(set(monograph) - set(MONOGRAPH_TEXT_FIELDS) - {"side_effects"})
    if extra:
        raise DrugDataError(f"monograph has unknown field(s): {', '.join(extra)}")
    texts = {name: _text(monograph.get(name), f"monograph.{name}", required=name == "summary")
             for name in MONOGRAPH_TEXT_FIELDS}
    side_effects = monograph.get("side_effects") or {}
    if not isinstance(side_effects, dict) or set(side_effects) - {"common", "serious"}:
        raise DrugDataError("monograph.side_effects must have common and serious lists")
    sources = raw["sources"]
    if not isinstance(sources, list) or not sources:
        raise DrugDataError("sources must be a non-empty list")
    source_rows = []
    for number, source in enumerate(sources, 1):
        if not isinstance(source, dict):
            raise DrugDataError(f"sources #{number} must have a title and a url")
        title = _text(source.get("title"), f"sources #{number} title", limit=300)
        url = _text(source.get("url"), f"sources #{number} url", limit=1000)
        if not url.startswith("https://") and not url.startswith("http://"):
            raise DrugDataError(f"sources #{number} url must start with https://")
        source_rows.append((title, url))
    reviewed = raw["last_reviewed"]
    if isinstance(reviewed, str):
        try:
            reviewed = date.fromisoformat(reviewed)
        except ValueError:
            raise DrugDataError("last_reviewed must be a date like 2026-11-28") from None
    if reviewed is not None and not isinstance(reviewed, date):
        raise DrugDataError("last_reviewed must be a date like 2026-11-28")
    return DrugData(
        slug=slug,
        name=_text(raw["name"], "name", limit=200),
        kind=kind,
        generic_name=_text(raw["generic_name"], "generic_name", limit=300),
        brand_names=_text_list(raw["brand_names"], "brand_names"),
        synonyms=_text_list(raw["synonyms"], "synonyms"),
        ingredients=_text_list(raw["ingredients"], "ingredients", lowercase=True, allow_empty=False),
        popularity=popularity,
        forms=tuple(form_rows),
        conditions=conditions,
        monograph=texts,
        side_effects_common=_text_list(side_effects.get("common"), "monograph.side_effects.common"),
        side_effects_serious=_text_list(side_effects.get("serious"), "monograph.side_effects.serious"),
        sources=tuple(source_rows),
        last_reviewed=reviewed,
    )


def read_drugs(directory: Path, condition_slugs: set[str]) -> list[DrugData]:
    """Every drug file, validated; raises DrugDataError listing every bad file."""
    drugs, problems = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
            drugs.append(_validate_drug(_read_yaml(path), path, condition_slugs))
        except DrugDataError as exc:
            message = str(exc)
            problems.append(message if message.startswith(path.name) else f"{path.name}: {message}")
    if problems:
        raise DrugDataError("drug data files are not valid:\n  " + "\n  ".join(problems))
    return drugs


def read_classes(path: Path) -> list[ClassData]:
    if not path.exists():
        return []
    raw = _read_yaml(path)
    if isinstance(raw, dict):
        raw = raw.get("classes", raw.get("drug_classes"))
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise DrugDataError(f"{path.name}: must be a list of classes (or have a 'classes' list)")
    classes, seen = [], set()
    for number, entry in enumerate(raw, 1):
        try:
            if not isinstance(entry, dict):
                raise DrugDataError("must be a mapping")
            slug = _text(entry.get("slug"), "slug", limit=100)
            if not SLUG_RE.match(slug):
                raise DrugDataError(f"slug {slug!r} must be lowercase words joined by hyphens")
            if slug in seen:
                raise DrugDataError(f"slug {slug!r} is defined twice")
            seen.add(slug)
            classes.append(ClassData(slug, _text(entry.get("name"), "name", limit=200),
                                     _text_list(entry.get("members"), "members", lowercase=True)))
        except DrugDataError as exc:
            raise DrugDataError(f"{path.name}: class #{number}: {exc}") from None
    return classes


# --- writing ---------------------------------------------------------------------------


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


def reference_search_terms(session: Session) -> list[drug_search.TermRow]:
    """Search rows for every curated drug and condition, from what is in the database."""
    rows: list[drug_search.TermRow] = []
    drugs = session.execute(select(Drug).options(selectinload(Drug.names), selectinload(Drug.ingredients))).scalars()
    for drug in drugs:
        names = [("name", drug.name), ("generic", drug.generic_name), ("name", drug.slug.replace("-", " "))]
        names += [("brand", n.name) if n.kind == "brand" else ("synonym", n.name) for n in drug.names]
        names += [("ingredient", i.name) for i in drug.ingredients]
        rows += drug_search.terms_for("drug", drug.slug, drug.name, drug_search.drug_weight(drug.popularity), names)
    for condition in session.execute(select(Condition).options(selectinload(Condition.synonyms))).scalars():
        names = [("condition", condition.name)] + [("condition", s.name) for s in condition.synonyms]
        rows += drug_search.terms_for("condition", condition.slug, condition.name, drug_search.CONDITION_WEIGHT, names)
    return rows


_MARKDOWN_MARKS = re.compile(r"[*_`>#\[\]|]+")


def _plain(*parts) -> str:
    text = " ".join(p if isinstance(p, str) else " ".join(p) for p in parts if p)
    return " ".join(_MARKDOWN_MARKS.sub(" ", text).split())


def index_site_search(session: Session) -> int:
    """Put every drug and condition page into the shared site search (when that area
    exists); pages whose data file went away are pruned. Returns how many were indexed."""
    from webapp.core.search.index import index_document, remove_kind

    drugs = session.execute(select(Drug).options(selectinload(Drug.names))).scalars().all()
    for drug in drugs:
        title = drug.name + (f" ({', '.join(drug.brand_names[:4])})" if drug.brand_names else "")
        body = _plain(drug.generic_name, drug.synonyms, drug.summary, drug.uses, drug.side_effects_common,
                      drug.side_effects_serious, drug.warnings)
        index_document(session, "drug", drug.slug, title, body, f"/drugs/{drug.slug}")
    conditions = session.execute(select(Condition).options(selectinload(Condition.synonyms))).scalars().all()
    for condition in conditions:
        body = _plain(condition.description, [s.name for s in condition.synonyms])
        index_document(session, "condition", condition.slug, f"Drugs for {condition.name}", body,
                       f"/conditions/{condition.slug}")
    remove_kind(session, "drug", keep={d.slug for d in drugs})
    remove_kind(session, "condition", keep={c.slug for c in conditions})
    return len(drugs) + len(conditions)


def load(session: Session, data_dir: Path = DATA_DIR, echo: Callable[[str], None] = lambda _m: None) -> dict:
    """Validate every file first, then upsert. Returns counts (for tests and the CLI)."""
    with session.no_autoflush:
        return _load(session, data_dir, echo)


def _load(session: Session, data_dir: Path, echo: Callable[[str], None]) -> dict:
    conditions_data = read_conditions(data_dir / "conditions")
    drugs_data = read_drugs(data_dir / "drugs", set(conditions_data))
    classes_data = read_classes(data_dir / "drug_classes.yaml")

    conditions, condition_counts = upsert_conditions(session, conditions_data)
    ingredients = ingredient_ids(session, {name for d in drugs_data for name in d.ingredients})
    existing = {d.slug: d for d in session.execute(
        select(Drug).options(selectinload(Drug.names), selectinload(Drug.forms))).scalars()}
    drug_counts = Counts()
    for data in drugs_data:
        created = data.slug not in existing
        _drug, changed = upsert_drug(session, data, existing.get(data.slug), conditions, ingredients)
        if created:
            drug_counts.created += 1
        elif changed:
            drug_counts.updated += 1
    session.flush()
    class_counts = upsert_classes(session, classes_data)
    session.flush()

    session.expire_all()  # read back relationships in their stored order
    from webapp.blueprints.drugs.drugsatfda_import import link_products_to_drugs

    linked = link_products_to_drugs(session)
    added, removed = drug_search.sync_terms(session, ("drug", "condition"), reference_search_terms(session))
    typo_added, typo_removed = drug_search.sync_typo_keys(session)
    indexed = index_site_search(session)
    session.flush()
    orphans = sorted(set(existing) - {d.slug for d in drugs_data})

    echo(f"  conditions: {len(conditions_data)} ({condition_counts})")
    echo(f"  drugs: {len(drugs_data)} ({drug_counts})")
    echo(f"  drug classes: {len(classes_data)} ({class_counts})")
    echo(f"  search keys: {added} added, {removed} removed; typo keys: {typo_added} added, {typo_removed} removed")
    if indexed:
        echo(f"  site search: {indexed} drug and condition pages indexed")
    if linked:
        echo(f"  catalogue products newly linked to a monograph: {linked}")
    if orphans:
        echo(f"  kept {len(orphans)} drug(s) that no longer have a data file: {', '.join(orphans)}")
    return {"conditions": condition_counts, "drugs": drug_counts, "classes": class_counts,
            "terms_added": added, "terms_removed": removed, "linked": linked, "orphans": orphans}


def seed(session: Session, echo: Callable[[str], None]) -> None:
    load(session, DATA_DIR, echo)
