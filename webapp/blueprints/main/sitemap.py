"""What search engines may list: the public pages, for /sitemap.xml and /robots.txt.

Only pages anyone can read without an account: health centers and articles, drugs and
conditions, public approved community groups and their visible threads, pill pages, and
the tools' start pages, each as its area offers them (the sitemap_* hooks of
webapp/core/area.py). Nothing personal (My Medicine, account, notifications), no search
results. /sitemap.xml is an index of sections, because one sitemap file may list at most
50,000 addresses (sitemaps.org) and the community and the pill table can grow past that:
"pages" (everything small), then each area's long lists ("pills-N", "threads-N") in
chunks of CHUNK.
"""

from __future__ import annotations

import math
import re

from sqlalchemy.orm import Session

from webapp.core.area import Registry, SitemapEntry, SitemapSection

CHUNK = 10_000

# Private or endless: never crawled. Paths, as robots.txt matches them by prefix.
DISALLOWED = ["/my-medicine", "/account", "/community/moderation", "/community/notifications", "/search",
              "/drugs/search", "/drugs/autocomplete", "/community/search", "/health-centers/search", "/api/"]

_SECTION = re.compile(r"([a-z]+)-([1-9][0-9]{0,5})")


def sections(session: Session, areas: Registry) -> list[str]:
    """The names of the sitemap files this site has now, for the index."""
    found = ["pages"]
    for section in areas.sitemap_sections:
        found += [f"{section.name}-{n}" for n in range(1, math.ceil(section.count(session) / CHUNK) + 1)]
    return found


def section_entries(session: Session, areas: Registry, name: str) -> list[SitemapEntry] | None:
    """The addresses of one sitemap file; None when there is no such section."""
    if name == "pages":
        found = [SitemapEntry(endpoint) for endpoint in areas.sitemap_start_pages]
        for source in areas.sitemap_pages:
            found += source(session)
        return found
    match = _SECTION.fullmatch(name)
    section = _section_named(areas, match[1]) if match else None
    if section is None:
        return None
    return section.entries(session, (int(match[2]) - 1) * CHUNK, CHUNK) or None


def _section_named(areas: Registry, name: str) -> SitemapSection | None:
    return next((section for section in areas.sitemap_sections if section.name == name), None)


def robots_txt(site_url: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "", f"Sitemap: {site_url.rstrip('/')}/sitemap.xml"]
    return "\n".join(lines) + "\n"
