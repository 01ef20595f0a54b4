"""Profiles and saved medicines: every function takes the owner's user id and never
returns another account's rows. Also: turning typed names into reference medicines,
and a profile's interaction report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.accounts.models import User
from webapp.blueprints.drugs.models import Drug, DrugName, Ingredient, Product, ProductIngredient, drug_ingredients
from webapp.blueprints.drugs.moieties import moieties_of
from webapp.blueprints.mymeds.interactions import InteractionReport, Medicine, check_interactions
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBase
from webapp.blueprints.mymeds.models import MEDICINE_KINDS, RELATIONSHIPS, MedProfile, SavedMedicine
from webapp.blueprints.pills.models import Pill
from webapp.core.errors import FieldError
from webapp.core.slugs import slugify

MAX_PROFILES = 20
MAX_MEDICINES = 100  # per profile
MAX_CHECK_NAMES = 50  # names in one ad-hoc check
MAX_NAME_CHARS = 100

_SPACES = re.compile(r"\s+")
_MARKS = str.maketrans("", "", "®™©")


MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer cannot exist (and PostgreSQL refuses to compare them)


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


class MyMedsError(FieldError):
    """A request My Medicine cannot do, with a message for the person and the field it concerns."""


# --- profiles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileData:
    name: str
    relation: str = "other-family"
    birth_year: int | None = None
    conditions: tuple[str, ...] = ()
    other_conditions: str = ""
    allergies: str = ""


def list_profiles(session: Session, user_id: int) -> list[MedProfile]:
    stmt = (select(MedProfile).where(MedProfile.user_id == user_id)
            .order_by(MedProfile.is_self.desc(), MedProfile.position, MedProfile.id))
    return list(session.execute(stmt).scalars())


def ensure_me_profile(session: Session, user_id: int) -> MedProfile:
    """Every account has a "Me" profile; made the first time My Medicine is opened."""
    stmt = (select(MedProfile).where(MedProfile.user_id == user_id, MedProfile.is_self.is_(True))
            .order_by(MedProfile.id).limit(1))
    me = session.execute(stmt).scalar_one_or_none()
    if me is None:
        _lock_account(session, user_id)  # two first visits at once make one "Me"
        me = session.execute(stmt).scalar_one_or_none()
    if me is None:
        me = MedProfile(user_id=user_id, name="Me", relation="self", is_self=True, conditions=[], position=0)
        session.add(me)
        session.flush()
    return me


def get_profile(session: Session, user_id: int, profile_id: int, *, for_update: bool = False) -> MedProfile | None:
    """The profile, or None when it is not this account's. for_update locks the row until the
    transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers) and
    reads its latest committed values, even when it was loaded earlier in this session."""
    if not valid_id(profile_id):
        return None
    stmt = select(MedProfile).where(MedProfile.id == profile_id, MedProfile.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def profile_form_values(profile: MedProfile) -> list:
    """What the profile edit form edits, in a fixed order: the values its edit-conflict
    fingerprint (webapp/core/edit_conflicts.py) is made of, when the form opens and when it is saved."""
    return [profile.name or "", profile.relation or "", profile.birth_year, sorted(profile.conditions or ()),
            profile.other_conditions or "", profile.allergies or ""]


def _lock_account(session: Session, user_id: int) -> None:
    """Serialise the account's own "check, then create" steps (a double submit, two tabs) on
    PostgreSQL, where two transactions would otherwise both pass the check. On SQLite the
    write transaction's BEGIN IMMEDIATE already does it (FOR UPDATE is not rendered there)."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _check_profile(data: ProfileData, known_conditions: Iterable[str]) -> None:
    if not data.name.strip():
        raise MyMedsError("Enter a name.", "name")
    if len(data.name) > 80:
        raise MyMedsError("Use at most 80 characters.", "name")
    if data.relation not in RELATIONSHIPS:
        raise MyMedsError("Choose a relationship from the list.", "relation")
    unknown = set(data.conditions) - set(known_conditions)
    if unknown:
        raise MyMedsError("Choose conditions from the list.", "conditions")


