"""The header of every page in a real browser (#15): searching from it on three different pages,
the suggestions used with the keyboard alone, the results page under axe at 1280 and 360 px,
the section navigation lined up with the logo, and axe's Label in Name rule switched on."""

from __future__ import annotations

import re

import pytest

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


def _header_search(page):
    return page.locator(".site-header").get_by_role("combobox", name="Search HealthDesk")


def _section_headings(page) -> list[str]:
    return [h.strip() for h in page.locator(".result-section h2").all_inner_texts()]


def test_searching_from_the_header_of_three_pages(page, axe_check):
    # A brand name, from the drugs page: it names one drug, so its page opens.
    page.set_viewport_size(DESKTOP)
    page.goto("/drugs")
    box = _header_search(page)
    box.fill("Lipitor")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/drugs/atorvastatin$"))
    page.get_by_role("heading", level=1, name=re.compile("Atorvastatin")).wait_for()

    # A condition in everyday words, from a health center page, with the Search button.
    page.goto("/health-centers")
    _header_search(page).fill("high blood pressure")
    page.locator(".site-header").get_by_role("button", name="Search").click()
    page.get_by_role("heading", level=1, name="Search HealthDesk").wait_for()
    assert _section_headings(page)[0].startswith("Conditions (")
    assert page.get_by_role("link", name=re.compile(r"^Drugs for High blood pressure")).first.is_visible()
    assert page.get_by_role("combobox", name="Search HealthDesk").input_value() == "high blood pressure"
    axe_check(page)

    # An imprint, from the community at phone width: the pill identifier's results come first.
    page.set_viewport_size(PHONE)
    page.goto("/community")
    box = _header_search(page)
    box.fill("PD 155 10")
    box.press("Enter")
    page.get_by_role("heading", level=1, name="Search HealthDesk").wait_for()
    assert _section_headings(page)[0].startswith("Pills with this imprint (")
    pills = page.locator("#results-pills")
    pills.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/pill-identifier/pills/\d+$"))
    page.go_back()
    page.get_by_role("heading", level=1, name="Search HealthDesk").wait_for()
    axe_check(page)


def test_suggestions_by_keyboard_alone(page, axe_check):
    page.set_viewport_size(PHONE)
    page.goto("/pill-identifier")
    # Tab from the top: skip link, logo, then the search box.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    box = _header_search(page)
    assert page.evaluate("document.activeElement.id") == "header-search-q"
    assert box.get_attribute("aria-expanded") == "false"

    page.keyboard.type("ibupro", delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")
    options = listbox.get_by_role("option")
    assert options.count() >= 2
    assert "suggestion" in page.locator(".site-header [role=status]").inner_text()
    axe_check(page)  # with the list open, at 360 px

    page.keyboard.press("ArrowDown")
    first = options.nth(0)
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert page.evaluate("document.activeElement.id") == "header-search-q"  # focus never leaves the box

    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and not listbox.is_visible()
    assert box.input_value() == "ibupro"  # the first Escape only closes the list

    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-expanded") == "true"
    label = options.nth(0).locator(".suggestion-label").inner_text()
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=re.compile(re.escape(label), re.I)).wait_for()
    assert "/drugs/" in page.url


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "360px"])
def test_results_page_and_the_navigation_line_up_with_the_page_column(page, axe_check, viewport):
    page.set_viewport_size(viewport)
    page.goto("/search?q=stomach")
    assert len(_section_headings(page)) >= 2
    axe_check(page)
    logo = page.locator(".site-header .brand").bounding_box()
    first_link = page.get_by_role("navigation", name="Main").get_by_role("link").first.bounding_box()
    main = page.locator("main").bounding_box()
    assert abs(first_link["x"] - logo["x"]) <= 1, f"navigation starts at {first_link['x']}, the logo at {logo['x']}"
    if viewport["width"] >= 1280:
        assert logo["x"] > 40  # the column is centred, not at the window's edge
    assert abs(main["x"] + 16 - logo["x"]) <= 1  # the content's column, inside its 1rem padding


def test_axe_reports_a_name_that_does_not_start_with_the_visible_text(page, axe_check):
    """The Label in Name rule is really on: a link named otherwise than it reads fails the check."""
    page.goto("/health-centers")
    axe_check(page)
    page.evaluate("""() => { const a = document.createElement('a'); a.href = '#main';
        a.textContent = 'Back to text'; a.setAttribute('aria-label', 'Return to the citation');
        document.querySelector('main').appendChild(a); }""")
    with pytest.raises(AssertionError, match="label-content-name-mismatch"):
        axe_check(page)
