"""My Medicine's forms; each turns what was typed into the domain's plain values."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.blueprints.mymeds.models import RELATIONSHIP_LABELS
from webapp.blueprints.mymeds.profiles import MedicineDetails, ProfileData
from webapp.core.forms import NoControlCharacters, ShownVersionField, stripped
from webapp.templating import format_date


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _not_future_date(form, field):
    from datetime import date

    if field.data and field.data > date.today():
        raise ValidationError("The start date can't be in the future.")
    if field.data and field.data.year < 1900:
        raise ValidationError("Enter a date after 1900.")


class ProfileForm(FlaskForm):
    name = StringField("Name", filters=[stripped], validators=[
        DataRequired("Enter a name."), Length(max=80, message="Use at most 80 characters."), NoControlCharacters()])
    relation = SelectField("Relationship to you",
                           choices=[SelectChoice(k, v) for k, v in RELATIONSHIP_LABELS.items() if k != "self"], default="child")
    birth_year = IntegerField("Birth year (optional)", validators=[
        Optional(), NumberRange(1900, 2100, message="Enter a year like 1984.")],
        description="Helps you and your pharmacist; only you can see it.")
    conditions = MultiCheckboxField("Health conditions we check medicines against", choices=[],
                                    description="Tick any that apply; we warn about medicines that can make them worse.")
    other_conditions = TextAreaField("Other conditions (optional)", filters=[stripped], validators=[
        Length(max=2000, message="Use at most 2,000 characters."), NoControlCharacters()])
    allergies = TextAreaField("Allergies (optional)", filters=[stripped], validators=[
        Length(max=2000, message="Use at most 2,000 characters."), NoControlCharacters()],
        description="For your own record and the wallet card, for example \"penicillin: rash\".")
    submit = SubmitField("Save profile")

    def profile_data(self) -> ProfileData:
        return ProfileData(name=self.name.data or "", relation=self.relation.data or "other",
                           birth_year=self.birth_year.data, conditions=tuple(self.conditions.data or ()),
                           other_conditions=self.other_conditions.data or "", allergies=self.allergies.data or "")


class EditProfileForm(ProfileForm):
    shown_version = ShownVersionField()  # the profile as this form showed it (webapp/core/edit_conflicts.py)

    def values_now(self, profile, condition_name) -> list[tuple[str, object]]:
        """The profile as saved elsewhere meanwhile, shown beside the typed values on a conflict."""
        return [(self.name.label.text, profile.name), (self.relation.label.text, profile.relation_label),
                ("Birth year", profile.birth_year),
                ("Health conditions", ", ".join(condition_name(c) for c in profile.conditions or ())),
                ("Other conditions", profile.other_conditions), ("Allergies", profile.allergies)]


class MedicineFields(FlaskForm):
    strength = StringField("Strength (optional)", filters=[stripped], validators=[
        Length(max=120, message="Use at most 120 characters."), NoControlCharacters()],
        description="For example 10 mg.")
    how_taken = StringField("How it is taken (optional)", filters=[stripped], validators=[
        Length(max=300, message="Use at most 300 characters."), NoControlCharacters()],
        description="For example: 1 tablet in the morning.")
    started_on = DateField("Start date (optional)", validators=[Optional(), _not_future_date])
    notes = TextAreaField("Notes (optional)", filters=[stripped], validators=[
        Length(max=2000, message="Use at most 2,000 characters."), NoControlCharacters()])

    def details(self) -> MedicineDetails:
        return MedicineDetails(strength=self.strength.data or "", how_taken=self.how_taken.data or "",
                               started_on=self.started_on.data, notes=self.notes.data or "")


class AddMedicineForm(MedicineFields):
    name = StringField("Medicine name", filters=[stripped], validators=[
        DataRequired("Enter the name of a medicine."), Length(max=100, message="Use at most 100 characters."),
        NoControlCharacters()], description="A generic or brand name, for example ibuprofen or Advil.",
        render_kw={"autocomplete": "off"})
    save_unrecognised = BooleanField("Save it even though HealthDesk does not know it (it can't be checked)")
    submit = SubmitField("Add medicine")


class EditMedicineForm(MedicineFields):
    name = StringField("Medicine name", filters=[stripped], validators=[
        DataRequired("Enter the name of a medicine."), Length(max=100, message="Use at most 100 characters."),
        NoControlCharacters()])
    shown_version = ShownVersionField()  # the medicine as this form showed it
    submit = SubmitField("Save changes")

    def values_now(self, medicine) -> list[tuple[str, object]]:
        """The medicine as saved elsewhere meanwhile (see EditProfileForm.values_now)."""
        named = [("Medicine name", medicine.name)] if "name" in self else []
        return named + [("Strength", medicine.strength), ("How it is taken", medicine.how_taken),
                        ("Start date", format_date(medicine.started_on) if medicine.started_on else ""),
                        ("Notes", medicine.notes)]


class SaveToListForm(FlaskForm):
    """The "Save to My Medicine" control on drug, product and pill pages."""

    kind = HiddenField(validators=[DataRequired()])
    item_id = HiddenField(validators=[DataRequired()])
    # The profile id is checked against the member's own profiles in the view (another's gives 404).
    submit = SubmitField("Save to My Medicine")


class CheckerForm(FlaskForm):
    class Meta:
        csrf = False

    medicines = TextAreaField("Medicines to check", filters=[stripped], validators=[
        DataRequired("Enter at least two medicines, one per line."),
        Length(max=5000, message="That is too long: enter at most 50 medicines."), NoControlCharacters()],
        description="One per line (or separated by commas): generic or brand names, e.g. warfarin, Advil.")
    allergies = TextAreaField("Allergies (optional)", filters=[stripped], validators=[
        Length(max=2000, message="Use at most 2,000 characters."), NoControlCharacters()],
        description="Drug allergies to check these medicines against, e.g. penicillin, sulfa, aspirin.")
    submit = SubmitField("Check interactions")


class SubscriptionForm(FlaskForm):
    scope = RadioField("Send me FDA recall alerts for", choices=[
        SelectChoice("all", "All my profiles' medicines"),
        SelectChoice("profiles", "Only the profiles I choose below"),
        SelectChoice("none", "No alerts"),
    ], default="all")
    profiles = MultiCheckboxField("Profiles", coerce=int, choices=[])
    by_email = BooleanField("Also send each alert by email", default=True)
    submit = SubmitField("Save alert settings")

    def show(self, state) -> None:
        """Fill the form from the account's current subscriptions (alerts.SubscriptionState)."""
        self.scope.data = state.scope if state.scope != "none" else "none"
        self.profiles.data = sorted(state.profile_ids)
        self.by_email.data = state.by_email

    def validate_profiles(self, field):
        if self.scope.data == "profiles" and not field.data:
            raise ValidationError("Choose at least one profile, or choose all profiles.")
