from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class PersonalisationForm(FlaskForm):
    personalise = BooleanField("Personalise “Today on HealthDesk” using my medicines, groups, topics and alerts")
    keep_history = BooleanField("Keep a history of what I read, to suggest related articles")
    submit = SubmitField("Save choices")


class ClearHistoryForm(FlaskForm):
    submit = SubmitField("Clear my reading history")
