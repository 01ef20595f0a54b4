from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from webapp.blueprints.accounts.passwords import MAX_LENGTH
from webapp.core.forms import NoControlCharacters, stripped


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name",
        filters=[stripped],
        validators=[DataRequired("Enter a display name."), Length(max=60, message="Use at most 60 characters."), NoControlCharacters()],
    )
    submit = SubmitField("Save name")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password", description="At least 12 characters.",
        validators=[DataRequired("Choose a new password."), Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(
        "New email address", filters=[stripped],
        validators=[DataRequired("Enter the new email address."), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Change email")


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[DataRequired("Enter your password to confirm."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        "I understand that my account and my private data will be deleted permanently.",
        validators=[DataRequired("Tick the box to confirm.")],
    )
    submit = SubmitField("Delete my account")
