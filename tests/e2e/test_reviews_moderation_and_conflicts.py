"""A member reports a drug review -> a moderator hides it from the queue -> it is gone from the
drug page. And an edit saved in two tabs: the second tab is told, keeps its text and can save.
In a real browser, with axe checks on the pages these journeys add."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in
from webapp.blueprints.accounts import passwords
from webapp.blueprints.accounts.models import User
from webapp.blueprints.drugs.models import Drug, Review
from webapp.extensions import db

SPAM = "Sample review written for a browser test: buy cheap pills at an online shop."


def _people_and_review(live_app) -> None:
    with live_app.app_context():
        if db.session.query(User).filter_by(email="e2e-reviewer@example.com").first():
            return
        method = live_app.config["PASSWORD_HASH_METHOD"]
        ids = {}
        for email, name, role in (("e2e-reviewer@example.com", "Rory Reviewer", "member"),
                                  ("e2e-flagger@example.com", "Fran Flagger", "member"),
                                  ("e2e-reviewmod@example.com", "Mo Moderator", "moderator")):
            user = User(email=email, display_name=name, role=role, password_hash=passwords.hash_password(PASSWORD, method),
                        email_verified_at=datetime.now(timezone.utc))
            db.session.add(user)
            db.session.flush()
            ids[email] = user.id
        drug = db.session.query(Drug).filter_by(slug="atorvastatin").one()
        db.session.add(Review(drug_id=drug.id, user_id=ids["e2e-reviewer@example.com"], effectiveness=1, ease_of_use=1,
                              satisfaction=1, body=SPAM))
        db.session.commit()
        db.session.remove()



def test_a_reported_review_is_hidden_by_a_moderator(page, axe_check, live_app):
    _people_and_review(live_app)
    log_in(page, "e2e-flagger@example.com")
    page.goto("/drugs/atorvastatin/reviews")
    page.get_by_role("link", name="Report review by Rory Reviewer").click()
    page.get_by_label("Spam or advertising").check()
    page.get_by_label("Anything the moderators should know (optional)").fill("An advert for a pill shop")
    page.get_by_role("button", name="Send report").click()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "e2e-reviewmod@example.com")
    page.goto("/community/moderation")
    item = page.locator(".queue-item", has_text=SPAM)
    assert "Spam or advertising (1)" in item.inner_text() and "An advert for a pill shop" in item.inner_text()
    axe_check(page)
    item.get_by_label("Reason").fill("Advertising")
    item.get_by_role("button", name="Hide review").click()
    page.get_by_text("The review of Atorvastatin is hidden.").wait_for()
    axe_check(page)
    page.goto("/drugs/atorvastatin/reviews")
    assert SPAM not in page.content()


def test_an_edit_saved_in_another_tab_is_never_overwritten(browser, live_server, axe_check, live_outbox, live_app):
    from tests.e2e.test_mymeds_journey import sign_up_and_log_in

    # Two tabs of one browser, so not the `page` fixture; and the 409 answer is logged by
    # Chromium as a failed load, which that fixture would count as a page error.
    context = browser.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    first = context.new_page()
    sign_up_and_log_in(first, live_outbox, "two-tabs@example.com", "Tab")
    first.goto("/my-medicine")
    first.get_by_role("link", name="Add a family profile").click()
    first.get_by_label("Name", exact=True).fill("Dana")
    first.get_by_label("Relationship to you").select_option("child")
    first.get_by_role("button", name="Save profile").click()
    first.get_by_role("link", name="Edit profile").click()
    edit_url = first.url

    second = context.new_page()  # the same form, opened in a second tab
    second.goto(edit_url)
    second.get_by_label("Allergies (optional)").fill("sulfa")
    second.get_by_role("button", name="Save profile").click()
    second.get_by_text("Profile saved").wait_for()

    first.get_by_label("Allergies (optional)").fill("penicillin")
    first.get_by_role("button", name="Save profile").click()
    alert = first.get_by_role("alert").filter(has_text="changed somewhere else")
    alert.wait_for()
    assert first.get_by_label("Allergies (optional)").input_value() == "penicillin"  # what this tab typed is kept
    assert "sulfa" in first.content()  # and the saved version is shown
    axe_check(first)
    first.get_by_role("button", name="Save profile").click()  # saving again keeps this tab's version
    first.get_by_text("Profile saved").wait_for()
    assert "penicillin" in first.content()
    context.close()
