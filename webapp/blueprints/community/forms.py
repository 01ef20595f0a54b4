from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from webapp.blueprints.community.moderation.actions import MAX_SUSPENSION_DAYS, REASON_LABELS
from webapp.blueprints.community.rules import NOTE_MAX, TITLE_MAX
from webapp.core.forms import NoControlCharacters, ShownVersionField, stripped

BODY_HINT = ("You can use Markdown: **bold**, *italic*, lists, and links like [text](https://example.org). "
             "Please leave out names, addresses and phone numbers.")
# Generous, so the service can say exactly how long a text is; it enforces the real limit.
FORM_TEXT_MAX = 200_000
NOTE_TOO_LONG = f"Keep the note to {NOTE_MAX} characters or fewer."


class AskForm(FlaskForm):
    group = SelectField("Group", validators=[DataRequired("Choose a group for your question.")], validate_choice=False)
    title = StringField(
        "Your question in one line",
        filters=[stripped],
        validators=[DataRequired("Write a title for your question."), Length(max=1000), NoControlCharacters()],
        description=f"At most {TITLE_MAX} characters, e.g. “Is it normal to feel tired on metformin?”",
    )
    body = TextAreaField("Details", validators=[Length(max=FORM_TEXT_MAX)], description=BODY_HINT, render_kw={"rows": 8})
    tags = StringField("Tags (optional)", filters=[stripped], validators=[Length(max=1000), NoControlCharacters()],
                       description="Up to 5, separated by commas, e.g. “insulin, side effects”.")
    drug = StringField("Related medicine (optional)", filters=[stripped], validators=[Length(max=1000), NoControlCharacters()],
                       description="The medicine's name as in our drug pages, e.g. metformin.")
    anonymous = BooleanField("Post anonymously (other members see “Anonymous member”; moderators still see who you are)")
    submit = SubmitField("Post question")


class AnswerForm(FlaskForm):
    body = TextAreaField("Your answer", validators=[Length(max=FORM_TEXT_MAX)], description=BODY_HINT, render_kw={"rows": 6})
    anonymous = BooleanField("Post anonymously")
    submit = SubmitField("Post answer")


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[Length(max=FORM_TEXT_MAX)], description=BODY_HINT, render_kw={"rows": 5})
    anonymous = BooleanField("Post anonymously")
    submit = SubmitField("Post reply")


class EditForm(FlaskForm):
    title = StringField("Title", filters=[stripped], validators=[Optional(), Length(max=1000), NoControlCharacters()])
    body = TextAreaField("Text", validators=[Length(max=FORM_TEXT_MAX)], description=BODY_HINT, render_kw={"rows": 8})
    shown_version = ShownVersionField()
    submit = SubmitField("Save changes")


class ReportForm(FlaskForm):
    reason = RadioField("Why are you reporting this post?", choices=[SelectChoice(k, v) for k, v in REASON_LABELS.items()],
                        validators=[InputRequired("Choose why you are reporting this post.")])
    note = TextAreaField("Anything the moderators should know (optional)", validators=[Length(max=NOTE_MAX, message=NOTE_TOO_LONG)],
                         description="The author never sees who reported a post.", render_kw={"rows": 3})
    submit = SubmitField("Send report")


class GroupForm(FlaskForm):
    name = StringField("Group name", filters=[stripped],
                       validators=[DataRequired("Give the group a name."), Length(max=80, message="Use at most 80 characters."),
                                   NoControlCharacters()])
    description = TextAreaField("What is the group for?", filters=[stripped],
                                validators=[DataRequired("Describe the group in a sentence or two."),
                                            Length(max=2000, message="Use at most 2,000 characters."), NoControlCharacters()],
                                render_kw={"rows": 3})
    rules = TextAreaField("Group rules", filters=[stripped], validators=[Length(max=4000, message="Use at most 4,000 characters."),
                                                                     NoControlCharacters()],
                          description="One rule per line. The community's own rules always apply too.", render_kw={"rows": 4})
    visibility = RadioField("Who can read it?", default="public", choices=[
        SelectChoice("public", "Public: everyone can read it, members can join"),
        SelectChoice("private", "Private: only members you invite can read it"),
    ], validators=[InputRequired("Choose who can read the group.")])
    submit = SubmitField("Send for approval")


class InviteForm(FlaskForm):
    email = EmailField("Member's email address", filters=[stripped],
                       validators=[DataRequired("Enter the member's email address."),
                                   Length(max=254, message="An email address has at most 254 characters."), NoControlCharacters()])
    submit = SubmitField("Invite")


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search questions", filters=[stripped], validators=[Length(max=200, message="Use at most 200 characters.")])


class NotificationSettingsForm(FlaskForm):
    email_notifications = BooleanField("Email me when someone answers my questions, replies to me or invites me to a private group")
    submit = SubmitField("Save")


class ReasonForm(FlaskForm):
    """Hide (the author sees the reason) and warn (the member reads the warning)."""

    reason = TextAreaField("Reason", filters=[stripped], validators=[DataRequired("Write a reason."), Length(max=500), NoControlCharacters()],
                           render_kw={"rows": 2})
    submit = SubmitField("Confirm")


class SuspendForm(FlaskForm):
    days = IntegerField("Days", default=7, validators=[InputRequired("Enter a number of days."),
                                                       NumberRange(1, MAX_SUSPENSION_DAYS, f"Choose between 1 and {MAX_SUSPENSION_DAYS} days.")])
    reason = StringField("Reason (optional)", filters=[stripped], validators=[Length(max=400), NoControlCharacters()])
    submit = SubmitField("Suspend posting")


class BanForm(FlaskForm):
    reason = StringField("Reason", filters=[stripped], validators=[DataRequired("Write a reason for the log."), Length(max=400),
                                                                                NoControlCharacters()])
    confirm = BooleanField("Yes, ban this member and hide all their posts", validators=[DataRequired("Tick the box to confirm the ban.")])
    submit = SubmitField("Ban member")


class RedactForm(FlaskForm):
    body = TextAreaField("Post text with the personal information removed", validators=[Length(max=FORM_TEXT_MAX)], render_kw={"rows": 8})
    shown_version = ShownVersionField()
    submit = SubmitField("Save edited text")


class GroupDecisionForm(FlaskForm):
    reason = StringField("Reason (shown to the owner if rejected)", filters=[stripped], validators=[Length(max=400), NoControlCharacters()])
    approve = SubmitField("Approve")
    reject = SubmitField("Reject")
