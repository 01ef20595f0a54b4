from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, Length

from webapp.core.forms import stripped


class TopicsField(SelectMultipleField):
    """Topic slugs; unknown values are dropped by the service rather than shown as errors."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class SignupForm(FlaskForm):
    """Posted from the footer of every page, cached pages included, so it carries no CSRF
    token: the view checks the request's origin instead (see SECURITY.md)."""

    class Meta:
        csrf = False

    email = EmailField(
        "Your email",
        filters=[stripped],
        validators=[DataRequired("Enter your email address."),
                    Length(max=254, message="Email addresses are at most 254 characters.")],
        render_kw={"autocomplete": "email"},
    )
    topics = TopicsField("Topics")
    submit = SubmitField("Get the newsletter")


class TopicsForm(FlaskForm):
    topics = TopicsField("Topics")
    submit = SubmitField("Save my topics")
