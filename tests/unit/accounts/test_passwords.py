import pytest

from webapp.blueprints.accounts import passwords


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12"),
        ("elevenchars", "at least 12"),
        ("x" * 129, "at most 128"),
        ("password1234", "too common"),
        ("PASSWORD1234", "too common"),
        ("123456789012", "too common"),
        ("qwertyuiop123", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("abababababababab", "too common"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, message):
    problem = passwords.password_problem(password)
    assert problem is not None and message in problem


def test_password_equal_to_email_is_refused():
    assert "email" in passwords.password_problem("ada.lovelace@example.org", email="ada.lovelace@example.org")


@pytest.mark.parametrize("password", ["correct horse battery", "twelve chars", "Ünïcode pässwörd ✓ 🌿", ("the quick brown fox " * 7)[:128]])
def test_long_unusual_passwords_are_accepted_without_composition_rules(password):
    assert passwords.password_problem(password) is None


def test_hash_is_scrypt_and_verifies():
    hashed = passwords.hash_password("correct horse battery", "scrypt:16384:8:1")
    assert hashed.startswith("scrypt:")
    assert "correct horse battery" not in hashed
    assert passwords.verify_password(hashed, "correct horse battery", "scrypt:16384:8:1")
    assert not passwords.verify_password(hashed, "correct horse batterY", "scrypt:16384:8:1")


def test_missing_account_still_checks_a_hash_and_fails():
    assert passwords.verify_password(None, "anything at all here", "scrypt:16384:8:1") is False
