"""My Medicine in "Export my data", and one profile's list as JSON or CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.mymeds.models import MedNotification, MedProfile, SavedMedicine
from webapp.blueprints.mymeds.recalls.alerts import subscription_state

CSV_COLUMNS = ["name", "status", "strength", "how_taken", "started_on", "stopped_on", "ingredients", "ndc", "notes"]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def medicine_record(medicine: SavedMedicine) -> dict:
    return {
        "name": medicine.name,
        "kind": medicine.kind,
        "status": medicine.status,
        "strength": medicine.strength,
        "how_taken": medicine.how_taken,
        "started_on": _iso(medicine.started_on),
        "stopped_on": _iso(medicine.stopped_on),
        "ingredients": list(medicine.ingredients or []),
        "ndc": medicine.ndc,
        "notes": medicine.notes,
        "saved_at": _iso(medicine.created_at),
    }


def profile_record(profile: MedProfile, medicines: list[SavedMedicine]) -> dict:
    return {
        "name": profile.name,
        "relationship": profile.relation_label,
        "birth_year": profile.birth_year,
        "conditions": list(profile.conditions or []),
        "other_conditions": profile.other_conditions,
        "allergies": profile.allergies,
        "medicines": [medicine_record(m) for m in medicines],
    }


def _safe_cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; make them plain text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def profile_csv(medicines: list[SavedMedicine]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for medicine in medicines:
        record = medicine_record(medicine)
        record["ingredients"] = "; ".join(record["ingredients"])
        writer.writerow([_safe_cell(record[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def export_section(session: Session, user) -> dict:
    profiles = list(session.execute(select(MedProfile).where(MedProfile.user_id == user.id)
                                    .order_by(MedProfile.is_self.desc(), MedProfile.position, MedProfile.id)).scalars())
    medicines: dict[int, list[SavedMedicine]] = {}
    for medicine in session.execute(select(SavedMedicine).where(SavedMedicine.user_id == user.id)
                                    .order_by(SavedMedicine.id)).scalars():
        medicines.setdefault(medicine.profile_id, []).append(medicine)
    state = subscription_state(session, user.id)
    names = {p.id: p.name for p in profiles}
    notifications = session.execute(select(MedNotification).where(MedNotification.user_id == user.id)
                                    .order_by(MedNotification.id)).scalars()
    return {
        "profiles": [profile_record(p, medicines.get(p.id, [])) for p in profiles],
        "recall_alerts": {
            "subscribed": state.scope,
            "profiles": sorted(names[i] for i in state.profile_ids if i in names),
            "by_email": state.by_email if state.scope != "none" else False,
        },
        "notifications": [{"title": n.title, "profile": names.get(n.profile_id), "created_at": _iso(n.created_at),
                           "read_at": _iso(n.read_at)} for n in notifications],
    }
