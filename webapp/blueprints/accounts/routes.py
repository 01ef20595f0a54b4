"""Sign up, verify email, log in and out, forgot and reset password."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from webapp.blueprints.accounts import emails as account_mail
from webapp.blueprints.accounts import rules as accounts
from webapp.blueprints.accounts.forms import ForgotPasswordForm, LoginForm, ResendVerificationForm, ResetPasswordForm, SignUpForm
from webapp.blueprints.accounts.models import User
from webapp.core import tokens
from webapp.core.forms import EmptyForm, show_refusal
from webapp.core.guards import member_page
from webapp.core.links import site_url_for
from webapp.core.mail import mailer
from webapp.database import immediate_transactions
from webapp.extensions import db, limiter, login_manager
from webapp.security import is_safe_next, no_store

bp = Blueprint("auth", __name__)

AUTH_LIMIT = "10 per minute; 60 per hour"


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    return db.session.execute(select(User).where(User.session_token == session_token)).scalar_one_or_none()


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def send_verification(user: User) -> None:
    token = tokens.make_token(_secret(), "verify-email", {"uid": user.id, "email": user.email})
    link = site_url_for("auth.verify_email", token=token)
    mailer.send(user.email, account_mail.verify_email(user.display_name, link), category="verify-email")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        data = accounts.SignUp(form.email.data, form.display_name.data, form.password.data)
        try:
            result = accounts.sign_up(db.session, data, _hash_method())
        except accounts.AccountError as exc:
            show_refusal(form, exc, "email")
        else:
            if result.created:
                send_verification(result.user)
            else:
                login = site_url_for("auth.login")
                reset = site_url_for("auth.forgot_password")
                mailer.send(result.user.email, account_mail.already_registered(result.user.display_name, login, reset), category="signup-existing")
            db.session.commit()
            # The same answer whether or not the address already had an account.
            return redirect(url_for("auth.check_email"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/signup/check-email")
def check_email():
    return render_template("accounts/check_email.html")


@bp.route("/verify-email/<token>")
def verify_email(token: str):
    try:
        data = tokens.read_token(_secret(), "verify-email", token, current_app.config["EMAIL_TOKEN_MAX_AGE"])
    except tokens.TokenError as exc:
        return render_template("accounts/link_problem.html", reason=exc.reason, resend=True), 400
    with immediate_transactions():
        user = db.session.get(User, data.get("uid"))
        if user is None or user.email != data.get("email"):
            return render_template("accounts/link_problem.html", reason="invalid", resend=True), 400
        if accounts.mark_verified(user):
            db.session.commit()
            flash("Thank you, your email address is confirmed.", "success")
        else:
            flash("Your email address was already confirmed.", "info")
    return redirect(url_for("main.index") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/verify-email/resend", methods=["POST"])
@member_page(limit="3 per hour")
def resend_verification():
    form = ResendVerificationForm()
    if form.validate_on_submit() and not current_user.is_verified:
        send_verification(current_user)
        db.session.commit()
        flash("We sent a new confirmation link. Check your inbox.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@no_store
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data, _hash_method())
        if user is None:
            form.password.errors.append("The email address or password is not correct.")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(f"Welcome back, {user.display_name}.", "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        # A new token makes every copy of the old session and remember cookies worthless.
        accounts.end_all_sessions(current_user)
        db.session.commit()
        logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            email = accounts.normalize_email(form.email.data)
        except accounts.AccountError as exc:
            form.email.errors.append(exc.message)
        else:
            _send_reset_mail(email)
            db.session.commit()
            return render_template("accounts/reset_sent.html", email=email)
    return render_template("accounts/forgot_password.html", form=form)


def _send_reset_mail(email: str) -> None:
    """Queue one email whether or not the address has an account, doing the same work
    (a lookup, a signed token, one outbox row) so neither the page nor its timing tells."""
    user = accounts.find_by_email(db.session, email)
    if user is None:
        # Sign the same kind of token as for a real account, and throw it away.
        tokens.make_token(_secret(), "reset", tokens.reset_payload(0, email, email))
        mail = account_mail.reset_without_account(site_url_for("auth.signup"))
        mailer.send(email, mail, category="reset-no-account")
        return
    payload = tokens.reset_payload(user.id, user.password_hash, user.email)
    link = site_url_for("auth.reset_password", token=tokens.make_token(_secret(), "reset", payload))
    mailer.send(user.email, account_mail.reset_password(user.display_name, link), category="reset-password")


def _user_for_reset(token: str) -> User:
    data = tokens.read_token(_secret(), "reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or not tokens.reset_payload_matches(data, user.password_hash, user.email):
        raise tokens.TokenError("used")
    return user


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@no_store
def reset_password(token: str):
    try:
        user = _user_for_reset(token)
    except tokens.TokenError as exc:
        return render_template("accounts/link_problem.html", reason=exc.reason, resend=False), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data, _hash_method())
        except accounts.AccountError as exc:
            form.password.errors.append(exc.message)
        else:
            accounts.mark_verified(user)  # the link proved the address works
            mailer.send(user.email, account_mail.password_changed(user.display_name), category="password-changed")
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash("Your password is changed. Log in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return render_template("accounts/reset_password.html", form=form)
