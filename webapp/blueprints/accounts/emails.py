"""The wording of account emails. Links are built by the caller and passed in."""

from __future__ import annotations

from webapp.core.mail.message import Mail


def verify_email(name: str, link: str) -> Mail:
    return Mail(
        "Confirm your email address for HealthDesk",
        f"Hello {name},\n\nWelcome to HealthDesk. Please confirm your email address by opening this link:\n\n"
        f"{link}\n\nThe link works for 3 days. If you did not create an account, you can ignore this message.\n",
    )


def already_registered(name: str, login_link: str, reset_link: str) -> Mail:
    return Mail(
        "Someone tried to create a HealthDesk account with your email",
        f"Hello {name},\n\nSomeone (perhaps you) tried to sign up for HealthDesk with this email address, "
        f"but you already have an account.\n\nLog in: {login_link}\nForgot your password? {reset_link}\n\n"
        "If this wasn't you, you can ignore this message; your account has not changed.\n",
    )


def reset_password(name: str, link: str) -> Mail:
    return Mail(
        "Reset your HealthDesk password",
        f"Hello {name},\n\nWe received a request to reset your HealthDesk password. To choose a new one, open:\n\n"
        f"{link}\n\nThe link works once, for 1 hour. If you didn't ask for this, ignore this message: "
        "your password stays the same.\n",
    )


def reset_without_account(signup_link: str) -> Mail:
    """Sent when a reset is asked for an address with no account: the asker sees the same
    page either way, and the owner of the address learns what happened."""
    return Mail(
        "Reset your HealthDesk password",
        "Hello,\n\nWe received a request to reset the HealthDesk password for this email address, "
        "but there is no HealthDesk account with it. If you have an account, you may have signed up "
        "with another address.\n\n"
        f"To create an account with this address: {signup_link}\n\n"
        "If you didn't ask for this, ignore this message: nothing has changed.\n",
    )


def confirm_new_email(name: str, link: str) -> Mail:
    return Mail(
        "Confirm your new HealthDesk email address",
        f"Hello {name},\n\nTo start using this address for your HealthDesk account, open:\n\n{link}\n\n"
        "The link works for 3 days. If you didn't ask for this, ignore this message.\n",
    )


def password_changed(name: str) -> Mail:
    return Mail(
        "Your HealthDesk password was changed",
        f"Hello {name},\n\nThe password of your HealthDesk account was just changed and every device was logged out.\n"
        "If this wasn't you, reset your password right away with the 'Forgot password' link on the log-in page.\n",
    )
