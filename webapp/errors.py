"""Friendly error pages (HTML) and JSON errors for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("That request could not be understood", "Something in the address or the form was not valid. Please go back and try again."),
    403: ("You can't open this page", "Your account does not have access to this page."),
    404: ("Page not found", "We couldn't find that page. It may have moved, or the address may be mistyped."),
    405: ("That action isn't allowed here", "This page can't be used that way. Please go back and use the links or buttons on the page."),
    413: ("That was too large", "What you sent is larger than we accept. Please send something smaller."),
    429: ("Please slow down", "You've done that too many times in a short while. Wait a few minutes, then try again."),
    500: ("Something went wrong on our side", "We've logged the problem. Please try again in a moment."),
}


RETRY_AFTER_SECONDS = 30


def _end_database_session() -> None:
    from webapp.database import discard_session
    from webapp.extensions import db

    discard_session(db.session)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, description: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if wants_json():
        return jsonify({"error": {"status": code, "message": description or text}}), code
    return render_template("errors/error.html", code=code, title=title, text=text), code


def register(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def _untrusted_host(_exc):
        # The Host header names a site we are not (TRUSTED_HOSTS): no page can be built
        # for it, since every link on it would point at that host.
        return "Unknown host: this server answers only for its own address.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        response = _render(code, exc.description if wants_json() and code == 400 else None)
        if code == 405 and exc.valid_methods:
            body, status = response
            return body, status, {"Allow": ", ".join(exc.valid_methods)}
        if code == 429:
            body, status = response
            return body, status, {"Retry-After": "60"}
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        if wants_json():
            return jsonify({"error": {"status": 400, "message": "Missing or invalid CSRF token."}}), 400
        return render_template(
            "errors/error.html",
            code=400,
            title="This form has expired",
            text="For your safety, forms stop working after a while or when they are sent twice. "
            "Please go back, reload the page and send the form again.",
        ), 400

    @app.errorhandler(InternalServerError)
    def _server_error(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        _end_database_session()
        return _render(500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc):
        # The database is restarting, unreachable or (SQLite) busy: say so and when to come
        # back, on a page that needs neither the database nor the reader's account.
        log.exception("database unavailable on %s %s", request.method, request.path)
        _end_database_session()
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if wants_json():
            message = "The service is briefly unavailable. Please try again in a minute."
            return jsonify({"error": {"status": 503, "message": message}}), 503, headers
        return render_template("errors/unavailable.html"), 503, headers

    @app.errorhandler(UnicodeDecodeError)
    def _bad_encoding(exc):
        return _render(400)
