"""Community: groups, question threads, posts (questions, answers, replies), helpful votes,
reports, the moderation log, members' community standing, notifications, watches and
invitations to private groups.

Public posts keep their text when the author deletes the account (author_id SET NULL,
shown as "[deleted member]"); everything private to a member (votes, reports, watches,
notifications, memberships, invitations, their standing) goes with the account (CASCADE).
A post's Markdown is stored as written (`body`) and rendered once to safe HTML (`body_html`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.blueprints.accounts.models import User
from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db

GROUP_VISIBILITIES = ("public", "private")
GROUP_STATUSES = ("pending", "approved", "rejected")
THREAD_STATUSES = ("visible", "held", "hidden", "deleted")
POST_STATUSES = ("visible", "held", "hidden", "deleted")
REPORT_REASONS = ("spam", "misinformation", "harassment", "personal_information", "self_harm", "other")
REPORT_STATUSES = ("open", "dismissed", "actioned")
MOD_ACTIONS = ("dismiss", "hide", "restore", "approve", "redact", "warn", "suspend", "ban", "unban",
               "promote", "unpromote", "approve_group", "reject_group",
               # on member reviews of drugs (webapp.blueprints.drugs.review_moderation)
               "review_dismiss", "review_hide", "review_restore")
NOTIFICATION_KINDS = ("answer", "reply", "moderation", "invite", "best")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CommunityGroup(db.Model):
    __tablename__ = "community_groups"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"group:{self.slug}", "list:community", "home"}
    __table_args__ = (
        CheckConstraint(_in("visibility", GROUP_VISIBILITIES), name="visibility"),
        CheckConstraint(_in("status", GROUP_STATUSES), name="status"),
        Index("ix_community_groups_status_name", "status", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User | None] = relationship()

    @property
    def is_private(self) -> bool:
        return self.visibility == "private"


class CommunityMembership(db.Model):
    __tablename__ = "community_memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_community_memberships_group_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("community_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommunityInvitation(db.Model):
    """An invitation to a private group, waiting for the invitee to accept or decline.

    Nobody becomes a member without accepting; accepting or declining removes the row.
    Deleting either account removes it too: it is between the two of them.
    """

    __tablename__ = "community_invitations"
    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_community_invitations_group_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("community_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    group: Mapped[CommunityGroup] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])


class CommunityThread(db.Model):
    __tablename__ = "community_threads"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"thread:{self.id}", "list:community", "home"}
    __table_args__ = (
        CheckConstraint(_in("status", THREAD_STATUSES), name="status"),
        Index("ix_community_threads_group_created", "group_id", "created_at"),
        Index("ix_community_threads_group_activity", "group_id", "last_activity_at"),
        Index("ix_community_threads_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("community_groups.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # Comma-separated lowercase tags, e.g. "side effects,insulin".
    tags: Mapped[str] = mapped_column(String(300), default="")
    # A drug's slug from the drugs area (no foreign key: that area is optional).
    drug_slug: Mapped[str | None] = mapped_column(String(120), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="visible")
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    group: Mapped[CommunityGroup] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class CommunityPost(db.Model):
    __tablename__ = "community_posts"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"thread:{self.thread_id}", "list:community"}
    __table_args__ = (
        CheckConstraint(_in("status", POST_STATUSES), name="status"),
        Index("ix_community_posts_thread_created", "thread_id", "created_at"),
        Index("ix_community_posts_status_created", "status", "created_at"),
        Index("ix_community_posts_promoted", "promoted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"))
    # Replies point at the answer they reply to (one level deep); answers and the question have none.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="visible")
    # Why a post waits for review ("first post", "many links") or why a moderator hid it.
    held_reason: Mapped[str | None] = mapped_column(String(200))
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    mentions_crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    # In the moderators' queue without a report (a post that mentions a crisis); cleared by any action.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    is_best: Mapped[bool] = mapped_column(Boolean, default=False)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set when a moderator features an expert's post on the Second Opinion page.
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    thread: Mapped[CommunityThread] = relationship()
    author: Mapped[User | None] = relationship()


class CommunityVote(db.Model):
    __tablename__ = "community_votes"
    __table_args__ = (UniqueConstraint("post_id", "user_id", name="uq_community_votes_post_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommunityReport(db.Model):
    __tablename__ = "community_reports"
    __table_args__ = (
        CheckConstraint(_in("reason", REPORT_REASONS), name="reason"),
        CheckConstraint(_in("status", REPORT_STATUSES), name="status"),
        UniqueConstraint("post_id", "reporter_id", name="uq_community_reports_post_reporter"),
        Index("ix_community_reports_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    post: Mapped[CommunityPost] = relationship()


class CommunityModerationAction(db.Model):
    """The moderation log: every action, who took it and when. Kept when accounts go."""

    __tablename__ = "community_moderation_actions"
    __table_args__ = (
        CheckConstraint(_in("action", MOD_ACTIONS), name="action"),
        Index("ix_community_moderation_actions_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("community_posts.id", ondelete="SET NULL"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("community_groups.id", ondelete="SET NULL"))
    # A drug review the action was about; the entry stays (without the link) when the review is deleted.
    review_id: Mapped[int | None] = mapped_column(ForeignKey("drug_reviews.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])
    review = relationship("Review")


class CommunityStanding(db.Model):
    """A member's standing in the community: sanctions, trust and mail preference."""

    __tablename__ = "community_standings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    approved_posts: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True)


class CommunityNotification(db.Model):
    __tablename__ = "community_notifications"
    __table_args__ = (
        CheckConstraint(_in("kind", NOTIFICATION_KINDS), name="kind"),
        Index("ix_community_notifications_user_read", "user_id", "read_at"),
        Index("ix_community_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CommunityWatch(db.Model):
    __tablename__ = "community_watches"
    __table_args__ = (UniqueConstraint("thread_id", "user_id", name="uq_community_watches_thread_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
