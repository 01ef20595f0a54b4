import pytest

from webapp.core import tokens

SECRET = "unit-test-secret"


def test_round_trip():
    token = tokens.make_token(SECRET, "verify-email", {"uid": 7, "email": "a@example.com"})
    assert tokens.read_token(SECRET, "verify-email", token, 60) == {"uid": 7, "email": "a@example.com"}


def test_token_for_another_purpose_is_refused():
    token = tokens.make_token(SECRET, "verify-email", {"uid": 7})
    with pytest.raises(tokens.TokenError) as info:
        tokens.read_token(SECRET, "reset", token, 60)
    assert info.value.reason == "invalid"


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "", lambda t: "ü<script>"])
def test_tampered_token_is_refused(mangle):
    token = tokens.make_token(SECRET, "reset", {"uid": 7})
    with pytest.raises(tokens.TokenError):
        tokens.read_token(SECRET, "reset", mangle(token), 60)


def test_expired_token_says_expired():
    token = tokens.make_token(SECRET, "reset", {"uid": 7})
    with pytest.raises(tokens.TokenError) as info:
        tokens.read_token(SECRET, "reset", token, max_age=-1)
    assert info.value.reason == "expired"


def test_fingerprint_changes_with_the_value():
    assert tokens.fingerprint("hash-one") != tokens.fingerprint("hash-two")
    assert tokens.fingerprint("hash-one") == tokens.fingerprint("hash-one")
