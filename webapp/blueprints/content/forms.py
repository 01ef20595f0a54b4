from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.fields.choices import SelectChoice

from webapp.core.search.index import MAX_QUERY_CHARS


def _trimmed(value: str | None) -> str:
    """Keep the box usable whatever was sent: trimmed, and no longer than the search reads."""
    return (value or "").strip()[: MAX_QUERY_CHARS]


class SiteSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("Search HealthDesk", filters=[_trimmed], render_kw={"autocomplete": "off", "spellcheck": "true"})
    # Choices are the kinds in the index; an unknown value just means "everything".
    kind = SelectField("Show", choices=[SelectChoice("", "Everything")], validate_choice=False)
