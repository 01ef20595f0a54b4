"""The addresses of the health-center pages, shared by the loader, the search index and the views."""

from __future__ import annotations

HEALTH_CENTERS_PATH = "/health-centers"
LEVELS_PATH = "/health-centers/levels-of-evidence"
# Paths under /health-centers/ that are pages, not centers.
RESERVED_CENTER_SLUGS = frozenset({"levels-of-evidence", "search", "about"})


def center_path(center_slug: str) -> str:
    return f"{HEALTH_CENTERS_PATH}/{center_slug}"


def article_path(center_slug: str, article_slug: str) -> str:
    return f"{HEALTH_CENTERS_PATH}/{center_slug}/{article_slug}"
