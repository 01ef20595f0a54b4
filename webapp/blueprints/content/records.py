"""What the content files turn into before anything is written: one record per center and
article, the fields stored in the database, and the error a malformed file raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from webapp.core.datafiles import DataFileError


class ContentError(DataFileError):
    """A content file we refuse to load: file, line and reason (str(): "file:line: reason")."""


@dataclass
class CenterData:
    slug: str
    name: str
    topic: str
    summary: str
    intro_html: str
    position: int
    related_drugs: list[str]
    community_group: str | None
    content_hash: str = ""


@dataclass
class ArticleData:
    slug: str
    center_slug: str
    title: str
    short_title: str
    kind: str
    audience: str
    position: int
    summary: str
    teaser: str
    is_sample: bool
    pick_order: int | None
    source_author: str | None
    source_title: str | None
    source_publisher: str | None
    source_place: str | None
    source_url: str | None
    source_updated: date | None
    source_accessed: date | None
    source_note: str | None
    reviewed_on: date
    updated_on: date
    reviewer: str
    reference_list_url: str | None
    sources: list[dict]
    related_slugs: list[str]
    next_slug: str | None
    source_path: str
    body_markdown: str = field(repr=False, default="")
    body_line: int = 1
    explicit_references: list[dict] = field(default_factory=list)
    references_line: int = 2
    # Filled in by rendering:
    body_html: str = ""
    toc: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    evidence_codes: list[str] = field(default_factory=list)
    plain_text: str = ""
    content_hash: str = ""


STORED_ARTICLE_FIELDS = (
    "title", "short_title", "kind", "audience", "position", "summary", "teaser", "is_sample", "pick_order",
    "source_author", "source_title", "source_publisher", "source_place", "source_url", "source_updated",
    "source_accessed", "source_note", "reviewed_on", "updated_on", "reviewer", "reference_list_url", "sources",
    "related_slugs", "next_slug", "source_path", "body_html", "toc", "references", "evidence_codes", "content_hash",
)
STORED_CENTER_FIELDS = ("name", "topic", "summary", "intro_html", "position", "related_drugs", "community_group", "content_hash")


@dataclass
class ContentSet:
    centers: list[CenterData]
    articles: list[ArticleData]