def create_profile(session: Session, user_id: int, data: ProfileData, known_conditions: Iterable[str]) -> MedProfile:
    _check_profile(data, known_conditions)
    _lock_account(session, user_id)  # a double submit waits here, then finds the first one's profile
    count = session.execute(select(func.count()).select_from(MedProfile).where(MedProfile.user_id == user_id)).scalar_one()
    if session.execute(select(MedProfile.id).where(MedProfile.user_id == user_id,
                                                   MedProfile.name == data.name.strip())).first() is not None:
        raise MyMedsError(f"You already have a profile called {data.name.strip()}.", "name")
    if count >= MAX_PROFILES:
        raise MyMedsError(f"You can keep up to {MAX_PROFILES} profiles. Remove one you no longer need first.", "name")
    profile = MedProfile(user_id=user_id, name=data.name.strip(), relation=data.relation, is_self=False,
                         birth_year=data.birth_year, conditions=sorted(set(data.conditions)),
                         other_conditions=data.other_conditions.strip(), allergies=data.allergies.strip(),
                         position=count)
    session.add(profile)
    session.flush()
    return profile


def update_profile(profile: MedProfile, data: ProfileData, known_conditions: Iterable[str]) -> MedProfile:
    _check_profile(data, known_conditions)
    profile.name = data.name.strip()
    profile.relation = "self" if profile.is_self else data.relation
    profile.birth_year = data.birth_year
    profile.conditions = sorted(set(data.conditions))
    profile.other_conditions = data.other_conditions.strip()
    profile.allergies = data.allergies.strip()
    return profile


def delete_profile(session: Session, profile: MedProfile) -> None:
    if profile.is_self:
        raise MyMedsError("Your own profile stays; you can rename it or remove its medicines.")
    session.delete(profile)


# --- finding medicines in the reference ------------------------------------------------------


