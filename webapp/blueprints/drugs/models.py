"""Drugs & Supplements: the reference (drugs, ingredients, classes, conditions), the
Drugs@FDA product catalogue, the search keys behind name search, and member reviews.

Ingredient is shared by everything that names an active substance (drugs, catalogue
products, pills, interaction rules): one lowercase name per active moiety.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db_types import UTCDateTime, utcnow
from webapp.extensions import db

DRUG_KINDS = ("prescription", "otc", "vitamin", "supplement")
KIND_LABELS = {
    "prescription": "Prescription",
    "otc": "Over the counter",
    "vitamin": "Vitamin or mineral",
    "supplement": "Supplement",
}
DRUG_NAME_KINDS = ("brand", "synonym")
MARKETING_STATUSES = ("prescription", "otc", "discontinued", "tentative")
MARKETING_STATUS_LABELS = {
    "prescription": "Prescription",
    "otc": "Over the counter",
    "discontinued": "Discontinued",
    "tentative": "Tentative approval (not marketed)",
}
SEARCH_TARGETS = ("drug", "product", "condition")
REPORT_REASONS = ("spam", "abuse", "medical-misinformation", "personal-information", "other")
REPORT_STATUSES = ("open", "dismissed", "actioned")
REVIEW_STATUSES = ("visible", "hidden")


# --- association tables -------------------------------------------------------------

drug_ingredients = Table(
    "drug_ingredients",
    db.metadata,
    Column("drug_id", ForeignKey("drugs.id", ondelete="CASCADE"), primary_key=True),
    Column("ingredient_id", ForeignKey("ingredients.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("position", Integer, nullable=False, default=0),
)

drug_conditions = Table(
    "drug_conditions",
    db.metadata,
    Column("drug_id", ForeignKey("drugs.id", ondelete="CASCADE"), primary_key=True),
    Column("condition_id", ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True, index=True),
)

drug_class_members = Table(
    "drug_class_members",
    db.metadata,
    Column("drug_class_id", ForeignKey("drug_classes.id", ondelete="CASCADE"), primary_key=True),
    Column("ingredient_id", ForeignKey("ingredients.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# --- reference ----------------------------------------------------------------------


class Ingredient(db.Model):
    __tablename__ = "ingredients"
    __table_args__ = (CheckConstraint("name = lower(name)", name="name_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    drugs: Mapped[list[Drug]] = relationship(secondary=drug_ingredients, viewonly=True, order_by="Drug.name")
    classes: Mapped[list[DrugClass]] = relationship(secondary=drug_class_members, back_populates="members")

    def __repr__(self) -> str:
        return f"<Ingredient {self.name}>"


class DrugClass(db.Model):
    __tablename__ = "drug_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    members: Mapped[list[Ingredient]] = relationship(secondary=drug_class_members, back_populates="classes",
                                                     order_by="Ingredient.name")

    def __repr__(self) -> str:
        return f"<DrugClass {self.slug}>"


class Condition(db.Model):
    __tablename__ = "conditions"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"condition:{self.slug}", "list:drugs"}

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    synonyms: Mapped[list[ConditionSynonym]] = relationship(back_populates="condition", cascade="all, delete-orphan",
                                                            order_by="ConditionSynonym.name")
    drugs: Mapped[list[Drug]] = relationship(secondary=drug_conditions, back_populates="conditions",
                                             order_by="Drug.name")

    def __repr__(self) -> str:
        return f"<Condition {self.slug}>"


class ConditionSynonym(db.Model):
    __tablename__ = "condition_synonyms"
    __table_args__ = (UniqueConstraint("condition_id", "name", name="uq_condition_synonyms_condition_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    condition: Mapped[Condition] = relationship(back_populates="synonyms")


class Drug(db.Model):
    """A medicine people talk about, with its monograph (curated, from webapp/data/drugs)."""

    __tablename__ = "drugs"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"drug:{self.slug}", f"drug-id:{self.id}", "list:drugs", "home"}
    __table_args__ = (
        CheckConstraint("kind IN ('prescription', 'otc', 'vitamin', 'supplement')", name="kind"),
        CheckConstraint("popularity BETWEEN 1 AND 5", name="popularity"),
        Index("ix_drugs_kind_name", "kind", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    generic_name: Mapped[str] = mapped_column(String(300))
    popularity: Mapped[int] = mapped_column(default=3)
    # Monograph (Markdown text fields; side effects as lists of short phrases).
    summary: Mapped[str] = mapped_column(Text, default="")
    uses: Mapped[str] = mapped_column(Text, default="")
    how_to_take: Mapped[str] = mapped_column(Text, default="")
    side_effects_common: Mapped[list] = mapped_column(JSON, default=list)
    side_effects_serious: Mapped[list] = mapped_column(JSON, default=list)
    warnings: Mapped[str] = mapped_column(Text, default="")
    do_not_take: Mapped[str] = mapped_column(Text, default="")
    overdose: Mapped[str] = mapped_column(Text, default="")
    storage: Mapped[str] = mapped_column(Text, default="")
    # [{"title": ..., "url": ...}]
    sources: Mapped[list] = mapped_column(JSON, default=list)
    # Usual adult maximum daily dose: {"adult": text, "note": text or None,
    # "source": {"title": ..., "url": ...}}; None where the monograph gives none (OTC, supplements).
    max_daily_dose: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    names: Mapped[list[DrugName]] = relationship(back_populates="drug", cascade="all, delete-orphan",
                                                 order_by="DrugName.position")
    # Written by the loader through the table (to keep the order); read here.
    ingredients: Mapped[list[Ingredient]] = relationship(secondary=drug_ingredients, viewonly=True,
                                                         order_by=drug_ingredients.c.position)
    conditions: Mapped[list[Condition]] = relationship(secondary=drug_conditions, back_populates="drugs",
                                                       order_by="Condition.name")
    forms: Mapped[list[DrugForm]] = relationship(back_populates="drug", cascade="all, delete-orphan",
                                                 order_by="DrugForm.position")
    products: Mapped[list[Product]] = relationship(viewonly=True, order_by="Product.brand_name")

    @property
    def brand_names(self) -> list[str]:
        return [n.name for n in self.names if n.kind == "brand"]

    @property
    def synonyms(self) -> list[str]:
        return [n.name for n in self.names if n.kind == "synonym"]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Drug {self.slug}>"


class DrugName(db.Model):
    """Brand names and other names a drug is known by (searched, shown on the drug page)."""

    __tablename__ = "drug_names"
    __table_args__ = (
        CheckConstraint("kind IN ('brand', 'synonym')", name="kind"),
        UniqueConstraint("drug_id", "kind", "name", name="uq_drug_names_drug_kind_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    drug: Mapped[Drug] = relationship(back_populates="names")


class DrugForm(db.Model):
    """A dosage form of a drug with its strengths, e.g. tablet (oral): 10 mg, 20 mg."""

    __tablename__ = "drug_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id", ondelete="CASCADE"), index=True)
    form: Mapped[str] = mapped_column(String(120))
    route: Mapped[str] = mapped_column(String(120), default="")
    strengths: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    drug: Mapped[Drug] = relationship(back_populates="forms")


# --- the Drugs@FDA catalogue --------------------------------------------------------


class Product(db.Model):
    """One Drugs@FDA product row (application number + product number)."""

    __tablename__ = "products"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"drug-id:{self.drug_id}", "list:drugs"}
    __table_args__ = (
        UniqueConstraint("appl_no", "product_no", name="uq_products_appl_no_product_no"),
        CheckConstraint("marketing_status IS NULL OR marketing_status IN "
                        "('prescription', 'otc', 'discontinued', 'tentative')", name="marketing_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appl_no: Mapped[str] = mapped_column(String(10))
    product_no: Mapped[str] = mapped_column(String(10))
    appl_type: Mapped[str] = mapped_column(String(10), default="")  # NDA, ANDA, BLA
    brand_name: Mapped[str] = mapped_column(String(300))
    # Slug of the brand name; all products of one name share it (/drugs/products/<slug>).
    slug: Mapped[str] = mapped_column(String(300), index=True)
    active_ingredients: Mapped[str] = mapped_column(Text, default="")  # as printed in the catalogue
    form: Mapped[str] = mapped_column(String(200), default="")
    route: Mapped[str] = mapped_column(String(200), default="")
    strength: Mapped[str] = mapped_column(Text, default="")
    sponsor: Mapped[str] = mapped_column(String(300), default="")
    marketing_status: Mapped[str | None] = mapped_column(String(20), index=True)
    te_code: Mapped[str | None] = mapped_column(String(20))
    reference_drug: Mapped[bool] = mapped_column(Boolean, default=False)
    # The curated monograph for this product's active ingredient(s), when we have one.
    drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id", ondelete="SET NULL"), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    drug: Mapped[Drug | None] = relationship()
    ingredient_links: Mapped[list[ProductIngredient]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductIngredient.position")

    @property
    def ingredients(self) -> list[Ingredient]:
        return [link.ingredient for link in self.ingredient_links]

    @property
    def marketing_status_label(self) -> str:
        return MARKETING_STATUS_LABELS.get(self.marketing_status or "", "Unknown")

    def __repr__(self) -> str:
        return f"<Product {self.appl_no}/{self.product_no} {self.brand_name}>"


class ProductIngredient(db.Model):
    __tablename__ = "product_ingredients"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    ingredient_id: Mapped[int] = mapped_column(ForeignKey("ingredients.id", ondelete="CASCADE"), primary_key=True,
                                               index=True)
    # As printed ("METOPROLOL SUCCINATE") and this ingredient's strength ("EQ 50MG TARTRATE").
    raw_name: Mapped[str] = mapped_column(String(300), default="")
    strength: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="ingredient_links")
    ingredient: Mapped[Ingredient] = relationship()


# --- name search ----------------------------------------------------------------------


# Keys are plain ASCII; on PostgreSQL compare them bytewise so prefix ranges use the index.
SearchKey = String(300).with_variant(String(300, collation="C"), "postgresql")


class DrugSearchTerm(db.Model):
    """A normalised name (or word-suffix of a name) pointing at a drug, a catalogue
    product name or a condition. Rebuilt by the loader and the importer; queried by
    prefix range on `key` so search never scans."""

    __tablename__ = "drug_search_terms"
    __table_args__ = (
        CheckConstraint("target_type IN ('drug', 'product', 'condition')", name="target_type"),
        # Covering index for the prefix lookups (type, key range, best weights first).
        Index("ix_drug_search_terms_type_key", "target_type", "key", "weight", "id"),
        Index("ix_drug_search_terms_target", "target_type", "target_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(SearchKey)
    target_type: Mapped[str] = mapped_column(String(10))
    # drug slug, product slug or condition slug
    target_key: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(300))  # what the result is called
    matched: Mapped[str] = mapped_column(String(300))  # the name this key came from
    # name | generic | brand | synonym | ingredient | word
    match_kind: Mapped[str] = mapped_column(String(12))
    weight: Mapped[int] = mapped_column(default=0)  # higher ranks first


class DrugSearchTypoKey(db.Model):
    """Typo lookup (a "symmetric delete" index): every word of every search key, in its
    sound-alike spelling, stored under itself and under each one-letter deletion of it.
    A query word finds its near spellings through the same variants of itself, with an
    index lookup instead of a scan."""

    __tablename__ = "drug_search_typo_keys"
    __table_args__ = (UniqueConstraint("variant", "word", name="uq_drug_search_typo_keys_variant_word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant: Mapped[str] = mapped_column(SearchKey)
    word: Mapped[str] = mapped_column(SearchKey)  # the real word (as in DrugSearchTerm.key)
    weight: Mapped[int] = mapped_column(default=0)  # how important the best target with this word is


# --- reviews -------------------------------------------------------------------------


class Review(db.Model):
    __tablename__ = "drug_reviews"

    def surrogate_keys(self) -> set[str]:
        """The cached public pages this row is shown on, purged when it changes (core/http_cache.py)."""
        return {f"drug-id:{self.drug_id}"}
    __table_args__ = (
        UniqueConstraint("drug_id", "user_id", name="uq_drug_reviews_drug_user"),
        CheckConstraint("effectiveness BETWEEN 1 AND 5", name="effectiveness"),
        CheckConstraint("ease_of_use BETWEEN 1 AND 5", name="ease_of_use"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction"),
        CheckConstraint("status IN ('visible', 'hidden')", name="status"),
        Index("ix_drug_reviews_drug_created", "drug_id", "created_at"),
        Index("ix_drug_reviews_drug_helpful", "drug_id", "helpful_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    condition_id: Mapped[int | None] = mapped_column(ForeignKey("conditions.id", ondelete="SET NULL"), index=True)
    effectiveness: Mapped[int] = mapped_column()
    ease_of_use: Mapped[int] = mapped_column()
    satisfaction: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(Text, default="")
    helpful_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="visible")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    drug: Mapped[Drug] = relationship()
    user = relationship("User")
    condition: Mapped[Condition | None] = relationship()


class ReviewVote(db.Model):
    """A "helpful" vote: one per member per review."""

    __tablename__ = "drug_review_votes"

    review_id: Mapped[int] = mapped_column(ForeignKey("drug_reviews.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReviewReport(db.Model):
    """A member's report of a review, kept for the moderation queue."""

    __tablename__ = "drug_review_reports"
    __table_args__ = (
        UniqueConstraint("review_id", "user_id", name="uq_drug_review_reports_review_user"),
        CheckConstraint("reason IN ('spam', 'abuse', 'medical-misinformation', 'personal-information', 'other')",
                        name="reason"),
        CheckConstraint("status IN ('open', 'dismissed', 'actioned')", name="status"),
        Index("ix_drug_review_reports_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("drug_reviews.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    review: Mapped[Review] = relationship()
