"""Personalisation choices and reading history (kept only while the member allows it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db


class PersonalisationSettings(db.Model):
    """A member's choices; no row means the defaults (personalised, history kept)."""

    __tablename__ = "personalisation_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    personalise: Mapped[bool] = mapped_column(Boolean, default=True)
    keep_history: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReadingHistory(db.Model):
    """One row per item a member read (re-reading moves it to the front)."""

    __tablename__ = "reading_history"
    __table_args__ = (
        UniqueConstraint("user_id", "item_kind", "item_key", name="uq_reading_history_user_item"),
        Index("ix_reading_history_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_kind: Mapped[str] = mapped_column(String(20))
    item_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
