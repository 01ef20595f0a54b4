"""Moderating members' drug reviews: the reported reviews in the moderators' queue, and the
actions on them (dismiss the reports, hide the review, show a hidden review again).

Reviews are reported through webapp.blueprints.drugs.reviews.report_review. It lives with the
drugs because what it changes is the drug area's (a review's status, its reports); the
community's moderators do it in their console, so every action is written to the community's
moderation log (through community/moderation/log.py) and the review's author hears about a
hide or a restore through the community notifications. Who reported a review is never shown,
not even to moderators, as for posts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community import notifications
from webapp.blueprints.community.moderation import log as moderation_log
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
    hidden = list(session.execute(select(Review.id).where(Review.status == "hidden")).scalars())
    hides = moderation_log.last_review_hides(session, hidden)
    # The latest hidden first; reviews hidden with no log entry last, the newest of them first.
    shown = sorted(hidden, key=lambda rid: (rid not in hides, -hides[rid].order if rid in hides else 0, -rid))[:limit]
    reviews = {review.id: review for review in session.execute(
        select(Review).where(Review.id.in_(shown))
        .options(selectinload(Review.drug), selectinload(Review.user), selectinload(Review.condition))).scalars()}
    return [HiddenReview(reviews[rid], hides[rid].at if rid in hides else None, hides[rid].reason if rid in hides else "")
            for rid in shown], len(hidden)


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


def _log(session: Session, moderator: User, action: str, review: Review, reason: str = "") -> None:
    moderation_log.log_review_action(session, moderator, action, review.id, review.user_id, reason)


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
