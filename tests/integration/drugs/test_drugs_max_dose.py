"""The drug page's "Usual adult maximum daily dose" section, from the monograph's max_daily_dose."""

from __future__ import annotations

import html

SECTION = 'id="max-dose-h">Usual adult maximum daily dose</h2>'


def section(client, slug: str) -> str:
    page = html.unescape(client.get(f"/drugs/{slug}").get_data(as_text=True))
    if SECTION not in page:
        return ""
    return page[page.index(SECTION):page.index("</section>", page.index(SECTION))]


def test_a_prescription_page_shows_its_maximum_with_the_source_and_the_caution(client, drugs):
    shown = section(client, "atorvastatin")
    assert "<strong>80 mg per day</strong>" in shown
    assert "usual upper limit for adults" in shown
    assert "Your prescriber may set a different dose" in shown and "Never take more than the dose on your" in shown
    assert 'href="https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=atorvastatin"' in shown
    assert 'href="#max-dose"' in client.get("/drugs/atorvastatin").get_data(as_text=True)  # listed in "On this page"
    lisinopril = section(client, "lisinopril")
    assert "80 mg per day for high blood pressure" in lisinopril and "heart failure is 40 mg" in lisinopril


def test_a_drug_without_a_fixed_maximum_says_so_without_calling_anything_an_upper_limit(client, drugs):
    shown = section(client, "octreotide")
    assert "<strong>No fixed maximum</strong>" in shown and "set and adjusted by the specialist" in shown
    assert "usual upper limit" not in shown and "Your prescriber sets your dose" in shown
    assert "Never take more than the dose on your" in shown


def test_an_over_the_counter_page_has_no_such_section(client, drugs):
    assert section(client, "acetaminophen") == ""
    assert client.get("/drugs/acetaminophen").status_code == 200
