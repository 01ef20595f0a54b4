"""Settings: name, password, email, export my data, delete my account."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from webapp.blueprints.accounts import data as account_data
from webapp.blueprints.accounts import emails as account_mail
from webapp.blueprints.accounts import rules as accounts
from webapp.blueprints.accounts.settings_forms import ChangeEmailForm, ChangePasswordForm, DeleteAccountForm, ProfileForm
from webapp.blueprints.personalisation import signals as personalisation
from webapp.core import tokens
from webapp.core.area import registry
from webapp.core.forms import show_refusal
from webapp.core.guards import member_page
from webapp.core.links import site_url_for
from webapp.core.mail import mailer
from webapp.database import immediate_transactions
from webapp.extensions import db

bp = Blueprint("account", __name__, url_prefix="/account")

SETTINGS_LIMIT = "10 per minute"


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


def _render_settings(**forms):
    forms.setdefault("profile_form", ProfileForm(prefix="profile", display_name=current_user.display_name))
    forms.setdefault("password_form", ChangePasswordForm(prefix="pw"))
    forms.setdefault("email_form", ChangeEmailForm(prefix="em"))
    status = 400 if any(form.errors for form in forms.values()) else 200
    personal = personalisation.get_settings(db.session, current_user.id)
    return render_template("accounts/settings.html", personal=personal, **forms), status


@bp.route("/settings")
@member_page(limit=None)
def settings():
    return _render_settings()


@bp.route("/profile", methods=["POST"])
@member_page(limit=SETTINGS_LIMIT)
def update_profile():
    form = ProfileForm(prefix="profile")
    if form.validate_on_submit():
        current_user.display_name = " ".join(form.display_name.data.split())
        db.session.commit()
        flash("Your display name is saved.", "success")
        return redirect(url_for("account.settings"))
    return _render_settings(profile_form=form)


@bp.route("/password", methods=["POST"])
@member_page(limit=SETTINGS_LIMIT)
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data, _hash_method())
        except accounts.AccountError as exc:
            show_refusal(form, exc)
        else:
            user = current_user._get_current_object()
            mailer.send(user.email, account_mail.password_changed(user.display_name), category="password-changed")
            db.session.commit()
            logout_user()
            flash("Your password is changed and every device was logged out. Log in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return _render_settings(password_form=form)


@bp.route("/email", methods=["POST"])
@member_page(limit=SETTINGS_LIMIT)
def change_email():
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            new_email = accounts.change_email(db.session, current_user, form.current_password.data, form.new_email.data, _hash_method())
        except accounts.AccountError as exc:
            show_refusal(form, exc)
        else:
            payload = {"uid": current_user.id, "new": new_email, "pw": tokens.fingerprint(current_user.password_hash)}
            token = tokens.make_token(current_app.config["SECRET_KEY"], "change-email", payload)
            link = site_url_for("account.confirm_email", token=token)
            mailer.send(new_email, account_mail.confirm_new_email(current_user.display_name, link), category="change-email")
            db.session.commit()
            flash(f"We sent a confirmation link to {new_email}. Your email changes when you open it.", "info")
            return redirect(url_for("account.settings"))
    return _render_settings(email_form=form)


@bp.route("/email/confirm/<token>")
@member_page(limit=None)
def confirm_email(token: str):
    try:
        data = tokens.read_token(current_app.config["SECRET_KEY"], "change-email", token, current_app.config["EMAIL_TOKEN_MAX_AGE"])
        if data.get("uid") != current_user.id or data.get("pw") != tokens.fingerprint(current_user.password_hash):
            raise tokens.TokenError("invalid")
    except tokens.TokenError as exc:
        return render_template("accounts/link_problem.html", reason=exc.reason, resend=False), 400
    with immediate_transactions():
        try:
            accounts.apply_email_change(db.session, current_user, data["new"], registry().email_change_hooks)
        except accounts.AccountError as exc:
            flash(exc.message, "error")
            return redirect(url_for("account.settings"))
        db.session.commit()
    flash("Your email address is changed.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/export")
@member_page(limit=None)
def export():
    document = account_data.export_account(db.session, current_user, registry().export_sections)
    body = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="healthdesk-my-data.json"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@member_page(limit="5 per minute")
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            account_data.delete_account(db.session, current_user._get_current_object(), form.password.data, _hash_method(),
                                        registry().account_mail)
        except accounts.AccountError as exc:
            form.password.errors.append(exc.message)
        else:
            logout_user()
            flash("Your account and your private data are deleted. Thank you for using HealthDesk.", "info")
            return redirect(url_for("main.index"))
    return render_template("accounts/delete.html", form=form), (400 if form.errors else 200)