def normalize_name(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(_MARKS).replace("\x00", "")
    return _SPACES.sub(" ", text).strip().lower()[:MAX_NAME_CHARS]


def name_slug(text: str | None, *, max_length: int | None = None, default: str = "") -> str:
    """A typed name as a slug, normalised the way names are matched (Advil® -> advil)."""
    return slugify(text, normalize=normalize_name, max_length=max_length, default=default)


@dataclass(frozen=True)
class SaveSource:
    """A reference item (drug, product or pill) as it is copied onto a list."""

    kind: str
    item_id: int | None
    key: str  # drug or product slug, "pill-<id>", or the typed name's slug
    name: str
    ingredients: tuple[str, ...] = ()
    brand_names: tuple[str, ...] = ()
    ndc: str | None = None
    labeler: str = ""
    strength: str = ""
    matched_brand: str = ""  # the brand name that was typed, in its usual spelling ("Advil")


def _drug_source(drug: Drug) -> SaveSource:
    return SaveSource("drug", drug.id, drug.slug, drug.name, tuple(i.name for i in drug.ingredients),
                      tuple(drug.brand_names))


def _product_source(product: Product) -> SaveSource:
    ingredients = tuple(i.name for i in product.ingredients)
    if not ingredients and product.drug is not None:
        ingredients = tuple(i.name for i in product.drug.ingredients)
    return SaveSource("product", product.id, product.slug, product.brand_name, ingredients, (product.brand_name,),
                      labeler=product.sponsor or "", strength=(product.strength or "")[:120])


def _pill_ingredients(session: Session, pill: Pill) -> tuple[str, ...]:
    if pill.drug_id is not None:
        drug = session.get(Drug, pill.drug_id)
        if drug is not None:
            return tuple(i.name for i in drug.ingredients)
    # "ATORVASTATIN CALCIUM 10 mg; ..." as labelled: its moieties, those our reference knows
    wanted = moieties_of(pill.active_ingredients or pill.name)
    if not wanted:
        return ()
    known = set(session.execute(select(Ingredient.name).where(Ingredient.name.in_(wanted))).scalars())
    return tuple(m for m in wanted if m in known)


def _pill_source(session: Session, pill: Pill) -> SaveSource:
    return SaveSource("pill", pill.id, f"pill-{pill.id}", pill.name, _pill_ingredients(session, pill), (),
                      ndc=pill.product_ndc or None, labeler=pill.labeler or "", strength=(pill.strength or "")[:120])


def source_for(session: Session, kind: str, item_id: int) -> SaveSource | None:
    """The drug, product, pill or ingredient with this id, ready to save; None when it no longer exists."""
    if not valid_id(item_id):
        return None
    if kind == "drug":
        drug = session.get(Drug, item_id)
        return _drug_source(drug) if drug else None
    if kind == "product":
        product = session.get(Product, item_id)
        return _product_source(product) if product else None
    if kind == "pill":
        pill = session.get(Pill, item_id)
        return _pill_source(session, pill) if pill else None
    if kind == "ingredient":  # a catalogue medicine's generated page (/drugs/substances/<slug>)
        ingredient = session.get(Ingredient, item_id)
        return SaveSource("ingredient", ingredient.id, name_slug(ingredient.name), ingredient.name.capitalize(),
                          (ingredient.name,)) if ingredient else None
    return None


@dataclass(frozen=True)
class NameResult:
    input: str
    found: SaveSource | None


def resolve_names(session: Session, names: Sequence[str]) -> list[NameResult]:
    """Match typed names (generic, brand or slug, any case) to the reference.

    Drugs first (name, generic name, slug, brand and other names), then catalogue
    products by name, then bare ingredient names. A name none of those know is read by the
    medicine resolver (drugs/moieties.py: other spellings, salts, XR/ER, "losartan/HCTZ")
    and its moieties are looked up the same way; a combination is recognised when every
    part is. A few indexed queries for the whole list.
    """
    results = _resolve_exact(session, names)
    leftover = [r.input for r in results if r.found is None]
    if not leftover:
        return results
    parts = {name: moieties_of(name) for name in leftover}
    wanted = sorted({m for found in parts.values() for m in found if m not in leftover})
    by_part = {r.input: r.found for r in _resolve_exact(session, wanted)} if wanted else {}
    combos = _drugs_with_ingredients(session, {frozenset(found) for found in parts.values() if len(found) > 1})
    resolved: dict[str, SaveSource] = {}
    for name, found in parts.items():
        if len(found) > 1 and frozenset(found) in combos:
            resolved[name] = _drug_source(combos[frozenset(found)])
        elif found and all(by_part.get(m) is not None for m in found):
            sources = [by_part[m] for m in found]
            if len(sources) == 1:
                resolved[name] = sources[0]
            else:
                ingredients = tuple(dict.fromkeys(i for s in sources for i in s.ingredients))
                resolved[name] = SaveSource("ingredient", None, name_slug(" ".join(ingredients)),
                                            " + ".join(s.name for s in sources), ingredients)
    return [NameResult(r.input, resolved.get(r.input)) if r.found is None else r for r in results]


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


def _resolve_exact(session: Session, names: Sequence[str]) -> list[NameResult]:
    """resolve_names without the resolver: the names as typed (any case, trademark marks)."""
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

    results = []
    for name in names:
        norm = wanted[name]
        drug = by_key.get(norm) or by_key.get(name_slug(norm))
        if drug is not None:
            source = _drug_source(drug)
            if norm in brand_spelling:
                source = replace(source, matched_brand=brand_spelling[norm])
            results.append(NameResult(name, source))
        elif name_slug(norm) in products:
            results.append(NameResult(name, _product_source(products[name_slug(norm)])))
        elif norm in ingredients:
            results.append(NameResult(name, SaveSource("ingredient", None, name_slug(norm), norm, (norm,))))
        else:
            results.append(NameResult(name, None))
    return results


# --- saved medicines -------------------------------------------------------------------------


@dataclass(frozen=True)
class MedicineDetails:
    strength: str = ""
    how_taken: str = ""
    started_on: date | None = None
    notes: str = ""


def get_medicine(session: Session, user_id: int, medicine_id: int, *, for_update: bool = False) -> SavedMedicine | None:
    """The saved medicine, or None when it is not this account's (for_update: as get_profile)."""
    if not valid_id(medicine_id):
        return None
    stmt = select(SavedMedicine).where(SavedMedicine.id == medicine_id, SavedMedicine.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def medicine_form_values(medicine: SavedMedicine) -> list:
    """What the medicine edit form edits, in a fixed order (see profile_form_values). The
    name is only editable, and so only counted, for a medicine saved under a typed name."""
    return [medicine.name if medicine.kind == "other" else None, medicine.strength or "", medicine.how_taken or "",
            medicine.started_on, medicine.notes or ""]


def add_medicine(session: Session, profile: MedProfile, source: SaveSource, details: MedicineDetails) -> SavedMedicine:
    # A double submit waits here for the first one (PostgreSQL), then finds its medicine below.
    session.execute(select(MedProfile.id).where(MedProfile.id == profile.id).with_for_update())
    count = session.execute(select(func.count()).select_from(SavedMedicine)
                            .where(SavedMedicine.profile_id == profile.id)).scalar_one()
    if count >= MAX_MEDICINES:
        raise MyMedsError(f"A list can hold up to {MAX_MEDICINES} medicines. Remove ones that were stopped long ago first.",
                          "name")
    kind = source.kind if source.kind in MEDICINE_KINDS else "other"
    name = (f"{source.matched_brand} ({source.name})" if source.matched_brand else source.name)[:300]
    strength = (details.strength or source.strength)[:120]
    same = session.execute(select(SavedMedicine.id).where(
        SavedMedicine.profile_id == profile.id, SavedMedicine.status == "active", SavedMedicine.name == name,
        SavedMedicine.strength == strength).limit(1)).first()
    if same is not None:
        # A double submit, or the same thing saved twice: keep one.
        raise MyMedsError(f"{name}{' ' + strength if strength else ''} is already on the list of {profile.name}.", "name")
    medicine = SavedMedicine(
        profile_id=profile.id, user_id=profile.user_id, kind=kind,
        drug_id=source.item_id if source.kind == "drug" else None,
        product_id=source.item_id if source.kind == "product" else None,
        pill_id=source.item_id if source.kind == "pill" else None,
        name=name, ingredients=list(source.ingredients), brand_names=list(source.brand_names),
        ndc=source.ndc, labeler=source.labeler[:300], strength=strength, how_taken=details.how_taken[:300],
        started_on=details.started_on, notes=details.notes, status="active",
    )
    session.add(medicine)
    session.flush()
    return medicine


def update_medicine(medicine: SavedMedicine, details: MedicineDetails, name: str | None = None) -> SavedMedicine:
    if name is not None and medicine.kind == "other":
        if not name.strip():
            raise MyMedsError("Enter a name.", "name")
        medicine.name = name.strip()[:300]
    medicine.strength = details.strength[:120]
    medicine.how_taken = details.how_taken[:300]
    medicine.started_on = details.started_on
    medicine.notes = details.notes
    return medicine


def set_stopped(medicine: SavedMedicine, stopped: bool, today: date) -> None:
    medicine.status = "stopped" if stopped else "active"
    medicine.stopped_on = today if stopped else None


def medicines_of(session: Session, profile_id: int) -> list[SavedMedicine]:
    stmt = (select(SavedMedicine).where(SavedMedicine.profile_id == profile_id)
            .order_by(SavedMedicine.status, func.lower(SavedMedicine.name), SavedMedicine.id))
    return list(session.execute(stmt).scalars())


def checker_input(medicines: Iterable[SavedMedicine]) -> list[Medicine]:
    """The active medicines of a list, as the checker sees them."""
    return [Medicine(str(m.id), m.name, tuple(m.ingredients or ())) for m in medicines if m.is_active]


@dataclass
class ProfileReport:
    report: InteractionReport
    unchecked: list[SavedMedicine] = field(default_factory=list)  # saved without known ingredients


def profile_conditions(profile: MedProfile, kb: KnowledgeBase) -> set[str]:
    """The ticked conditions, and those recognised in the free-text "other conditions"."""
    return set(profile.conditions or ()) | kb.conditions_in_text(profile.other_conditions or "")


def profile_report(profile: MedProfile, medicines: Sequence[SavedMedicine], kb: KnowledgeBase) -> ProfileReport:
    active = [m for m in medicines if m.is_active]
    report = check_interactions(checker_input(active), kb, profile_conditions(profile, kb))
    return ProfileReport(report, [m for m in active if not m.ingredients])


def overview(session: Session, user_id: int, kb: KnowledgeBase) -> list[tuple[MedProfile, list[SavedMedicine], InteractionReport]]:
    """The My Medicine home page: each profile, its active medicines and their report."""
    rows = []
    for profile in list_profiles(session, user_id):
        medicines = medicines_of(session, profile.id)
        rows.append((profile, [m for m in medicines if m.is_active], profile_report(profile, medicines, kb).report))
    return rows
