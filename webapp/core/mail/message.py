"""What an email says, before it is queued: the subject and plain text every area's wording returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
