""""Export my data": the member's community posts, memberships, invitations received, votes,
reports, watches and notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.community.models import (
    CommunityGroup,
    CommunityInvitation,
    CommunityMembership,
    CommunityNotification,
    CommunityPost,
    CommunityReport,
    CommunityStanding,
    CommunityThread,
    CommunityVote,
    CommunityWatch,
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_section(session: Session, user) -> dict:
    posts = session.execute(
        select(CommunityPost, CommunityThread.title)
        .join(CommunityThread, CommunityThread.id == CommunityPost.thread_id)
        .where(CommunityPost.author_id == user.id).order_by(CommunityPost.id)
    ).all()
    groups = session.execute(
        select(CommunityGroup.slug, CommunityGroup.name, CommunityMembership.created_at)
        .join(CommunityMembership, CommunityMembership.group_id == CommunityGroup.id)
        .where(CommunityMembership.user_id == user.id).order_by(CommunityGroup.name)
    ).all()
    # Invitations received only: the ones a member sent would tell them which addresses have accounts.
    invitations = session.execute(
        select(CommunityGroup.slug, CommunityGroup.name, CommunityInvitation.created_at)
        .join(CommunityInvitation, CommunityInvitation.group_id == CommunityGroup.id)
        .where(CommunityInvitation.user_id == user.id).order_by(CommunityInvitation.id)
    ).all()
    standing = session.get(CommunityStanding, user.id)
    return {
        "groups": [{"slug": s, "name": n, "joined_at": _iso(j)} for s, n, j in groups],
        "group_invitations": [{"slug": s, "name": n, "invited_at": _iso(at)} for s, n, at in invitations],
        "posts": [
            {
                "thread": title, "kind": "question" if p.is_question else ("reply" if p.parent_id else "answer"),
                "body": p.body, "anonymous": p.anonymous, "status": p.status, "created_at": _iso(p.created_at),
                "edited_at": _iso(p.edited_at), "hidden_reason": p.hidden_reason,
            }
            for p, title in posts
        ],
        "helpful_votes": [
            {"post_id": v.post_id, "at": _iso(v.created_at)}
            for v in session.execute(select(CommunityVote).where(CommunityVote.user_id == user.id)).scalars()
        ],
        "reports": [
            {"post_id": r.post_id, "reason": r.reason, "note": r.note, "status": r.status, "at": _iso(r.created_at)}
            for r in session.execute(select(CommunityReport).where(CommunityReport.reporter_id == user.id)).scalars()
        ],
        "watching_threads": list(session.execute(select(CommunityWatch.thread_id).where(CommunityWatch.user_id == user.id)).scalars()),
        "notifications": [
            {"text": n.text, "at": _iso(n.created_at), "read_at": _iso(n.read_at)}
            for n in session.execute(select(CommunityNotification).where(CommunityNotification.user_id == user.id)
                                     .order_by(CommunityNotification.id)).scalars()
        ],
        "email_notifications": True if standing is None else standing.email_notifications,
        "suspended_until": _iso(standing.suspended_until) if standing else None,
        "banned_at": _iso(standing.banned_at) if standing else None,
    }
