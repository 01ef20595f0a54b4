"""Personalisation choices, reading history, and the "Today on HealthDesk" cards."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from webapp.blueprints.personalisation import signals as personalisation
from webapp.blueprints.personalisation.forms import ClearHistoryForm, PersonalisationForm
from webapp.blueprints.personalisation.today import VISITOR_SESSION_KEY
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
        session.pop(VISITOR_SESSION_KEY, None)
        flash(f"Your reading history is cleared ({removed} item{'s' if removed != 1 else ''}).", "success")
    return redirect(url_for("account.settings") + "#personalisation-heading")


@bp.after_app_request
def _remember_reading(response: Response) -> Response:
    target = READABLE.get(request.endpoint or "")
    if target is None or request.method != "GET" or response.status_code != 200:
        return response
    kind, argument = target
    key = str((request.view_args or {}).get(argument, ""))
    if not key:
        return response
    if current_user.is_authenticated:
        _record_for_member(kind, key)
    else:
        session[VISITOR_SESSION_KEY] = personalisation.add_visitor_read(session.get(VISITOR_SESSION_KEY, []), kind, key)
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
