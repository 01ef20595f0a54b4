"""My Medicine: profiles, saved medicines, interaction reports, recall alerts; the public
interaction checker and its JSON API. Every personal page checks the owner (another
account's id gives 404) and is sent with Cache-Control: no-store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.mymeds import allergies, checker, export, profiles
from webapp.blueprints.mymeds.api_json import interactions_payload
from webapp.blueprints.mymeds.forms import (
    AddMedicineForm,
    CheckerForm,
    EditMedicineForm,
    EditProfileForm,
    ProfileForm,
    SaveToListForm,
)
from webapp.blueprints.mymeds.kb import interaction_loader
from webapp.blueprints.mymeds.kb.knowledge import FOODS, SEVERITY_LABELS
from webapp.blueprints.mymeds.models import RELATIONSHIP_LABELS
from webapp.blueprints.mymeds.profiles import MedicineDetails, MyMedsError
from webapp.blueprints.mymeds.recalls import alerts as recall_alerts
from webapp.blueprints.mymeds.recalls import views as recall_views
from webapp.core.forms import EmptyForm
from webapp.core.guards import member_page
from webapp.database import immediate_transactions
from webapp.extensions import csrf, db, limiter
from webapp.security import no_store

bp = Blueprint("mymeds", __name__)

API_LIMIT = "60 per minute; 1000 per hour"
SAVE_KINDS = ("drug", "product", "pill", "ingredient")


def _kb():
    return interaction_loader.knowledge_base()


def _condition_choices() -> list[SelectChoice]:
    ordered = sorted(_kb().conditions.values(), key=lambda c: c.name.lower())
    return [SelectChoice(c.slug, c.name) for c in ordered]


def _condition_names(profile) -> list[str]:
    return [_kb().condition_name(c) for c in profile.conditions or []]


def _profile_or_404(profile_id: int):
    profile = profiles.get_profile(db.session, current_user.id, profile_id)
    if profile is None:
        abort(404)
    return profile


def _gone():
    """Another account's id, or a medicine removed in another window: the same answer, no data."""
    return render_template("mymeds/gone.html"), 404


def _medicine_or_none(medicine_id: int):
    return profiles.get_medicine(db.session, current_user.id, medicine_id)


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _my_profiles() -> list:
    """The reader's profiles, read once per request for the "Save to My Medicine" controls."""
    if "my_profiles" not in g:
        g.my_profiles = profiles.list_profiles(db.session, current_user.id)
    return g.my_profiles


@bp.app_context_processor
def _save_control_helpers():
    def my_medicine_profiles() -> list[tuple[int, str]]:
        """Profiles for the "Save to My Medicine" control (0 = "Me", made on first save)."""
        if not current_user.is_authenticated:
            return []
        found = [(p.id, p.name) for p in _my_profiles()]
        return found or [(0, "Me")]

    def my_allergy_warnings(kind: str, item_id: int) -> list:
        """The member's profiles whose listed allergies warn about this drug, product or pill."""
        if not current_user.is_authenticated:
            return []
        mine = _my_profiles()
        source = profiles.source_for(db.session, kind, item_id) if mine else None
        if source is None:
            return []
        return allergies.warnings_for_item(db.session, mine, source.key, source.name, source.ingredients)

    return {"my_medicine_profiles": my_medicine_profiles, "my_allergy_warnings": my_allergy_warnings}


