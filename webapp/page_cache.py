"""A short-lived, per-worker cache of rendered pages with holes for the per-request parts.

A page is rendered with placeholders where the CSRF token and the CSP nonce go; serving
it from the cache fills them in fresh, so no two responses share either. The caller's key
must capture everything else the page depends on (who is reading, the font size, a
fingerprint of their data); entries also expire after `ttl` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app, request, session
from flask_wtf.csrf import generate_csrf

from .security import csp_nonce
from .templating import current_font_size

CSRF_HOLE = "hd-csrf-hole-7c21d"
NONCE_HOLE = "hd-nonce-hole-7c21d"
MAX_ENTRIES = 1000


def cacheable_request() -> bool:
    """Only plain GETs without a flashed message (it must show once, to this reader)."""
    return request.method == "GET" and not request.query_string and not session.get("_flashes")


def cached_render(key: tuple, render: Callable[..., str], ttl: float = 60.0) -> str:
    cache: dict = current_app.extensions.setdefault("page_cache", {})
    key = (request.endpoint, current_font_size(), *key)
    now = time.monotonic()
    entry = cache.get(key)
    if entry is None or now - entry[0] > ttl:
        html = render(csrf_token=lambda: CSRF_HOLE, csp_nonce=lambda: NONCE_HOLE)
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = entry = (now, html)
    html = entry[1]
    if CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, generate_csrf())
    if NONCE_HOLE in html:
        html = html.replace(NONCE_HOLE, csp_nonce())
    return html
