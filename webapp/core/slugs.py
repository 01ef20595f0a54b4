"""The one way the site turns a name into the part of an address that names it.

A slug is lower-case ASCII letters and digits joined by single hyphens. What happens to
everything else (accents, ®, "&") is the caller's `normalize`, because slugs already in
addresses and in the database were made that way and must come out the same:

- plain (the default): lower-cased, every other character a separator. "Café au lait"
  -> "caf-au-lait"; community groups, article headings, a drug name typed in a post.
- an area's own normalizer, e.g. the drug search's (accents folded, "&" -> "and",
  apostrophes dropped): "St. John's Wort®" -> "st-johns-wort" for catalogue products.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _lower(text: str) -> str:
    return text.lower()


def slugify(text: str | None, *, max_length: int | None = None, default: str = "",
            normalize: Callable[[str], str] = _lower) -> str:
    """`text` as a slug: normalized, runs of anything but a-z0-9 made one hyphen, hyphens
    trimmed from both ends, then cut to `max_length` (the cut is not trimmed again: slugs
    made so are already in use). An empty result gives `default`."""
    slug = _NOT_SLUG.sub("-", normalize(text or "")).strip("-")
    if max_length is not None:
        slug = slug[:max_length]
    return slug or default
