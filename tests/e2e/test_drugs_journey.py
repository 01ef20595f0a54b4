"""Search with a typo -> drug page -> write a review -> see the average, in a real browser."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.conftest import PASSWORD
from webapp.blueprints.accounts import passwords
from webapp.blueprints.accounts.models import User
from webapp.extensions import db


@pytest.fixture
def reviewer(live_app):
    with live_app.app_context():
        user = db.session.query(User).filter_by(email="reviewer@example.com").one_or_none()
        if user is None:
            user = User(email="reviewer@example.com", display_name="Riley Reviewer",
                        password_hash=passwords.hash_password(PASSWORD, live_app.config["PASSWORD_HASH_METHOD"]),
                        email_verified_at=datetime.now(timezone.utc))
            db.session.add(user)
            db.session.commit()
        db.session.remove()
    return "reviewer@example.com"


def test_typo_search_to_drug_page_to_review_and_average(page, axe_check, reviewer):
    page.goto("/drugs")
    page.get_by_role("heading", name="Drugs & Supplements", level=1).wait_for()
    axe_check(page)

    search = page.get_by_label("Search drugs, brands or conditions")
    search.fill("ibuprofin")
    page.locator("main").get_by_role("button", name="Search").click()  # not the header's site search
    page.get_by_text("Showing results for").wait_for()
    axe_check(page)
    page.get_by_role("link", name="Ibuprofen", exact=True).first.click()
    page.get_by_role("heading", name="Ibuprofen", level=1).wait_for()
    assert page.get_by_text("Advil").first.is_visible()
    axe_check(page)

    page.get_by_role("link", name="Write a review").click()
    page.get_by_label("Email address").fill(reviewer)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/drugs/ibuprofen/reviews/new")
    page.get_by_role("heading", name="Review Ibuprofen").wait_for()
    axe_check(page)

    # Missing ratings are refused beside the fields; the text typed is kept.
    page.get_by_label("Your experience (optional)").fill("Eased my back pain within an hour.")
    page.get_by_role("button", name="Publish review").click()
    page.get_by_text("Please correct the following").wait_for()
    assert page.get_by_label("Your experience (optional)").input_value() == "Eased my back pain within an hour."
    axe_check(page)

    page.get_by_role("group", name="How well did it work?").get_by_label("4 – good").check()
    page.get_by_role("group", name="How easy was it to use?").get_by_label("5 – excellent").check()
    page.get_by_role("group", name="How satisfied are you overall?").get_by_label("3 – fair").check()
    page.get_by_role("button", name="Publish review").click()
    page.get_by_text("Your review is published").wait_for()
    assert page.get_by_text("Eased my back pain within an hour.").is_visible()
    axe_check(page)

    page.goto("/drugs/ibuprofen")
    reviews = page.locator("#reviews")
    # (4 + 5 + 3) / 3 = 4.0 overall; effectiveness 4.0, ease 5.0, satisfaction 3.0.
    assert "4.0 out of 5" in reviews.inner_text() and "(1 review)" in reviews.inner_text()
    assert "5.0 out of 5" in reviews.inner_text()


def test_autocomplete_suggests_and_opens_a_drug(page, axe_check):
    page.goto("/drugs")
    box = page.get_by_role("combobox", name="Search drugs, brands or conditions")
    box.press_sequentially("lipit", delay=30)
    option = page.get_by_role("option", name="Atorvastatin")
    option.first.wait_for()
    axe_check(page)
    box.press("ArrowDown")
    box.press("Enter")
    page.get_by_role("heading", name="Atorvastatin", level=1).wait_for()


def test_condition_search_and_page(page, axe_check):
    page.goto("/drugs/search?q=high+blood+pressure")
    page.get_by_role("link", name="Drugs for High blood pressure (hypertension)").click()
    page.get_by_role("heading", name="Drugs for High blood pressure (hypertension)").wait_for()
    assert page.get_by_role("link", name="Lisinopril", exact=True).is_visible()
    axe_check(page)
