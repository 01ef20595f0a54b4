""""Export my data": one JSON document with everything an account owns.

Each area of the site contributes a section: a function (session, user) -> JSON-able
value, listed in SECTIONS. Deleting an account relies on the database instead: every
table that points at users declares ON DELETE CASCADE (private data) or SET NULL
(public community posts, which stay as "[deleted member]").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from ..areas import EXPORT_SECTIONS, resolve
from ..models.accounts import User

Section = Callable[[Session, User], Any]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def account_section(session: Session, user: User) -> dict:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "credential": user.credential,
        "email_verified_at": _iso(user.email_verified_at),
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
    }


def _sections() -> list[tuple[str, Section]]:
    sections: list[tuple[str, Section]] = [("account", account_section)]
    for name, target in EXPORT_SECTIONS:
        section = resolve(target)
        if section is not None:
            sections.append((name, section))
    return sections


def export_account(session: Session, user: User) -> dict:
    document: dict[str, Any] = {
        "format": "healthdesk-export/1",
        "exported_at": datetime.now(timezone.utc).isoformat(),
    }
    for name, section in _sections():
        document[name] = section(session, user)
    return document
