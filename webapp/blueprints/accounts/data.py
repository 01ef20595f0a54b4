""""Export my data" and "Delete my account".

Export: one JSON document with everything an account owns. Each area of the site
contributes a section: a function (session, user) -> JSON-able value, declared in the area's hooks.py.

Delete: mostly the database's work: every table that points at users declares ON DELETE
CASCADE (private data) or SET NULL (public community posts, which stay as "[deleted
member]"). So does the account's mail (outbox_messages.user_id); what was queued before
messages named their account is deleted here by address, plus what the areas say they
sent it (their account_mail hooks: the newsletter's issues), and on SQLite the write-ahead
log is emptied afterwards so the deleted text does not linger in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from webapp.blueprints.accounts import rules as accounts
from webapp.blueprints.accounts.models import User
from webapp.core.mail import outbox
from webapp.database import truncate_wal

Section = Callable[[Session, User], Any]
AccountMail = Callable[[Session, int], Iterable[int]]


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


def export_account(session: Session, user: User, sections: Sequence[tuple[str, Section]]) -> dict:
    """The account itself, then each area's section (as the areas list them)."""
    document: dict[str, Any] = {
        "format": "healthdesk-export/1",
        "exported_at": datetime.now(timezone.utc).isoformat(),
    }
    for name, section in [("account", account_section), *sections]:
        document[name] = section(session, user)
    return document


def delete_account(session: Session, user: User, password: str, hash_method: str,
                   account_mail: Sequence[AccountMail] = ()) -> None:
    """Delete the account (after checking its password), what it owns and its mail, and commit.

    Its mail mostly goes with it (ON DELETE CASCADE); messages with no user_id are found by the
    address and through the areas' account_mail hooks (newsletter issues, by their delivery records).

    Raises accounts.AccountError, changing nothing, when the password is wrong.
    """
    user_id, address = user.id, user.email
    # Asked before the cascade removes the rows the areas find their mail by.
    message_ids = [message_id for find in account_mail for message_id in find(session, user_id)]
    accounts.delete_account(session, user, password, hash_method)
    outbox.delete_account_mail(session, address=address, message_ids=message_ids)
    session.commit()
    truncate_wal(session.get_bind())
