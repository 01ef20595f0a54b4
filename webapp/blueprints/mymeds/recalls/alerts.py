"""FDA recall alerts: who subscribed, the notifications, and the alert emails.

One notification per recall and profile (a unique constraint makes a second impossible),
created in the same transaction as its email in the outbox, so re-running an import
sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.mymeds.models import AlertSubscription, MedNotification, MedProfile, Recall, RecallMatch, SavedMedicine
from webapp.core.mail import outbox

MAIL_CATEGORY = "recall-alert"

CLASSIFICATION_MEANING = {
    "class i": "Class I: the most serious kind of recall. Using the product could cause serious harm or death.",
    "class ii": "Class II: using the product could cause temporary or reversible health problems; serious harm is unlikely.",
    "class iii": "Class III: using the product is unlikely to cause health problems, but it breaks FDA rules.",
}


def classification_meaning(classification: str) -> str:
    return CLASSIFICATION_MEANING.get((classification or "").strip().lower(), "")


def unread_count(session: Session, user_id: int) -> int:
    """The header badge: one indexed COUNT (user_id, read_at)."""
    return session.execute(
        select(func.count()).select_from(MedNotification)
        .where(MedNotification.user_id == user_id, MedNotification.read_at.is_(None))
    ).scalar_one()


def list_notifications(session: Session, user_id: int, limit: int = 100) -> list[MedNotification]:
    stmt = (select(MedNotification).where(MedNotification.user_id == user_id)
            .order_by(MedNotification.created_at.desc(), MedNotification.id.desc()).limit(limit))
    return list(session.execute(stmt).scalars())


def get_notification(session: Session, user_id: int, notification_id: int) -> MedNotification | None:
    if not 0 < notification_id <= 2**31 - 1:
        return None
    return session.execute(select(MedNotification).where(MedNotification.id == notification_id,
                                                         MedNotification.user_id == user_id)).scalar_one_or_none()


def mark_read(session: Session, user_id: int, now: datetime, notification_id: int | None = None) -> int:
    stmt = update(MedNotification).where(MedNotification.user_id == user_id, MedNotification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(MedNotification.id == notification_id)
    return session.execute(stmt.values(read_at=now)).rowcount


def matches_for(session: Session, notification: MedNotification) -> list[RecallMatch]:
    stmt = (select(RecallMatch).where(RecallMatch.recall_id == notification.recall_id,
                                      RecallMatch.profile_id == notification.profile_id).order_by(RecallMatch.id))
    return list(session.execute(stmt).scalars())


def recall_matches_for_profile(session: Session, profile_id: int) -> list[RecallMatch]:
    stmt = (select(RecallMatch).join(SavedMedicine, SavedMedicine.id == RecallMatch.saved_medicine_id)
            .where(RecallMatch.profile_id == profile_id, SavedMedicine.status == "active")
            .order_by(RecallMatch.id.desc()))
    return list(session.execute(stmt).scalars())


def recent_recalls(session: Session, limit: int = 50) -> list[Recall]:
    stmt = select(Recall).order_by(Recall.report_date.desc().nulls_last(), Recall.id.desc()).limit(limit)
    return list(session.execute(stmt).scalars())


def get_recall(session: Session, recall_number: str) -> Recall | None:
    if not recall_number or len(recall_number) > 40:
        return None
    return session.execute(select(Recall).where(Recall.recall_number == recall_number)).scalar_one_or_none()


def user_matches_for_recall(session: Session, user_id: int, recall_id: int) -> list[RecallMatch]:
    stmt = (select(RecallMatch).where(RecallMatch.user_id == user_id, RecallMatch.recall_id == recall_id)
            .order_by(RecallMatch.id))
    return list(session.execute(stmt).scalars())


# --- subscriptions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionState:
    scope: str  # "none", "all" or "profiles"
    profile_ids: frozenset[int]
    by_email: bool


def subscription_state(session: Session, user_id: int) -> SubscriptionState:
    rows = list(session.execute(select(AlertSubscription).where(AlertSubscription.user_id == user_id)).scalars())
    if not rows:
        return SubscriptionState("none", frozenset(), True)
    by_email = any(r.by_email for r in rows)
    if any(r.profile_id is None for r in rows):
        return SubscriptionState("all", frozenset(), by_email)
    return SubscriptionState("profiles", frozenset(r.profile_id for r in rows), by_email)


def set_subscriptions(session: Session, user_id: int, scope: str, profile_ids: Iterable[int], by_email: bool) -> None:
    """Replace the account's subscriptions. Profile ids are only taken from this account."""
    own = set(session.execute(select(MedProfile.id).where(MedProfile.user_id == user_id)).scalars())
    session.execute(delete(AlertSubscription).where(AlertSubscription.user_id == user_id))
    if scope == "all":
        session.add(AlertSubscription(user_id=user_id, profile_id=None, scope_key="all", by_email=by_email))
    elif scope == "profiles":
        for profile_id in sorted(set(profile_ids) & own):
            session.add(AlertSubscription(user_id=user_id, profile_id=profile_id, scope_key=f"profile:{profile_id}",
                                          by_email=by_email))
    session.flush()


