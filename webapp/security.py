"""Security headers on every response, caching rules (public pages for visitors, no-store for
any request with a session), JSON bodies refused before they can crash a view, and
per-request SQLite BEGIN mode."""

from __future__ import annotations

import re
from functools import wraps
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, abort, current_app, g, request, session
from werkzeug.exceptions import BadRequest

from webapp import database
from webapp.core.caching import http_cache
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


# No inline script or style runs anywhere, so no nonce is needed: every response can carry
# the same policy, and a public page is the same bytes for every reader. (The JSON-LD data
# block is not script: browsers never execute it, so script-src does not apply to it.)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self'; "
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


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def is_same_origin_request() -> bool:
    """Whether a POST comes from one of our own pages, by the headers browsers add (OWASP's
    "verifying origin with standard headers" and "Fetch Metadata" defences).

    Sec-Fetch-Site decides when the browser sends it. Otherwise Origin, else Referer, must be
    our origin: SITE_URL's, or the request's own host (already checked against TRUSTED_HOSTS).
    A request with none of the three did not come from a browser that could be tricked into
    sending it (every current browser sends Origin on a cross-site POST), so it is let through.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is None:
        return True
    origin = _origin_of(claimed)
    if not origin:
        return False  # "null" (a sandboxed or privacy-stripped origin) or nonsense
    own = {_origin_of(current_app.config["SITE_URL"]), _origin_of(request.host_url)}
    return origin in own or urlsplit(origin).netloc == request.host.lower()


def require_same_origin() -> None:
    """The check for the few public POSTs made from cached pages, which carry no CSRF token
    (the footer newsletter form, the text size). Member forms keep their token."""
    if not is_same_origin_request():
        abort(403, "This form was sent from another site, so it was not accepted.")


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
    http_cache.init_app(app)

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
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SECURE_COOKIES"):
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        http_cache.forget_leftover_visitor_session()
        if request.endpoint == "static":
            http_cache.static_cache_headers(app, response)
        elif g.get("immutable_file"):
            # A content-addressed file, the same for everyone (http_cache.immutable_file). With a
            # session its response may carry the session cookie, which no shared cache may keep.
            if http_cache.request_has_session() or session.modified:
                headers["Cache-Control"] = headers["Cache-Control"].replace("public", "private")
        elif g.get("no_store") or member_was_read() or http_cache.request_has_session():
            # Personal: the view said so, the response was made for a signed-in member (their
            # name in the header, their profiles' allergy warnings, their groups), or the
            # request carries a session, whose flashed messages and form tokens are its own.
            headers["Cache-Control"] = "private, no-store"
            headers["Pragma"] = "no-cache"
            headers.pop("xkey", None)
        elif http_cache.make_public(response):
            pass  # the same bytes for every visitor: a shared cache may keep them
        elif "Cache-Control" not in headers and response.mimetype == "text/html":
            # Pages that vary with the text-size cookie, or set a cookie: never share them.
            headers["Cache-Control"] = "private, no-cache"
        return response
