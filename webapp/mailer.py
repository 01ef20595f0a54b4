"""Glue between requests and the outbox: queue a message, and in development log it at once."""

from __future__ import annotations

from flask import current_app, g

from .extensions import db
from .services import outbox
from .services.account_mail import Mail


def send(to: str, mail: Mail, *, category: str, html: str | None = None, headers: dict | None = None) -> None:
    outbox.queue_mail(
        db.session, to=to, subject=mail.subject, text=mail.text, html=html, headers=headers, category=category
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
