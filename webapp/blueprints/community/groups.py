"""Community groups: who may read one, the list, joining and leaving, and starting a group.

Every function takes the session and plain values (the viewer is a User row, an anonymous
user or None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community.models import CommunityGroup, CommunityMembership, CommunityThread, CommunityWatch
from webapp.blueprints.community.moderation.standing import check_may_post
from webapp.blueprints.community.rules import CommunityError, is_moderator
from webapp.core.area import Card, Link, SitemapEntry
from webapp.core.slugs import slugify

SLUG_MAX = 70


def group_slug(name: str) -> str:
    """The address part a group's name gives (before any "-2" that keeps it unique)."""
    return slugify(name, max_length=SLUG_MAX, default="group")


def get_group(session: Session, slug: str) -> CommunityGroup | None:
    if not slug or len(slug) > 80 or "\x00" in slug:  # PostgreSQL refuses NUL in text
        return None
    return session.execute(select(CommunityGroup).where(CommunityGroup.slug == slug)).scalar_one_or_none()


def is_member(session: Session, group_id: int, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return session.execute(
        select(exists().where(CommunityMembership.group_id == group_id, CommunityMembership.user_id == user.id))
    ).scalar()


def can_read_group(session: Session, group: CommunityGroup, viewer) -> bool:
    if is_moderator(viewer):
        return True
    if group.status != "approved":
        return viewer is not None and viewer.is_authenticated and group.owner_id == viewer.id
    if group.visibility == "public":
        return True
    return is_member(session, group.id, viewer)


def readable_groups_clause(viewer):
    """A WHERE clause on CommunityGroup: the groups whose threads this viewer may read."""
    if is_moderator(viewer):
        return CommunityGroup.status == "approved"
    public = and_(CommunityGroup.status == "approved", CommunityGroup.visibility == "public")
    if viewer is None or not viewer.is_authenticated:
        return public
    member_of = select(CommunityMembership.group_id).where(CommunityMembership.user_id == viewer.id)
    return or_(public, and_(CommunityGroup.status == "approved", CommunityGroup.id.in_(member_of)))


@dataclass
class GroupSummary:
    group: CommunityGroup
    threads: int
    members: int
    joined: bool


def list_groups(session: Session, viewer) -> list[GroupSummary]:
    """Approved groups, public and private (private ones show name and description only)."""
    thread_counts = (
        select(CommunityThread.group_id, func.count().label("n"))
        .where(CommunityThread.status == "visible")
        .group_by(CommunityThread.group_id)
        .subquery()
    )
    member_counts = (
        select(CommunityMembership.group_id, func.count().label("n")).group_by(CommunityMembership.group_id).subquery()
    )
    rows = session.execute(
        select(CommunityGroup, func.coalesce(thread_counts.c.n, 0), func.coalesce(member_counts.c.n, 0))
        .outerjoin(thread_counts, thread_counts.c.group_id == CommunityGroup.id)
        .outerjoin(member_counts, member_counts.c.group_id == CommunityGroup.id)
        .where(CommunityGroup.status == "approved")
        .order_by(CommunityGroup.name)
    ).all()
    joined: set[int] = set()
    if viewer is not None and viewer.is_authenticated:
        joined = set(session.execute(select(CommunityMembership.group_id).where(CommunityMembership.user_id == viewer.id)).scalars())
    return [GroupSummary(g, t, m, g.id in joined) for g, t, m in rows]


def my_pending_groups(session: Session, user) -> list[CommunityGroup]:
    if user is None or not user.is_authenticated:
        return []
    return list(session.execute(
        select(CommunityGroup).where(CommunityGroup.owner_id == user.id, CommunityGroup.status != "approved").order_by(CommunityGroup.id)
    ).scalars())


def join_group(session: Session, group: CommunityGroup, user: User) -> bool:
    """Join a public group. Returns False when already a member."""
    if group.status != "approved":
        raise CommunityError("This group is not open yet: a moderator still has to approve it.", status=409)
    if group.visibility == "private" and group.owner_id != user.id:
        raise CommunityError("This is a private group: its owner invites members.", status=403)
    if is_member(session, group.id, user):
        return False
    session.add(CommunityMembership(group_id=group.id, user_id=user.id))
    session.flush()
    return True


def leave_group(session: Session, group: CommunityGroup, user: User) -> bool:
    if group.owner_id == user.id:
        raise CommunityError("You own this group, so you can't leave it.", status=409)
    return remove_member(session, group, user)


def remove_member(session: Session, group: CommunityGroup, user: User) -> bool:
    """End a membership; every way out of a group should come through here (today: leaving).
    Returns False when there was none.

    Watches on threads the member can no longer read go with it (a private group's), so its
    thread titles stop reaching them; in a public group they keep watching what they still read.
    """
    membership = session.execute(
        select(CommunityMembership).where(CommunityMembership.group_id == group.id, CommunityMembership.user_id == user.id)
    ).scalar_one_or_none()
    if membership is None:
        return False
    session.delete(membership)
    session.flush()
    if not can_read_group(session, group, user):
        session.execute(delete(CommunityWatch).where(
            CommunityWatch.user_id == user.id,
            CommunityWatch.thread_id.in_(select(CommunityThread.id).where(CommunityThread.group_id == group.id)),
        ))
        session.flush()
    return True


@dataclass(frozen=True)
class NewGroup:
    name: str
    description: str
    rules: str
    visibility: str


def create_group(session: Session, owner: User, data: NewGroup) -> CommunityGroup:
    """A member's support group: listed once a moderator approves it."""
    check_may_post(session, owner)
    name = " ".join(data.name.split())
    if not name or not re.search(r"\w", name):
        raise CommunityError("Give the group a name with some words in it.", "name")
    if data.visibility not in ("public", "private"):
        raise CommunityError("Choose public or private.", "visibility")
    exists_name = session.execute(
        select(CommunityGroup.id).where(func.lower(CommunityGroup.name) == name.lower())
    ).first()
    if exists_name:
        raise CommunityError("A group with this name already exists. Please choose another name.", "name")
    base = group_slug(name)
    slug, n = base, 2
    while get_group(session, slug) is not None:
        slug, n = f"{base}-{n}", n + 1
    group = CommunityGroup(
        slug=slug, name=name, description=data.description.strip(), rules=data.rules.strip(),
        visibility=data.visibility, status="approved" if is_moderator(owner) else "pending", owner_id=owner.id,
    )
    session.add(group)
    session.flush()
    session.add(CommunityMembership(group_id=group.id, user_id=owner.id))
    session.flush()
    return group


# ---------------------------------------------------------------- what other areas ask for
# (declared in hooks.py: the sitemap, "Today on HealthDesk", a member's signals)

# Which conditions each group is about, so a saved medicine can lead to a group.
GROUP_CONDITIONS = {
    "diabetes": {"type-2-diabetes", "type-1-diabetes"},
    "heart-health": {"hypertension", "high-cholesterol", "heart-failure", "atrial-fibrillation", "angina",
                     "heart-attack", "heart-attack-prevention", "stroke-prevention", "blood-clots", "high-triglycerides"},
    "mental-health": {"depression", "anxiety", "bipolar-disorder", "schizophrenia", "adhd", "insomnia",
                      "obsessive-compulsive-disorder", "panic-disorder"},
    "pancreatic-cancer": {"pancreatic-neuroendocrine-tumors", "pancreatic-cancer", "carcinoid-syndrome"},
    "chronic-pain": {"pain", "osteoarthritis", "rheumatoid-arthritis", "neuropathic-pain", "migraine", "fibromyalgia", "joint-pain"},
    "asthma-allergies": {"asthma", "allergies", "copd"},
}

_PUBLIC = and_(CommunityGroup.status == "approved", CommunityGroup.visibility == "public")


def sitemap_pages(session: Session) -> Iterator[SitemapEntry]:
    """The public approved groups' pages."""
    for slug in session.execute(select(CommunityGroup.slug).where(_PUBLIC).order_by(CommunityGroup.slug)).scalars():
        yield SitemapEntry("community.group", {"slug": slug})


def today_cards(session: Session, link: Link, now: datetime) -> list[Card]:
    """The public approved groups, tagged with the conditions they are about."""
    cards = []
    for group in session.execute(select(CommunityGroup).where(_PUBLIC)).scalars():
        tags = {f"group:{group.slug}"} | {f"condition:{c}" for c in GROUP_CONDITIONS.get(group.slug, ())}
        cards.append(Card("group", group.slug, group.name, link("community.group", slug=group.slug), group.description[:200], frozenset(tags)))
    return cards


def member_groups(session: Session, user_id: int) -> tuple[tuple[str, str], ...]:
    """(slug, name) of the groups the member joined, by name."""
    rows = session.execute(
        select(CommunityGroup.slug, CommunityGroup.name).join(CommunityMembership, CommunityMembership.group_id == CommunityGroup.id)
        .where(CommunityMembership.user_id == user_id).order_by(CommunityGroup.name)
    )
    return tuple((slug, name) for slug, name in rows)


def group_slugs(session: Session, ids: Iterable) -> dict[int, str]:
    """The slug of each of these group ids (anything that is not an id left out)."""
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    return dict(session.execute(select(CommunityGroup.id, CommunityGroup.slug).where(CommunityGroup.id.in_(ids))).all())
