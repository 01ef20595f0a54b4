"""Things every template may use: font size, header counters, date formats."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request
from flask_login import current_user

from webapp.core.area import registry
from webapp.core.caching import http_cache

FONT_SIZES = ("smaller", "default", "larger")

# Header and footer navigation (every area is always registered).
MAIN_NAV = [
    ("drugs.index", "Drugs & Supplements"),
    ("pills.index", "Pill Identifier"),
    ("mymeds.index", "My Medicine"),
    ("community.index", "Community"),
    ("community.ask", "Get Answers"),
    ("content.centers", "Health Centers"),
]
FONT_SIZE_COOKIE = http_cache.FONT_SIZE_COOKIE


def current_nav_endpoint() -> str | None:
    """The header link for the page being shown: the exact page, else its area's first link."""
    endpoint = request.endpoint or ""
    entries = [e for e, _ in MAIN_NAV]
    if endpoint in entries:
        return endpoint
    area = endpoint.split(".")[0]
    return next((e for e in entries if e.split(".")[0] == area), None)


def current_font_size() -> str:
    value = request.cookies.get(FONT_SIZE_COOKIE, "default")
    return value if value in FONT_SIZES else "default"


def header_counters() -> list[tuple[str, str, int]]:
    if not current_user.is_authenticated:
        return []
    counts = []
    for label, endpoint, count in registry().header_counters:
        number = count(current_user)
        if number:
            counts.append((label, endpoint, number))
    return counts


def format_date(value: date | datetime | None, pattern: str = "%B %-d, %Y") -> str:
    return value.strftime(pattern) if value else ""


def register(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {
            "font_size": current_font_size(),
            "font_sizes": FONT_SIZES,
            "header_counters": header_counters,
            "main_nav": MAIN_NAV,
            "current_nav_endpoint": current_nav_endpoint,
        }