def _apply_error(form, exc: MyMedsError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors.append(exc.message)
    else:
        flash(exc.message, "error")


def _save(form, save: Callable[[], Any], success: Callable[[Any], str]) -> Any:
    """One domain save: a refusal goes beside its form field (None is returned); otherwise it is
    committed, the success message made from what was saved is flashed, and that is returned."""
    try:
        saved = save()
    except MyMedsError as exc:
        _apply_error(form, exc)
        return None
    db.session.commit()
    flash(success(saved), "success")
    return saved


def _conflict(what: str, message: str, current: list[tuple[str, object]]) -> dict:
    """Saving would overwrite a change made elsewhere: what the page shows beside the typed values."""
    return {"message": message, "what": what.lower(), "current": current}


def _to_profile(profile, added: int | None = None):
    """The profile page; after an added medicine, with what it brought up in view."""
    if added is None:
        return redirect(url_for("mymeds.profile", profile_id=profile.id))
    return redirect(url_for("mymeds.profile", profile_id=profile.id, added=added) + "#new-findings")


# --- overview and profiles --------------------------------------------------------------------


@bp.route("/my-medicine")
@no_store
def index():
    if not current_user.is_authenticated:
        return render_template("mymeds/intro.html")
    with immediate_transactions():
        profiles.ensure_me_profile(db.session, current_user.id)
        db.session.commit()
    return render_template("mymeds/index.html", rows=profiles.overview(db.session, current_user.id, _kb()),
                           subscription=recall_alerts.subscription_state(db.session, current_user.id))


@bp.route("/my-medicine/profiles/new", methods=["GET", "POST"])
@member_page
def new_profile():
    form = ProfileForm()
    form.conditions.choices = _condition_choices()
    if form.validate_on_submit():
        profile = _save(form, lambda: profiles.create_profile(db.session, current_user.id, form.profile_data(),
                                                              _kb().conditions),
                        lambda saved: f"Added a profile for {saved.name}.")
        if profile is not None:
            return _to_profile(profile)
    return render_template("mymeds/profile_form.html", form=form, profile=None)


@bp.route("/my-medicine/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@member_page
def edit_profile(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = EditProfileForm(obj=profile if request.method == "GET" else None)
    form.conditions.choices = _condition_choices()
    if profile.is_self:
        form.relation.choices = [SelectChoice("self", RELATIONSHIP_LABELS["self"])]
        if request.method == "GET":
            form.relation.data = "self"
    if request.method == "GET":
        form.shown_version.show(profiles.profile_form_values(profile))
    if form.validate_on_submit():
        # Locked until the commit, and re-read: two saves at once on PostgreSQL take turns.
        profile = profiles.get_profile(db.session, current_user.id, profile_id, for_update=True)
        if profile is None:  # removed in another window since the page was opened
            abort(404)
        message = form.shown_version.conflict(profiles.profile_form_values(profile), "This profile")
        if message:
            conflict = _conflict("This profile", message, form.values_now(profile, _kb().condition_name))
            return render_template("mymeds/profile_form.html", form=form, profile=profile, conflict=conflict), 409
        if _save(form, lambda: profiles.update_profile(profile, form.profile_data(), _kb().conditions),
                 lambda _saved: "Profile saved."):
            return _to_profile(profile)
    return render_template("mymeds/profile_form.html", form=form, profile=profile)


@bp.route("/my-medicine/profiles/<int:profile_id>/delete", methods=["GET", "POST"])
@member_page
def delete_profile(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = EmptyForm()
    if profile.is_self:
        flash("Your own profile stays; you can rename it or remove its medicines.", "info")
        return _to_profile(profile)
    if form.validate_on_submit():
        name = profile.name
        profiles.delete_profile(db.session, profile)
        db.session.commit()
        flash(f"Removed the profile of {name} and its medicine list.", "success")
        return redirect(url_for("mymeds.index"))
    count = len(profiles.medicines_of(db.session, profile.id))
    return render_template("mymeds/profile_delete.html", profile=profile, form=form, count=count)


def _render_profile(profile, add_form: AddMedicineForm, status: int = 200):
    medicines = profiles.medicines_of(db.session, profile.id)
    result = profiles.profile_report(profile, medicines, _kb())
    added = None
    added_id = request.args.get("added", "")
    if added_id.isdigit() and profiles.valid_id(int(added_id)):
        added = next((m for m in medicines if m.id == int(added_id) and m.is_active), None)
    allergy_report = allergies.profile_allergy_report(db.session, profile.allergies, medicines)
    return render_template(
        "mymeds/profile.html", profile=profile, medicines=medicines, result=result, report=result.report,
        added=added, added_report=result.report.about(str(added.id)) if added else None, add_form=add_form,
        allergies=allergy_report, added_allergies=allergy_report.about(str(added.id)) if added else None,
        action_form=EmptyForm(), recall_matches=recall_alerts.recall_matches_for_profile(db.session, profile.id),
        condition_names=_condition_names(profile),
    ), status


@bp.route("/my-medicine/profiles/<int:profile_id>")
@member_page(limit=None)
def profile(profile_id: int):
    return _render_profile(_profile_or_404(profile_id), AddMedicineForm(formdata=None))


# --- saved medicines --------------------------------------------------------------------------


@bp.route("/my-medicine/profiles/<int:profile_id>/medicines", methods=["POST"])
@member_page
def add_medicine(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = AddMedicineForm()
    if form.validate_on_submit():
        (result,) = profiles.resolve_names(db.session, [form.name.data])
        source = result.found
        if source is None and form.save_unrecognised.data:
            source = profiles.SaveSource("other", None, profiles.name_slug(form.name.data), form.name.data)
        if source is None:
            form.name.errors.append(
                f"We couldn't find \u201c{form.name.data}\u201d in our drug reference. Check the spelling, try the "
                "generic or brand name, or tick the box below to save it anyway.")
        else:
            medicine = _save(form, lambda: profiles.add_medicine(db.session, profile, source, form.details()),
                             lambda saved: f"Added {saved.name} to the list of {profile.name}.")
            if medicine is not None:
                return _to_profile(profile, added=medicine.id)
    return _render_profile(profile, form, 200)


@bp.route("/my-medicine/save", methods=["POST"])
@member_page
def save_item():
    form = SaveToListForm()
    raw_profile = request.form.get("profile_id", "")
    if not form.validate_on_submit() or form.kind.data not in SAVE_KINDS or not str(form.item_id.data).isdigit() \
            or not raw_profile.isdigit():
        flash("That could not be saved. Please go back, reload the page and try again.", "error")
        return redirect(url_for("mymeds.index"))
    target = None
    if int(raw_profile) != 0:
        target = profiles.get_profile(db.session, current_user.id, int(raw_profile))
        if target is None:
            return _gone()
    source = profiles.source_for(db.session, form.kind.data, int(form.item_id.data))
    if source is None:
        flash("That medicine is no longer in our reference, so it could not be saved.", "error")
        return redirect(url_for("mymeds.index"))
    if target is None:
        target = profiles.ensure_me_profile(db.session, current_user.id)
    try:
        medicine = profiles.add_medicine(db.session, target, source, MedicineDetails())
    except MyMedsError as exc:
        flash(exc.message, "error")
        return _to_profile(target)
    db.session.commit()
    flash(f"Saved {medicine.name} to the list of {target.name}. Add the strength and how it is taken below.", "success")
    return _to_profile(target, added=medicine.id)


@bp.route("/my-medicine/medicines/<int:medicine_id>/edit", methods=["GET", "POST"])
@member_page
def edit_medicine(medicine_id: int):
    medicine = _medicine_or_none(medicine_id)
    if medicine is None:
        return _gone()
    form = EditMedicineForm(obj=medicine if request.method == "GET" else None)
    if medicine.kind != "other":
        del form.name
    if request.method == "GET":
        form.shown_version.show(profiles.medicine_form_values(medicine))
    if form.validate_on_submit():
        # Locked until the commit, and re-read: two saves at once on PostgreSQL take turns.
        medicine = profiles.get_medicine(db.session, current_user.id, medicine_id, for_update=True)
        if medicine is None:
            return _gone()
        message = form.shown_version.conflict(profiles.medicine_form_values(medicine), "This medicine")
        if message:
            conflict = _conflict("This medicine", message, form.values_now(medicine))
            return render_template("mymeds/medicine_form.html", form=form, medicine=medicine, profile=medicine.profile,
                                   conflict=conflict), 409
        name = form.name.data if "name" in form else None
        if _save(form, lambda: profiles.update_medicine(medicine, form.details(), name),
                 lambda saved: f"Saved the changes to {saved.name}."):
            return redirect(url_for("mymeds.profile", profile_id=medicine.profile_id))
    return render_template("mymeds/medicine_form.html", form=form, medicine=medicine, profile=medicine.profile)


@bp.route("/my-medicine/medicines/<int:medicine_id>/status", methods=["POST"])
@member_page
def medicine_status(medicine_id: int):
    medicine = _medicine_or_none(medicine_id)
    if medicine is None:
        return _gone()
    form = EmptyForm()
    action = request.form.get("action")
    if not form.validate_on_submit() or action not in ("stop", "restart"):
        abort(400)
    profiles.set_stopped(medicine, action == "stop", _today())
    db.session.commit()
    if action == "stop":
        flash(f"Marked {medicine.name} as stopped. It stays on the list but is no longer checked.", "success")
    else:
        flash(f"Marked {medicine.name} as taken again.", "success")
    return redirect(url_for("mymeds.profile", profile_id=medicine.profile_id))


@bp.route("/my-medicine/medicines/<int:medicine_id>/remove", methods=["POST"])
@member_page
def remove_medicine(medicine_id: int):
    medicine = _medicine_or_none(medicine_id)
    if medicine is None:
        return _gone()
    if not EmptyForm().validate_on_submit():
        abort(400)
    profile_id, name = medicine.profile_id, medicine.name
    db.session.delete(medicine)
    db.session.commit()
    flash(f"Removed {name} from the list.", "success")
    return redirect(url_for("mymeds.profile", profile_id=profile_id))


# --- print and export ----------------------------------------------------------------------


@bp.route("/my-medicine/profiles/<int:profile_id>/card")
@member_page(limit=None)
def wallet_card(profile_id: int):
    profile = _profile_or_404(profile_id)
    medicines = [m for m in profiles.medicines_of(db.session, profile.id) if m.is_active]
    return render_template("mymeds/card.html", profile=profile, medicines=medicines, today=_today(),
                           condition_names=_condition_names(profile))


def _download(profile, body: str, mimetype: str, extension: str) -> Response:
    slug = profiles.name_slug(profile.name, max_length=40, default="profile")
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="medicines-{slug}.{extension}"'})


@bp.route("/my-medicine/profiles/<int:profile_id>/export.csv")
@member_page(limit=None)
def export_csv(profile_id: int):
    profile = _profile_or_404(profile_id)
    return _download(profile, export.profile_csv(profiles.medicines_of(db.session, profile.id)), "text/csv", "csv")


@bp.route("/my-medicine/profiles/<int:profile_id>/export.json")
@member_page(limit=None)
def export_json(profile_id: int):
    profile = _profile_or_404(profile_id)
    record = export.profile_record(profile, profiles.medicines_of(db.session, profile.id))
    return _download(profile, json.dumps(record, ensure_ascii=False, indent=2), "application/json", "json")


# --- alerts and the public recall pages (recalls/views.py) ---------------------------------------

for _rule, _view, _methods in recall_views.URLS:
    bp.add_url_rule(_rule, view_func=_view, methods=_methods)


# --- the ad-hoc checker and its API ---------------------------------------------------------------


@bp.route("/interaction-checker")
@no_store
def interaction_checker():
    form = CheckerForm(request.args)
    check = None
    repeated: list[str] = []
    if "medicines" in request.args and form.validate():
        names, repeated = checker.split_names(form.medicines.data)
        error = checker.page_names_error(names)
        if error:
            form.medicines.errors.append(error)
        else:
            check = checker.check_names(db.session, names, _kb(), form.allergies.data)
    return render_template("mymeds/checker.html", form=form, results=check.results if check else None,
                           report=check.report if check else None, repeated=repeated,
                           allergy_report=check.allergy_report if check else None, submitted="medicines" in request.args,
                           suggestions=check.suggestions if check else None)


@bp.route("/api/v1/interactions", methods=["POST"])
@csrf.exempt
@limiter.limit(API_LIMIT)
def api_interactions():
    try:
        asked = checker.parse_api_request(request.get_json(silent=True))
    except checker.CheckRequestError as exc:
        return jsonify({"error": {"status": exc.status, "message": exc.message}}), exc.status
    return jsonify(interactions_payload(checker.check_names(db.session, asked.names, _kb(), asked.allergies)))


@bp.app_template_global()
def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)


@bp.app_template_global()
def food_names() -> dict:
    return FOODS
