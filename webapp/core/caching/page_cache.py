"""A short-lived, per-worker cache of rendered member pages, with a hole for the CSRF token.

Public pages are kept by the shared HTTP cache (core/http_cache.py and Varnish); this one is
for what Varnish never keeps: a member's home page, which is costly to build and which
`bench/origin_timing.py` shows still pays to reuse (#20 item 6: 2.3–2.8 ms of CPU when the
worker has the page, 4.8–6.9 ms when not; bench/README.md). No public page uses it: the
origin only sees a public page the shared cache has not had for minutes, cold here too.
A page is rendered with a placeholder where the CSRF token goes; serving it from the cache
fills it in fresh, so no two responses share one. The caller's key
must capture everything else the page depends on (who is reading, a fingerprint of their
data); the endpoint and the reader's text size are added here. Entries expire after `ttl`
seconds, which bounds how stale the parts other areas draw (header, footer) can be.

A page built from stored content can also pass `version`, a cheap function returning the
content's current version (None when it is gone: 404). It is asked at most every
`recheck` seconds, and a new version re-renders the page at once, so an edit shows
within seconds without a full render per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, request, session
from flask_wtf.csrf import generate_csrf

from webapp.templating import current_font_size

CSRF_HOLE = "hd-csrf-hole-7c21d"
MAX_ENTRIES = 1000
TTL_SECONDS = 60.0
RECHECK_SECONDS = 5.0


@dataclass
class _Entry:
    html: str
    version: str | None
    rendered_at: float
    checked_at: float


def cacheable_request() -> bool:
    """Only plain GETs without a flashed message (it must show once, to this reader)."""
    return request.method == "GET" and not request.query_string and not session.get("_flashes")


def _fresh_entry(cache: dict, key: tuple, now: float, ttl: float, version: Callable[[], str | None] | None,
                 recheck: float) -> tuple[_Entry | None, str | None]:
    """The cached entry if it may still be served, and the content version if it was asked."""
    entry = cache.get(key)
    if entry is None or now - entry.rendered_at >= ttl:
        return None, None
    if version is None or now - entry.checked_at < recheck:
        return entry, None
    current = version()
    if current != entry.version:
        return None, current
    entry.checked_at = now
    return entry, current


def cached_render(key: tuple, render: Callable[..., str], *, ttl: float = TTL_SECONDS,
                  version: Callable[[], str | None] | None = None, recheck: float | None = None) -> str:
    cache: dict = current_app.extensions.setdefault("page_cache", {})
    key = (request.endpoint, current_font_size(), *key)
    now = time.monotonic()
    entry, current = _fresh_entry(cache, key, now, ttl, version, RECHECK_SECONDS if recheck is None else recheck)
    if entry is None:
        if version is not None:
            current = current or version()
            if current is None:
                abort(404)
        html = render(csrf_token=lambda: CSRF_HOLE)
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = entry = _Entry(html, current, now, now)
    html = entry.html
    if CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, generate_csrf())
    return html
