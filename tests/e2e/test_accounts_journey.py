"""Sign up -> verify the email -> log in -> log out, in a real browser, with axe checks."""

from __future__ import annotations

from tests.conftest import first_link


def test_sign_up_verify_log_in_log_out(page, axe_check, live_outbox):
    page.goto("/")
    axe_check(page)
    page.get_by_role("link", name="Sign up").click()
    axe_check(page)

    # A too-short password is refused next to its field, and what was typed is kept.
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("Use at least 12 characters").first.is_visible()
    assert page.get_by_label("Email address").input_value() == "ada@example.com"
    axe_check(page)

    page.get_by_label("Password").fill("plenty of sunny mornings")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    axe_check(page)

    (subject, text), = live_outbox("ada@example.com")
    assert "Confirm your email" in subject
    page.goto(first_link(text, "/verify-email/"))
    page.get_by_text("your email address is confirmed").wait_for()
    axe_check(page)

    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill("plenty of sunny mornings")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Welcome back, Ada").wait_for()
    axe_check(page)

    page.get_by_role("link", name="account settings").click()
    page.get_by_role("heading", name="Account settings").wait_for()
    assert "Yes" in page.locator(".facts").inner_text()
    axe_check(page)

    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out").wait_for()
    assert page.get_by_role("link", name="Log in").is_visible()
    page.goto("/account/settings")
    page.get_by_role("heading", name="Log in").wait_for()
    axe_check(page)


def test_font_size_control_scales_the_page_without_javascript(browser, live_server, axe_check):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    default = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name="Larger text").click()
    page.get_by_role("heading", name="Log in").wait_for()
    larger = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert larger > default
    assert page.get_by_role("button", name="Larger text").get_attribute("aria-pressed") == "true"
    context.close()
