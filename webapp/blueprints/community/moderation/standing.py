"""A member's community standing: approved posts, warnings, suspension, ban, and whether
they may post now. The record's row is made on first need; reading never makes one."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community.models import CommunityStanding
from webapp.blueprints.community.rules import CommunityError, Standing, posting_block

UNVERIFIED = "Please confirm your email address first (see your account settings); then you can post."


def now() -> datetime:
    """The community's clock (UTC), one place for the edit window, duplicates and suspensions."""
    return datetime.now(timezone.utc)


def standing_row(session: Session, user_id: int) -> CommunityStanding:
    row = session.get(CommunityStanding, user_id)
    if row is None:
        row = CommunityStanding(user_id=user_id, approved_posts=0, warnings=0, email_notifications=True)
        session.add(row)
        session.flush()
    return row


def standing_of(session: Session, user_id: int) -> Standing:
    row = session.get(CommunityStanding, user_id)
    if row is None:
        return Standing()
    return Standing(row.approved_posts, row.suspended_until, row.banned_at)


def check_may_post(session: Session, user: User) -> Standing:
    """The member's standing, or CommunityError (403) saying why they may not post now."""
    if not user.is_verified:
        raise CommunityError(UNVERIFIED, status=403)
    standing = standing_of(session, user.id)
    block = posting_block(standing, now())
    if block:
        raise CommunityError(block, status=403)
    return standing


def posting_problem(session: Session, user: User) -> str | None:
    """Why this signed-in member may not post, report or invite right now (the notice above a
    form), or None."""
    try:
        check_may_post(session, user)
    except CommunityError as exc:
        return exc.message
    return None
