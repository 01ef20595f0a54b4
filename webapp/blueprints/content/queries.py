"""Read side of the health centers: what the pages show. Plain functions taking a session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.blueprints.content.loader import LEVELS_PATH, article_path
from webapp.blueprints.content.models import ARTICLE_KINDS, KIND_LABELS, Article, HealthCenter


@dataclass(frozen=True)
class Card:
    """A content card for sidebars and lists (the personalisation work fills these per user)."""

    title: str
    url: str
    teaser: str
    label: str       # what kind of thing it is, e.g. "Feature"
    reason: str = ""  # why it is shown ("Editor's pick", later "Because you follow ...")
    is_sample: bool = False


def list_centers(session: Session) -> list[HealthCenter]:
    return list(session.execute(select(HealthCenter).order_by(HealthCenter.position, HealthCenter.name)).scalars())


def get_center(session: Session, slug: str) -> HealthCenter | None:
    return session.execute(select(HealthCenter).where(HealthCenter.slug == slug)).scalar_one_or_none()


def get_article(session: Session, center_slug: str, slug: str) -> Article | None:
    return session.execute(
        select(Article).join(Article.center).options(joinedload(Article.center))
        .where(Article.slug == slug, HealthCenter.slug == center_slug)
    ).scalar_one_or_none()


def article_version(session: Session, center_slug: str, slug: str) -> str | None:
    """The article's content hash (None when there is no such article): a cheap freshness check."""
    return session.execute(
        select(Article.content_hash).join(Article.center).where(Article.slug == slug, HealthCenter.slug == center_slug)
    ).scalar_one_or_none()


def articles_by_kind(session: Session, center: HealthCenter) -> list[tuple[str, list[Article]]]:
    """The center's articles grouped by kind (PDQ summaries first), in editorial order."""
    rows = session.execute(
        select(Article).where(Article.center_id == center.id).order_by(Article.position, Article.title)
    ).scalars()
    groups: dict[str, list[Article]] = {kind: [] for kind in ARTICLE_KINDS}
    for article in rows:
        groups[article.kind].append(article)
    return [(KIND_LABELS[kind], items) for kind, items in groups.items() if items]


def articles_by_slug(session: Session, slugs: list[str]) -> list[Article]:
    """Articles in the order of `slugs` (unknown ones skipped)."""
    if not slugs:
        return []
    found = {a.slug: a for a in session.execute(
        select(Article).options(joinedload(Article.center)).where(Article.slug.in_(slugs))
    ).scalars()}
    return [found[s] for s in slugs if s in found]


def url_of(article: Article) -> str:
    return article_path(article.center.slug, article.slug)


def today_on_healthdesk(session: Session, *, exclude_slug: str | None = None, limit: int = 4) -> list[Card]:
    """ "Today on HealthDesk": the editors' picks from the content files.

    The one function behind the sidebar partial, so the personalisation work can swap in
    per-user cards with the same shape."""
    rows = session.execute(
        select(Article).options(joinedload(Article.center))
        .where(Article.pick_order.is_not(None)).order_by(Article.pick_order, Article.slug).limit(limit + 1)
    ).scalars()
    cards = [
        Card(title=a.short_title, url=url_of(a), teaser=a.summary, label=a.kind_name,
             reason="Editor's pick", is_sample=a.is_sample)
        for a in rows if a.slug != exclude_slug
    ][:limit]
    if len(cards) < limit:
        cards.append(Card(title="How strong is the evidence?", url=LEVELS_PATH, label="Guide", reason="Editor's pick",
                          teaser="What the level-of-evidence codes in our cancer articles mean, in plain words."))
    return cards


def pdq_citation(article: Article) -> str:
    """The source in the PDQ citation format (author. title. place: publisher. Updated date. Available at: url.)."""
    parts = [article.source_author, article.source_title]
    if article.source_publisher:
        parts.append(f"{article.source_place}: {article.source_publisher}" if article.source_place else article.source_publisher)
    if article.source_updated:
        parts.append(f"Updated {article.source_updated:%m/%d/%Y}")
    if article.source_url:
        parts.append(f"Available at: {article.source_url}")
    if article.source_accessed:
        parts.append(f"Accessed {article.source_accessed:%m/%d/%Y}")
    return " ".join(f"{p.rstrip('.')}." for p in parts if p)


def article_json_ld(article: Article, canonical_url: str, center_url: str) -> dict:
    """schema.org MedicalWebPage data for the article page (the template serialises it safely)."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article.title,
        "headline": article.short_title,
        "description": article.summary,
        "url": canonical_url,
        "inLanguage": "en",
        "lastReviewed": article.reviewed_on.isoformat(),
        "dateModified": article.updated_on.isoformat(),
        "reviewedBy": {"@type": "Organization", "name": article.reviewer},
        "audience": {"@type": "MedicalAudience", "audienceType": "Clinician" if article.audience == "health-professional" else "Patient"},
        "about": {"@type": "MedicalCondition", "name": article.center.topic},
        "isPartOf": {"@type": "WebPage", "name": article.center.name, "url": center_url},
        "publisher": {"@type": "Organization", "name": "HealthDesk"},
    }
    if article.source_url:
        data["isBasedOn"] = article.source_url
        data["citation"] = pdq_citation(article)
    return data
