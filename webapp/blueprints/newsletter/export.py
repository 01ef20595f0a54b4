""""Export my data": the member's newsletter subscription, topics and the issues sent to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.newsletter.models import NewsletterDelivery, NewsletterIssue, NewsletterTopic
from webapp.blueprints.newsletter.signup import subscriber_for_user


def _iso(value):
    return value.isoformat() if value else None


def export_section(session: Session, user: User) -> dict | None:
    subscriber = subscriber_for_user(session, user)
    if subscriber is None:
        return None
    topic_ids = [s.topic_id for s in subscriber.subscriptions]
    topics = session.execute(
        select(NewsletterTopic.name).where(NewsletterTopic.id.in_(topic_ids)).order_by(NewsletterTopic.position)
    ).scalars() if topic_ids else []
    issues = session.execute(
        select(NewsletterIssue.subject, NewsletterDelivery.created_at)
        .join(NewsletterDelivery, NewsletterDelivery.issue_id == NewsletterIssue.id)
        .where(NewsletterDelivery.subscriber_id == subscriber.id)
        .order_by(NewsletterDelivery.created_at)
    )
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "subscribed_at": _iso(subscriber.created_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "unsubscribed_at": _iso(subscriber.unsubscribed_at),
        "topics": list(topics),
        "issues_received": [{"subject": subject, "sent_at": _iso(sent_at)} for subject, sent_at in issues],
    }
