"""Signed, expiring tokens for links sent by email.

A reset token carries fingerprints of the password hash and of the email address it was
issued for: once the password changes the token no longer verifies, which makes every
reset link single-use, and a link mailed to an old address dies with the email change.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenError(Exception):
    """The link is not valid: tampered, expired, for another purpose or already used."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"healthdesk:{purpose}")


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def reset_payload(user_id: int, password_hash: str, email: str) -> dict:
    return {"uid": user_id, "pw": fingerprint(password_hash), "em": fingerprint(email)}


def reset_payload_matches(data: dict, password_hash: str, email: str) -> bool:
    return data.get("pw") == fingerprint(password_hash) and data.get("em") == fingerprint(email)


def make_token(secret_key: str, purpose: str, payload: dict) -> str:
    return _serializer(secret_key, purpose).dumps(payload)


def read_token(secret_key: str, purpose: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("expired") from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise TokenError("invalid") from exc
    if not isinstance(data, dict):
        raise TokenError("invalid")
    return data
