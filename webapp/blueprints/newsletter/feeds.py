"""What the newsletter offers the rest of the site (declared in hooks.py): the topics a
member confirmed, which "Today on HealthDesk" takes as a sign of interest."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.newsletter.models import NewsletterSubscriber, NewsletterSubscription, NewsletterTopic
from webapp.core.area import change_summary


def confirmed_topics(session: Session, user_id: int) -> tuple[tuple[str, str], ...]:
    """(slug, name) of the topics the member subscribed to with a confirmed address, by name."""
    rows = session.execute(
        select(NewsletterTopic.slug, NewsletterTopic.name)
        .join(NewsletterSubscription, NewsletterSubscription.topic_id == NewsletterTopic.id)
        .join(NewsletterSubscriber, NewsletterSubscriber.id == NewsletterSubscription.subscriber_id)
        .where(NewsletterSubscriber.user_id == user_id, NewsletterSubscriber.status == "confirmed")
        .order_by(NewsletterTopic.name)
    )
    return tuple((slug, name) for slug, name in rows)


def signals_fingerprint(user_id) -> list:
    """Scalar subqueries that change when the member's subscription or its topics do."""
    return [
        change_summary(NewsletterSubscriber.id, NewsletterSubscriber.status, NewsletterSubscriber.user_id == user_id),
        change_summary(NewsletterSubscription.topic_id, NewsletterSubscription.created_at,
                       NewsletterSubscription.subscriber_id.in_(
                           select(NewsletterSubscriber.id).where(NewsletterSubscriber.user_id == user_id))),
    ]
