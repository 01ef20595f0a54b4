"""Health centers, their articles, the levels-of-evidence guide and the site search page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.content import queries as content_queries
from webapp.blueprints.content.forms import SiteSearchForm
from webapp.blueprints.content.loader import SLUG
from webapp.blueprints.content.render import END_POINTS, STUDY_DESIGNS
from webapp.blueprints.personalisation.today import sidebar_cards
from webapp.core.caching import http_cache
from webapp.core.caching.http_cache import public_page
from webapp.core.paging import page_number
from webapp.core.search import index as site_search
from webapp.extensions import db

bp = Blueprint("content", __name__)

SEARCH_PER_PAGE = 10
# How search results from each area are labelled; areas not listed get their kind, capitalised.
SEARCH_KIND_LABELS = {"article": "Article", "center": "Health center", "page": "Guide", "drug": "Drug", "thread": "Community"}


def _slug_or_404(value: str) -> str:
    if len(value) > 120 or not SLUG.fullmatch(value):
        abort(404)
    return value


def _canonical(endpoint: str, **values) -> str:
    return current_app.config["SITE_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.route("/health-centers")
@public_page("list:content")
def centers():
    return render_template("content/centers.html", centers=content_queries.list_centers(db.session),
                           canonical=_canonical("content.centers"))


@bp.route("/health-centers/levels-of-evidence")
@public_page()
def levels_of_evidence():
    return render_template("content/levels.html", designs=STUDY_DESIGNS, end_points=END_POINTS,
                           canonical=_canonical("content.levels_of_evidence"))


@bp.route("/health-centers/<slug>")
@public_page("center:{slug}", "list:content")
def center(slug: str):
    center = content_queries.get_center(db.session, _slug_or_404(slug)) or abort(404)
    drugs = [(s, url_for("drugs.detail", slug=s)) for s in center.related_drugs]
    group_url = url_for("community.group", slug=center.community_group) if center.community_group else None
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
@public_page("article:{article_slug}", "center:{center_slug}")
def article(center_slug: str, article_slug: str):
    center_slug, article_slug = _slug_or_404(center_slug), _slug_or_404(article_slug)
    article = content_queries.get_article(db.session, center_slug, article_slug) or abort(404)
    # The next article and the related ones in one query.
    linked = {a.slug: a for a in content_queries.articles_by_slug(
        db.session, [*([article.next_slug] if article.next_slug else []), *article.related_slugs])}
    next_article = linked.get(article.next_slug) if article.next_slug else None
    # Related articles not already recommended by a card inside the text.
    related = [linked[s] for s in article.related_slugs
               if s in linked and f'id="related-{s}"' not in article.body_html]
    canonical = _canonical("content.article", center_slug=center_slug, article_slug=article_slug)
    http_cache.last_modified(article.updated_at)
    return render_template(
        "content/article.html",
        article=article,
        center=article.center,
        next_article=next_article,
        related=related,
        today_cards=sidebar_cards(lambda: content_queries.today_on_healthdesk(db.session, exclude_slug=article.slug),
                                  exclude=("article", article.slug)),
        canonical=canonical,
        json_ld=content_queries.article_json_ld(article, canonical, _canonical("content.center", slug=center_slug)),
    )


# The full-text search of the whole index, one kind at a time if asked (the site search at
# /search shows its best few per section and links here for the rest of the articles).
@bp.route("/health-centers/search")
@public_page("list:search", "list:content", "list:community")
def search():
    form = SiteSearchForm(request.args)
    kinds = site_search.indexed_kinds(db.session)
    form.kind.choices = [SelectChoice("", "Everything")] + [SelectChoice(k, SEARCH_KIND_LABELS.get(k, k.capitalize())) for k in kinds]
    kind = form.kind.data if form.kind.data in kinds else ""
    form.kind.data = kind
    page = page_number(request.args.get("page"), site_search.MAX_PAGE)
    results = site_search.search(db.session, form.q.data, kinds=[kind] if kind else None, page=page, per_page=SEARCH_PER_PAGE)
    return render_template("content/search.html", form=form, results=results, kind=kind, kind_labels=SEARCH_KIND_LABELS)
