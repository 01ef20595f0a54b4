"""Pill Identifier pages, the drawn pictures, and GET /api/v1/pills."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, send_from_directory, url_for

from webapp.blueprints.api.params import ParamError, parse_page
from webapp.blueprints.pills import match as pm
from webapp.blueprints.pills import photos, vocab
from webapp.blueprints.pills import search as pill_search
from webapp.blueprints.pills import svg as pill_svg
from webapp.blueprints.pills.forms import PillSearchForm
from webapp.core.caching import http_cache
from webapp.core.caching.http_cache import public_page
from webapp.core.forms import show_refusal
from webapp.extensions import db

bp = Blueprint("pills", __name__)

IMAGE_MAX_AGE = 24 * 3600
SEARCH_FIELDS = ("imprint", "color", "shape", "size_mm", "score")


def _page_shown() -> int:
    """The results page the identifier shows: the first for anything but a valid page number."""
    try:
        return parse_page(request.args.get("page"), pill_search.MAX_PAGE)
    except ParamError:
        return 1


def _image_url(pill, external: bool = False) -> str:
    """The pill's photo when its label shipped one, else its drawn picture."""
    if pill.photo_path:
        return url_for("pills.photo", name=pill.photo_path, _external=external)
    return url_for("pills.image", pill_id=pill.id, _external=external)


@bp.app_template_global("pill_description")
def pill_description(pill) -> str:
    return pill_svg.describe(pill_svg.drawing_for(pill))


@bp.app_template_global("pill_true_size")
def pill_true_size(pill) -> tuple[int, int]:
    return pill_svg.true_size_px(pill_svg.drawing_for(pill))


@bp.app_template_global("pill_image_url")
def pill_image_url(pill) -> str:
    """The drawn-to-scale picture (always there; a photo is shown beside it)."""
    return url_for("pills.image", pill_id=pill.id)


@bp.app_template_global("pill_photo_url")
def pill_photo_url(pill) -> str | None:
    return url_for("pills.photo", name=pill.photo_path) if pill.photo_path else None


@bp.route("/pill-identifier")
@public_page("list:pills")
def index():
    form = PillSearchForm(formdata=request.args if request.args else None)
    page = None
    query = None
    searched = any(request.args.get(name, "").strip() for name in SEARCH_FIELDS) or "submit" in request.args
    if searched:
        page_number = _page_shown()
        try:
            query = pm.parse_query(form.imprint.data, [form.color.data or ""], form.shape.data, form.size_mm.data,
                                   form.score.data)
        except pm.QueryError as exc:
            show_refusal(form, exc)
        else:
            page = pill_search.search(db.session, query, page_number)
    args = {name: request.args.get(name, "") for name in SEARCH_FIELDS if request.args.get(name, "").strip()}
    return render_template(
        "pills/index.html", form=form, page=page, query=query, searched=searched, search_args=args,
        vocab=vocab, shapes=vocab.SHAPES, shape_outline=_shape_icon_path,
        suggestions=pm.loosening_suggestions(query) if query and page is not None and page.total == 0 else [],
    )


def _shape_icon_path(shape_name: str) -> str:
    from webapp.blueprints.pills.svg import ASPECT, outline_path

    return outline_path(shape_name, 12, 12, 20, 20 * ASPECT.get(shape_name, 1.0))


@bp.route("/pill-identifier/pills/<int:pill_id>")
@public_page("pill:{pill_id}")
def detail(pill_id: int):
    pill = pill_search.get_pill(db.session, pill_id)
    if pill is None:
        abort(404)
    return render_template("pills/detail.html", pill=pill, vocab=vocab)


@bp.route("/pill-identifier/pills/<int:pill_id>/image.svg")
def image(pill_id: int):
    pill = pill_search.get_pill(db.session, pill_id)
    if pill is None:
        abort(404)
    svg = pill_svg.render(pill_svg.drawing_for(pill)).encode("utf-8")
    response = Response(svg, mimetype="image/svg+xml")
    response.set_etag(hashlib.sha256(svg).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = IMAGE_MAX_AGE
    return response.make_conditional(request)


@bp.route("/pill-identifier/photos/<name>")
def photo(name: str):
    """A pill photo (pills/photos.py). Its name is the hash of its bytes, so the address of a
    photo never changes content: any cache may keep it for a year."""
    if not photos.is_photo_name(name):
        abort(404)
    folder = photos.folder_for(current_app.config, current_app.instance_path)
    response = send_from_directory(folder, name, mimetype="image/jpeg", conditional=True, etag=True)
    http_cache.immutable_file(response)
    return response


# --- API ----------------------------------------------------------------------------------


def _api_error(field: str, message: str):
    return jsonify({"error": {"status": 400, "field": field, "message": message}}), 400


def pill_json(result: pill_search.PillResult) -> dict:
    pill = result.pill
    return {
        "id": pill.id,
        "name": pill.name,
        "strength": pill.strength,
        "imprint": pill.imprint,
        "colors": [vocab.COLOUR_BY_CODE[c].name for c in pill.colours if c in vocab.COLOUR_BY_CODE],
        "shape": vocab.SHAPE_BY_CODE[pill.shape].name if pill.shape in vocab.SHAPE_BY_CODE else None,
        "size_mm": pill.size_mm,
        "score": pill.score,
        "ndc": pill.product_ndc,
        "labeler": pill.labeler,
        "drug": {"slug": pill.drug.slug, "name": pill.drug.name} if pill.drug else None,
        "image_url": _image_url(pill, external=True),
        "match": {"score": result.match.percent, "reasons": result.match.reasons},
    }


@bp.route("/api/v1/pills")
def api_search():
    try:
        page_number = parse_page(request.args.get("page"), pill_search.MAX_PAGE)
    except ParamError as exc:
        return _api_error(exc.field, exc.message)
    colours = []
    for value in request.args.getlist("color"):
        colours += [piece for piece in value.split(",") if piece.strip()]
    try:
        query = pm.parse_query(request.args.get("imprint"), colours, request.args.get("shape"),
                               request.args.get("size_mm"), request.args.get("score"))
    except pm.QueryError as exc:
        return _api_error(exc.field, exc.message)
    page = pill_search.search(db.session, query, page_number)
    return jsonify({"results": [pill_json(r) for r in page.items], "total": page.total, "page": page.page,
                    "per_page": page.per_page})
