"""Password policy (NIST SP 800-63B style: length, no composition rules, no common ones) and hashing."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128

# A valid hash of a random password, checked when the account does not exist so that a
# failed login takes the same time either way (no account enumeration by timing).
_DUMMY_HASHES: dict[str, str] = {}


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("webapp.data").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", display_name: str = "") -> str | None:
    """Return why a new password is refused, in words for a person, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A few unrelated words make a strong, memorable password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return "This password is too common and easy to guess. Choose another."
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and lowered in {local_part, email.lower()}:
        return "Your password must not be your email address."
    if display_name and lowered == display_name.lower():
        return "Your password must not be your name."
    return None


def hash_password(password: str, method: str = "scrypt") -> str:
    return generate_password_hash(password, method=method)


def verify_password(password_hash: str | None, password: str, method: str = "scrypt") -> bool:
    """Check a password; with no hash (unknown account) still spend the same work."""
    if password_hash is None:
        dummy = _DUMMY_HASHES.get(method)
        if dummy is None:
            dummy = _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password-x9", method=method)
        check_password_hash(dummy, password)
        return False
    return check_password_hash(password_hash, password)
