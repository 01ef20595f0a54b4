"""The health centers, articles and the levels-of-evidence guide in the site search."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.blueprints.content import render as content_render
from webapp.blueprints.content.paths import LEVELS_PATH, article_path, center_path
from webapp.blueprints.content.records import ContentSet
from webapp.core.search import index as site_search

SEARCH_KIND_ARTICLE = "article"
SEARCH_KIND_CENTER = "center"
SEARCH_KIND_PAGE = "page"


def index_for_search(session: Session, content: ContentSet) -> None:
    """Index every center and article of `content`; drop those no longer in it."""
    # A no-op once the migrations have made the search objects; lets a fresh database seed anyway.
    site_search.install(session.connection())
    for center in content.centers:
        site_search.index_document(session, SEARCH_KIND_CENTER, center.slug, center.name,
                                   f"{center.summary} {content_render.plain_text(center.intro_html)}", center_path(center.slug))
    for article in content.articles:
        site_search.index_document(session, SEARCH_KIND_ARTICLE, article.slug, article.title,
                                   f"{article.summary} {article.plain_text}", article_path(article.center_slug, article.slug))
    site_search.index_document(session, SEARCH_KIND_PAGE, "levels-of-evidence", "Levels of evidence for cancer treatment studies",
                               levels_page_text(), LEVELS_PATH)
    site_search.remove_kind(session, SEARCH_KIND_CENTER, keep={c.slug for c in content.centers})
    site_search.remove_kind(session, SEARCH_KIND_ARTICLE, keep={a.slug for a in content.articles})


def levels_page_text() -> str:
    parts = ["How the PDQ editorial boards rank the strength of evidence: study design and end points."]
    for table in (content_render.STUDY_DESIGNS, content_render.END_POINTS):
        parts.extend(f"{code} {name}. {text}" for code, (name, text) in table.items())
    return " ".join(parts)
