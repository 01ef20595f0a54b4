"""What the health centers offer the rest of the site (declared in hooks.py): their pages for
the sitemap, article cards for "Today on HealthDesk", new articles for the newsletter, and
the expert-perspective articles Second Opinion lists."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp.blueprints.content.models import Article, HealthCenter
from webapp.blueprints.content.queries import url_of
from webapp.core.area import Card, FeedItem, Link, NewsLink, SitemapEntry, clip, day, first_link, words_match

ARTICLE_LIMIT = 8  # new articles in one newsletter issue


def sitemap_pages(session: Session) -> Iterator[SitemapEntry]:
    """Every health center, then every article (in each center's order)."""
    for center in session.execute(select(HealthCenter).order_by(HealthCenter.slug)).scalars():
        yield SitemapEntry("content.center", {"slug": center.slug}, day(center.updated_at))
    rows = session.execute(select(HealthCenter.slug, Article.slug, Article.updated_on)
                           .join(Article, Article.center_id == HealthCenter.id).order_by(HealthCenter.slug, Article.position))
    for center_slug, article_slug, updated_on in rows:
        yield SitemapEntry("content.article", {"center_slug": center_slug, "article_slug": article_slug}, updated_on)


def today_cards(session: Session, link: Link, now: datetime) -> list[Card]:
    """Every article, tagged with its center, the center's drugs and its community group."""
    cards = []
    for article in session.execute(select(Article)).scalars():
        center = article.center
        tags = {f"center:{center.slug}"} | {f"drug:{slug}" for slug in (center.related_drugs or [])}
        if center.community_group:
            tags.add(f"group:{center.community_group}")
        cards.append(Card("article", article.slug, article.short_title or article.title, url_of(article),
                          article.summary, frozenset(tags), editorial_rank=article.pick_order))
    return cards


def articles_since(session: Session, since: datetime, link: NewsLink, *, center_words: Iterable[str] = (),
                   exclude_center_words: Iterable[str] = (), text_words: Iterable[str] = ()) -> list[FeedItem]:
    """New articles for a newsletter issue, newest first: in centers named by any of
    `center_words` (and none of `exclude_center_words`), or whose title or summary has one
    of `text_words`."""
    stmt = (select(Article, HealthCenter).join(HealthCenter, Article.center_id == HealthCenter.id)
            .where(Article.created_at >= since).order_by(Article.created_at.desc(), Article.id).limit(ARTICLE_LIMIT))
    center_text = HealthCenter.name + " " + HealthCenter.topic + " " + HealthCenter.slug
    if center_words:
        stmt = stmt.where(words_match(center_text, center_words))
    if exclude_center_words:
        stmt = stmt.where(~words_match(center_text, exclude_center_words))
    if text_words:
        stmt = stmt.where(or_(words_match(Article.title, text_words), words_match(Article.summary, text_words)))
    items = []
    for article, center in session.execute(stmt):
        url = first_link(link, [("content.article", {"center_slug": center.slug, "article_slug": article.slug}),
                                ("content.center", {"slug": center.slug})])
        items.append(FeedItem(f"article:{article.slug}", "article", "New articles", article.title,
                              clip(article.summary), url, {"center": center.slug}))
    return items


@dataclass(frozen=True)
class PerspectiveArticle:
    title: str
    summary: str
    center_slug: str
    slug: str
    reviewer: str
    is_sample: bool


def expert_perspective_articles(session: Session, limit: int = 20) -> list[PerspectiveArticle]:
    """Health-center articles of kind "expert perspective", newest first."""
    rows = session.execute(
        select(Article, HealthCenter.slug).join(HealthCenter, HealthCenter.id == Article.center_id)
        .where(Article.kind == "expert-perspective").order_by(Article.updated_on.desc(), Article.id.desc()).limit(limit)
    ).all()
    return [PerspectiveArticle(a.title, a.summary, center, a.slug, a.reviewer, bool(a.is_sample)) for a, center in rows]
