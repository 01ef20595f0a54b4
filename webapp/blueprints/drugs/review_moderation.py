"""Moderating members' drug reviews: the reported reviews in the moderators' queue, and the
actions on them (dismiss the reports, hide the review, show a hidden review again).

Reviews are reported through webapp.blueprints.drugs.reviews.report_review. Every action here is
written to the same moderation log as the community's (CommunityModerationAction, with
review_id), and the review's author hears about a hide or a restore through the community
notifications. Who reported a review is never shown, not even to moderators, as for posts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community import notifications
from webapp.blueprints.community.models import CommunityModerationAction
from webapp.blueprints.community.rules import CommunityError, is_moderator
from webapp.blueprints.drugs.models import Review, ReviewReport
from webapp.blueprints.drugs.reviews import REPORT_REASON_LABELS
from webapp.core.db_types import utcnow

ACTIONS = ("dismiss", "hide", "restore")
REASON_MAX = 500
HIDDEN_SHOWN = 50


@dataclass
class ReportedReview:
    review: Review
    reports: list[ReviewReport] = field(default_factory=list)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """("Spam or advertising", 2), ... most frequent first."""
        return Counter(REPORT_REASON_LABELS.get(r.reason, r.reason) for r in self.reports).most_common()

    @property
    def notes(self) -> list[str]:
        return [r.details for r in self.reports if r.details]

    @property
    def first_reported(self) -> datetime:
        return min(r.created_at for r in self.reports)


@dataclass(frozen=True)
class HiddenReview:
    review: Review
    hidden_at: datetime | None
    reason: str


def reported_reviews(session: Session, limit: int = 100) -> list[ReportedReview]:
    """Reviews with open reports: the most reported first, then the longest waiting."""
    reports = session.execute(
        select(ReviewReport).where(ReviewReport.status == "open").order_by(ReviewReport.created_at, ReviewReport.id)
        .options(selectinload(ReviewReport.review).selectinload(Review.drug),
                 selectinload(ReviewReport.review).selectinload(Review.user),
                 selectinload(ReviewReport.review).selectinload(Review.condition))
    ).scalars()
    by_review: dict[int, ReportedReview] = {}
    for report in reports:
        by_review.setdefault(report.review_id, ReportedReview(report.review)).reports.append(report)
    items = sorted(by_review.values(), key=lambda i: (-len(i.reports), i.first_reported, i.review.id))
    return items[:limit]


def reported_count(session: Session) -> int:
    """How many reviews wait for a moderator (each counted once, however often reported)."""
    return session.execute(
        select(func.count(func.distinct(ReviewReport.review_id))).where(ReviewReport.status == "open")
    ).scalar_one()


def hidden_reviews(session: Session, limit: int = HIDDEN_SHOWN) -> tuple[list[HiddenReview], int]:
    """The most recently hidden reviews (to restore one hidden by mistake), and how many are hidden."""
    last_hide = (
        select(CommunityModerationAction.review_id, func.max(CommunityModerationAction.id).label("action_id"))
        .where(CommunityModerationAction.action == "review_hide", CommunityModerationAction.review_id.is_not(None))
        .group_by(CommunityModerationAction.review_id).subquery()
    )
    rows = session.execute(
        select(Review, CommunityModerationAction)
        .outerjoin(last_hide, last_hide.c.review_id == Review.id)
        .outerjoin(CommunityModerationAction, CommunityModerationAction.id == last_hide.c.action_id)
        .where(Review.status == "hidden")
        .order_by(last_hide.c.action_id.desc().nulls_last(), Review.id.desc())
        .limit(limit)
        .options(selectinload(Review.drug), selectinload(Review.user), selectinload(Review.condition))
    ).all()
    total = session.execute(select(func.count(Review.id)).where(Review.status == "hidden")).scalar_one()
    return [HiddenReview(review, entry.created_at if entry else None, entry.reason if entry else "") for review, entry in rows], total


# ---------------------------------------------------------------- actions


# State changes are conditional UPDATEs: of two submits racing each other only one changes
# anything (and is logged); the other is told it was already done.


def _close_reports(session: Session, review: Review, status: str) -> int:
    result = session.execute(
        update(ReviewReport).where(ReviewReport.review_id == review.id, ReviewReport.status == "open")
        .values(status=status, resolved_at=utcnow())
    )
    return result.rowcount


def _set_status(session: Session, review: Review, old: str, new: str) -> bool:
    result = session.execute(
        update(Review).where(Review.id == review.id, Review.status == old).values(status=new)
    )
    session.expire(review, ["status"])
    return result.rowcount == 1


def _log(session: Session, moderator: User, action: str, review: Review, reason: str = "") -> CommunityModerationAction:
    entry = CommunityModerationAction(moderator_id=moderator.id, action=action, review_id=review.id,
                                      target_user_id=review.user_id, reason=(reason or "")[:REASON_MAX])
    session.add(entry)
    return entry


def _checked(session: Session, moderator: User, review_id: int | None) -> Review:
    if not is_moderator(moderator):
        raise CommunityError("Only moderators can do that.", status=403)
    review = session.get(Review, review_id) if review_id else None
    if review is None:
        raise CommunityError("That review no longer exists: its author deleted it (or their account).", status=404)
    return review


def dismiss(session: Session, moderator: User, review_id: int | None) -> Review:
    """The reports were unfounded: close them and leave the review as it is."""
    review = _checked(session, moderator, review_id)
    if not _close_reports(session, review, "dismissed"):
        raise CommunityError("The reports on this review were already handled.", status=409)
    _log(session, moderator, "review_dismiss", review)
    session.flush()
    return review


def hide(session: Session, moderator: User, review_id: int | None, reason: str) -> Review:
    """Take the review off the drug's pages and out of its averages; its author is told why."""
    review = _checked(session, moderator, review_id)
    reason = " ".join((reason or "").replace("\x00", "").split())[:REASON_MAX]
    if not reason:
        raise CommunityError("Say why the review is hidden; its author will see this.", "reason")
    if not _set_status(session, review, "visible", "hidden"):
        raise CommunityError("This review is already hidden.", status=409)
    _close_reports(session, review, "actioned")
    _log(session, moderator, "review_hide", review, reason)
    notifications.notify(session, review.user_id, "moderation",
                         f"A moderator hid your review of {review.drug.name}. Reason: {reason}")
    session.flush()
    return review


def restore(session: Session, moderator: User, review_id: int | None) -> Review:
    """Show a hidden review again (it counts in the averages again)."""
    review = _checked(session, moderator, review_id)
    if not _set_status(session, review, "hidden", "visible"):
        raise CommunityError("This review is already shown.", status=409)
    _log(session, moderator, "review_restore", review)
    notifications.notify(session, review.user_id, "moderation",
                         f"A moderator restored your review of {review.drug.name}; it is shown again.")
    session.flush()
    return review
