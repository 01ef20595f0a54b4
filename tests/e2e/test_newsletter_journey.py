"""Newsletter in a real browser: footer signup with axe checks, and the whole mail round trip
through a real SMTP server on loopback (confirmation link, an issue, one-click unsubscribe)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import urllib.request
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.conftest import first_link
from webapp.blueprints.newsletter.models import NewsletterSubscriber
from webapp.extensions import db


class Inbox:
    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def for_address(self, address: str) -> list[email.message.EmailMessage]:
        parsed = [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.messages]
        return [m for m in parsed if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_inbox(live_app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(live_app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(live_app.config, "MAIL_USE_TLS", False)
    yield inbox
    controller.stop()


def _status(live_app, address: str) -> str | None:
    with live_app.app_context():
        status = db.session.execute(select(NewsletterSubscriber.status).where(NewsletterSubscriber.email == address)).scalar_one_or_none()
        db.session.remove()
        return status


def _one_click(url: str) -> tuple[int, str]:
    assert url.startswith("http://127.0.0.1:")  # our own loopback server
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.read().decode()


def _deliver(live_app) -> None:
    result = live_app.test_cli_runner().invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output


def test_footer_signup_confirm_preferences_and_unsubscribe(page, axe_check, live_outbox, live_app):
    page.goto("/login")
    footer = page.locator("section.footer-newsletter")
    assert footer.get_by_role("heading", name="HealthDesk newsletter").is_visible()
    axe_check(page)

    # The footer asks for an email alone and says what it subscribes to.
    assert "all topics" in footer.inner_text()
    # A bad address: the newsletter page says what is wrong, beside the field, keeping what was typed.
    footer.get_by_label("Your email").fill("not an address")
    footer.get_by_role("button", name="Get the newsletter").click()
    page.get_by_role("heading", name="Get the HealthDesk newsletter").wait_for()
    assert page.get_by_label("Your email").input_value() == "not an address"
    assert page.locator("#email-error").is_visible()
    axe_check(page)

    page.get_by_label("Your email").fill("Footer.Reader@Example.com")
    page.get_by_label("Healthy Living").check()
    page.get_by_label("Caregiving").check()
    page.get_by_role("button", name="Get the newsletter").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    axe_check(page)
    assert _status(live_app, "footer.reader@example.com") == "pending"

    (subject, text), = live_outbox("footer.reader@example.com")
    assert subject == "Confirm your HealthDesk newsletter subscription"
    page.goto(first_link(text, "/newsletter/confirm/"))
    page.get_by_role("heading", name="Thank you, your subscription is confirmed").wait_for()
    assert "Healthy Living" in page.locator("main").inner_text()
    axe_check(page)

    page.get_by_role("link", name="Change your topics or unsubscribe").click()
    page.get_by_role("heading", name="Newsletter preferences").wait_for()
    assert page.get_by_label("Caregiving").is_checked() and not page.get_by_label("Cancer").is_checked()
    axe_check(page)
    page.get_by_label("Caregiving").uncheck()
    page.get_by_role("button", name="Save my topics").click()
    page.get_by_text("Your newsletter topics are saved.").wait_for()
    assert not page.get_by_label("Caregiving").is_checked() and page.get_by_label("Healthy Living").is_checked()

    page.get_by_role("button", name="Unsubscribe from all topics").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    axe_check(page)
    assert _status(live_app, "footer.reader@example.com") == "unsubscribed"


def test_mail_round_trip_through_smtp_with_one_click_unsubscribe(page, axe_check, live_app, smtp_inbox):
    from webapp.blueprints.community.models import CommunityGroup, CommunityThread

    address = "smtp.reader@example.com"
    page.goto("/login")
    footer = page.locator("section.footer-newsletter")
    footer.get_by_label("Your email").fill(address)  # an email alone: every topic
    footer.get_by_role("button", name="Get the newsletter").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    _deliver(live_app)
    (confirmation,) = smtp_inbox.for_address(address)
    confirm_text = confirmation.get_body(preferencelist=("plain",)).get_content()
    page.goto(re.search(r"https?://\S+/newsletter/confirm/\S+", confirm_text).group(0))
    page.get_by_role("heading", name="Thank you, your subscription is confirmed").wait_for()
    assert _status(live_app, address) == "confirmed"
    # The confirmation page narrows the default (all topics) to one.
    for name in ("Cancer", "Drug Safety & Recalls", "Healthy Living", "Caregiving"):
        page.get_by_label(name).uncheck()
    page.get_by_role("button", name="Save my topics").click()
    page.get_by_text("Your newsletter topics are saved.").wait_for()
    assert page.get_by_label("Community Highlights").is_checked() and not page.get_by_label("Cancer").is_checked()

    with live_app.app_context():
        group = CommunityGroup(slug="newsletter-e2e", name="Newsletter E2E Group", status="approved", visibility="public")
        db.session.add(group)
        db.session.flush()
        db.session.add(CommunityThread(group_id=group.id, title="Tips for keeping a medicine list up to date", answer_count=3))
        db.session.commit()
        db.session.remove()
    sent = live_app.test_cli_runner().invoke(args=["newsletter", "send", "community-highlights"])
    assert sent.exit_code == 0, sent.output
    _deliver(live_app)

    issue = smtp_inbox.for_address(address)[-1]
    assert str(issue["Subject"]).strip().startswith("Community Highlights:")
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = issue["List-Unsubscribe"].strip().strip("<>")  # a long URL is folded onto the next line
    assert unsubscribe_url.startswith(live_app.config["SITE_URL"] + "/newsletter/unsubscribe/")
    text = issue.get_body(preferencelist=("plain",)).get_content()
    html = issue.get_body(preferencelist=("html",)).get_content()
    assert "Tips for keeping a medicine list up to date" in text and "Tips for keeping a medicine list up to date" in html

    # The thread link in the email opens the thread; the preferences link opens this subscriber's page.
    page.goto(re.search(r"https?://\S+/newsletter/preferences/\S+", text).group(0))
    page.get_by_role("heading", name="Newsletter preferences").wait_for()
    assert page.get_by_label("Community Highlights").is_checked()
    axe_check(page)

    # What a mail provider does for RFC 8058: a POST with no cookie and no CSRF token.
    status, _body = _one_click(unsubscribe_url)
    assert status == 200
    assert _status(live_app, address) == "unsubscribed"
    status, body = _one_click(unsubscribe_url)
    assert status == 200 and "already unsubscribed" in body


def test_member_manages_topics_in_settings(page, axe_check, live_app):
    from tests.conftest import PASSWORD
    from webapp.blueprints.accounts import passwords
    from webapp.blueprints.accounts.models import User

    with live_app.app_context():
        db.session.add(User(email="settings.member@example.com", display_name="Sol",
                            password_hash=passwords.hash_password(PASSWORD, live_app.config["PASSWORD_HASH_METHOD"]),
                            email_verified_at=datetime.now(timezone.utc)))
        db.session.commit()
        db.session.remove()
    page.goto("/login")
    page.get_by_label("Email address").fill("settings.member@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Welcome back, Sol").wait_for()
    # Members find their own address in the footer form.
    assert page.locator("section.footer-newsletter").get_by_label("Your email").input_value() == "settings.member@example.com"

    page.goto("/account/settings")
    section = page.locator("section", has=page.get_by_role("heading", name="Newsletter topics"))
    section.get_by_label("Cancer").check()
    section.get_by_role("button", name="Save my topics").click()
    page.get_by_text("Your newsletter topics are saved.").wait_for()
    section = page.locator("section", has=page.get_by_role("heading", name="Newsletter topics"))
    assert section.get_by_label("Cancer").is_checked()
    assert "settings.member@example.com" in section.inner_text()
    axe_check(page)
    assert _status(live_app, "settings.member@example.com") == "confirmed"
