"""Account rules: sign-up, log-in, email verification, password and email changes, roles."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.blueprints.accounts import passwords
from webapp.blueprints.accounts.models import ROLES, User, new_session_token
from webapp.core.errors import FieldError


class AccountError(FieldError):
    """A rule refused the change; `field` names the form field it belongs to."""


def normalize_email(raw: str) -> str:
    """Validate syntax (no DNS) and normalise; the domain is lowercased, the local part too.

    NFKC folding first: "ｂob@example.com" (fullwidth b) is the same account as
    "bob@example.com", never a look-alike second one.
    """
    try:
        result = validate_email(unicodedata.normalize("NFKC", raw).strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(f"Enter a valid email address ({exc}).", field="email") from exc
    return result.normalized.lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.email) == email.lower())).scalar_one_or_none()


@dataclass(frozen=True)
class SignUp:
    email: str
    display_name: str
    password: str


@dataclass(frozen=True)
class SignUpResult:
    user: User
    created: bool  # False: the address already had an account; tell nobody but its owner


def sign_up(session: Session, data: SignUp, hash_method: str) -> SignUpResult:
    email = normalize_email(data.email)
    name = " ".join(data.display_name.split())
    if not name:
        raise AccountError("Enter a display name.", field="display_name")
    problem = passwords.password_problem(data.password, email=email, display_name=name)
    if problem:
        raise AccountError(problem, field="password")
    existing = find_by_email(session, email)
    if existing is not None:
        # Spend the same hashing work as a real sign-up so timing reveals nothing.
        passwords.hash_password(data.password, hash_method)
        return SignUpResult(existing, created=False)
    user = User(email=email, display_name=name, password_hash=passwords.hash_password(data.password, hash_method))
    session.add(user)
    session.flush()
    return SignUpResult(user, created=True)


def authenticate(session: Session, email: str, password: str, hash_method: str) -> User | None:
    try:
        normalized = normalize_email(email)
    except AccountError:
        normalized = email.strip().lower()
    user = find_by_email(session, normalized)
    if not passwords.verify_password(user.password_hash if user else None, password, hash_method):
        return None
    user.last_login_at = datetime.now(timezone.utc)
    return user


def mark_verified(user: User) -> bool:
    """Return True when this call verified the address (False: it already was)."""
    if user.email_verified_at is not None:
        return False
    user.email_verified_at = datetime.now(timezone.utc)
    return True


def end_all_sessions(user: User) -> None:
    user.session_token = new_session_token()


def set_password(user: User, new_password: str, hash_method: str) -> None:
    problem = passwords.password_problem(new_password, email=user.email, display_name=user.display_name)
    if problem:
        raise AccountError(problem, field="new_password")
    user.password_hash = passwords.hash_password(new_password, hash_method)
    user.password_changed_at = datetime.now(timezone.utc)
    end_all_sessions(user)


def change_password(user: User, current: str, new_password: str, hash_method: str) -> None:
    if not passwords.verify_password(user.password_hash, current, hash_method):
        raise AccountError("Your current password is not correct.", field="current_password")
    set_password(user, new_password, hash_method)


def change_email(session: Session, user: User, current_password: str, new_email: str, hash_method: str) -> str:
    """Validate the change; the new address only takes effect once its link is followed."""
    if not passwords.verify_password(user.password_hash, current_password, hash_method):
        raise AccountError("Your current password is not correct.", field="current_password")
    email = normalize_email(new_email)
    if email == user.email:
        raise AccountError("That is already your email address.", field="new_email")
    return email


def apply_email_change(session: Session, user: User, new_email: str,
                       hooks: Sequence[Callable[[Session, User, str], None]] = ()) -> None:
    """Make the new address the account's; `hooks` let other areas follow it (the newsletter)."""
    if find_by_email(session, new_email) is not None:
        raise AccountError("That email address cannot be used. Sign in with it or choose another.", field="new_email")
    user.email = new_email
    user.email_verified_at = datetime.now(timezone.utc)
    for hook in hooks:
        hook(session, user, new_email)


def set_role(session: Session, email: str, role: str) -> User:
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.", field="role")
    user = find_by_email(session, normalize_email(email))
    if user is None:
        raise AccountError(f"No account with the email {email}.", field="email")
    user.role = role
    return user


def create_user(
    session: Session, email: str, password: str, hash_method: str, *, role: str = "member", display_name: str = ""
) -> User:
    """For the CLI: create a verified account with a role."""
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.", field="role")
    normalized = normalize_email(email)
    if find_by_email(session, normalized) is not None:
        raise AccountError(f"An account with the email {normalized} already exists.", field="email")
    name = display_name.strip() or normalized.split("@", 1)[0]
    problem = passwords.password_problem(password, email=normalized, display_name=name)
    if problem:
        raise AccountError(problem, field="password")
    user = User(
        email=normalized,
        display_name=name[:60],
        password_hash=passwords.hash_password(password, hash_method),
        role=role,
        email_verified_at=datetime.now(timezone.utc),
    )
    session.add(user)
    session.flush()
    return user


def delete_account(session: Session, user: User, password: str, hash_method: str) -> None:
    """Remove the account; the database cascades remove (or anonymise) what it owns."""
    if not passwords.verify_password(user.password_hash, password, hash_method):
        raise AccountError("Your password is not correct.", field="password")
    session.delete(user)
    session.flush()
