"""The site-wide search: the results page (GET /search) and suggestions while typing
(GET /search/suggest). Both are the same for every visitor, so the shared cache keeps them."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from webapp.blueprints.search import results as site_results
from webapp.blueprints.search.query import read_query
from webapp.core.caching.http_cache import public_page
from webapp.extensions import db

bp = Blueprint("search", __name__)

# Any change to drugs, pills, articles or threads may change an answer.
CACHE_KEYS = ("list:search", "list:drugs", "list:pills", "list:content", "list:community")
SUGGEST_MAX_AGE = 300
HEADINGS = {"drugs": "Drugs & products", "conditions": "Conditions", "pills": "Pills with this imprint",
            "articles": "Health articles", "community": "Community questions"}
KIND_LABELS = {"article": "Article", "center": "Health center", "page": "Guide", "thread": "Community question"}


@bp.route("/search")
@public_page(*CACHE_KEYS)
def results():
    query = read_query(request.args.get("q"))
    found = site_results.search_site(db.session, query)
    if found.redirect_drug:
        return redirect(url_for("drugs.detail", slug=found.redirect_drug))
    status = 400 if query.problem else 200
    return render_template("search/results.html", query=query, found=found, headings=HEADINGS,
                           kind_labels=KIND_LABELS), status


@bp.route("/search/suggest")
@public_page(*CACHE_KEYS, max_age=SUGGEST_MAX_AGE)
def suggest():
    query = read_query(request.args.get("q"))
    items = [{"label": s.label, "kind": s.kind, "url": url_for(s.target[0], **s.target[1])}
             for s in site_results.suggest(db.session, query)]
    if query.searchable:
        items.append({"label": f"Search everything for “{query.text}”", "kind": "All results",
                      "url": url_for("search.results", q=query.text)})
    return jsonify({"query": query.text, "suggestions": items})
