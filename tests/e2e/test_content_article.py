"""Reading the PDQ article in a real browser: citations and back, evidence badge, the Whipple
card, the next article, the text-size control, printing, search; axe on every page."""

from __future__ import annotations

import re

ARTICLE = "/health-centers/pancreatic-cancer/pnet-treatment-option-overview"


def test_read_the_article_follow_a_citation_and_come_back(page, axe_check):
    page.goto("/health-centers")
    axe_check(page)
    page.get_by_role("link", name="Pancreatic Cancer Health Center").click()
    page.get_by_role("heading", level=1, name="Pancreatic Cancer Health Center").wait_for()
    axe_check(page)
    page.locator(".content-main").get_by_role("link", name="Pancreatic Neuroendocrine Tumors: Treatment Option Overview").click()
    page.get_by_role("heading", level=1, name=re.compile("Treatment Option Overview")).wait_for()
    assert page.url.endswith(ARTICLE)
    axe_check(page)

    # The print button is a progressive enhancement: shown once the script has run.
    assert page.get_by_role("button", name="Print this article").is_visible()

    # Citation [6] -> its entry in the reference list -> back to the same place in the text.
    page.locator("#cite-6-1").click()
    assert page.url.endswith("#ref-6")
    reference = page.locator("#ref-6")
    assert "Reference 6" in reference.inner_text() and reference.is_visible()
    reference.get_by_role("link", name="Back to text where reference 6 is cited").click()
    assert page.url.endswith("#cite-6-1")
    assert page.locator("#cite-6-1").is_visible()

    # The evidence badge explains itself and leads to the levels-of-evidence page.
    badge = page.get_by_role("link", name=re.compile("Level of evidence: 3iiD or 3iiiD")).first
    note_id = badge.get_attribute("aria-describedby")
    assert "consecutive but not population based" in page.locator(f"#{note_id}").inner_text()
    badge.click()
    page.get_by_role("heading", level=1, name="Levels of evidence for cancer treatment studies").wait_for()
    axe_check(page)
    page.go_back()

    # The table of contents jumps to a section.
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Surgical Cytoreduction for Metastases").click()
    assert page.url.endswith("#surgical-cytoreduction-for-metastases")


def test_whipple_card_and_next_article(page, axe_check):
    page.goto(ARTICLE)
    page.get_by_role("link", name="Read the Whipple Procedure article").click()
    page.get_by_role("heading", level=1, name=re.compile("The Whipple Procedure")).wait_for()
    assert page.get_by_text("Sample content.").is_visible()
    axe_check(page)

    page.goto(ARTICLE)
    page.get_by_role("navigation", name="Next Article").get_by_role("link").click()
    page.get_by_role("heading", level=1, name=re.compile("Systemic Therapy")).wait_for()
    axe_check(page)
    # Its own numbered references work the same way.
    page.locator("#cite-2-1").click()
    assert "Everolimus for advanced pancreatic neuroendocrine tumors" in page.locator("#ref-2").inner_text()


def test_text_size_control_scales_the_article(page, axe_check):
    page.goto(ARTICLE)
    paragraph = page.locator(".article-body p").first
    before = float(paragraph.evaluate("p => parseFloat(getComputedStyle(p).fontSize)"))
    page.get_by_role("button", name="Larger text").click()
    page.wait_for_url(re.compile(re.escape(ARTICLE) + "$"))
    after = float(page.locator(".article-body p").first.evaluate("p => parseFloat(getComputedStyle(p).fontSize)"))
    assert after > before
    assert page.get_by_role("button", name="Larger text").get_attribute("aria-pressed") == "true"
    axe_check(page)
    page.get_by_role("button", name="Default text size").click()


def test_print_view_hides_navigation_and_keeps_references(page):
    page.goto(ARTICLE)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".today").is_visible()
    assert not page.get_by_role("navigation", name="On this page").is_visible()
    assert page.locator("#ref-12").is_visible()
    assert page.locator(".attribution").is_visible()


def test_site_search(page, axe_check):
    page.goto("/search")
    axe_check(page)
    page.get_by_label("Search HealthDesk").fill("radioembolization microspheres")
    page.get_by_role("button", name="Search").click()
    result = page.locator(".result").first
    assert "Treatment Option Overview" in result.inner_text()
    assert result.locator("mark").count() >= 1
    axe_check(page)
    # Markup and quotes around words no page contains (other tests add threads to this site).
    page.get_by_label("Search HealthDesk").fill('<"zqxjkvwpt"> & \'qvbnmzxq\'')
    page.get_by_role("button", name="Search").click()
    page.get_by_text("No results for").wait_for()
    axe_check(page)


def test_expert_perspective_and_its_related_article(page, axe_check):
    page.goto("/health-centers/pancreatic-cancer")
    page.locator(".content-main").get_by_role("link", name="Choosing Where to Have Pancreatic Surgery").click()
    page.get_by_role("heading", level=1, name=re.compile("Choosing Where to Have Pancreatic Surgery")).wait_for()
    assert page.get_by_text("Sample content.").is_visible()
    axe_check(page)
    page.get_by_role("region", name="Related articles").get_by_role("link", name="Whipple Procedure").click()
    page.get_by_role("heading", level=1, name=re.compile("The Whipple Procedure")).wait_for()
