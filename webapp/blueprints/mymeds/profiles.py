"""Profiles and saved medicines: every function takes the owner's user id and never
returns another account's rows. Also: turning typed names into reference medicines,
and a profile's interaction report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.drugs import feeds as drug_reference

# Re-exported: My Medicine's forms and checker match names the way the reference does.
from webapp.blueprints.drugs.feeds import MAX_NAME_CHARS as MAX_NAME_CHARS
from webapp.blueprints.drugs.feeds import name_slug as name_slug
from webapp.blueprints.drugs.feeds import normalize_name as normalize_name
from webapp.blueprints.mymeds.interactions import InteractionReport, Medicine, check_interactions
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBase
from webapp.blueprints.mymeds.models import MEDICINE_KINDS, RELATIONSHIPS, MedProfile, SavedMedicine
from webapp.blueprints.pills import feeds as pill_identifier
from webapp.core.errors import FieldError

MAX_PROFILES = 20
MAX_MEDICINES = 100  # per profile
MAX_CHECK_NAMES = 50  # names in one ad-hoc check


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
# The drug reference does the finding (drugs/feeds.py); a pill's facts come from the pill
# identifier (pills/feeds.py). Here they become what a list saves.


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


def _source(found: drug_reference.ReferenceMedicine) -> SaveSource:
    return SaveSource(found.kind, found.id, found.slug, found.name, found.ingredients, found.brand_names,
                      labeler=found.labeler, strength=found.strength, matched_brand=found.matched_brand)


def _pill_source(session: Session, pill: pill_identifier.SavablePill) -> SaveSource:
    ingredients = drug_reference.labelled_ingredients(session, pill.drug_id, pill.active_ingredients or pill.name)
    return SaveSource("pill", pill.id, f"pill-{pill.id}", pill.name, ingredients, (),
                      ndc=pill.product_ndc or None, labeler=pill.labeler, strength=pill.strength[:120])


def source_for(session: Session, kind: str, item_id: int) -> SaveSource | None:
    """The drug, product, pill or ingredient with this id, ready to save; None when it no longer exists."""
    if not valid_id(item_id):
        return None
    if kind == "pill":
        pill = pill_identifier.savable_pill(session, item_id)
        return _pill_source(session, pill) if pill else None
    found = drug_reference.reference_medicine(session, kind, item_id)
    return _source(found) if found else None


@dataclass(frozen=True)
class NameResult:
    input: str
    found: SaveSource | None


def resolve_names(session: Session, names: Sequence[str]) -> list[NameResult]:
    """Match typed names to the reference (drugs/feeds.py find_medicines says how)."""
    return [NameResult(name, _source(found) if found else None)
            for name, found in zip(names, drug_reference.find_medicines(session, names), strict=True)]


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
