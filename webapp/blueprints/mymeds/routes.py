"""My Medicine: profiles, saved medicines, interaction reports, recall alerts; the public
interaction checker and its JSON API. Every personal page checks the owner (another
account's id gives 404) and is sent with Cache-Control: no-store."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.mymeds import alerts as mymeds_alerts
from webapp.blueprints.mymeds import allergies as allergy_check
from webapp.blueprints.mymeds import export as mymeds_export
from webapp.blueprints.mymeds import interaction_loader
from webapp.blueprints.mymeds import profiles as profiles_service
from webapp.blueprints.mymeds.forms import (
    AddMedicineForm,
    CheckerForm,
    EditMedicineForm,
    EditProfileForm,
    ProfileForm,
    SaveToListForm,
    SubscriptionForm,
)
from webapp.blueprints.mymeds.interactions import FOODS, SEVERITY_LABELS, Medicine, check_interactions
from webapp.blueprints.mymeds.models import RELATIONSHIP_LABELS
from webapp.blueprints.mymeds.profiles import MAX_CHECK_NAMES, MedicineDetails, MyMedsError, ProfileData
from webapp.core.forms import EmptyForm
from webapp.database import immediate_transactions
from webapp.extensions import csrf, db, limiter
from webapp.security import no_store
from webapp.templating import format_date

bp = Blueprint("mymeds", __name__)

POST_LIMIT = "30 per minute; 300 per hour"
MAX_ALLERGY_CHARS = 2000  # as the profile and checker forms
API_LIMIT = "60 per minute; 1000 per hour"
SAVE_KINDS = ("drug", "product", "pill")
_SPLIT = re.compile(r"[\n,;]+")


def _kb():
    return interaction_loader.knowledge_base()


def _condition_choices() -> list[SelectChoice]:
    ordered = sorted(_kb().conditions.values(), key=lambda c: c.name.lower())
    return [SelectChoice(c.slug, c.name) for c in ordered]


def _profile_or_404(profile_id: int):
    profile = profiles_service.get_profile(db.session, current_user.id, profile_id)
    if profile is None:
        abort(404)
    return profile


def _gone():
    """Another account's id, or a medicine removed in another window: the same answer, no data."""
    return render_template("mymeds/gone.html"), 404


def _medicine_or_none(medicine_id: int):
    return profiles_service.get_medicine(db.session, current_user.id, medicine_id)


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _my_profiles() -> list:
    """The reader's profiles, read once per request for the "Save to My Medicine" controls."""
    if "my_profiles" not in g:
        g.my_profiles = profiles_service.list_profiles(db.session, current_user.id)
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
        profiles = _my_profiles()
        source = profiles_service.source_for(db.session, kind, item_id) if profiles else None
        if source is None:
            return []
        return allergy_check.warnings_for_item(db.session, profiles, source.key, source.name, source.ingredients)

    return {"my_medicine_profiles": my_medicine_profiles, "my_allergy_warnings": my_allergy_warnings}


# --- overview and profiles --------------------------------------------------------------------


@bp.route("/my-medicine")
@no_store
def index():
    if not current_user.is_authenticated:
        return render_template("mymeds/intro.html")
    with immediate_transactions():
        profiles_service.ensure_me_profile(db.session, current_user.id)
        db.session.commit()
    kb = _kb()
    rows = []
    for profile in profiles_service.list_profiles(db.session, current_user.id):
        medicines = profiles_service.medicines_of(db.session, profile.id)
        result = profiles_service.profile_report(profile, medicines, kb)
        rows.append((profile, [m for m in medicines if m.is_active], result.report))
    return render_template("mymeds/index.html", rows=rows,
                           subscription=mymeds_alerts.subscription_state(db.session, current_user.id))


def _profile_data(form: ProfileForm) -> ProfileData:
    return ProfileData(name=form.name.data or "", relation=form.relation.data or "other",
                       birth_year=form.birth_year.data, conditions=tuple(form.conditions.data or ()),
                       other_conditions=form.other_conditions.data or "", allergies=form.allergies.data or "")


