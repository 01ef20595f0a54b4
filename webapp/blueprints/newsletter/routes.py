"""Newsletter: signup (footer and its own page), confirm, preferences and one-click unsubscribe."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.blueprints.newsletter import signup as signup_service
from webapp.blueprints.newsletter.forms import SignupForm, TopicsForm
from webapp.core import tokens
from webapp.core.caching.http_cache import public_page
from webapp.core.forms import show_refusal
from webapp.core.guards import member_page
from webapp.core.links import site_url_for
from webapp.core.mail import mailer
from webapp.database import immediate_transactions
from webapp.extensions import csrf, db, limiter
from webapp.security import no_store, require_same_origin

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")

SIGNUP_LIMIT = "5 per minute; 30 per hour"
MANAGE_LIMIT = "20 per minute"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


@bp.app_context_processor
def _template_helpers():
    # The footer form lists no topics (an email alone subscribes to all), so pages ask nothing here.
    return {"newsletter_member_state": _member_state}


def _active_topics() -> list:
    """Topics for a member's settings; that page never fails because of this section."""
    try:
        return signup_service.active_topics(db.session)
    except SQLAlchemyError:
        return []


def _member_state() -> dict:
    topics = _active_topics()
    subscriber = signup_service.subscriber_for_user(db.session, current_user) if current_user.is_authenticated else None
    chosen = set()
    if subscriber is not None and subscriber.status != "unsubscribed":
        ids = signup_service.topic_ids(subscriber)
        chosen = {t.slug for t in topics if t.id in ids}
    return {"topics": topics, "chosen": chosen, "status": subscriber.status if subscriber else None,
            "email": subscriber.email if subscriber else (current_user.email if current_user.is_authenticated else "")}


def _send_confirmation(subscriber, topic_ids: list[int], *, adding: bool) -> None:
    token = signup_service.confirm_token(_secret(), subscriber, topic_ids)
    link = site_url_for("newsletter.confirm", token=token)
    names = signup_service.topic_names(db.session, topic_ids)
    mailer.send(subscriber.email, signup_service.confirmation_mail(link, names, adding=adding), category="newsletter-confirm")


@bp.route("", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT, methods=["POST"])
@csrf.exempt  # posted from cached pages without a session: checked by origin instead
@public_page("newsletter")
def signup():
    if request.method == "POST":
        require_same_origin()
    form = SignupForm()
    topics = signup_service.active_topics(db.session)
    form.topics.choices = [(t.slug, t.name) for t in topics]
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = current_user.email
    if form.validate_on_submit():
        user = current_user._get_current_object() if current_user.is_authenticated else None
        try:
            result = signup_service.sign_up(db.session, form.email.data, form.topics.data or [], now=_now(), user=user)
        except signup_service.NewsletterError as exc:
            show_refusal(form, exc, "email")
        else:
            if result.confirm_topics:
                _send_confirmation(result.subscriber, result.confirm_topics, adding=result.adding_topics)
            db.session.commit()
            # The same answer whatever state the address was in.
            return redirect(url_for("newsletter.check_email"))
    # Errors are shown beside the fields with 200, as the other forms of the site do.
    return render_template("newsletter/signup.html", form=form, topics=topics)


@bp.route("/check-email")
def check_email():
    return render_template("newsletter/check_email.html")


def _link_problem(reason: str, kind: str):
    return render_template("newsletter/link_problem.html", reason=reason, kind=kind), 400


@bp.route("/confirm/<token>")
@no_store
def confirm(token: str):
    with immediate_transactions():
        try:
            result = signup_service.confirm(db.session, _secret(), token, now=_now(),
                                            max_age=current_app.config["EMAIL_TOKEN_MAX_AGE"])
        except tokens.TokenError as exc:
            db.session.rollback()
            return _link_problem(exc.reason, "confirm")
        db.session.commit()
        manage_token = signup_service.manage_token(_secret(), result.subscriber)
        chosen_ids = signup_service.topic_ids(result.subscriber)
        topics = signup_service.active_topics(db.session)
    # The topics form posts to the preferences page: there the person narrows what they get.
    form = TopicsForm()
    form.topics.choices = [(t.slug, t.name) for t in topics]
    return render_template("newsletter/confirmed.html", changed=result.changed, form=form, topics=topics,
                           chosen={t.slug for t in topics if t.id in chosen_ids}, token=manage_token,
                           manage_url=url_for("newsletter.preferences", token=manage_token))


def _subscriber_or_problem(token: str):
    try:
        return signup_service.subscriber_from_manage_token(db.session, _secret(), token), None
    except tokens.TokenError as exc:
        return None, _link_problem(exc.reason, "manage")


@bp.route("/preferences/<token>", methods=["GET", "POST"])
@limiter.limit(MANAGE_LIMIT, methods=["POST"])
@no_store
def preferences(token: str):
    subscriber, problem = _subscriber_or_problem(token)
    if problem:
        return problem
    topics = signup_service.active_topics(db.session)
    form = TopicsForm()
    form.topics.choices = [(t.slug, t.name) for t in topics]
    if form.validate_on_submit():
        status = signup_service.set_topics(db.session, subscriber, form.topics.data or [], now=_now())
        db.session.commit()
        if status == "unsubscribed":
            flash("You chose no topics, so you are unsubscribed. You won't receive any more issues.", "success")
        else:
            flash("Your newsletter topics are saved.", "success")
        return redirect(url_for("newsletter.preferences", token=token))
    ids = signup_service.topic_ids(subscriber) if subscriber.status != "unsubscribed" else set()
    chosen = set(form.topics.data or []) if request.method == "POST" else {t.slug for t in topics if t.id in ids}
    return render_template("newsletter/preferences.html", form=form, topics=topics, chosen=chosen,
                           subscriber=subscriber, token=token)


# No rate limit here: one-click POSTs for many readers come from a few mail providers' addresses,
# and stopping mail must always work. The signed token cannot be guessed.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without a session; the signed token authenticates
@no_store
def unsubscribe(token: str):
    subscriber, problem = _subscriber_or_problem(token)
    if problem:
        return problem
    if request.method == "POST":
        changed = signup_service.unsubscribe(subscriber, now=_now())
        db.session.commit()
        return render_template("newsletter/unsubscribed.html", subscriber=subscriber, changed=changed, token=token)
    return render_template("newsletter/unsubscribe.html", subscriber=subscriber, token=token)


@bp.route("/settings", methods=["POST"])
@member_page(limit=MANAGE_LIMIT)
def member_topics():
    form = TopicsForm()
    if not form.validate_on_submit():
        flash("Your session expired or the form was sent twice. Please choose your topics again.", "error")
        return redirect(url_for("account.settings") + "#newsletter-settings-heading")
    user = current_user._get_current_object()
    try:
        result = signup_service.member_set_topics(db.session, user, form.topics.data or [], now=_now())
    except signup_service.NewsletterError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("account.settings") + "#newsletter-settings-heading")
    if result.confirm_topics:
        _send_confirmation(result.subscriber, result.confirm_topics, adding=False)
    db.session.commit()
    messages = {
        "confirmed": ("Your newsletter topics are saved.", "success"),
        "unsubscribed": ("You are not subscribed to any newsletter topics.", "success"),
        "pending": (f"We sent a confirmation link to {user.email}. Your newsletter starts when you open it.", "info"),
        "pending-wait": ("Your topics are saved. Open the confirmation link we sent you to start your newsletter.", "info"),
    }
    flash(*messages[result.status])
    return redirect(url_for("account.settings") + "#newsletter-settings-heading")
