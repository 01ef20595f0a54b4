"""The one error type a domain rule raises when it refuses something a person asked for."""

from __future__ import annotations


class FieldError(ValueError):
    """A rule refused the request: `message` is written for the person, `field` names the
    form field it belongs to (None: the form as a whole), `status` the HTTP status a view
    answers with. Each area subclasses it (AccountError, MyMedsError ...) so a view can
    catch its own area's refusals and put the message beside the field."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
