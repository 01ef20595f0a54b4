"""The moderation log (community_moderation_actions): every moderator action, who took it and
when. The community's own actions write it through log_action; the drug area's review
moderation (drugs/review_moderation.py) through the review functions here, so that both
kinds of moderation show in one log without the drug area touching this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community.models import CommunityGroup, CommunityModerationAction, CommunityPost
from webapp.core.paging import Page, paginate

REASON_MAX = 500


def log_action(session: Session, moderator: User, action: str, *, post: CommunityPost | None = None,
               target_user_id: int | None = None, group: CommunityGroup | None = None, reason: str = "") -> CommunityModerationAction:
    entry = CommunityModerationAction(
        moderator_id=moderator.id, action=action, post_id=post.id if post else None,
        target_user_id=target_user_id if target_user_id is not None else (post.author_id if post else None),
        group_id=group.id if group else None, reason=(reason or "")[:REASON_MAX],
    )
    session.add(entry)
    return entry


def log_review_action(session: Session, moderator: User, action: str, review_id: int, author_id: int | None,
                      reason: str = "") -> None:
    """A drug-review action ("review_dismiss", "review_hide", "review_restore") on the log."""
    session.add(CommunityModerationAction(moderator_id=moderator.id, action=action, review_id=review_id,
                                          target_user_id=author_id, reason=(reason or "")[:REASON_MAX]))


@dataclass(frozen=True)
class ReviewHide:
    order: int  # later hides have higher numbers
    at: datetime
    reason: str


def last_review_hides(session: Session, review_ids: Iterable[int]) -> dict[int, ReviewHide]:
    """The latest hide of each of these reviews that the log holds, by review id."""
    ids = sorted(set(review_ids))
    if not ids:
        return {}
    last = (select(func.max(CommunityModerationAction.id))
            .where(CommunityModerationAction.action == "review_hide", CommunityModerationAction.review_id.in_(ids))
            .group_by(CommunityModerationAction.review_id))
    rows = session.execute(select(CommunityModerationAction).where(CommunityModerationAction.id.in_(last))).scalars()
    return {entry.review_id: ReviewHide(entry.id, entry.created_at, entry.reason) for entry in rows}


def action_log(session: Session, page: int) -> Page:
    stmt = select(CommunityModerationAction).order_by(CommunityModerationAction.created_at.desc(), CommunityModerationAction.id.desc())
    return paginate(session, stmt, page, per_page=50)
