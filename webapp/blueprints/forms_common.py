"""Small pieces shared by the blueprints' forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import ValidationError


class EmptyForm(FlaskForm):
    """For POST-only buttons: carries just the CSRF token."""


class NoControlCharacters:
    """Refuse text with control characters (other than tab and newline) or NUL bytes."""

    message = "Remove the invisible control characters from this text."

    def __call__(self, form, field):
        value = field.data or ""
        if any((ord(ch) < 32 and ch not in "\t\r\n") or ord(ch) == 127 for ch in value):
            raise ValidationError(self.message)


def stripped(value):
    return value.strip() if isinstance(value, str) else value


class ShownVersionField(HiddenField):
    """The fingerprint (services/edit_conflicts) of the record as the edit form showed it."""
