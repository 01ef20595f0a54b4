"""Small pieces shared by the blueprints' forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField
from wtforms.validators import ValidationError

from webapp.core import edit_conflicts
from webapp.core.errors import FieldError


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
    """The fingerprint (webapp/core/edit_conflicts.py) of the record as the edit form showed it."""

    def show(self, values) -> None:
        """The form is showing a record whose edited values are these."""
        self.data = edit_conflicts.fingerprint(values)

    def conflict(self, values, what: str) -> str | None:
        """The message to show when the record (its edited values now) changed since the form
        showed it, else None. On a conflict the field takes the current version, so saving the
        form again keeps the person's edit."""
        if not edit_conflicts.changed_since(self.data, values):
            return None
        self.show(values)
        return edit_conflicts.conflict_message(what)


def show_refusal(form: Form, error: FieldError, default: str | None = None) -> bool:
    """Put a domain rule's refusal beside the field it names (or `default` when it names
    none, or one this form does not have). False when there is no such field: the view then
    says it another way (a flash message, another page)."""
    name = error.field if error.field and error.field in form else default
    if name is None or name not in form:
        return False
    # Before validation WTForms keeps a field's errors as a tuple: build a new list.
    form[name].errors = [*form[name].errors, error.message]
    return True
