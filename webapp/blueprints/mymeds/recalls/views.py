"""The recall pages: a member's alerts and alert settings, and the public recall pages.

These are views of the mymeds blueprint (endpoints mymeds.alerts, mymeds.recall ...):
mymeds/routes.py registers each with `bp.add_url_rule`, so this module never imports it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.mymeds import profiles
from webapp.blueprints.mymeds.forms import SubscriptionForm
from webapp.blueprints.mymeds.recalls import alerts as recall_alerts
from webapp.core.caching.http_cache import public_page
from webapp.core.forms import EmptyForm
from webapp.core.guards import member_page
from webapp.database import immediate_transactions
from webapp.extensions import db
from webapp.security import no_store


@member_page(limit=None)
def alerts():
    notifications = recall_alerts.list_notifications(db.session, current_user.id)
    details = {n.id: recall_alerts.matches_for(db.session, n) for n in notifications}
    return render_template("mymeds/alerts.html", notifications=notifications, details=details, form=EmptyForm(),
                           subscription=recall_alerts.subscription_state(db.session, current_user.id),
                           classification_meaning=recall_alerts.classification_meaning)


@member_page
def mark_alerts_read():
    if not EmptyForm().validate_on_submit():
        abort(400)
    raw = request.form.get("notification_id", "")
    notification_id = int(raw) if raw.isdigit() else None
    if raw and notification_id is None:
        abort(400)
    if notification_id is not None and recall_alerts.get_notification(db.session, current_user.id, notification_id) is None:
        return render_template("mymeds/gone.html"), 404
    recall_alerts.mark_read(db.session, current_user.id, datetime.now(timezone.utc), notification_id)
    db.session.commit()
    flash("Marked as read." if notification_id else "Marked all alerts as read.", "success")
    return redirect(url_for("mymeds.alerts"))


@member_page
def alert_settings():
    with immediate_transactions():
        profiles.ensure_me_profile(db.session, current_user.id)
        db.session.commit()
    own = profiles.list_profiles(db.session, current_user.id)
    state = recall_alerts.subscription_state(db.session, current_user.id)
    form = SubscriptionForm()
    form.profiles.choices = [SelectChoice(p.id, p.name) for p in own]
    if request.method == "GET":
        form.show(state)
    if form.validate_on_submit():
        recall_alerts.set_subscriptions(db.session, current_user.id, form.scope.data, form.profiles.data or [],
                                        bool(form.by_email.data))
        db.session.commit()
        flash("Your alert settings are saved." if form.scope.data != "none" else "FDA recall alerts are off.", "success")
        return redirect(url_for("mymeds.alert_settings"))
    return render_template("mymeds/alert_settings.html", form=form, state=state)


@public_page("list:recalls")
def recalls():
    return render_template("mymeds/recalls.html", recalls=recall_alerts.recent_recalls(db.session),
                           classification_meaning=recall_alerts.classification_meaning)


@no_store  # a member sees which of their own medicines it concerns
def recall(recall_number: str):
    found = recall_alerts.get_recall(db.session, recall_number)
    if found is None:
        abort(404)
    mine = recall_alerts.user_matches_for_recall(db.session, current_user.id, found.id) \
        if current_user.is_authenticated else []
    return render_template("mymeds/recall.html", recall=found, mine=mine,
                           classification_meaning=recall_alerts.classification_meaning)


# (rule, view, methods), registered on the mymeds blueprint in this order.
URLS = (
    ("/my-medicine/alerts", alerts, ["GET"]),
    ("/my-medicine/alerts/read", mark_alerts_read, ["POST"]),
    ("/my-medicine/alerts/settings", alert_settings, ["GET", "POST"]),
    ("/recalls", recalls, ["GET"]),
    ("/recalls/<recall_number>", recall, ["GET"]),
)
