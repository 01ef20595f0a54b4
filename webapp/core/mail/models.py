"""The mail outbox: every message is stored first and delivered by `flask mail deliver`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")
# body_text of a message whose subject, text, HTML and headers were removed after the retention
# period (webapp.core.mail.outbox.remove_old_text); what remains is the delivery record.
TEXT_REMOVED = "(removed after the retention period)"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable Message-ID: a receiving server can recognise a repeat as the same message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Extra mail headers (List-Unsubscribe ...); a name starting with "_" is never sent.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    # The account the message belongs to: deleting the account deletes its mail, at whatever
    # address it went to. Delivery metadata, kept after the retention period. A string
    # reference, so the outbox imports no area.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What the message is for, e.g. "verify-email" or "newsletter:12"; useful in the log.
    category: Mapped[str] = mapped_column(String(60), default="general")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def text_removed(self) -> bool:
        return self.body_text == TEXT_REMOVED
