"""Absolute links for emails and feeds, built from SITE_URL and never from the request.

A request's Host header is chosen by whoever sends it: a reset link built from it can
point at an attacker's site while carrying a valid token. Every address that leaves the
site (mail, sitemap, feeds) is therefore built against the configured public address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def site_url_for(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` as an absolute address on SITE_URL."""
    parts = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
