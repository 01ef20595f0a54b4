from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField

from ...services.site_search import MAX_QUERY_CHARS


def _trimmed(value: str | None) -> str:
    """Keep the box usable whatever was sent: trimmed, and no longer than the search reads."""
    return (value or "").strip()[: MAX_QUERY_CHARS]


class SiteSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("Search HealthDesk", filters=[_trimmed], render_kw={"autocomplete": "off", "spellcheck": "true"})
