"""Health centers, their articles, the levels-of-evidence guide and the site search page."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from wtforms.fields.choices import SelectChoice

from ...extensions import db
from ...security import csp_nonce
from ...services import content_queries, site_search
from ...services.content_loader import SLUG
from ...services.content_render import END_POINTS, STUDY_DESIGNS
from ...templating import current_font_size
from ...today import sidebar_cards
from .forms import SiteSearchForm

bp = Blueprint("content", __name__)

SEARCH_PER_PAGE = 10
# How search results from each area are labelled; areas not listed get their kind, capitalised.
SEARCH_KIND_LABELS = {"article": "Article", "center": "Health center", "page": "Guide", "drug": "Drug", "thread": "Community"}


# Anonymous readers all get the same article page, apart from the CSRF token in the header
# forms and the CSP nonce. So each worker keeps the rendered page for a short while, with
# holes where those two go, and fills the holes per request. Logged-in readers, pages with
# a query string or a flashed message are always rendered afresh. The article's content
# hash is re-checked at most every VERSION_CHECK_SECONDS, so a content sync shows within
# seconds; the rest of the page (other areas' header and footer) is re-rendered at least
# every PAGE_CACHE_SECONDS.
PAGE_CACHE_SECONDS = 60
VERSION_CHECK_SECONDS = 5
PAGE_CACHE_MAX = 256
_CSRF_HOLE = "hd-csrf-hole-3b9e1"
_NONCE_HOLE = "hd-nonce-hole-3b9e1"


@dataclass
class _CachedPage:
    html: str
    version: str
    rendered_at: float
    checked_at: float




def _page_cache() -> dict[tuple, _CachedPage]:
    return current_app.extensions.setdefault("content_page_cache", {})


def _cacheable() -> bool:
    return request.method == "GET" and not request.query_string and not current_user.is_authenticated and not session.get("_flashes")


def _cached_page(key: tuple, current_version: Callable[[], str | None], render: Callable[..., str]) -> str:
    """The page for anonymous readers from the worker's cache, refreshed as described above."""
    key = (*key, current_font_size())
    now = time.monotonic()
    cache = _page_cache()
    entry = cache.get(key)
    if entry is None or now - entry.checked_at >= VERSION_CHECK_SECONDS:
        version = current_version() or abort(404)
        if entry is not None and entry.version == version and now - entry.rendered_at < PAGE_CACHE_SECONDS:
            entry.checked_at = now
        else:
            html = render(csrf_token=lambda: _CSRF_HOLE, csp_nonce=lambda: _NONCE_HOLE)
            if len(cache) >= PAGE_CACHE_MAX:
                cache.clear()
            cache[key] = entry = _CachedPage(html, version, now, now)
    html = entry.html
    if _CSRF_HOLE in html:
        html = html.replace(_CSRF_HOLE, generate_csrf())
    if _NONCE_HOLE in html:
        html = html.replace(_NONCE_HOLE, csp_nonce())
    return html


def _slug_or_404(value: str) -> str:
    if len(value) > 120 or not SLUG.fullmatch(value):
        abort(404)
    return value


def _canonical(endpoint: str, **values) -> str:
    return current_app.config["SITE_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.route("/health-centers")
def centers():
    return render_template("content/centers.html", centers=content_queries.list_centers(db.session),
                           canonical=_canonical("content.centers"))


@bp.route("/health-centers/levels-of-evidence")
def levels_of_evidence():
    return render_template("content/levels.html", designs=STUDY_DESIGNS, end_points=END_POINTS,
                           canonical=_canonical("content.levels_of_evidence"))


@bp.route("/health-centers/<slug>")
def center(slug: str):
    center = content_queries.get_center(db.session, _slug_or_404(slug)) or abort(404)
    view_functions = current_app.view_functions
    drugs = [(s, url_for("drugs.detail", slug=s)) for s in center.related_drugs] if "drugs.detail" in view_functions else []
    group_url = (url_for("community.group", slug=center.community_group)
                 if center.community_group and "community.group" in view_functions else None)
    return render_template(
        "content/center.html",
        center=center,
        groups=content_queries.articles_by_kind(db.session, center),
        drugs=drugs,
        group_url=group_url,
        today_cards=sidebar_cards(lambda: content_queries.today_on_healthdesk(db.session)),
        canonical=_canonical("content.center", slug=center.slug),
    )


@bp.route("/health-centers/<center_slug>/<article_slug>")
def article(center_slug: str, article_slug: str):
    center_slug, article_slug = _slug_or_404(center_slug), _slug_or_404(article_slug)
    if not _cacheable():
        return _render_article(center_slug, article_slug)
    return _cached_page(("article", center_slug, article_slug),
                        lambda: content_queries.article_version(db.session, center_slug, article_slug),
                        lambda **holes: _render_article(center_slug, article_slug, **holes))


def _render_article(center_slug: str, article_slug: str, **holes) -> str:
    article = content_queries.get_article(db.session, center_slug, article_slug) or abort(404)
    next_article = content_queries.articles_by_slug(db.session, [article.next_slug] if article.next_slug else [])
    # Related articles not already recommended by a card inside the text.
    related = [a for a in content_queries.articles_by_slug(db.session, article.related_slugs)
               if f'id="related-{a.slug}"' not in article.body_html]
    canonical = _canonical("content.article", center_slug=center_slug, article_slug=article_slug)
    return render_template(
        "content/article.html",
        article=article,
        center=article.center,
        next_article=next_article[0] if next_article else None,
        related=related,
        today_cards=sidebar_cards(lambda: content_queries.today_on_healthdesk(db.session, exclude_slug=article.slug),
                                  exclude=("article", article.slug)),
        canonical=canonical,
        json_ld=content_queries.article_json_ld(article, canonical, _canonical("content.center", slug=center_slug)),
        **holes,
    )


@bp.route("/search")
def search():
    form = SiteSearchForm(request.args)
    kinds = site_search.indexed_kinds(db.session)
    form.kind.choices = [SelectChoice("", "Everything")] + [SelectChoice(k, SEARCH_KIND_LABELS.get(k, k.capitalize())) for k in kinds]
    kind = form.kind.data if form.kind.data in kinds else ""
    form.kind.data = kind
    page = request.args.get("page", 1, type=int) or 1
    results = site_search.search(db.session, form.q.data, kinds=[kind] if kind else None, page=page, per_page=SEARCH_PER_PAGE)
    return render_template("content/search.html", form=form, results=results, kind=kind, kind_labels=SEARCH_KIND_LABELS)
