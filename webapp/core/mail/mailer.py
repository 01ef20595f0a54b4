"""Glue between requests and the outbox: queue a message, and in development log it at once."""

from __future__ import annotations

from flask import current_app, g, has_request_context
from flask_login import current_user

from webapp.core.mail import outbox
from webapp.core.mail.message import Mail
from webapp.extensions import db


def _signed_in_member_id() -> int | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def send(to: str, mail: Mail, *, category: str, html: str | None = None, headers: dict | None = None) -> None:
    # The message belongs to the account that has the address; failing that, to the member
    # whose request sent it (the confirmation sent to a new address before it is theirs), so
    # deleting that account deletes it too.
    account_id = outbox.account_for_address(db.session, to) or _signed_in_member_id()
    outbox.queue_mail(
        db.session, to=to, subject=mail.subject, text=mail.text, html=html, headers=headers, category=category,
        account_id=account_id,
    )
    g.mail_queued = True


def sender_for_app(app=None):
    """The transport the app is configured for: SMTP when MAIL_SERVER is set, otherwise the log."""
    app = app or current_app
    if app.config.get("MAIL_SERVER"):
        return outbox.smtp_sender(
            app.config["MAIL_SERVER"],
            app.config["MAIL_PORT"],
            use_tls=app.config["MAIL_USE_TLS"],
            username=app.config.get("MAIL_USERNAME"),
            password=app.config.get("MAIL_PASSWORD"),
        )
    return outbox.log_sender()


def init_app(app) -> None:
    @app.after_request
    def _log_mail_in_development(response):
        if g.get("mail_queued") and app.config.get("MAIL_LOG_IMMEDIATELY"):
            outbox.deliver_pending(db.session, outbox.log_sender(), app.config["MAIL_DEFAULT_SENDER"])
        return response
