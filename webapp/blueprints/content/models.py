"""Health centers and their articles, loaded from the Markdown files in webapp/content/.

The files are the source of truth: `flask content sync` (and `flask seed`) upserts these
rows from them. Article bodies are stored already rendered and sanitised (body_html), so a
page view is one row read and no Markdown work.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db

ARTICLE_KINDS = ("pdq-summary", "feature", "expert-perspective")
KIND_LABELS = {"pdq-summary": "PDQ summaries", "feature": "Features", "expert-perspective": "Expert perspectives"}
KIND_NAMES = {"pdq-summary": "PDQ summary", "feature": "Feature", "expert-perspective": "Expert perspective"}
AUDIENCES = ("health-professional", "patient")
AUDIENCE_LABELS = {"health-professional": "Health professionals", "patient": "Patients and caregivers"}


class HealthCenter(db.Model):
    __tablename__ = "health_centers"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"center:{self.slug}", "list:content", "home"}

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    topic: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(400))
    intro_html: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Slugs of related drugs and the matching community group (linked once those areas exist).
    related_drugs: Mapped[list] = mapped_column(JSON, default=list)
    community_group: Mapped[str | None] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    articles: Mapped[list[Article]] = relationship(back_populates="center", order_by="Article.position",
                                                   cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<HealthCenter {self.slug}>"


class Article(db.Model):
    __tablename__ = "articles"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"article:{self.slug}", "list:content", "home"}
    __table_args__ = (
        CheckConstraint("kind IN ('pdq-summary', 'feature', 'expert-perspective')", name="kind"),
        CheckConstraint("audience IN ('health-professional', 'patient')", name="audience"),
        Index("ix_articles_center_position", "center_id", "position"),
        Index("ix_articles_pick_order", "pick_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("health_centers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    short_title: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(30))
    audience: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(String(400))   # cards and the meta description
    teaser: Mapped[str] = mapped_column(Text, default="")  # "Recommended" card text
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    # Editorial pick for "Today on HealthDesk" (lower first); None when not picked.
    pick_order: Mapped[int | None] = mapped_column(Integer)

    # The source this text comes from, for the attribution and citation.
    source_author: Mapped[str | None] = mapped_column(String(200))   # e.g. "PDQ® Adult Treatment Editorial Board"
    source_title: Mapped[str | None] = mapped_column(String(300))
    source_publisher: Mapped[str | None] = mapped_column(String(200))
    source_place: Mapped[str | None] = mapped_column(String(120))
    source_url: Mapped[str | None] = mapped_column(String(500))
    source_updated: Mapped[date | None] = mapped_column(Date)
    source_accessed: Mapped[date | None] = mapped_column(Date)
    source_note: Mapped[str | None] = mapped_column(Text)

    reviewed_on: Mapped[date] = mapped_column(Date)
    updated_on: Mapped[date] = mapped_column(Date)
    reviewer: Mapped[str] = mapped_column(String(200))

    body_html: Mapped[str] = mapped_column(Text)        # rendered + sanitised at load time
    toc: Mapped[list] = mapped_column(JSON, default=list)           # [{"id", "title"}]
    references: Mapped[list] = mapped_column(JSON, default=list)    # [{"number", "text", "url", "backlinks": [ids]}]
    reference_list_url: Mapped[str | None] = mapped_column(String(500))  # the source's own reference list
    sources: Mapped[list] = mapped_column(JSON, default=list)       # [{"title", "url"}] our own sources
    evidence_codes: Mapped[list] = mapped_column(JSON, default=list)
    related_slugs: Mapped[list] = mapped_column(JSON, default=list)
    next_slug: Mapped[str | None] = mapped_column(String(120))

    source_path: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    center: Mapped[HealthCenter] = relationship(back_populates="articles")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def audience_label(self) -> str:
        return AUDIENCE_LABELS.get(self.audience, self.audience)

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"