def _subscriptions(session: Session, user_ids: Iterable[int]) -> dict[int, list[AlertSubscription]]:
    out: dict[int, list[AlertSubscription]] = {}
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), 500):
        stmt = select(AlertSubscription).where(AlertSubscription.user_id.in_(ids[start:start + 500]))
        for sub in session.execute(stmt).scalars():
            out.setdefault(sub.user_id, []).append(sub)
    return out


def _wants(subs: list[AlertSubscription], profile_id: int) -> tuple[bool, bool]:
    """(on the site, by email) for one profile."""
    applying = [s for s in subs if s.profile_id is None or s.profile_id == profile_id]
    return bool(applying), any(s.by_email for s in applying)


# --- notifying -------------------------------------------------------------------------------


def _title(recall: Recall) -> str:
    product = (recall.product_description or "a medicine").split(",")[0].strip()
    return f"FDA recall: {product}"[:300]


def _body(recall: Recall, profile: MedProfile, matches: Sequence[RecallMatch]) -> str:
    lines = [f"A recall may concern a medicine on the list for {profile.name}."]
    for match in matches:
        lines.append(f"- {match.medicine.name}: {match.scope_note}")
    lines.append("")
    lines.append(f"Product: {recall.product_description}")
    if recall.code_info:
        lines.append(f"Lots and dates: {recall.code_info}")
    lines.append(f"Reason: {recall.reason_for_recall or 'not given'}")
    if recall.classification:
        meaning = classification_meaning(recall.classification)
        lines.append(f"Classification: {meaning or recall.classification}")
    if recall.recalling_firm:
        lines.append(f"Recalling firm: {recall.recalling_firm}")
    lines.append(f"FDA recall number: {recall.recall_number}"
                 + (f", reported {recall.report_date.isoformat()}" if recall.report_date else ""))
    lines.append("")
    lines.append("Do not stop a prescribed medicine on your own: ask your pharmacist or doctor whether your "
                 "package is affected and what to use instead.")
    return "\n".join(lines)


def notify(session: Session, recall_ids: Sequence[int], alerts_url: str) -> tuple[int, int]:
    """Create the notifications (and queue the emails) that recalls call for.

    Returns (notifications created, emails queued). Safe to run again: a recall and
    profile that already have a notification are skipped.
    """
    if not recall_ids:
        return 0, 0
    matches: list[RecallMatch] = []
    for start in range(0, len(recall_ids), 500):
        stmt = (select(RecallMatch).join(SavedMedicine, SavedMedicine.id == RecallMatch.saved_medicine_id)
                .where(RecallMatch.recall_id.in_(list(recall_ids[start:start + 500])), SavedMedicine.status == "active")
                .order_by(RecallMatch.id))
        matches.extend(session.execute(stmt).scalars())
    if not matches:
        return 0, 0
    groups: dict[tuple[int, int], list[RecallMatch]] = {}
    for match in matches:
        groups.setdefault((match.recall_id, match.profile_id), []).append(match)
    done = {tuple(row) for row in session.execute(select(MedNotification.recall_id, MedNotification.profile_id)
                               .where(MedNotification.recall_id.in_(sorted({k[0] for k in groups}))))}
    subs = _subscriptions(session, (m.user_id for m in matches))
    # Profiles and accounts read in chunks up front, and nothing flushed until the end: one
    # query per recipient (and a flush before each) made 50,000 alerts take over an hour.
    profiles = _by_id(session, MedProfile, {profile_id for _recall_id, profile_id in groups})
    users = _by_id(session, User, {m.user_id for m in matches})
    _by_id(session, SavedMedicine, {m.saved_medicine_id for m in matches})  # so match.medicine needs no query
    created = emailed = 0
    with session.no_autoflush:
        for (recall_id, profile_id), group in groups.items():
            if (recall_id, profile_id) in done:
                continue
            user_id = group[0].user_id
            on_site, by_email = _wants(subs.get(user_id, []), profile_id)
            if not on_site:
                continue
            recall = group[0].recall
            title, body = _title(recall), _body(recall, profiles[profile_id], group)
            session.add(MedNotification(user_id=user_id, profile_id=profile_id, recall_id=recall_id, title=title,
                                        body=body, emailed=by_email))
            created += 1
            if by_email:
                user = users[user_id]
                text = (f"Hello {user.display_name},\n\n{body}\n\nSee your alerts: {alerts_url}\n\n"
                        "You get this email because you signed up for FDA recall alerts on HealthDesk. "
                        f"Change or stop them on the alerts page: {alerts_url}\n")
                outbox.queue_mail(session, to=user.email, subject=title, text=text, category=MAIL_CATEGORY,
                                  account_id=user_id)
                emailed += 1
    session.flush()
    return created, emailed


def _by_id(session: Session, model, ids: set[int]) -> dict:
    ordered, found = sorted(ids), {}
    for start in range(0, len(ordered), 1000):
        found.update({row.id: row for row in session.execute(
            select(model).where(model.id.in_(ordered[start:start + 1000]))).scalars()})
    return found
