"""Community notifications: on the site (the header badge) and, by the member's
preference, by email through the outbox; and watching a thread, which is asking for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community.models import (
    CommunityGroup,
    CommunityMembership,
    CommunityNotification,
    CommunityPost,
    CommunityStanding,
    CommunityThread,
    CommunityWatch,
)
from webapp.blueprints.community.moderation.standing import standing_row
from webapp.blueprints.community.threads import can_read_thread, readable_threads_clause
from webapp.core.area import Link, change_summary
from webapp.core.mail import outbox
from webapp.core.paging import Page, paginate

PER_PAGE = 20
ThreadUrl = Callable[[CommunityThread], str]  # the thread page's absolute address, for emails


def unread_count(session: Session, user) -> int:
    """The header badge: one COUNT on the (user_id, read_at) index."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return session.execute(
        select(func.count()).select_from(CommunityNotification)
        .where(CommunityNotification.user_id == user.id, CommunityNotification.read_at.is_(None))
    ).scalar_one()


def notify(session: Session, user_id: int, kind: str, text: str, *, thread_id: int | None = None,
           post_id: int | None = None) -> CommunityNotification:
    note = CommunityNotification(user_id=user_id, kind=kind, text=text[:500], thread_id=thread_id, post_id=post_id)
    session.add(note)
    return note


def wants_email(session: Session, user_id: int) -> bool:
    standing = session.get(CommunityStanding, user_id)
    return True if standing is None else bool(standing.email_notifications)


def set_email_preference(session: Session, user_id: int, enabled: bool) -> None:
    standing_row(session, user_id).email_notifications = bool(enabled)
    session.flush()


def _author_name(post: CommunityPost) -> str:
    if post.anonymous:
        return "An anonymous member"
    if post.author is None:
        return "A former member"
    return post.author.display_name


def notify_new_post(session: Session, post: CommunityPost, thread: CommunityThread,
                    thread_url: ThreadUrl | None) -> list[int]:
    """Tell the asker (for an answer), the answer's author (for a reply) and the thread's watchers.

    Returns the ids of the members notified. The poster is never notified of their own post.
    """
    recipients: dict[int, str] = {}
    name = _author_name(post)
    if post.parent_id is not None:
        parent = session.get(CommunityPost, post.parent_id)
        if parent is not None and parent.author_id:
            recipients[parent.author_id] = f"{name} replied to your answer in “{thread.title}”."
    else:
        if thread.author_id:
            recipients[thread.author_id] = f"{name} answered your question “{thread.title}”."
    watchers = session.execute(select(CommunityWatch.user_id).where(CommunityWatch.thread_id == thread.id)).scalars()
    for watcher in watchers:
        recipients.setdefault(watcher, f"{name} posted in “{thread.title}”, which you are watching.")
    recipients.pop(post.author_id, None)
    if not recipients:
        return []
    # Read access is checked now, not when someone started watching: a member who left a
    # private group gets neither the notification nor the email (whose subject is the title).
    users = {u.id: u for u in session.execute(select(User).where(User.id.in_(recipients))).scalars()}
    recipients = {uid: text for uid, text in recipients.items() if uid in users and can_read_thread(session, thread, users[uid])}
    if not recipients:
        return []
    link = thread_url(thread) if thread_url else None
    for user_id, text in recipients.items():
        notify(session, user_id, "reply" if post.parent_id else "answer", text, thread_id=thread.id, post_id=post.id)
        user = users[user_id]
        if user.is_verified and wants_email(session, user_id):
            body = (f"Hello {user.display_name},\n\n{text}\n\n"
                    + (f"Read it on HealthDesk: {link}\n\n" if link else "")
                    + "You get these emails because you asked, answered or watch this thread. "
                    "To stop them, untick \"Email me\" on your community notifications page.\n")
            outbox.queue_mail(session, to=user.email, subject=f"New in your HealthDesk thread: {thread.title}"[:200],
                              text=body, category="community-notification")
    session.flush()
    return list(recipients)


def list_notifications(session: Session, user: User, page: int) -> Page:
    stmt = (select(CommunityNotification).where(CommunityNotification.user_id == user.id)
            .order_by(CommunityNotification.created_at.desc(), CommunityNotification.id.desc()))
    return paginate(session, stmt, page, PER_PAGE)


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(CommunityNotification)
        .where(CommunityNotification.user_id == user.id, CommunityNotification.read_at.is_(None))
        .values(read_at=datetime.now(timezone.utc))
    )
    return result.rowcount or 0


def mark_read(session: Session, user: User, notification_id: int) -> CommunityNotification | None:
    note = session.get(CommunityNotification, notification_id)
    if note is None or note.user_id != user.id:
        return None
    if note.read_at is None:
        note.read_at = datetime.now(timezone.utc)
    return note


# ---------------------------------------------------------------- watching a thread


def is_watching(session: Session, thread: CommunityThread, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return session.execute(select(exists().where(CommunityWatch.thread_id == thread.id, CommunityWatch.user_id == user.id))).scalar()


def set_watch(session: Session, thread: CommunityThread, user: User, watch: bool) -> None:
    row = session.execute(
        select(CommunityWatch).where(CommunityWatch.thread_id == thread.id, CommunityWatch.user_id == user.id)
    ).scalar_one_or_none()
    if watch and row is None:
        session.add(CommunityWatch(thread_id=thread.id, user_id=user.id))
    elif not watch and row is not None:
        session.delete(row)
    session.flush()


# ---------------------------------------------------------------- what other areas ask for
# (personalisation's "Today on HealthDesk": new answers to the member come first)

@dataclass(frozen=True)
class UnreadAnswer:
    key: str
    thread_title: str
    group_name: str
    url: str
    created_at: datetime


def unread_answers(session: Session, user_id: int, link: Link, limit: int = 10) -> list[UnreadAnswer]:
    """The member's newest unread notifications, on threads they may read today: one who
    left a private group no longer sees its thread titles, even on notices from before."""
    rows = session.execute(
        select(CommunityNotification, CommunityThread.title, CommunityGroup.name)
        .join(CommunityThread, CommunityThread.id == CommunityNotification.thread_id)
        .join(CommunityGroup, CommunityGroup.id == CommunityThread.group_id)
        .where(CommunityNotification.user_id == user_id, CommunityNotification.read_at.is_(None),
               readable_threads_clause(session.get(User, user_id)))
        .order_by(CommunityNotification.created_at.desc()).limit(limit)
    )
    return [UnreadAnswer(f"note-{note.id}", title, group, link("community.notifications"), note.created_at)
            for note, title, group in rows]


def signals_fingerprint(user_id) -> list:
    """Scalar subqueries that change when the member joins or leaves a group or gets or reads
    a notification (personalisation reuses a member's cards while they stay the same)."""
    return [
        change_summary(CommunityMembership.id, CommunityMembership.id, CommunityMembership.user_id == user_id),
        change_summary(CommunityNotification.id, CommunityNotification.id,
                       CommunityNotification.user_id == user_id, CommunityNotification.read_at.is_(None)),
    ]
