"""The interaction checker in a real browser with a medicine we recognise but hold no
interaction rule for: it is named as not checked, in words, never listed as checked, and
the page passes axe's WCAG checks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.blueprints.drugs.models import Drug
from webapp.blueprints.mymeds.kb import interaction_loader
from webapp.extensions import db

# Seeded medicines that have had no interaction rule; the first still without one is used.
CANDIDATES = ("probiotics", "psyllium", "docusate", "cranberry", "saw-palmetto", "vitamin-e", "melatonin")


@pytest.fixture
def unchecked_drug(live_app) -> str:
    with live_app.app_context():
        known = interaction_loader.knowledge_base().known_ingredients
        for slug in CANDIDATES:
            drug = db.session.execute(select(Drug).where(Drug.slug == slug)).scalar_one_or_none()
            if drug is not None and drug.ingredients and not any(i.name in known for i in drug.ingredients):
                return drug.name
        db.session.remove()
    pytest.skip("every candidate medicine now has an interaction rule; pick another for this test")


def test_checker_names_a_recognised_medicine_it_could_not_check(page, axe_check, unchecked_drug):
    page.goto("/interaction-checker")
    page.get_by_label("Medicines to check").fill(f"warfarin\nAdvil\n{unchecked_drug}\nmoonbeam tonic")
    page.get_by_role("button", name="Check interactions").click()
    page.get_by_role("heading", name="Results").wait_for()
    report = page.locator(".interaction-report")
    unchecked = report.locator(".report-unchecked").inner_text()
    assert f"We could not check {unchecked_drug}" in unchecked and "Ask your pharmacist" in unchecked
    checked = report.locator("p", has_text="We checked:").first.inner_text()
    assert "warfarin" in checked and unchecked_drug not in checked
    what = report.locator(".report-checked p", has_text="What we checked").inner_text()
    assert unchecked_drug not in what
    assert "moonbeam tonic" in report.locator(".report-unrecognised").inner_text()
    assert "Major" in report.inner_text()
    axe_check(page)
