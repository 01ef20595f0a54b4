"""My Medicine: family profiles, their saved medicines, FDA recalls matched to them,
alert subscriptions and the on-site notifications those produce.

Everything here except `recalls` is private to one account: every row carries the
owner's user id (ON DELETE CASCADE) so each query can filter on it directly.

The interaction knowledge base itself is not stored here: interaction_loader.py reads it
from webapp/data/*.yaml and knowledge.py builds it; `flask seed` validates it and loads
the drug classes into the shared `drug_classes` table.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db

RELATIONSHIPS = ("self", "partner", "child", "parent", "grandparent", "sibling", "other-family", "friend", "other")
RELATIONSHIP_LABELS = {
    "self": "Me",
    "partner": "Spouse or partner",
    "child": "Child",
    "parent": "Parent",
    "grandparent": "Grandparent",
    "sibling": "Brother or sister",
    "other-family": "Other family member",
    "friend": "Friend",
    "other": "Someone I care for",
}
MEDICINE_KINDS = ("drug", "product", "pill", "other")
MEDICINE_STATUSES = ("active", "stopped")
MATCH_BASES = ("ndc", "brand", "ingredient")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class MedProfile(db.Model):
    """A person whose medicines an account keeps: "Me" and family members."""

    __tablename__ = "med_profiles"
    __table_args__ = (
        CheckConstraint(_in("relation", RELATIONSHIPS), name="relation"),
        CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year"),
        Index("ix_med_profiles_user_position", "user_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    relation: Mapped[str] = mapped_column(String(20), default="self")
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    # Condition slugs from the knowledge base (drug-condition warnings use them).
    conditions: Mapped[list] = mapped_column(JSON, default=list)
    other_conditions: Mapped[str] = mapped_column(Text, default="")
    allergies: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    medicines: Mapped[list[SavedMedicine]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", passive_deletes=True,
        order_by="SavedMedicine.created_at")

    @property
    def relation_label(self) -> str:
        return RELATIONSHIP_LABELS.get(self.relation, self.relation)

    def __repr__(self) -> str:
        return f"<MedProfile {self.id} of user {self.user_id}>"


class SavedMedicine(db.Model):
    """One medicine on a profile's list. Name, ingredients and NDC are copied when it is
    saved, so the list and its checks stay right if the reference data changes."""

    __tablename__ = "saved_medicines"
    __table_args__ = (
        CheckConstraint(_in("kind", MEDICINE_KINDS), name="kind"),
        CheckConstraint(_in("status", MEDICINE_STATUSES), name="status"),
        Index("ix_saved_medicines_profile_status", "profile_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("med_profiles.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id", ondelete="SET NULL"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    pill_id: Mapped[int | None] = mapped_column(ForeignKey("pills.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    # Lowercase active ingredient names, as in the ingredients table.
    ingredients: Mapped[list] = mapped_column(JSON, default=list)
    brand_names: Mapped[list] = mapped_column(JSON, default=list)
    # Product NDC ("0093-0787"), when the medicine came from a pill with one.
    ndc: Mapped[str | None] = mapped_column(String(20), index=True)
    labeler: Mapped[str] = mapped_column(String(300), default="")
    strength: Mapped[str] = mapped_column(String(120), default="")
    how_taken: Mapped[str] = mapped_column(String(300), default="")
    started_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="active")
    stopped_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    profile: Mapped[MedProfile] = relationship(back_populates="medicines")

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def __repr__(self) -> str:
        return f"<SavedMedicine {self.id} {self.name!r}>"


class Recall(db.Model):
    """An FDA drug enforcement report (public data), one row per recall number."""

    __tablename__ = "recalls"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {"list:recalls"}
    __table_args__ = (Index("ix_recalls_report_date", "report_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The FDA recall number; the older weekly layout has none, so a stable digest stands in.
    recall_number: Mapped[str] = mapped_column(String(40), unique=True)
    classification: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(40), default="")
    product_type: Mapped[str] = mapped_column(String(40), default="")
    product_description: Mapped[str] = mapped_column(Text, default="")
    code_info: Mapped[str] = mapped_column(Text, default="")
    reason_for_recall: Mapped[str] = mapped_column(Text, default="")
    recalling_firm: Mapped[str] = mapped_column(String(300), default="")
    distribution_pattern: Mapped[str] = mapped_column(Text, default="")
    product_quantity: Mapped[str] = mapped_column(String(300), default="")
    report_date: Mapped[date | None] = mapped_column(Date)
    recall_initiation_date: Mapped[date | None] = mapped_column(Date)
    # Product NDCs ("0093-0787"), generic and brand names, lowercase.
    ndcs: Mapped[list] = mapped_column(JSON, default=list)
    generic_names: Mapped[list] = mapped_column(JSON, default=list)
    brand_names: Mapped[list] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Recall {self.recall_number}>"


class RecallMatch(db.Model):
    """A recall that concerns one saved medicine, and how sure the match is."""

    __tablename__ = "recall_matches"
    __table_args__ = (
        UniqueConstraint("recall_id", "saved_medicine_id", name="uq_recall_matches_recall_medicine"),
        CheckConstraint(_in("basis", MATCH_BASES), name="basis"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"))
    saved_medicine_id: Mapped[int] = mapped_column(ForeignKey("saved_medicines.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("med_profiles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    basis: Mapped[str] = mapped_column(String(12))
    # What the member should check, e.g. "only the 25 mg tablets from Teva".
    scope_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recall: Mapped[Recall] = relationship()
    medicine: Mapped[SavedMedicine] = relationship()


class AlertSubscription(db.Model):
    """FDA recall alerts for all of an account's profiles (profile_id NULL) or one profile."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "scope_key", name="uq_alert_subscriptions_user_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("med_profiles.id", ondelete="CASCADE"), index=True)
    # "all" or "profile:<id>": unique per account on every database (NULLs are not).
    scope_key: Mapped[str] = mapped_column(String(30))
    by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MedNotification(db.Model):
    """An alert shown on the site (and maybe emailed): one per recall and profile."""

    __tablename__ = "med_notifications"
    __table_args__ = (
        UniqueConstraint("recall_id", "profile_id", name="uq_med_notifications_recall_profile"),
        # The header's unread count: WHERE user_id = ? AND read_at IS NULL.
        Index("ix_med_notifications_user_read", "user_id", "read_at"),
        Index("ix_med_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("med_profiles.id", ondelete="CASCADE"), index=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    profile: Mapped[MedProfile] = relationship()
    recall: Mapped[Recall] = relationship()
