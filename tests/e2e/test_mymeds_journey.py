"""Sign up -> add a family profile -> save two interacting medicines -> see the warning ->
an FDA recall is imported -> see the alert. In a real browser, with axe checks."""

from __future__ import annotations

import json

from tests.conftest import first_link
from webapp.blueprints.mymeds.commands import import_and_notify
from webapp.extensions import db

PASSWORD = "plenty of sunny mornings"

# Written for this test in the openFDA layout (not a real recall).
RECALL = {
    "recall_number": "D-0777-2026",
    "classification": "Class II",
    "status": "Ongoing",
    "product_type": "Drugs",
    "product_description": "Warfarin Sodium Tablets USP, 5 mg, 100-count bottle (sample record for a browser test)",
    "reason_for_recall": "Sample reason: tablets may not dissolve as labelled.",
    "recalling_firm": "Example Generics LLC",
    "report_date": "20260201",
    "code_info": "Lot E2E1",
    "openfda": {"generic_name": ["WARFARIN SODIUM"]},
}


def sign_up_and_log_in(page, live_outbox, email: str, name: str) -> None:
    page.goto("/signup")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    (_subject, text), = live_outbox(email)
    page.goto(first_link(text, "/verify-email/"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(f"Welcome back, {name}").wait_for()


def test_family_list_interaction_warning_and_recall_alert(page, axe_check, live_outbox, live_app, tmp_path):
    sign_up_and_log_in(page, live_outbox, "parent@example.com", "Pat")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My Medicine").click()
    page.get_by_role("heading", name="My Medicine", level=1).wait_for()
    axe_check(page)

    page.get_by_role("link", name="Add a family profile").click()
    axe_check(page)
    page.get_by_label("Name", exact=True).fill("Grandpa Joe")
    page.get_by_label("Relationship to you").select_option("grandparent")
    page.get_by_label("Chronic kidney disease").check()
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("heading", name="Grandpa Joe (Grandparent)", level=1).wait_for()
    axe_check(page)

    # The first medicine comes from its drug page, through "Save to My Medicine".
    page.goto("/drugs/warfarin")
    axe_check(page)
    page.get_by_label("Save Warfarin to the list of").select_option(label="Grandpa Joe")
    page.get_by_role("button", name="Save to My Medicine").click()
    page.get_by_text("Saved Warfarin to the list of Grandpa Joe").wait_for()
    page.get_by_role("link", name="Edit Warfarin").click()
    page.get_by_label("Strength (optional)").fill("5 mg")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved the changes to Warfarin").wait_for()

    page.get_by_label("Medicine name").fill("Advil")
    page.get_by_role("button", name="Add medicine").click()
    new = page.locator("#new-findings")
    new.get_by_role("heading", name="New findings for Advil (Ibuprofen)").wait_for()
    text = new.inner_text()
    assert "Major" in text and "Warfarin" in text and "Advil (Ibuprofen)" in text
    assert "Chronic kidney disease" in page.locator(".interaction-report").inner_text()
    axe_check(page)

    page.get_by_role("link", name="Print wallet card").click()
    page.get_by_role("heading", name="Wallet card for Grandpa Joe").wait_for()
    axe_check(page)
    page.go_back()

    page.goto("/my-medicine/alerts/settings")
    axe_check(page)
    page.get_by_label("All my profiles' medicines").check()
    page.get_by_role("button", name="Save alert settings").click()
    page.get_by_text("Your alert settings are saved").wait_for()

    # The FDA publishes a recall; the importer runs against the live site's database.
    path = tmp_path / "recalls.json"
    path.write_text(json.dumps({"results": [RECALL]}))
    with live_app.app_context():
        outcome = import_and_notify(db.session, path, live_app.config["SITE_URL"] + "/my-medicine/alerts")
        db.session.remove()
    assert outcome["notifications"] == 1

    page.goto("/my-medicine")
    badge = page.get_by_role("link", name="Alerts 1 unread")
    badge.click()
    page.get_by_role("heading", name="FDA recall alerts").wait_for()
    alert = page.locator(".alert-item").first
    assert "FDA recall: Warfarin Sodium Tablets USP" in alert.inner_text()
    assert "For Grandpa Joe" in alert.inner_text() and "strength 5 mg" in alert.inner_text()
    axe_check(page)
    subjects = [subject for subject, _text in live_outbox("parent@example.com")]
    assert "FDA recall: Warfarin Sodium Tablets USP" in subjects

    page.get_by_role("button", name="Mark all as read").click()
    page.get_by_text("Marked all alerts as read").wait_for()
    assert page.get_by_role("link", name="Alerts 1 unread").count() == 0

    page.get_by_role("link", name="D-0777-2026").click()
    page.get_by_role("heading", name="It may concern your lists").wait_for()
    axe_check(page)
    page.get_by_role("link", name="FDA drug recalls").click()
    page.get_by_role("heading", name="FDA drug recalls", level=1).wait_for()
    axe_check(page)


def test_anyone_can_use_the_checker(page, axe_check):
    page.goto("/interaction-checker")
    axe_check(page)
    page.get_by_label("Medicines to check").fill("warfarin\nAleve\nmoonbeam tonic")
    page.get_by_role("button", name="Check interactions").click()
    page.get_by_role("heading", name="Results").wait_for()
    results = page.locator(".interaction-report").inner_text()
    assert "Major" in results and "Warfarin" in results and "Naproxen" in results
    assert "moonbeam tonic" in results and "not a guarantee" in results
    axe_check(page)


def test_a_listed_allergy_warns_when_a_matching_medicine_is_added(page, axe_check, live_outbox):
    sign_up_and_log_in(page, live_outbox, "carer@example.com", "Cam")
    page.goto("/my-medicine")
    page.get_by_role("link", name="Add a family profile").click()
    page.get_by_label("Name", exact=True).fill("Robin")
    page.get_by_label("Relationship to you").select_option("child")
    page.get_by_label("Allergies (optional)").fill("Penicillin (hives)")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("heading", name="Robin (Child)", level=1).wait_for()

    page.get_by_label("Medicine name").fill("Amoxil")
    page.get_by_role("button", name="Add medicine").click()
    new = page.locator("#new-findings")
    new.wait_for()
    assert "Penicillin (hives)" in new.inner_text() and "a penicillin" in new.inner_text()
    warnings = page.locator("#allergy-warnings")
    assert "Allergy warning" in warnings.inner_text()  # the level in words, not colour alone
    axe_check(page)

    # The drug page says so too, before anyone saves it again.
    page.goto("/drugs/amoxicillin")
    assert "Allergy warning for Robin" in page.locator(".allergy-before-save").inner_text()
    axe_check(page)
    page.go_back()

    # The allergy was a mistake: editing it away removes the warning.
    page.get_by_role("link", name="Edit profile").click()
    page.get_by_label("Allergies (optional)").fill("")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("heading", name="Robin (Child)", level=1).wait_for()
    assert page.locator("#allergy-warnings").count() == 0
