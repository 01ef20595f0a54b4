from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.pills.match import MAX_SCORE
from webapp.blueprints.pills.vocab import COLOURS, SHAPES


class PillSearchForm(FlaskForm):
    """GET form: nothing personal, so no CSRF token; the service checks every value."""

    class Meta:
        csrf = False

    imprint = StringField(
        "Imprint (letters and numbers on the pill)",
        description="From one or both sides, in any order. Spaces, dashes and dots don't matter.",
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "maxlength": 200},
    )
    color = RadioField(
        "Colour",
        choices=[SelectChoice("", "Any colour")] + [SelectChoice(c.label.lower(), c.label) for c in COLOURS],
        default="",
        validate_choice=False,
    )
    shape = RadioField(
        "Shape",
        choices=[SelectChoice("", "Any shape")] + [SelectChoice(s.label.lower(), s.label) for s in SHAPES],
        default="",
        validate_choice=False,
    )
    size_mm = StringField(
        "Size in millimetres (optional)",
        description="The longest side. Found matches are within 1 mm.",
        render_kw={"inputmode": "decimal", "autocomplete": "off", "maxlength": 20},
    )
    score = SelectField(
        "Score (optional)",
        description="How many pieces the pill can be broken into along its score lines.",
        choices=[SelectChoice("", "Don't know"), SelectChoice("1", "Not scored (1 piece)")]
        + [SelectChoice(str(n), f"{n} pieces") for n in range(2, MAX_SCORE + 1)],
        default="",
        validate_choice=False,
    )
    submit = SubmitField("Find pill")
