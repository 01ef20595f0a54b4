"""Pill Identifier: one row per marketed solid (or liquid) product with its SPL
characteristics, and the imprint lookup keys that make imprint search an index seek."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db

PILL_SOURCES = ("spl", "pillbox", "seed")
IMPRINT_KEY_KINDS = ("full", "token")

# Keys hold only [0-9A-Z]; "C" collation on PostgreSQL makes prefix ranges byte ranges.
ImprintKey = String(80).with_variant(String(80, collation="C"), "postgresql")


class Pill(db.Model):
    __tablename__ = "pills"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"pill:{self.id}", "list:pills"}
    __table_args__ = (
        UniqueConstraint("setid", "product_ndc", name="uq_pills_setid_product_ndc"),
        CheckConstraint("source IN ('spl', 'pillbox', 'seed')", name="source"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 9", name="score"),
        CheckConstraint("size_mm IS NULL OR size_mm > 0", name="size_mm"),
        # Searches without an imprint read one combination of characteristics at a time
        # (see PillFacetCount), in id order: an index seek with no sort.
        Index("ix_pills_facet_key", "facet_key", "id"),
        Index("ix_pills_coarse_key", "coarse_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10), default="spl")
    # The SPL document set this product was read from, and its version; "" when unknown.
    setid: Mapped[str] = mapped_column(String(64), default="", index=True)
    spl_version: Mapped[int | None] = mapped_column()
    effective_date: Mapped[date | None] = mapped_column(Date)
    document_type: Mapped[str] = mapped_column(String(100), default="")
    product_ndc: Mapped[str] = mapped_column(String(20), index=True)  # NDC product code, e.g. 0071-0155
    name: Mapped[str] = mapped_column(String(300))
    strength: Mapped[str] = mapped_column(String(300), default="")  # "10 mg", "5 mg; 325 mg"
    active_ingredients: Mapped[str] = mapped_column(Text, default="")  # as labelled, with strengths
    dosage_form: Mapped[str] = mapped_column(String(120), default="")
    labeler: Mapped[str] = mapped_column(String(300), default="")
    # As printed in SPL: parts separated by ";" ("PD;155;10"). None for unmarked products.
    imprint: Mapped[str | None] = mapped_column(String(200))
    color1: Mapped[str | None] = mapped_column(String(10))  # SPL colour codes (two-tone: two)
    color2: Mapped[str | None] = mapped_column(String(10))
    shape: Mapped[str | None] = mapped_column(String(10))  # SPL shape code
    size_mm: Mapped[float | None] = mapped_column(Float)
    score: Mapped[int | None] = mapped_column()  # pieces it can be split into (1 = not scored)
    flavor: Mapped[str] = mapped_column(String(200), default="")
    # SPLIMAGE file name from the label, and the web-sized copy we serve (a file name in the
    # instance media folder, named by its hash: see pills/photos.py).
    image_ref: Mapped[str] = mapped_column(String(300), default="")
    photo_path: Mapped[str | None] = mapped_column(String(300))
    drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id", ondelete="SET NULL"), index=True)
    # shape|color1|color2|size|score, written by pill_search.refresh_facet_counts (one
    # equality instead of five columns, some of them NULL, which planners cannot seek in order).
    facet_key: Mapped[str | None] = mapped_column(String(80))
    coarse_key: Mapped[str | None] = mapped_column(String(80))  # the same without the size
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    drug = relationship("Drug")
    imprint_keys: Mapped[list[PillImprintKey]] = relationship(
        back_populates="pill", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def colours(self) -> tuple[str, ...]:
        return tuple(c for c in (self.color1, self.color2) if c)

    def __repr__(self) -> str:
        return f"<Pill {self.id} {self.product_ndc} {self.imprint!r}>"


class PillImprintKey(db.Model):
    """An imprint key of a pill: its compact imprint in each order of its parts ("full"),
    or one part / letter-digit run ("token"); key_fold maps misread characters together."""

    __tablename__ = "pill_imprint_keys"
    __table_args__ = (
        CheckConstraint("kind IN ('full', 'token')", name="kind"),
        # Covering index: equality or prefix range on key_fold, then the raw key and the pill.
        Index("ix_pill_imprint_keys_lookup", "kind", "key_fold", "key_raw", "pill_id"),
        # A pill's other parts, checked once the rarest typed part found it.
        Index("ix_pill_imprint_keys_pill", "pill_id", "kind", "key_fold", "key_raw"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pill_id: Mapped[int] = mapped_column(ForeignKey("pills.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(5))
    key_raw: Mapped[str] = mapped_column(ImprintKey)
    key_fold: Mapped[str] = mapped_column(ImprintKey)

    pill: Mapped[Pill] = relationship(back_populates="imprint_keys")


class PillFacetCount(db.Model):
    """How many pills share one combination of characteristics. Searches without an
    imprint rank these rows instead of counting and sorting thousands of pills:
    level "coarse" (shape, colours, score) when no size is asked, "fine" (with the size)
    when it is. pill_search.refresh_facet_counts rebuilds the table after every import."""

    __tablename__ = "pill_facet_counts"
    __table_args__ = (
        UniqueConstraint("level", "facet_key", name="uq_pill_facet_counts_level_facet_key"),
        CheckConstraint("level IN ('coarse', 'fine')", name="level"),
        Index("ix_pill_facet_counts_level_shape_color1", "level", "shape", "color1"),
        # Colour-only searches: either colour, through two indexes (OR), never a scan.
        Index("ix_pill_facet_counts_level_color1", "level", "color1"),
        Index("ix_pill_facet_counts_level_color2", "level", "color2"),
        Index("ix_pill_facet_counts_level_shape_size", "level", "shape", "size_mm"),
        Index("ix_pill_facet_counts_level_size", "level", "size_mm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(6))
    facet_key: Mapped[str] = mapped_column(String(80))
    shape: Mapped[str] = mapped_column(String(10))
    color1: Mapped[str | None] = mapped_column(String(10))
    color2: Mapped[str | None] = mapped_column(String(10))
    size_mm: Mapped[float | None] = mapped_column(Float)
    score: Mapped[int | None] = mapped_column()
    pills: Mapped[int] = mapped_column()


class SplImportCheckpoint(db.Model):
    """How far an import of one SPL file (a DailyMed release zip) got: the labels done, in
    the zip's order. Saved in the same transaction as those labels, so an interrupted import
    started again on the same, unchanged file goes on from there; removed once it finishes."""

    __tablename__ = "spl_import_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1000), unique=True)  # the file's absolute path
    fingerprint: Mapped[str] = mapped_column(String(100))  # size and modification time
    labels_done: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
