"""What search engines may list: the public pages, for /sitemap.xml and /robots.txt.

Only pages anyone can read without an account: health centers and articles, drugs and
conditions, public approved community groups and their visible threads, and the tools'
start pages. Nothing personal (My Medicine, account, notifications), no search results.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

# One sitemap file may list at most 50,000 addresses (sitemaps.org); past that we would
# need a sitemap index. The newest community threads go first, so the cut loses old ones.
MAX_URLS = 50_000

START_PAGES = ["main.index", "content.centers", "content.levels_of_evidence", "drugs.index", "drugs.conditions",
               "pills.index", "mymeds.interaction_checker", "mymeds.recalls", "community.index",
               "community.second_opinion", "newsletter.signup"]

# Private or endless: never crawled. Paths, as robots.txt matches them by prefix.
DISALLOWED = ["/my-medicine", "/account", "/community/moderation", "/community/notifications", "/search",
              "/drugs/search", "/drugs/autocomplete", "/community/search", "/api/"]


@dataclass(frozen=True)
class Entry:
    endpoint: str
    values: dict = field(default_factory=dict)
    lastmod: date | None = None


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _content(session: Session) -> Iterator[Entry]:
    from ..models.content import Article, HealthCenter

    for center in session.execute(select(HealthCenter).order_by(HealthCenter.slug)).scalars():
        yield Entry("content.center", {"slug": center.slug}, _day(center.updated_at))
    rows = session.execute(select(HealthCenter.slug, Article.slug, Article.updated_on)
                           .join(Article, Article.center_id == HealthCenter.id).order_by(HealthCenter.slug, Article.position))
    for center_slug, article_slug, updated_on in rows:
        yield Entry("content.article", {"center_slug": center_slug, "article_slug": article_slug}, updated_on)


def _drugs(session: Session) -> Iterator[Entry]:
    from ..models.drugs import Condition, Drug

    for slug, updated_at in session.execute(select(Drug.slug, Drug.updated_at).order_by(Drug.slug)):
        yield Entry("drugs.detail", {"slug": slug}, _day(updated_at))
    for slug in session.execute(select(Condition.slug).order_by(Condition.slug)).scalars():
        yield Entry("drugs.condition", {"slug": slug})


def _community(session: Session) -> Iterator[Entry]:
    from ..models.community import CommunityGroup, CommunityThread
    from .community_posts import visible_threads_stmt

    public = (CommunityGroup.status == "approved") & (CommunityGroup.visibility == "public")
    for slug in session.execute(select(CommunityGroup.slug).where(public).order_by(CommunityGroup.slug)).scalars():
        yield Entry("community.group", {"slug": slug})
    threads = visible_threads_stmt(None).with_only_columns(CommunityThread.id, CommunityThread.last_activity_at)
    for thread_id, last_activity in session.execute(threads.order_by(CommunityThread.last_activity_at.desc(),
                                                                     CommunityThread.id.desc()).limit(MAX_URLS)):
        yield Entry("community.thread", {"thread_id": thread_id}, _day(last_activity))


SOURCES = {"content.center": _content, "drugs.detail": _drugs, "community.thread": _community}


def public_entries(session: Session, endpoints: set[str]) -> list[Entry]:
    """Every public page of the areas this site has (`endpoints`: the app's view names)."""
    found = [Entry(endpoint) for endpoint in START_PAGES if endpoint in endpoints]
    for needed, source in SOURCES.items():
        if needed in endpoints:
            found += [entry for entry in source(session) if entry.endpoint in endpoints]
    return found[:MAX_URLS]


def robots_txt(site_url: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "", f"Sitemap: {site_url.rstrip('/')}/sitemap.xml"]
    return "\n".join(lines) + "\n"
