"""Query parameters every JSON API endpoint reads by the same rule (documented in routes.py)."""

from __future__ import annotations

import re

from webapp.core.errors import FieldError

# "360.0" is a whole number too (JSON Schema's integer, which the document states, includes it).
_WHOLE_NUMBER = re.compile(r"([0-9]{1,9})(?:\.0+)?")


class ParamError(FieldError):
    """A query parameter that is not valid: the field it names and a message for the API user."""


def page_message(max_page: int) -> str:
    return f"page must be a whole number from 1 to {max_page}."


def parse_page(raw: str | None, max_page: int) -> int:
    """The page asked for, 1 when none is given; ParamError unless a whole number from 1 to max_page."""
    text = (raw or "").strip()
    if not text:
        return 1
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    whole = _WHOLE_NUMBER.fullmatch(text)
    if not whole or not 1 <= int(whole[1]) <= max_page:
        raise ParamError(page_message(max_page), field="page")
    return int(whole[1])
