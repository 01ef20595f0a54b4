"""Member reviews of drugs: one per member per drug (editable), three 1–5 ratings, the
condition it was taken for, helpful votes, and reports kept for the moderation queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.drugs.models import REPORT_REASONS, Condition, Drug, Review, ReviewReport, ReviewVote
from webapp.core.db_types import utcnow
from webapp.core.errors import FieldError
from webapp.core.paging import Page, paginate

MAX_BODY = 5000
SORTS = ("newest", "helpful")
PER_PAGE = 10
REPORT_REASON_LABELS = {
    "spam": "Spam or advertising",
    "abuse": "Rude, hateful or harassing",
    "medical-misinformation": "Dangerous medical advice",
    "personal-information": "Shares someone's personal information",
    "other": "Something else",
}
RATING_FIELDS = ("effectiveness", "ease_of_use", "satisfaction")


class ReviewError(FieldError):
    """A review rule refused what was typed; `field` names the form field (None: the form)."""


@dataclass(frozen=True)
class ReviewInput:
    effectiveness: int
    ease_of_use: int
    satisfaction: int
    condition_id: int | None = None
    body: str = ""


def _validate(session: Session, drug: Drug, data: ReviewInput) -> ReviewInput:
    for name in RATING_FIELDS:
        value = getattr(data, name)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise ReviewError("Choose a rating from 1 to 5.", name)
    body = (data.body or "").replace("\x00", "").strip()
    if len(body) > MAX_BODY:
        raise ReviewError(f"Use at most {MAX_BODY:,} characters.", "body")
    condition_id = data.condition_id
    if condition_id is not None and session.get(Condition, condition_id) is None:
        raise ReviewError("Choose a condition from the list.", "condition_id")
    return ReviewInput(data.effectiveness, data.ease_of_use, data.satisfaction, condition_id, body)


def review_of(session: Session, user_id: int, drug_id: int) -> Review | None:
    return session.execute(select(Review).where(Review.user_id == user_id, Review.drug_id == drug_id)).scalar_one_or_none()


def create_review(session: Session, user_id: int, drug: Drug | None, data: ReviewInput) -> Review:
    if drug is None:
        raise ReviewError("That drug does not exist (any more), so it cannot be reviewed.")
    data = _validate(session, drug, data)
    if review_of(session, user_id, drug.id) is not None:
        raise ReviewError("You have already reviewed this drug. You can edit your review instead.")
    review = Review(drug_id=drug.id, user_id=user_id, **data.__dict__)
    session.add(review)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a double submit that raced the check above
        raise ReviewError("You have already reviewed this drug. You can edit your review instead.") from None
    return review


def edit_values(review: Review) -> tuple:
    """What the review edit form edits, in a fixed order (for services/edit_conflicts)."""
    return (review.effectiveness, review.ease_of_use, review.satisfaction, review.condition_id, review.body)


def review_for_update(session: Session, review_id: int) -> Review | None:
    """The review read afresh and locked until the transaction ends, so two saves at once take turns."""
    return session.execute(
        select(Review).where(Review.id == review_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()


def update_review(session: Session, review: Review, data: ReviewInput) -> Review:
    data = _validate(session, review.drug, data)
    for name, value in data.__dict__.items():
        setattr(review, name, value)
    review.updated_at = utcnow()
    session.flush()
    return review


def delete_review(session: Session, review: Review) -> None:
    session.delete(review)
    session.flush()


def vote_helpful(session: Session, user_id: int, review: Review) -> bool:
    """Count the member's "helpful" vote once; returns False when it was already counted
    or the review is their own."""
    if review.user_id == user_id:
        raise ReviewError("You can't vote for your own review.")
    exists = session.get(ReviewVote, (review.id, user_id))
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ReviewVote(review_id=review.id, user_id=user_id))
            session.flush()
    except IntegrityError:
        return False
    session.execute(update(Review).where(Review.id == review.id).values(helpful_count=Review.helpful_count + 1))
    session.expire(review, ["helpful_count"])
    return True


def report_review(session: Session, user_id: int, review: Review, reason: str, details: str = "") -> bool:
    """Store a report for the moderators; returns False if this member already reported it."""
    if reason not in REPORT_REASONS:
        raise ReviewError("Choose a reason.", "reason")
    details = (details or "").replace("\x00", "").strip()
    if len(details) > 1000:
        raise ReviewError("Use at most 1,000 characters.", "details")
    existing = session.execute(
        select(ReviewReport).where(ReviewReport.review_id == review.id, ReviewReport.user_id == user_id)
    ).scalar_one_or_none()
    if existing is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ReviewReport(review_id=review.id, user_id=user_id, reason=reason, details=details))
            session.flush()
    except IntegrityError:
        return False
    return True


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Averages:
    count: int
    effectiveness: float | None
    ease_of_use: float | None
    satisfaction: float | None

    @property
    def overall(self) -> float | None:
        values = [v for v in (self.effectiveness, self.ease_of_use, self.satisfaction) if v is not None]
        return round(sum(values) / len(values), 1) if values else None


def _averages(row) -> Averages:
    count = row[0] or 0
    return Averages(count, *(round(float(v), 1) if v is not None else None for v in row[1:4]))


_AVG = (func.count(Review.id), func.avg(Review.effectiveness), func.avg(Review.ease_of_use),
        func.avg(Review.satisfaction))


def summary(session: Session, drug_id: int) -> tuple[Averages, list[tuple[Condition | None, Averages]]]:
    """Averages over every visible review, and per condition it was taken for."""
    visible = (Review.drug_id == drug_id) & (Review.status == "visible")
    overall = _averages(session.execute(select(*_AVG).where(visible)).one())
    if not overall.count:  # most drugs have no reviews: two queries fewer on their page
        return overall, []
    rows = session.execute(select(Review.condition_id, *_AVG).where(visible).group_by(Review.condition_id)).all()
    condition_ids = [r[0] for r in rows if r[0] is not None]
    conditions = {c.id: c for c in session.execute(
        select(Condition).where(Condition.id.in_(condition_ids))).scalars()} if condition_ids else {}
    per_condition = [(conditions.get(r[0]), _averages(r[1:])) for r in rows]
    per_condition.sort(key=lambda item: (-item[1].count, item[0].name if item[0] else "~"))
    return overall, per_condition


def averages_for(session: Session, drug_ids: list[int], condition_id: int | None = None) -> dict[int, Averages]:
    if not drug_ids:
        return {}
    statement = select(Review.drug_id, *_AVG).where(Review.drug_id.in_(drug_ids), Review.status == "visible")
    if condition_id is not None:
        statement = statement.where(Review.condition_id == condition_id)
    return {row[0]: _averages(row[1:]) for row in session.execute(statement.group_by(Review.drug_id))}


_MOST_HELPFUL_FIRST = (Review.helpful_count.desc(), Review.created_at.desc(), Review.id.desc())


def list_reviews(session: Session, drug_id: int, *, sort: str = "newest", page: int = 1,
                 condition_id: int | None = None, per_page: int = PER_PAGE) -> Page[Review]:
    where = [Review.drug_id == drug_id, Review.status == "visible"]
    if condition_id is not None:
        where.append(Review.condition_id == condition_id)
    order = _MOST_HELPFUL_FIRST if sort == "helpful" else (Review.created_at.desc(), Review.id.desc())
    statement = (select(Review).where(*where).options(selectinload(Review.user), selectinload(Review.condition))
                 .order_by(*order))
    return paginate(session, statement, page, per_page)


def most_helpful(session: Session, drug_id: int, limit: int = 3) -> list[Review]:
    """The first reviews of the "most helpful" listing, without counting them all."""
    statement = (select(Review).where(Review.drug_id == drug_id, Review.status == "visible")
                 .options(selectinload(Review.user), selectinload(Review.condition))
                 .order_by(*_MOST_HELPFUL_FIRST).limit(limit))
    return list(session.execute(statement).scalars())


def voted_ids(session: Session, user_id: int, review_ids: list[int]) -> set[int]:
    if not review_ids:
        return set()
    return set(session.execute(select(ReviewVote.review_id).where(
        ReviewVote.user_id == user_id, ReviewVote.review_id.in_(review_ids))).scalars())


def export_section(session: Session, user) -> dict:
    """The member's reviews, helpful votes and reports, for "Export my data"."""
    reviews = session.execute(
        select(Review).where(Review.user_id == user.id).options(selectinload(Review.drug), selectinload(Review.condition))
        .order_by(Review.created_at)
    ).scalars()
    votes = session.execute(
        select(ReviewVote, Review.drug_id).join(Review, Review.id == ReviewVote.review_id)
        .where(ReviewVote.user_id == user.id).order_by(ReviewVote.created_at)
    ).all()
    reports = session.execute(
        select(ReviewReport).where(ReviewReport.user_id == user.id).order_by(ReviewReport.created_at)
    ).scalars()
    return {
        "reviews": [{
            "drug": r.drug.name, "drug_slug": r.drug.slug,
            "condition": r.condition.name if r.condition else None,
            "effectiveness": r.effectiveness, "ease_of_use": r.ease_of_use, "satisfaction": r.satisfaction,
            "text": r.body, "helpful_votes": r.helpful_count,
            "status": "hidden by a moderator" if r.status == "hidden" else "shown",
            "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat(),
        } for r in reviews],
        "helpful_votes": [{"review_id": v.review_id, "created_at": v.created_at.isoformat()} for v, _drug in votes],
        "reports": [{"review_id": r.review_id, "reason": r.reason, "details": r.details, "status": r.status,
                     "created_at": r.created_at.isoformat()} for r in reports],
    }
