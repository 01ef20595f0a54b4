"""Security headers on every response, a CSP nonce for JSON-LD, and per-request SQLite BEGIN mode."""

from __future__ import annotations

import secrets
from functools import wraps
from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, abort, g, request

from . import database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

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


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_in_path():
        # No page has a NUL byte in its address, and PostgreSQL refuses NUL in text.
        if "\x00" in request.path:
            abort(404)

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
        if g.get("no_store"):
            headers["Cache-Control"] = "private, no-store"
            headers["Pragma"] = "no-cache"
        elif "Cache-Control" not in headers and response.mimetype == "text/html":
            # Pages vary with the login and the font-size cookie; never share them.
            headers["Cache-Control"] = "private, no-cache"
        return response
