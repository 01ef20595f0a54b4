"""Home page, the font-size control, and small utility routes."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError

from webapp.blueprints.main import sitemap
from webapp.blueprints.personalisation.today import member_cache_key, today_for_reader
from webapp.core.area import registry
from webapp.core.caching.http_cache import public_page
from webapp.core.caching.page_cache import cacheable_request, cached_render
from webapp.extensions import csrf, db
from webapp.security import is_safe_next, require_same_origin
from webapp.templating import FONT_SIZE_COOKIE, FONT_SIZES

bp = Blueprint("main", __name__)

ONE_YEAR = 60 * 60 * 24 * 365


@bp.route("/")
@public_page("home")
def index():
    # A visitor's page is the editors' picks, the same for all (the shared cache keeps it;
    # site.js reorders them by the reading history kept in that browser). A member's is
    # personal (security.py marks it no-store) and costly, so each worker reuses it while
    # the member and their signals are unchanged.
    if not current_user.is_authenticated or not cacheable_request():
        return _render_home()
    return cached_render(member_cache_key(), _render_home)


def _render_home(**holes) -> str:
    today = today_for_reader()
    return render_template("main/index.html", cards=today.cards, groups=today.groups, **holes)


@bp.route("/font-size", methods=["POST"])
@csrf.exempt  # posted from cached pages, which carry no token: checked by origin instead
def font_size():
    """The no-JavaScript fallback of the header buttons (site.js applies the size in the
    browser): a cookie that also takes this reader past the shared cache, then back to the page."""
    require_same_origin()
    size = request.form.get("size", "")
    if size not in FONT_SIZES:
        abort(400)
    next_page = request.form.get("next", "")
    target = next_page if is_safe_next(next_page) else url_for("main.index")
    response = redirect(target, code=303)
    response.set_cookie(FONT_SIZE_COOKIE, size, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@bp.route("/hello")
def hello():
    """A bare route: the baseline the page benchmarks in bench/ are compared with."""
    return "hello"


@bp.route("/healthz")
def healthz():
    """For load balancers: 200 while this worker can reach the database, 503 when not."""
    try:
        db.session.execute(text("SELECT 1"))
    except (OperationalError, InterfaceError):
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


@bp.route("/robots.txt")
@public_page(max_age=86400, s_maxage=86400)
def robots():
    body = sitemap.robots_txt(current_app.config["SITE_URL"])
    return body, 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=86400"}


XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8", "Cache-Control": "public, max-age=3600"}


@bp.route("/sitemap.xml")
@public_page("sitemap", max_age=3600, s_maxage=3600)
def sitemap_index():
    site = current_app.config["SITE_URL"].rstrip("/")
    names = sitemap.sections(db.session, registry())
    urls = [site + url_for("main.sitemap_section", name=name) for name in names]
    return render_template("main/sitemap_index.xml", urls=urls), 200, XML_HEADERS


@bp.route("/sitemap-<name>.xml")
@public_page("sitemap", max_age=3600, s_maxage=3600)
def sitemap_section(name: str):
    entries = sitemap.section_entries(db.session, registry(), name)
    if entries is None:
        abort(404)
    site = current_app.config["SITE_URL"].rstrip("/")
    urls = [(site + url_for(e.endpoint, **e.values), e.lastmod) for e in entries]
    return render_template("main/sitemap.xml", urls=urls), 200, XML_HEADERS
