from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class FontSizeForm(FlaskForm):
    next = HiddenField()
