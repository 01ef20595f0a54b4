"""``sync(session, folder, echo)``: make the database match the content files. Upserts the
rows, removes what no longer has a file, keeps the site search index in step and reports
what it added, changed and removed. Running it again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.content.indexing import index_for_search
from webapp.blueprints.content.models import Article, HealthCenter
from webapp.blueprints.content.read import read_content
from webapp.blueprints.content.records import STORED_ARTICLE_FIELDS, STORED_CENTER_FIELDS
from webapp.core.datafiles import CONTENT_DIR


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, unchanged {self.unchanged}"


def _upsert(session: Session, existing: dict, data, model: type, stored_fields: tuple[str, ...], report: SyncReport,
            moved: Callable[[object], bool] = lambda _row: False):
    """The row for `data` (added when new), its stored fields set, and the report told."""
    row = existing.get(data.slug)
    if row is None:
        row = model(slug=data.slug)
        session.add(row)
        report.added.append(data.slug)
    elif row.content_hash != data.content_hash or moved(row):
        report.changed.append(data.slug)
    else:
        report.unchanged += 1
    for key in stored_fields:
        if getattr(row, key) != getattr(data, key):
            setattr(row, key, getattr(data, key))
    return row


def sync(session: Session, folder: Path = CONTENT_DIR, echo: Callable[[str], None] = print) -> tuple[SyncReport, SyncReport]:
    """Make the database match the content files. Returns (centers report, articles report).

    Does not commit: the caller does (the CLI and `flask seed` both do)."""
    content = read_content(folder)
    center_report, article_report = SyncReport(), SyncReport()

    existing_centers = {c.slug: c for c in session.execute(select(HealthCenter)).scalars()}
    centers = {data.slug: _upsert(session, existing_centers, data, HealthCenter, STORED_CENTER_FIELDS, center_report)
               for data in content.centers}
    session.flush()

    existing_articles = {a.slug: a for a in session.execute(select(Article)).scalars()}
    wanted = {a.slug for a in content.articles}
    for slug, row in existing_articles.items():
        if slug not in wanted:
            session.delete(row)
            article_report.removed.append(slug)
    for data in content.articles:
        center_id = centers[data.center_slug].id
        row = _upsert(session, existing_articles, data, Article, STORED_ARTICLE_FIELDS, article_report,
                      moved=lambda row, center_id=center_id: row.center_id != center_id)
        if row.center_id != center_id:
            row.center_id = center_id
    session.flush()
    for slug, row in existing_centers.items():
        if slug not in centers:
            session.delete(row)
            center_report.removed.append(slug)
    session.flush()

    index_for_search(session, content)
    echo(f"Health centers: {center_report.summary()}")
    echo(f"Articles: {article_report.summary()}")
    for label, slugs in (("added", article_report.added), ("changed", article_report.changed), ("removed", article_report.removed)):
        for slug in slugs:
            echo(f"  {label}: {slug}")
    return center_report, article_report
