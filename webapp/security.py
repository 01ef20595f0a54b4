"""Security headers on every response, a CSP nonce for JSON-LD, no-store for the signed-in
member's responses, JSON bodies refused before they can crash a view, and per-request
SQLite BEGIN mode."""

from __future__ import annotations

import re
import secrets
from functools import wraps
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, abort, g, request
from werkzeug.exceptions import BadRequest

from webapp import database
from webapp.errors import wants_json

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# No JSON we take is deeper than 2 ({"drugs": ["..."]}); far deeper bodies crash the parser.
MAX_JSON_DEPTH = 32
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
NOT_JSON = "The body is not valid JSON."
TOO_DEEP = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
NOT_TEXT = "The JSON body has text with a lone surrogate (such as \\ud800), which is not a character."
NOT_FORM_FIELDS = "A form sent as JSON must be an object whose values are text or lists of text."

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


def csp_nonce() -> str:
    """A per-response nonce; only our JSON-LD data blocks carry it (no inline code runs)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None) -> str:
    script_src = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return (
        "default-src 'self'; "
        f"script-src {script_src}; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "frame-ancestors 'none'; "
        "form-action 'self'"
    )


def no_store(view):
    """Mark a view's responses as personal: never cached by browsers or proxies."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.no_store = True
        return view(*args, **kwargs)

    return wrapper


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after log-in.

    Control characters are refused: a CR or LF would end up in the Location header.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(urljoin(request.host_url, target))
    return not parts.netloc or parts.netloc == urlsplit(request.host_url).netloc


class UnreadableJSON(ValueError):
    """A parsed JSON body we refuse; the message says why, for the 400 answer."""


def check_json_body(value: Any) -> None:
    """Raise UnreadableJSON if a parsed body is nested too deeply or has a lone surrogate.

    A lone surrogate ("\\ud800") is valid JSON but not Unicode: it cannot be encoded as
    UTF-8, so the first query or page that used it would fail. Walked without recursion.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                raise UnreadableJSON(NOT_TEXT)
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise UnreadableJSON(TOO_DEEP)
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def is_form_fields(value: Any) -> bool:
    """What a form could have sent: text fields, some repeated (Flask-WTF reads JSON as form data)."""
    return isinstance(value, dict) and all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)) for v in value.values())


def refuse_unreadable_json() -> None:
    """Parse a JSON request body once, before any view: 400 (with the reason) unless it is
    JSON the views can use. Views and Flask-WTF then read the parsed, cached body.

    Query strings and urlencoded or multipart forms need no such check: Werkzeug keeps bytes
    that are not UTF-8 percent-encoded, so their text never holds a lone surrogate.
    """
    if request.method in SAFE_METHODS or not request.is_json:
        return  # a GET body is never read; other bodies are never parsed as JSON
    try:
        body = request.get_json()
    except RecursionError:
        abort(400, TOO_DEEP)
    except BadRequest:
        abort(400, NOT_JSON)
    try:
        check_json_body(body)
    except UnreadableJSON as exc:
        abort(400, str(exc))
    # The API's views check the shape of their own bodies; pages take JSON only as form fields.
    if not wants_json() and not is_form_fields(body):
        abort(400, NOT_FORM_FIELDS)


def member_was_read() -> bool:
    """Whether this request asked who is signed in (current_user, login_required) and found a member.

    A body can only depend on the member if the code that made it asked; Flask-Login keeps the
    answer in g._login_user. Asking here ourselves would read the session (adding Vary: Cookie)
    and query the account on responses that never needed it, such as static files.
    """
    user = g.get("_login_user")
    return user is not None and user.is_authenticated


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_in_path():
        # No page has a NUL byte in its address, and PostgreSQL refuses NUL in text.
        if "\x00" in request.path:
            abort(404)

    app.before_request(refuse_unreadable_json)

    @app.before_request
    def _choose_begin_mode():
        mode = "DEFERRED" if request.method in SAFE_METHODS else "IMMEDIATE"
        g._begin_token = database.set_begin_mode(mode)

    @app.teardown_request
    def _reset_begin_mode(_exc):
        token = g.pop("_begin_token", None)
        if token is not None:
            database.reset_begin_mode(token)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SECURE_COOKIES"):
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if g.get("no_store") or member_was_read():
            # Personal: the view said so, or the response was made for a signed-in member
            # (their name in the header, their profiles' allergy warnings, their groups).
            headers["Cache-Control"] = "private, no-store"
            headers["Pragma"] = "no-cache"
        elif "Cache-Control" not in headers and response.mimetype == "text/html":
            # Pages vary with the login and the font-size cookie; never share them.
            headers["Cache-Control"] = "private, no-cache"
        return response
