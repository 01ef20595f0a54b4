from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from webapp.blueprints.drugs.reviews import MAX_BODY, REPORT_REASON_LABELS
from webapp.core.forms import NoControlCharacters, ShownVersionField, stripped

RATING_CHOICES = [SelectChoice("5", "5 – excellent"), SelectChoice("4", "4 – good"), SelectChoice("3", "3 – fair"),
                  SelectChoice("2", "2 – poor"), SelectChoice("1", "1 – very poor")]


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rating(label: str) -> RadioField:
    return RadioField(label, choices=RATING_CHOICES, coerce=_int_or_none, validate_choice=False,
                      validators=[InputRequired("Choose a rating from 1 to 5."),
                                  AnyOf([1, 2, 3, 4, 5], message="Choose a rating from 1 to 5.")])


class ReviewForm(FlaskForm):
    effectiveness = _rating("How well did it work?")
    ease_of_use = _rating("How easy was it to use?")
    satisfaction = _rating("How satisfied are you overall?")
    condition_id = SelectField("What did you take it for?", coerce=_int_or_none, validators=[Optional()],
                               validate_choice=False)
    body = TextAreaField(
        "Your experience (optional)",
        description="Tell others what helped and what didn't. Don't include names, phone numbers or other personal details.",
        filters=[stripped],
        validators=[Length(max=MAX_BODY, message=f"Use at most {MAX_BODY:,} characters."), NoControlCharacters()],
        render_kw={"rows": 6},
    )
    shown_version = ShownVersionField()  # only used when editing
    submit = SubmitField("Publish review")

    def validate_condition_id(self, field):
        allowed = {_int_or_none(choice.value) for choice in field.choices}
        if field.data not in allowed:
            raise ValidationError("Choose a condition from the list.")


class ReportForm(FlaskForm):
    reason = RadioField("Why are you reporting this review?",
                        choices=[SelectChoice(value, label) for value, label in REPORT_REASON_LABELS.items()],
                        validators=[DataRequired("Choose a reason.")])
    details = TextAreaField("Anything the moderators should know (optional)", filters=[stripped],
                            validators=[Length(max=1000, message="Use at most 1,000 characters."), NoControlCharacters()],
                            render_kw={"rows": 3})
    submit = SubmitField("Send report")


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Drug, brand or condition", filters=[stripped], validators=[Length(max=2000)],
                    render_kw={"autocomplete": "off", "spellcheck": "false"})
