"""Home page, the font-size control, and small utility routes."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError

from webapp.blueprints.main import sitemap
from webapp.blueprints.main.forms import FontSizeForm
from webapp.blueprints.personalisation.today import reader_cache_key, today_for_reader
from webapp.core.area import registry
from webapp.core.page_cache import cacheable_request, cached_render
from webapp.extensions import db
from webapp.security import is_safe_next
from webapp.templating import FONT_SIZE_COOKIE, FONT_SIZES

bp = Blueprint("main", __name__)

ONE_YEAR = 60 * 60 * 24 * 365


@bp.route("/")
def index():
    if not cacheable_request():
        return _render_home()
    # The page changes only with the reader and their signals: reuse it while those are the same.
    return cached_render(reader_cache_key(), _render_home)


def _render_home(**holes) -> str:
    today = today_for_reader()
    return render_template("main/index.html", cards=today.cards, groups=today.groups, **holes)


@bp.route("/font-size", methods=["POST"])
def font_size():
    """Works without JavaScript: the header buttons post here and come back to the page."""
    form = FontSizeForm()
    size = request.form.get("size", "")
    if not form.validate_on_submit() or size not in FONT_SIZES:
        abort(400)
    target = form.next.data if is_safe_next(form.next.data) else url_for("main.index")
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
def robots():
    body = sitemap.robots_txt(current_app.config["SITE_URL"])
    return body, 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=86400"}


XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8", "Cache-Control": "public, max-age=3600"}


@bp.route("/sitemap.xml")
def sitemap_index():
    site = current_app.config["SITE_URL"].rstrip("/")
    names = sitemap.sections(db.session, registry())
    urls = [site + url_for("main.sitemap_section", name=name) for name in names]
    return render_template("main/sitemap_index.xml", urls=urls), 200, XML_HEADERS


@bp.route("/sitemap-<name>.xml")
def sitemap_section(name: str):
    entries = sitemap.section_entries(db.session, registry(), name)
    if entries is None:
        abort(404)
    site = current_app.config["SITE_URL"].rstrip("/")
    urls = [(site + url_for(e.endpoint, **e.values), e.lastmod) for e in entries]
    return render_template("main/sitemap.xml", urls=urls), 200, XML_HEADERS