def _apply_error(form, exc: MyMedsError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors.append(exc.message)
    else:
        flash(exc.message, "error")


@bp.route("/my-medicine/profiles/new", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def new_profile():
    form = ProfileForm()
    form.conditions.choices = _condition_choices()
    if form.validate_on_submit():
        try:
            profile = profiles_service.create_profile(db.session, current_user.id, _profile_data(form), _kb().conditions)
        except MyMedsError as exc:
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash(f"Added a profile for {profile.name}.", "success")
            return redirect(url_for("mymeds.profile", profile_id=profile.id))
    return render_template("mymeds/profile_form.html", form=form, profile=None)


def _conflict(what: str, message: str, current: list[tuple[str, object]]) -> dict:
    """Saving would overwrite a change made elsewhere: what the page shows beside the typed values."""
    return {"message": message, "what": what.lower(), "current": current}


def _profile_now(form: EditProfileForm, profile) -> list[tuple[str, object]]:
    kb = _kb()
    return [(form.name.label.text, profile.name), (form.relation.label.text, profile.relation_label),
            ("Birth year", profile.birth_year),
            ("Health conditions", ", ".join(kb.condition_name(c) for c in profile.conditions or ())),
            ("Other conditions", profile.other_conditions), ("Allergies", profile.allergies)]


@bp.route("/my-medicine/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def edit_profile(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = EditProfileForm(obj=profile if request.method == "GET" else None)
    form.conditions.choices = _condition_choices()
    if profile.is_self:
        form.relation.choices = [SelectChoice("self", RELATIONSHIP_LABELS["self"])]
        if request.method == "GET":
            form.relation.data = "self"
    if request.method == "GET":
        form.shown_version.show(profiles_service.profile_form_values(profile))
    if form.validate_on_submit():
        # Locked until the commit, and re-read: two saves at once on PostgreSQL take turns.
        profile = profiles_service.get_profile(db.session, current_user.id, profile_id, for_update=True)
        if profile is None:  # removed in another window since the page was opened
            abort(404)
        message = form.shown_version.conflict(profiles_service.profile_form_values(profile), "This profile")
        if message:
            conflict = _conflict("This profile", message, _profile_now(form, profile))
            return render_template("mymeds/profile_form.html", form=form, profile=profile, conflict=conflict), 409
        try:
            profiles_service.update_profile(profile, _profile_data(form), _kb().conditions)
        except MyMedsError as exc:
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash("Profile saved.", "success")
            return redirect(url_for("mymeds.profile", profile_id=profile.id))
    return render_template("mymeds/profile_form.html", form=form, profile=profile)


@bp.route("/my-medicine/profiles/<int:profile_id>/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def delete_profile(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = EmptyForm()
    if profile.is_self:
        flash("Your own profile stays; you can rename it or remove its medicines.", "info")
        return redirect(url_for("mymeds.profile", profile_id=profile.id))
    if form.validate_on_submit():
        name = profile.name
        profiles_service.delete_profile(db.session, profile)
        db.session.commit()
        flash(f"Removed the profile of {name} and its medicine list.", "success")
        return redirect(url_for("mymeds.index"))
    count = len(profiles_service.medicines_of(db.session, profile.id))
    return render_template("mymeds/profile_delete.html", profile=profile, form=form, count=count)


def _render_profile(profile, add_form: AddMedicineForm, status: int = 200):
    medicines = profiles_service.medicines_of(db.session, profile.id)
    result = profiles_service.profile_report(profile, medicines, _kb())
    added = None
    added_id = request.args.get("added", "")
    if added_id.isdigit() and profiles_service.valid_id(int(added_id)):
        added = next((m for m in medicines if m.id == int(added_id) and m.is_active), None)
    allergies = allergy_check.profile_allergy_report(db.session, profile.allergies, medicines)
    return render_template(
        "mymeds/profile.html", profile=profile, medicines=medicines, result=result, report=result.report,
        added=added, added_report=result.report.about(str(added.id)) if added else None, add_form=add_form,
        allergies=allergies, added_allergies=allergies.about(str(added.id)) if added else None,
        action_form=EmptyForm(), recall_matches=mymeds_alerts.recall_matches_for_profile(db.session, profile.id),
        condition_names=[_kb().condition_name(c) for c in profile.conditions or []],
    ), status


@bp.route("/my-medicine/profiles/<int:profile_id>")
@login_required
@no_store
def profile(profile_id: int):
    return _render_profile(_profile_or_404(profile_id), AddMedicineForm(formdata=None))


# --- saved medicines --------------------------------------------------------------------------


def _details(form) -> MedicineDetails:
    return MedicineDetails(strength=form.strength.data or "", how_taken=form.how_taken.data or "",
                           started_on=form.started_on.data, notes=form.notes.data or "")


@bp.route("/my-medicine/profiles/<int:profile_id>/medicines", methods=["POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def add_medicine(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = AddMedicineForm()
    if form.validate_on_submit():
        (result,) = profiles_service.resolve_names(db.session, [form.name.data])
        source = result.found
        if source is None and form.save_unrecognised.data:
            source = profiles_service.SaveSource("other", None, profiles_service.slugify(form.name.data), form.name.data)
        if source is None:
            form.name.errors.append(
                f"We couldn't find \u201c{form.name.data}\u201d in our drug reference. Check the spelling, try the "
                "generic or brand name, or tick the box below to save it anyway.")
        else:
            try:
                medicine = profiles_service.add_medicine(db.session, profile, source, _details(form))
            except MyMedsError as exc:
                _apply_error(form, exc)
            else:
                db.session.commit()
                flash(f"Added {medicine.name} to the list of {profile.name}.", "success")
                return redirect(url_for("mymeds.profile", profile_id=profile.id, added=medicine.id) + "#new-findings")
    return _render_profile(profile, form, 200)


@bp.route("/my-medicine/save", methods=["POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def save_item():
    form = SaveToListForm()
    raw_profile = request.form.get("profile_id", "")
    if not form.validate_on_submit() or form.kind.data not in SAVE_KINDS or not str(form.item_id.data).isdigit() \
            or not raw_profile.isdigit():
        flash("That could not be saved. Please go back, reload the page and try again.", "error")
        return redirect(url_for("mymeds.index"))
    target = None
    if int(raw_profile) != 0:
        target = profiles_service.get_profile(db.session, current_user.id, int(raw_profile))
        if target is None:
            return _gone()
    source = profiles_service.source_for(db.session, form.kind.data, int(form.item_id.data))
    if source is None:
        flash("That medicine is no longer in our reference, so it could not be saved.", "error")
        return redirect(url_for("mymeds.index"))
    if target is None:
        target = profiles_service.ensure_me_profile(db.session, current_user.id)
    try:
        medicine = profiles_service.add_medicine(db.session, target, source, MedicineDetails())
    except MyMedsError as exc:
        flash(exc.message, "error")
        return redirect(url_for("mymeds.profile", profile_id=target.id))
    db.session.commit()
    flash(f"Saved {medicine.name} to the list of {target.name}. Add the strength and how it is taken below.", "success")
    return redirect(url_for("mymeds.profile", profile_id=target.id, added=medicine.id) + "#new-findings")


def _medicine_now(form: EditMedicineForm, medicine) -> list[tuple[str, object]]:
    named = [("Medicine name", medicine.name)] if "name" in form else []
    return named + [("Strength", medicine.strength), ("How it is taken", medicine.how_taken),
                    ("Start date", format_date(medicine.started_on) if medicine.started_on else ""),
                    ("Notes", medicine.notes)]


@bp.route("/my-medicine/medicines/<int:medicine_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def edit_medicine(medicine_id: int):
    medicine = _medicine_or_none(medicine_id)
    if medicine is None:
        return _gone()
    form = EditMedicineForm(obj=medicine if request.method == "GET" else None)
    if medicine.kind != "other":
        del form.name
    if request.method == "GET":
        form.shown_version.show(profiles_service.medicine_form_values(medicine))
    if form.validate_on_submit():
        # Locked until the commit, and re-read: two saves at once on PostgreSQL take turns.
        medicine = profiles_service.get_medicine(db.session, current_user.id, medicine_id, for_update=True)
        if medicine is None:
            return _gone()
        message = form.shown_version.conflict(profiles_service.medicine_form_values(medicine), "This medicine")
        if message:
            conflict = _conflict("This medicine", message, _medicine_now(form, medicine))
            return render_template("mymeds/medicine_form.html", form=form, medicine=medicine, profile=medicine.profile,
                                   conflict=conflict), 409
        try:
            profiles_service.update_medicine(medicine, _details(form), form.name.data if "name" in form else None)
        except MyMedsError as exc:
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash(f"Saved the changes to {medicine.name}.", "success")
            return redirect(url_for("mymeds.profile", profile_id=medicine.profile_id))
    return render_template("mymeds/medicine_form.html", form=form, medicine=medicine, profile=medicine.profile)


@bp.route("/my-medicine/medicines/<int:medicine_id>/status", methods=["POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def medicine_status(medicine_id: int):
    medicine = _medicine_or_none(medicine_id)
    if medicine is None:
        return _gone()
    form = EmptyForm()
    action = request.form.get("action")
    if not form.validate_on_submit() or action not in ("stop", "restart"):
        abort(400)
    profiles_service.set_stopped(medicine, action == "stop", _today())
    db.session.commit()
    if action == "stop":
        flash(f"Marked {medicine.name} as stopped. It stays on the list but is no longer checked.", "success")
    else:
        flash(f"Marked {medicine.name} as taken again.", "success")
    return redirect(url_for("mymeds.profile", profile_id=medicine.profile_id))


@bp.route("/my-medicine/medicines/<int:medicine_id>/remove", methods=["POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
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
@login_required
@no_store
def wallet_card(profile_id: int):
    profile = _profile_or_404(profile_id)
    medicines = [m for m in profiles_service.medicines_of(db.session, profile.id) if m.is_active]
    return render_template("mymeds/card.html", profile=profile, medicines=medicines, today=_today(),
                           condition_names=[_kb().condition_name(c) for c in profile.conditions or []])


def _filename(profile, extension: str) -> str:
    slug = profiles_service.slugify(profile.name) or "profile"
    return f"medicines-{slug[:40]}.{extension}"


@bp.route("/my-medicine/profiles/<int:profile_id>/export.csv")
@login_required
@no_store
def export_csv(profile_id: int):
    profile = _profile_or_404(profile_id)
    body = mymeds_export.profile_csv(profiles_service.medicines_of(db.session, profile.id))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(profile, "csv")}"'})


@bp.route("/my-medicine/profiles/<int:profile_id>/export.json")
@login_required
@no_store
def export_json(profile_id: int):
    profile = _profile_or_404(profile_id)
    record = mymeds_export.profile_record(profile, profiles_service.medicines_of(db.session, profile.id))
    return Response(json.dumps(record, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(profile, "json")}"'})


# --- alerts ------------------------------------------------------------------------------------


@bp.route("/my-medicine/alerts")
@login_required
@no_store
def alerts():
    notifications = mymeds_alerts.list_notifications(db.session, current_user.id)
    details = {n.id: mymeds_alerts.matches_for(db.session, n) for n in notifications}
    return render_template("mymeds/alerts.html", notifications=notifications, details=details, form=EmptyForm(),
                           subscription=mymeds_alerts.subscription_state(db.session, current_user.id),
                           classification_meaning=mymeds_alerts.classification_meaning)


@bp.route("/my-medicine/alerts/read", methods=["POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def mark_alerts_read():
    if not EmptyForm().validate_on_submit():
        abort(400)
    raw = request.form.get("notification_id", "")
    notification_id = int(raw) if raw.isdigit() else None
    if raw and notification_id is None:
        abort(400)
    if notification_id is not None and mymeds_alerts.get_notification(db.session, current_user.id, notification_id) is None:
        return _gone()
    mymeds_alerts.mark_read(db.session, current_user.id, datetime.now(timezone.utc), notification_id)
    db.session.commit()
    flash("Marked as read." if notification_id else "Marked all alerts as read.", "success")
    return redirect(url_for("mymeds.alerts"))


@bp.route("/my-medicine/alerts/settings", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def alert_settings():
    with immediate_transactions():
        profiles_service.ensure_me_profile(db.session, current_user.id)
        db.session.commit()
    own = profiles_service.list_profiles(db.session, current_user.id)
    state = mymeds_alerts.subscription_state(db.session, current_user.id)
    form = SubscriptionForm()
    form.profiles.choices = [SelectChoice(p.id, p.name) for p in own]
    if request.method == "GET":
        form.scope.data = state.scope if state.scope != "none" else "none"
        form.profiles.data = sorted(state.profile_ids)
        form.by_email.data = state.by_email
    if form.validate_on_submit():
        mymeds_alerts.set_subscriptions(db.session, current_user.id, form.scope.data, form.profiles.data or [],
                                        bool(form.by_email.data))
        db.session.commit()
        flash("Your alert settings are saved." if form.scope.data != "none" else "FDA recall alerts are off.", "success")
        return redirect(url_for("mymeds.alert_settings"))
    return render_template("mymeds/alert_settings.html", form=form, state=state)


# --- public recall pages ----------------------------------------------------------------------------


@bp.route("/recalls")
def recalls():
    return render_template("mymeds/recalls.html", recalls=mymeds_alerts.recent_recalls(db.session),
                           classification_meaning=mymeds_alerts.classification_meaning)


@bp.route("/recalls/<recall_number>")
@no_store  # a member sees which of their own medicines it concerns
def recall(recall_number: str):
    found = mymeds_alerts.get_recall(db.session, recall_number)
    if found is None:
        abort(404)
    mine = mymeds_alerts.user_matches_for_recall(db.session, current_user.id, found.id) \
        if current_user.is_authenticated else []
    return render_template("mymeds/recall.html", recall=found, mine=mine,
                           classification_meaning=mymeds_alerts.classification_meaning)


# --- the ad-hoc checker and its API ---------------------------------------------------------------


def split_names(text: str) -> tuple[list[str], list[str]]:
    """(names, repeated): one per line or comma; repeats (any case) kept once."""
    return unique_names(_SPLIT.split(text or ""))


def unique_names(parts) -> tuple[list[str], list[str]]:
    names: list[str] = []
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for part in parts:
        name = " ".join(part.split())
        if not name:
            continue
        key = profiles_service.normalize_name(name)
        if key in seen:
            if seen[key] not in repeated:
                repeated.append(seen[key])
            continue
        seen[key] = name
        names.append(name)
    return names, repeated


def _check_names(names: list[str]):
    results = profiles_service.resolve_names(db.session, names)
    recognised = [r for r in results if r.found is not None]
    medicines = [Medicine(r.found.key, r.found.name, r.found.ingredients) for r in recognised]
    return results, check_interactions(medicines, _kb())


@bp.route("/interaction-checker")
@no_store
def interaction_checker():
    form = CheckerForm(request.args)
    results = report = allergy_report = None
    repeated: list[str] = []
    if "medicines" in request.args and form.validate():
        names, repeated = split_names(form.medicines.data)
        if len(names) > MAX_CHECK_NAMES:
            form.medicines.errors.append(f"Enter at most {MAX_CHECK_NAMES} medicines at a time (you entered {len(names)}).")
        elif not names:
            form.medicines.errors.append("Enter at least two medicines, one per line.")
        else:
            results, report = _check_names(names)
            allergy_report = _checker_allergies(form.allergies.data, results)
    return render_template("mymeds/checker.html", form=form, results=results, report=report, repeated=repeated,
                           allergy_report=allergy_report, submitted="medicines" in request.args)


def _checker_allergies(allergy_text: str | None, results) -> allergy_check.AllergyReport | None:
    """The checker's medicines against the allergies typed beside them (None: none typed)."""
    medicines = [Medicine(r.found.key, r.found.name, r.found.ingredients) for r in results if r.found is not None]
    report = allergy_check.report_for(db.session, allergy_text, medicines)
    return report if report.entries else None


def _api_error(message: str, status: int = 400):
    return jsonify({"error": {"status": status, "message": message}}), status


@bp.route("/api/v1/interactions", methods=["POST"])
@csrf.exempt
@limiter.limit(API_LIMIT)
def api_interactions():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _api_error('Send a JSON object like {"drugs": ["warfarin", "ibuprofen"]}.')
    drugs = body.get("drugs")
    if not isinstance(drugs, list) or not all(isinstance(d, str) for d in drugs):
        return _api_error('"drugs" must be a list of medicine names (text).')
    names = [" ".join(d.replace("\x00", "").split()) for d in drugs]
    if not any(names):
        return _api_error('"drugs" must name at least one medicine.')
    if len(names) > MAX_CHECK_NAMES:
        return _api_error(f'"drugs" may list at most {MAX_CHECK_NAMES} medicines.')
    if any(len(n) > profiles_service.MAX_NAME_CHARS for n in names):
        return _api_error(f"Each name may be at most {profiles_service.MAX_NAME_CHARS} characters.")
    allergies = body.get("allergies") or ""
    if not isinstance(allergies, str) or len(allergies) > MAX_ALLERGY_CHARS:
        return _api_error(f'"allergies" must be text of at most {MAX_ALLERGY_CHARS:,} characters, e.g. "penicillin, sulfa".')
    unique, _repeated = unique_names(names)
    results, report = _check_names(unique)
    recognised = [r for r in results if r.found is not None]
    allergy_report = _checker_allergies(allergies, results)
    return jsonify({
        "allergies": [{
            "drug": f.medicine.key, "allergy": f.allergy, "severity": f.severity, "explanation": f.explanation,
            "advice": f.advice,
        } for f in (allergy_report.findings if allergy_report else [])],
        "drugs": [{"input": r.input, "slug": r.found.key, "name": r.found.name} for r in recognised],
        "unrecognized": [r.input for r in results if r.found is None],
        "interactions": [{
            "drugs": list(f.medicine_keys), "severity": f.severity, "summary": f.summary, "advice": f.advice,
            "source": f.source.title, "source_url": f.source.url,
        } for f in report.interactions],
        "duplications": [{
            d.kind: d.key, "drugs": [m.key for m in d.medicines], "note": d.note,
        } for d in report.duplications],
        "food": [{
            "drug": f.medicines[0].key, "food": f.other, "severity": f.severity, "summary": f.summary,
            "advice": f.advice, "source": f.source.title, "source_url": f.source.url,
        } for f in report.food],
    })


@bp.app_template_global()
def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)


@bp.app_template_global()
def food_names() -> dict:
    return FOODS
