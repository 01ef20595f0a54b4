"""What My Medicine offers the rest of the site (declared in hooks.py): new recalls for the
newsletter, and a member's saved medicines and unread recall alerts for "Today on HealthDesk"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp.blueprints.mymeds.models import MedNotification, Recall, RecallMatch, SavedMedicine
from webapp.core.area import FeedItem, Link, NewsLink, change_summary, clip, first_link

RECALL_LIMIT = 10                   # recalls in one newsletter issue
RECALL_MAX_AGE = timedelta(days=90)  # an imported report older than this is not news


def recalls_since(session: Session, since: datetime, link: NewsLink) -> list[FeedItem]:
    """Recalls new on our site since the date, the most serious class first."""
    # A bulk import of old reports is not news.
    recent = (since - RECALL_MAX_AGE).date()
    stmt = (select(Recall)
            .where(Recall.created_at >= since, or_(Recall.report_date.is_(None), Recall.report_date >= recent))
            .order_by(Recall.classification, Recall.report_date.desc(), Recall.id).limit(RECALL_LIMIT))
    items = []
    for recall in session.execute(stmt).scalars():
        # No public page per recall yet: My Medicine is where a reader checks their own medicines.
        url = first_link(link, [("mymeds.recall", {"recall_number": recall.recall_number}), ("mymeds.index", {})])
        label = f"{recall.classification}: " if recall.classification else ""
        title = clip(f"{label}{recall.product_description}", 160) or f"Recall {recall.recall_number}"
        summary = clip(f"{recall.reason_for_recall} Recalled by {recall.recalling_firm}." if recall.recalling_firm
                       else recall.reason_for_recall)
        names = sorted({*(recall.generic_names or []), *(recall.brand_names or [])})
        items.append(FeedItem(f"recall:{recall.recall_number}", "recall", "Drug recalls", title, summary, url,
                              {"drug_names": names}))
    return items


@dataclass(frozen=True)
class ActiveMedicine:
    name: str
    drug_id: int | None
    ingredients: tuple[str, ...]


def active_medicines(session: Session, user_id: int) -> list[ActiveMedicine]:
    """The member's saved medicines still taken, in the order they were saved."""
    rows = session.execute(
        select(SavedMedicine.name, SavedMedicine.drug_id, SavedMedicine.ingredients)
        .where(SavedMedicine.user_id == user_id, SavedMedicine.status == "active").order_by(SavedMedicine.id)
    )
    return [ActiveMedicine(name, drug_id, tuple(ingredients or ())) for name, drug_id, ingredients in rows]


@dataclass(frozen=True)
class UnreadAlert:
    key: str
    title: str
    url: str
    medicine: str  # the saved medicine it concerns
    created_at: datetime


def unread_alerts(session: Session, user_id: int, link: Link, limit: int = 10) -> list[UnreadAlert]:
    """The member's newest unread recall alerts, each with the saved medicine it is about."""
    notifications = list(session.execute(
        select(MedNotification.id, MedNotification.title, MedNotification.created_at,
               MedNotification.recall_id, MedNotification.profile_id)
        .where(MedNotification.user_id == user_id, MedNotification.read_at.is_(None))
        .order_by(MedNotification.created_at.desc()).limit(limit)
    ))
    if not notifications:
        return []
    # Which saved medicine each recall concerns, for the card's reason (one query for all).
    medicine_of: dict[tuple[int, int], str] = {}
    matches = session.execute(
        select(RecallMatch.recall_id, RecallMatch.profile_id, SavedMedicine.name)
        .join(SavedMedicine, SavedMedicine.id == RecallMatch.saved_medicine_id)
        .where(RecallMatch.user_id == user_id, RecallMatch.recall_id.in_({n.recall_id for n in notifications}))
        .order_by(RecallMatch.id)
    )
    for recall_id, profile_id, name in matches:
        medicine_of.setdefault((recall_id, profile_id), name)
    base = link("mymeds.alerts")
    return [UnreadAlert(f"alert-{n.id}", n.title, f"{base}#alert-{n.id}",
                        medicine_of.get((n.recall_id, n.profile_id), "a saved medicine"), n.created_at)
            for n in notifications]


def signals_fingerprint(user_id) -> list:
    """Scalar subqueries that change when the member's saved medicines or unread alerts do."""
    return [
        change_summary(SavedMedicine.id, SavedMedicine.updated_at, SavedMedicine.user_id == user_id),
        change_summary(MedNotification.id, MedNotification.id, MedNotification.user_id == user_id, MedNotification.read_at.is_(None)),
    ]
