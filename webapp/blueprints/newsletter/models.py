"""Newsletter: subscribers (visitors or members), their topics, issues and per-recipient deliveries.

A subscriber receives issues only once the address is confirmed (double opt-in). A member's
subscriber row points at the account (ON DELETE CASCADE): deleting the account removes the
address and its subscriptions. Each issue records one delivery per recipient, unique on
(issue, subscriber), written in the same transaction as the queued email, so a send that
is repeated or resumed after a crash never mails anyone twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db

SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed")
ISSUE_STATUSES = ("sending", "sent")


class NewsletterTopic(db.Model):
    __tablename__ = "newsletter_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<NewsletterTopic {self.slug}>"


class NewsletterSubscriber(db.Model):
    __tablename__ = "newsletter_subscribers"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'unsubscribed')", name="status"),
        Index("ix_newsletter_subscribers_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised (email-validator, lowercased); one row per address.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the last confirmation email was queued: at most one per hour.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    subscriptions: Mapped[list[NewsletterSubscription]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"

    def __repr__(self) -> str:
        return f"<NewsletterSubscriber {self.id} {self.status}>"


class NewsletterSubscription(db.Model):
    __tablename__ = "newsletter_subscriptions"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    # Sending looks up a topic's subscribers: the topic needs its own index.
    topic_id: Mapped[int] = mapped_column(ForeignKey("newsletter_topics.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    subscriber: Mapped[NewsletterSubscriber] = relationship(back_populates="subscriptions")
    topic: Mapped[NewsletterTopic] = relationship()


class NewsletterIssue(db.Model):
    __tablename__ = "newsletter_issues"
    __table_args__ = (
        CheckConstraint("status IN ('sending', 'sent')", name="status"),
        Index("ix_newsletter_issues_topic_created", "topic_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("newsletter_topics.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    # The composed items, fixed when the issue is created so a resumed send mails the same issue.
    items: Mapped[list] = mapped_column(JSON, default=list)
    covers_since: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="sending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    topic: Mapped[NewsletterTopic] = relationship()

    def __repr__(self) -> str:
        return f"<NewsletterIssue {self.id} {self.status}>"


class NewsletterDelivery(db.Model):
    __tablename__ = "newsletter_deliveries"
    __table_args__ = (
        UniqueConstraint("issue_id", "subscriber_id", name="uq_newsletter_deliveries_issue_subscriber"),
        Index("ix_newsletter_deliveries_subscriber", "subscriber_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("newsletter_issues.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"))
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
