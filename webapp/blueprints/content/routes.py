"""Health centers, their articles, the levels-of-evidence guide and the site search page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for

from ...extensions import db
from ...services import content_queries, site_search
from ...services.content_loader import SLUG
from ...services.content_render import END_POINTS, STUDY_DESIGNS
from .forms import SiteSearchForm

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
        today_cards=content_queries.today_on_healthdesk(db.session),
        canonical=_canonical("content.center", slug=center.slug),
    )


@bp.route("/health-centers/<center_slug>/<article_slug>")
def article(center_slug: str, article_slug: str):
    article = content_queries.get_article(db.session, _slug_or_404(center_slug), _slug_or_404(article_slug)) or abort(404)
    next_article = content_queries.articles_by_slug(db.session, [article.next_slug] if article.next_slug else [])
    canonical = _canonical("content.article", center_slug=center_slug, article_slug=article_slug)
    return render_template(
        "content/article.html",
        article=article,
        center=article.center,
        next_article=next_article[0] if next_article else None,
        related=content_queries.articles_by_slug(db.session, article.related_slugs),
        today_cards=content_queries.today_on_healthdesk(db.session, exclude_slug=article.slug),
        canonical=canonical,
        json_ld=content_queries.article_json_ld(article, canonical, _canonical("content.center", slug=center_slug)),
    )


@bp.route("/search")
def search():
    form = SiteSearchForm(request.args)
    form.validate()
    page = request.args.get("page", 1, type=int) or 1
    results = site_search.search(db.session, form.q.data, page=page, per_page=SEARCH_PER_PAGE)
    return render_template("content/search.html", form=form, results=results, kind_labels=SEARCH_KIND_LABELS)
