"""A domain rule's refusal (FieldError) shown beside the form field it names."""

from __future__ import annotations

from wtforms import Form, StringField

from webapp.core.errors import FieldError
from webapp.core.forms import show_refusal


class NameForm(Form):
    name = StringField()
    email = StringField()


def test_the_message_goes_beside_the_field_the_refusal_names():
    # Before validation WTForms keeps errors as a tuple: the helper must still add to them.
    form = NameForm()
    assert show_refusal(form, FieldError("That name is taken.", "name"), "email")
    assert form.name.errors == ["That name is taken."] and not form.email.errors


def test_the_fields_own_errors_stay_and_the_refusal_follows():
    form = NameForm(data={"name": "x"})
    form.validate()
    form.name.errors = ["Too short."]
    show_refusal(form, FieldError("Taken.", "name"))
    assert form.name.errors == ["Too short.", "Taken."]


def test_a_refusal_naming_no_field_or_an_unknown_one_goes_to_the_default():
    form = NameForm()
    assert show_refusal(form, FieldError("Check your address."), "email")
    assert show_refusal(form, FieldError("Odd.", "no_such_field"), "email")
    assert form.email.errors == ["Check your address.", "Odd."]


def test_without_a_field_to_show_it_on_the_view_is_told_to_say_it_another_way():
    form = NameForm()
    assert not show_refusal(form, FieldError("The group is closed."))
    assert not show_refusal(form, FieldError("Odd.", "no_such_field"), "nor_this")
    assert not form.name.errors and not form.email.errors
