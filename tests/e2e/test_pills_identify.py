"""Identify a pill in a real browser: imprint + colour + shape -> picture -> pill page -> drug page."""

from __future__ import annotations


def test_identify_a_pill_and_open_its_drug(page, axe_check):
    page.goto("/pill-identifier")
    axe_check(page)

    # A bad imprint is explained beside the field and kept as typed.
    page.get_by_label("Imprint (letters").fill("<b>PD</b>")
    page.get_by_role("button", name="Find pill").click()
    assert page.get_by_text("remove these characters").first.is_visible()
    assert page.get_by_label("Imprint (letters").input_value() == "<b>PD</b>"
    axe_check(page)

    page.get_by_label("Imprint (letters").fill("pd 155 10")
    page.get_by_label("White", exact=True).check()
    page.get_by_label("Oval", exact=True).check()
    page.get_by_role("button", name="Find pill").click()
    page.get_by_role("heading", name="1 pill found").wait_for()
    assert page.get_by_text("imprint matches exactly (PD · 155 · 10); colour white; shape oval").is_visible()
    picture = page.get_by_role("img", name="Drawing of a white oval pill, 10 mm long")
    picture.wait_for()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    axe_check(page)

    page.get_by_role("link", name="Lipitor 10 mg").click()
    page.get_by_role("heading", name="Lipitor 10 mg", level=1).wait_for()
    assert page.get_by_role("img", name="Drawing of a white oval pill").is_visible()
    axe_check(page)

    drug_link = page.get_by_role("link", name="Read about Atorvastatin")
    if drug_link.count():  # the drugs area is installed
        drug_link.click()
        page.get_by_role("heading", name="Atorvastatin", level=1).wait_for()


def test_no_match_is_said_plainly(page, axe_check):
    page.goto("/pill-identifier?imprint=QZQZ999&color=white")
    page.get_by_role("heading", name="No pill matches").wait_for()
    assert page.get_by_text("Leave out the colour").is_visible()
    axe_check(page)
