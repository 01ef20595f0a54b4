"""Personalisation choices, reading history, and the "Today on HealthDesk" cards."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from webapp.blueprints.personalisation import signals as personalisation
from webapp.blueprints.personalisation.forms import ClearHistoryForm, PersonalisationForm
from webapp.core.caching.http_cache import request_has_session
from webapp.core.guards import member_page
from webapp.database import immediate_transactions
from webapp.extensions import db

bp = Blueprint("personalisation", __name__, url_prefix="/account")

CHOICES_LIMIT = "20 per minute"

# Pages that count as "read": endpoint -> (item kind, view argument holding its key).
READABLE = {
    "content.article": ("article", "article_slug"),
    "drugs.detail": ("drug", "slug"),
    "community.thread": ("thread", "thread_id"),
}


@bp.route("/personalisation", methods=["POST"])
@member_page(limit=CHOICES_LIMIT)
def save():
    form = PersonalisationForm()
    if form.validate_on_submit():
        personalisation.save_settings(
            db.session, current_user.id, personalise=form.personalise.data, keep_history=form.keep_history.data
        )
        db.session.commit()
        flash("Your personalisation choices are saved.", "success")
    return redirect(url_for("account.settings") + "#personalisation-heading")


@bp.route("/reading-history/clear", methods=["POST"])
@member_page(limit=CHOICES_LIMIT)
def clear():
    form = ClearHistoryForm()
    if form.validate_on_submit():
        removed = personalisation.clear_history(db.session, current_user.id)
        db.session.commit()
        flash(f"Your reading history is cleared ({removed} item{'s' if removed != 1 else ''}).", "success")
    return redirect(url_for("account.settings") + "#personalisation-heading")


@bp.app_context_processor
def _reading_helpers():
    return {"reading_item": _reading_item}


def _reading_item() -> str | None:
    """"kind:key" of the page being read, for site.js to keep in a visitor's own browser
    (localStorage): the server keeps no trail of a visitor, not even in a cookie."""
    target = READABLE.get(request.endpoint or "")
    if target is None:
        return None
    kind, argument = target
    key = str((request.view_args or {}).get(argument, ""))
    return f"{kind}:{key}" if key else None


@bp.after_app_request
def _remember_reading(response: Response) -> Response:
    target = READABLE.get(request.endpoint or "")
    if target is None or request.method != "GET" or response.status_code != 200:
        return response
    kind, argument = target
    key = str((request.view_args or {}).get(argument, ""))
    # Only a member's reading is kept here, if they allow it; ask who is reading only when a
    # session exists, so a visitor's cached page never depends on (or touches) one.
    if key and request_has_session() and current_user.is_authenticated:
        _record_for_member(kind, key)
    return response


def _record_for_member(kind: str, key: str) -> None:
    settings = personalisation.get_settings(db.session, current_user.id)
    if not (settings.personalise and settings.keep_history):
        return
    db.session.rollback()  # end the page's read transaction; the write gets its own
    try:
        with immediate_transactions():
            personalisation.record_read(db.session, current_user.id, kind, key, "", datetime.now(timezone.utc))
            db.session.commit()
    except OperationalError:
        db.session.rollback()  # reading history is a nicety: never fail a page over it
