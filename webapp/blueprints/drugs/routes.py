"""Drugs & Supplements: A–Z, search, drug / condition / product pages, reviews, and the
drug JSON API (/api/v1/drugs)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.api.params import ParamError, parse_page
from webapp.blueprints.drugs import catalog as drug_catalog
from webapp.blueprints.drugs import reviews
from webapp.blueprints.drugs.catalogue import embedded, labeled_uses, substances
from webapp.blueprints.drugs.forms import ReportForm, ReviewForm, SearchForm
from webapp.blueprints.drugs.models import DRUG_KINDS, KIND_LABELS, Review
from webapp.blueprints.mymeds.kb.interaction_loader import knowledge_base
from webapp.blueprints.pills.search import pills_for_drug
from webapp.core.caching import http_cache
from webapp.core.caching.http_cache import public_page
from webapp.core.db_types import MAX_DATABASE_INT
from webapp.core.forms import EmptyForm
from webapp.core.guards import member_page
from webapp.core.paging import page_number, page_of
from webapp.extensions import db

bp = Blueprint("drugs", __name__)

REPORT_LIMIT = "10 per minute; 60 per hour"  # a report lands in the moderators' queue
MAX_QUERY_PARAM = 2000


@bp.app_template_filter("drug_markdown")
def _drug_markdown(text):
    return drug_catalog.markdown(text)


def _query_text() -> str:
    return (request.args.get("q") or "")[:MAX_QUERY_PARAM].replace("\x00", "").strip()


def _result_url(result: drug_catalog.Result, external: bool = False) -> str:
    if result.type == "drug":
        return url_for("drugs.detail", slug=result.slug, _external=external)
    if result.type == "product":
        return url_for("drugs.product", key=result.slug, _external=external)
    return url_for("drugs.condition", slug=result.slug, _external=external)


def _substance_url(name: str) -> str:
    return url_for("drugs.substance", slug=substances.substance_slug(name))


@bp.app_context_processor
def _helpers():
    return {"drug_result_url": _result_url, "drug_kind_labels": KIND_LABELS, "substance_url": _substance_url}


def _page_asked() -> int:
    return page_number(request.args.get("page"), drug_catalog.MAX_PAGE)


# --- browse and search --------------------------------------------------------------------------


def _render_index(hint: bool = False, status: int = 200):
    kind = drug_catalog.parse_kind(request.args.get("kind"))
    letter = drug_catalog.parse_letter(request.args.get("letter"))
    page = _page_asked()
    listing = drug_catalog.browse(db.session, letter=letter, kind=kind, page=page)
    form = SearchForm(request.args, meta={"csrf": False})
    return render_template(
        "drugs/index.html", listing=listing, kind=kind, letter=letter, letters=drug_catalog.LETTERS,
        letters_in_use=drug_catalog.letters_in_use(db.session, kind), kinds=drug_catalog.KIND_CHOICES,
        form=form, hint=hint,
    ), status


@bp.route("/drugs")
@public_page("list:drugs")
def index():
    if "q" in request.args:
        if _query_text():
            return redirect(url_for("drugs.search", q=_query_text(), kind=request.args.get("kind") or None))
        return _render_index(hint=True)
    return _render_index()


@bp.route("/drugs/search")
@public_page("list:drugs")
def search():
    text = _query_text()
    if not text:
        return _render_index(hint=True)
    kind = drug_catalog.parse_kind(request.args.get("kind"))
    page = _page_asked()
    outcome = drug_catalog.search(db.session, text, kind=kind, page=page)
    form = SearchForm(request.args, meta={"csrf": False})
    form.q.data = text
    return render_template("drugs/search.html", outcome=outcome, text=text, kind=kind,
                           kinds=drug_catalog.KIND_CHOICES, form=form)


@bp.route("/drugs/autocomplete")
def autocomplete():
    text = _query_text()
    items = []
    if text:
        for result in drug_catalog.suggestions(db.session, text):
            items.append({"type": result.type, "name": result.name, "kind": result.kind_label,
                          "matched": result.matched, "url": _result_url(result)})
    response = jsonify({"query": text, "suggestions": items})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/conditions")
@public_page("list:drugs")
def conditions():
    return render_template("drugs/conditions.html", conditions=drug_catalog.all_conditions(db.session),
                           form=SearchForm(meta={"csrf": False}))


@bp.route("/conditions/<slug>")
@public_page("condition:{slug}", "list:drugs")
def condition(slug: str):
    found = drug_catalog.get_condition(db.session, slug)
    if found is None:
        abort(404)
    drugs = sorted(found.drugs, key=lambda d: (-d.popularity, d.name))
    for_condition = reviews.averages_for(db.session, [d.id for d in drugs], found.id)
    overall = reviews.averages_for(db.session, [d.id for d in drugs])
    return render_template("drugs/condition.html", condition=found, drugs=drugs, for_condition=for_condition,
                           overall=overall)


# --- drug page -----------------------------------------------------------------------------------


@bp.route("/drugs/<slug>")
@public_page("drug:{slug}")
def detail(slug: str):
    drug = drug_catalog.get_drug(db.session, slug)
    if drug is None:
        abort(404)
    http_cache.tag(f"drug-id:{drug.id}")  # what a review of it purges
    found = pills_for_drug(db.session, drug.id)
    pill_total = len(found)
    pills = [(p, url_for("pills.detail", pill_id=p.id)) for p in found[:12]]
    overall, per_condition = reviews.summary(db.session, drug.id)
    own_review = reviews.review_of(db.session, current_user.id, drug.id) if current_user.is_authenticated else None
    product_groups, product_total = drug_catalog.product_groups_for(db.session, drug.id)
    return render_template(
        "drugs/detail.html", drug=drug, classes=drug_catalog.classes_of(db.session, drug),
        product_groups=product_groups, product_total=product_total,
        pills=pills, pill_total=pill_total,
        interactions_url=url_for("mymeds.interaction_checker"),
        overall=overall, per_condition=per_condition, own_review=own_review,
        recent=reviews.most_helpful(db.session, drug.id) if overall.count else [],
    )


@bp.route("/drugs/products/<int:key>")
@public_page("list:drugs")
def product_by_id(key: int):
    found = drug_catalog.product_by_id(db.session, key)
    if found is None:
        abort(404)
    siblings = drug_catalog.products_by_slug(db.session, found.slug)
    return _render_products(found.slug, siblings, selected=found)


@bp.route("/drugs/products/<key>")
@public_page("list:drugs")
def product(key: str):
    if key.isdigit():
        if int(key) > MAX_DATABASE_INT:
            abort(404)
        return product_by_id(int(key))
    found = drug_catalog.products_by_slug(db.session, key)
    if not found:
        abort(404)
    return _render_products(key, found, selected=None)


def _render_products(slug: str, products: list, selected=None):
    from webapp.blueprints.drugs.drugsatfda_import import display_name

    title = display_name(products[0].brand_name)
    monographs = drug_catalog.monographs_for_products(db.session, [selected] if selected else products)
    moieties = sorted({link.ingredient.name for p in ([selected] if selected else products) for link in p.ingredient_links})
    return render_template("drugs/product.html", title=title, slug=slug, products=products, selected=selected,
                           monographs=monographs, marketed=drug_catalog.marketed_label(products), moieties=moieties,
                           catalogue=embedded.catalogue_info())


@bp.route("/drugs/substances/<slug>")
@public_page("substance:{slug}", "list:drugs")
def substance(slug: str):
    """A catalogue medicine without a written monograph; one with a monograph goes there."""
    ingredient = substances.find_ingredient(db.session, slug)
    if ingredient is None:
        abort(404)
    monograph = substances.monograph_for(db.session, ingredient.id)
    if monograph is not None:
        return redirect(url_for("drugs.detail", slug=monograph.slug))
    page = substances.substance_page(db.session, ingredient)
    if page is None:
        abort(404)
    return render_template("drugs/substance.html", page=page, uses=labeled_uses.uses_for(ingredient.name),
                           uses_source=labeled_uses.source_info(), catalogue=embedded.catalogue_info(),
                           interactions=substances.interactions_for(knowledge_base(), ingredient.name),
                           interactions_url=url_for("mymeds.interaction_checker"))


# --- reviews ------------------------------------------------------------------------------------------


def _drug_or_404(slug: str):
    drug = drug_catalog.get_drug(db.session, slug)
    if drug is None:
        abort(404)
    return drug


@bp.route("/drugs/<slug>/reviews")
@public_page("drug:{slug}")
def reviews_list(slug: str):
    drug = _drug_or_404(slug)
    http_cache.tag(f"drug-id:{drug.id}")
    sort = request.args.get("sort") if request.args.get("sort") in reviews.SORTS else "newest"
    page = _page_asked()
    listing = reviews.list_reviews(db.session, drug.id, sort=sort, page=page)
    overall, per_condition = reviews.summary(db.session, drug.id)
    voted = reviews.voted_ids(db.session, current_user.id, [r.id for r in listing.items]) \
        if current_user.is_authenticated else set()
    own_review = reviews.review_of(db.session, current_user.id, drug.id) if current_user.is_authenticated else None
    return render_template("drugs/reviews.html", drug=drug, listing=listing, sort=sort, overall=overall,
                           per_condition=per_condition, voted=voted, own_review=own_review, vote_form=EmptyForm())


def _review_form(drug, review: Review | None = None) -> ReviewForm:
    form = ReviewForm(obj=review) if review is not None and request.method == "GET" else ReviewForm()
    form.condition_id.choices = [SelectChoice("", "Choose a condition (optional)")] + [
        SelectChoice(str(c.id), c.name) for c in drug.conditions]
    if review is not None and review.condition_id and review.condition_id not in {c.id for c in drug.conditions}:
        form.condition_id.choices.append(SelectChoice(str(review.condition_id), review.condition.name))
    return form


def _form_input(form: ReviewForm) -> reviews.ReviewInput:
    return reviews.ReviewInput(form.effectiveness.data, form.ease_of_use.data, form.satisfaction.data,
                               form.condition_id.data or None, form.body.data or "")


def _apply_error(form: ReviewForm, exc: reviews.ReviewError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/drugs/<slug>/reviews/new", methods=["GET", "POST"])
@member_page
def review_new(slug: str):
    drug = drug_catalog.get_drug(db.session, slug)
    if drug is None:
        if request.method == "POST":
            flash("That drug does not exist, so it cannot be reviewed.", "error")
            return redirect(url_for("drugs.index"))
        abort(404)
    existing = reviews.review_of(db.session, current_user.id, drug.id)
    if existing is not None:
        flash("You have already reviewed this drug. You can edit your review here.", "info")
        return redirect(url_for("drugs.review_edit", slug=drug.slug))
    form = _review_form(drug)
    if form.validate_on_submit():
        try:
            reviews.create_review(db.session, current_user.id, drug, _form_input(form))
        except reviews.ReviewError as exc:
            db.session.rollback()
            if exc.field is None and reviews.review_of(db.session, current_user.id, drug.id) is not None:
                flash(exc.message, "info")
                return redirect(url_for("drugs.review_edit", slug=drug.slug))
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash("Thank you. Your review is published.", "success")
            return redirect(url_for("drugs.reviews_list", slug=drug.slug))
    return render_template("drugs/review_form.html", drug=drug, form=form, editing=False)


@bp.route("/drugs/<slug>/reviews/edit", methods=["GET", "POST"])
@member_page
def review_edit(slug: str):
    drug = _drug_or_404(slug)
    review = reviews.review_of(db.session, current_user.id, drug.id)
    if review is None:
        return redirect(url_for("drugs.review_new", slug=drug.slug))
    form = _review_form(drug, review)
    if request.method == "GET":
        form.shown_version.show(reviews.edit_values(review))
    conflict = None
    if form.validate_on_submit():
        review = reviews.review_for_update(db.session, review.id)
        if review is None:  # deleted in another tab a moment ago
            return redirect(url_for("drugs.review_new", slug=drug.slug))
        # Edited elsewhere since this form was opened: keep what was typed, show the current version.
        conflict = form.shown_version.conflict(reviews.edit_values(review), "Your review")
        if conflict is None:
            try:
                reviews.update_review(db.session, review, _form_input(form))
            except reviews.ReviewError as exc:
                db.session.rollback()
                _apply_error(form, exc)
            else:
                db.session.commit()
                flash("Your review is updated.", "success")
                return redirect(url_for("drugs.reviews_list", slug=drug.slug))
    status = 409 if conflict else 200
    return render_template("drugs/review_form.html", drug=drug, form=form, editing=True, delete_form=EmptyForm(),
                           conflict=conflict, current=review if conflict else None), status


@bp.route("/drugs/<slug>/reviews/delete", methods=["POST"])
@member_page
def review_delete(slug: str):
    drug = _drug_or_404(slug)
    form = EmptyForm()
    review = reviews.review_of(db.session, current_user.id, drug.id)
    if form.validate_on_submit() and review is not None:
        reviews.delete_review(db.session, review)
        db.session.commit()
        flash("Your review is deleted.", "success")
    return redirect(url_for("drugs.detail", slug=drug.slug))


def _review_or_404(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None or review.status != "visible":
        abort(404)
    return review


@bp.route("/drugs/reviews/<int:review_id>/helpful", methods=["POST"])
@member_page
def review_helpful(review_id: int):
    review = _review_or_404(review_id)
    back = url_for("drugs.reviews_list", slug=review.drug.slug, sort=request.form.get("sort") or None,
                   page=request.form.get("page") or None, _anchor=f"review-{review.id}")
    if not EmptyForm().validate_on_submit():
        flash("Your session expired. Please try again.", "error")
        return redirect(back)
    try:
        counted = reviews.vote_helpful(db.session, current_user.id, review)
    except reviews.ReviewError as exc:
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    flash("Thanks, your vote is counted." if counted else "You already marked this review as helpful.",
          "success" if counted else "info")
    return redirect(back)


@bp.route("/drugs/reviews/<int:review_id>/report", methods=["GET", "POST"])
@member_page(limit=REPORT_LIMIT)
def review_report(review_id: int):
    review = _review_or_404(review_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            stored = reviews.report_review(db.session, current_user.id, review, form.reason.data, form.details.data or "")
        except reviews.ReviewError as exc:
            form[exc.field or "reason"].errors = list(form[exc.field or "reason"].errors) + [exc.message]
        else:
            db.session.commit()
            flash("Thank you. Our moderators will look at this review." if stored
                  else "You have already reported this review; our moderators will look at it.", "success")
            return redirect(url_for("drugs.reviews_list", slug=review.drug.slug))
    return render_template("drugs/report_form.html", review=review, form=form)


# --- JSON API --------------------------------------------------------------------------------------


def _api_error(status: int, message: str, field: str | None = None):
    error = {"status": status, "message": message} | ({"field": field} if field else {})
    return jsonify({"error": error}), status


def _result_json(result: drug_catalog.Result) -> dict:
    return {"type": result.type, "slug": result.slug, "name": result.name, "kind": result.kind,
            "generic_name": result.generic_name, "brand_names": result.brand_names,
            "url": _result_url(result, external=True)}


@bp.route("/api/v1/drugs")
def api_list():
    try:
        page = parse_page(request.args.get("page"), drug_catalog.MAX_PAGE)
    except ParamError as exc:
        return _api_error(400, exc.message, exc.field)
    # Exactly one of the kinds, as the document's enum says (empty: any kind).
    raw_kind = request.args.get("kind") or ""
    kind = drug_catalog.parse_kind(raw_kind)
    if raw_kind and kind is None:
        return _api_error(400, f"kind must be one of: {', '.join(DRUG_KINDS)}.", "kind")
    condition_slug = (request.args.get("condition") or "").strip()[:100] or None
    condition = None
    if condition_slug:
        condition = drug_catalog.get_condition(db.session, condition_slug)
        if condition is None:
            return _api_error(404, f"No condition with the slug {condition_slug!r}.", "condition")
    text = _query_text()
    if text:
        outcome = drug_catalog.search(db.session, text, kind=kind, page=1, per_page=10_000)
        items = outcome.results.items
        if condition is not None:
            allowed = {d.slug for d in condition.drugs}
            items = [r for r in items if r.type == "drug" and r.slug in allowed]
        listing = page_of(items, page, drug_catalog.PER_PAGE)
        results = [_result_json(r) for r in listing.items]
    else:
        listing = drug_catalog.browse(db.session, kind=kind, condition=condition_slug, page=page)
        results = [_result_json(drug_catalog.Result("drug", d.slug, d.name, d.kind, d.kind_label, d.generic_name,
                                                    d.brand_names)) for d in listing.items]
    return jsonify({"results": results, "total": listing.total, "page": page, "per_page": drug_catalog.PER_PAGE})


@bp.route("/api/v1/drugs/<slug>")
def api_detail(slug: str):
    drug = drug_catalog.get_drug(db.session, slug)
    if drug is None:
        return _api_error(404, f"No drug with the slug {slug[:100]!r}.")
    overall, _per_condition = reviews.summary(db.session, drug.id)
    return jsonify({
        "type": "drug", "slug": drug.slug, "name": drug.name, "kind": drug.kind, "generic_name": drug.generic_name,
        "brand_names": drug.brand_names, "synonyms": drug.synonyms,
        "ingredients": [i.name for i in drug.ingredients],
        "drug_classes": [{"slug": c.slug, "name": c.name} for c in drug_catalog.classes_of(db.session, drug)],
        "forms": [{"form": f.form, "route": f.route, "strengths": f.strengths} for f in drug.forms],
        "conditions": [{"slug": c.slug, "name": c.name,
                        "url": url_for("drugs.condition", slug=c.slug, _external=True)} for c in drug.conditions],
        "monograph": {
            "summary": drug.summary, "uses": drug.uses, "how_to_take": drug.how_to_take,
            "side_effects": {"common": drug.side_effects_common, "serious": drug.side_effects_serious},
            "warnings": drug.warnings, "do_not_take": drug.do_not_take, "overdose": drug.overdose,
            "storage": drug.storage,
        },
        "sources": drug.sources,
        "last_reviewed": drug.last_reviewed.isoformat() if drug.last_reviewed else None,
        "reviews": {"count": overall.count, "effectiveness": overall.effectiveness,
                    "ease_of_use": overall.ease_of_use, "satisfaction": overall.satisfaction},
        "url": url_for("drugs.detail", slug=drug.slug, _external=True),
    })
