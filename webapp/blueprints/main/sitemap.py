"""What search engines may list: the public pages, for /sitemap.xml and /robots.txt.

Only pages anyone can read without an account: health centers and articles, drugs and
conditions, public approved community groups and their visible threads, pill pages, and
the tools' start pages. Nothing personal (My Medicine, account, notifications), no search
results. /sitemap.xml is an index of sections, because one sitemap file may list at most
50,000 addresses (sitemaps.org) and the community and the pill table can grow past that:
"pages" (everything small), then "threads-N" and "pills-N" in chunks of CHUNK.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

CHUNK = 10_000

START_PAGES = ["main.index", "content.centers", "content.levels_of_evidence", "drugs.index", "drugs.conditions",
               "pills.index", "mymeds.interaction_checker", "mymeds.recalls", "community.index",
               "community.second_opinion", "newsletter.signup"]

# Private or endless: never crawled. Paths, as robots.txt matches them by prefix.
DISALLOWED = ["/my-medicine", "/account", "/community/moderation", "/community/notifications", "/search",
              "/drugs/search", "/drugs/autocomplete", "/community/search", "/api/"]

_SECTION = re.compile(r"(threads|pills)-([1-9][0-9]{0,5})")


@dataclass(frozen=True)
class Entry:
    endpoint: str
    values: dict = field(default_factory=dict)
    lastmod: date | None = None


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _content(session: Session) -> Iterator[Entry]:
    from webapp.blueprints.content.models import Article, HealthCenter

    for center in session.execute(select(HealthCenter).order_by(HealthCenter.slug)).scalars():
        yield Entry("content.center", {"slug": center.slug}, _day(center.updated_at))
    rows = session.execute(select(HealthCenter.slug, Article.slug, Article.updated_on)
                           .join(Article, Article.center_id == HealthCenter.id).order_by(HealthCenter.slug, Article.position))
    for center_slug, article_slug, updated_on in rows:
        yield Entry("content.article", {"center_slug": center_slug, "article_slug": article_slug}, updated_on)


def _drugs(session: Session) -> Iterator[Entry]:
    from webapp.blueprints.drugs.models import Condition, Drug

    for slug, updated_at in session.execute(select(Drug.slug, Drug.updated_at).order_by(Drug.slug)):
        yield Entry("drugs.detail", {"slug": slug}, _day(updated_at))
    for slug in session.execute(select(Condition.slug).order_by(Condition.slug)).scalars():
        yield Entry("drugs.condition", {"slug": slug})


def _groups(session: Session) -> Iterator[Entry]:
    from webapp.blueprints.community.models import CommunityGroup

    public = (CommunityGroup.status == "approved") & (CommunityGroup.visibility == "public")
    for slug in session.execute(select(CommunityGroup.slug).where(public).order_by(CommunityGroup.slug)).scalars():
        yield Entry("community.group", {"slug": slug})


def _public_threads():
    from webapp.blueprints.community.models import CommunityThread
    from webapp.blueprints.community.threads import visible_threads_stmt

    return visible_threads_stmt(None).with_only_columns(CommunityThread.id, CommunityThread.last_activity_at), CommunityThread.id


def _pills():
    from webapp.blueprints.pills.models import Pill

    return select(Pill.id, Pill.updated_at), Pill.id


# Small sources (all in "pages") and chunked ones, each with the endpoint it needs.
PAGE_SOURCES = {"content.center": _content, "drugs.detail": _drugs, "community.group": _groups}
CHUNKED = {"threads": ("community.thread", "thread_id", _public_threads), "pills": ("pills.detail", "pill_id", _pills)}


def _count(session: Session, kind: str) -> int:
    stmt, _key = CHUNKED[kind][2]()
    return session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


def sections(session: Session, endpoints: set[str]) -> list[str]:
    """The names of the sitemap files this site has now, for the index."""
    found = ["pages"]
    for kind, (endpoint, _param, _source) in CHUNKED.items():
        if endpoint in endpoints:
            found += [f"{kind}-{n}" for n in range(1, math.ceil(_count(session, kind) / CHUNK) + 1)]
    return found


def section_entries(session: Session, endpoints: set[str], name: str) -> list[Entry] | None:
    """The addresses of one sitemap file; None when there is no such section."""
    if name == "pages":
        found = [Entry(endpoint) for endpoint in START_PAGES if endpoint in endpoints]
        for needed, source in PAGE_SOURCES.items():
            if needed in endpoints:
                found += [entry for entry in source(session) if entry.endpoint in endpoints]
        return found
    match = _SECTION.fullmatch(name)
    if match is None or CHUNKED[match[1]][0] not in endpoints:
        return None
    endpoint, param, source = CHUNKED[match[1]]
    stmt, key = source()
    rows = session.execute(stmt.order_by(key).offset((int(match[2]) - 1) * CHUNK).limit(CHUNK)).all()
    return [Entry(endpoint, {param: row_id}, _day(changed)) for row_id, changed in rows] or None


def robots_txt(site_url: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "", f"Sitemap: {site_url.rstrip('/')}/sitemap.xml"]
    return "\n".join(lines) + "\n"
