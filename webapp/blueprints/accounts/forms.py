from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from webapp.blueprints.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from webapp.core.forms import NoControlCharacters, stripped


class SignUpForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[stripped],
        validators=[DataRequired("Enter your email address."), Length(max=254, message="Email addresses are at most 254 characters.")],
        render_kw={"autocomplete": "email"},
    )
    display_name = StringField(
        "Display name",
        description="Shown beside your community posts. You can use a nickname.",
        filters=[stripped],
        validators=[DataRequired("Enter a display name."), Length(max=60, message="Use at most 60 characters."), NoControlCharacters()],
        render_kw={"autocomplete": "nickname"},
    )
    password = PasswordField(
        "Password",
        description=f"At least {MIN_LENGTH} characters. A few unrelated words work well.",
        validators=[DataRequired("Choose a password."), Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[stripped],
        validators=[DataRequired("Enter your email address."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()
    submit = SubmitField("Log in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[stripped],
        validators=[DataRequired("Enter your email address."), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Send reset link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description=f"At least {MIN_LENGTH} characters.",
        validators=[DataRequired("Choose a new password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set new password")


class ResendVerificationForm(FlaskForm):
    submit = SubmitField("Send the link again")
