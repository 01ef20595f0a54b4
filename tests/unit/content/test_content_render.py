"""Citation, evidence-level and related-card rendering, checked on the seed article itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webapp.blueprints.content import render as content_render
from webapp.blueprints.content.loader import read_content
from webapp.blueprints.content.render import RelatedCard, RenderError, parse_level, parse_levels, render

SHARED = Path(__file__).parents[3].parent / "shared"
SEED_PAGE = SHARED / "seed" / "000_726440742af8f7ac.txt"
CARD_LINES = {"Recommended Related to Pancreatic Cancer", "Whipple Procedure", "Read the Whipple Procedure article > >"}


@pytest.fixture(scope="module")
def content():
    return read_content()


@pytest.fixture(scope="module")
def seed_article(content):
    return next(a for a in content.articles if a.slug == "pnet-treatment-option-overview")


def _normalise(text: str) -> str:
    text = re.sub(r"\[Level of evidence:[^\]]*\]", "", text)
    text = re.sub(r"◆ Level of evidence: [^(]*\([^)]*\)", "", text)
    text = re.sub(r"\[\d+(?:,\d+)*\]", "", text)
    return " ".join(text.split())


def _seed_paragraphs() -> list[str]:
    if not SEED_PAGE.exists():
        pytest.skip(f"the seed page is not here ({SEED_PAGE}); it lives in the shared folder next to the repository")
    lines = [line.strip() for line in SEED_PAGE.read_text(encoding="utf-8").splitlines()]
    start = lines.index("Localized Disease")
    end = lines.index("Next Article:")
    paragraphs = [line for line in lines[start:end] if line and line not in CARD_LINES]
    teaser = next(p for p in paragraphs if p.startswith("Among common cancers"))
    return [p for p in paragraphs if p != teaser]


def _body_blocks(html: str) -> list[str]:
    return [content_render.plain_text(block) for block in re.findall(r"<(?:p|h2)\b[^>]*>.*?</(?:p|h2)>", html, re.S)
            if 'class="related-' not in block]


def test_every_seed_heading_and_paragraph_is_published_in_order(seed_article):
    seed = [_normalise(p) for p in _seed_paragraphs()]
    ours = [_normalise(b) for b in _body_blocks(seed_article.body_html)]
    ours = [b for b in ours if b and not b.startswith("Recommended related") and b not in ("Whipple Procedure",)]
    card = {"The Whipple procedure is the operation", "Read the Whipple Procedure article"}
    ours = [b for b in ours if not any(b.startswith(c) for c in card)]
    assert ours == seed


def test_seed_citation_markers_all_become_links_to_existing_references(seed_article):
    html = seed_article.body_html
    targets = re.findall(r'href="#ref-(\d+)"', html)
    assert sorted(set(map(int, targets))) == list(range(1, 13))
    numbers = [ref["number"] for ref in seed_article.references]
    assert numbers == list(range(1, 13))  # no orphan: every reference listed is cited, in order
    for ref in seed_article.references:
        assert ref["backlinks"], f"reference {ref['number']} is never cited"
        for anchor in ref["backlinks"]:
            assert f'id="{anchor}"' in html and f'href="#ref-{ref["number"]}" id="{anchor}"' in html
    assert all(ref["text"] is None for ref in seed_article.references), "the seed carries no reference texts: never invent one"


def test_grouped_marker_links_each_number(seed_article):
    grouped = re.search(r'<sup class="citation">\[(.*?)\]</sup>', seed_article.body_html.split("single reporting centers.")[1]).group(1)
    assert re.findall(r">(\d+)</a>", grouped) == ["2", "3", "4"]


def test_seed_evidence_markers_become_explained_badges(seed_article):
    badges = re.findall(r'<a class="evidence-badge" href="([^"]+)" aria-describedby="([^"]+)">', seed_article.body_html)
    assert len(badges) == 2
    for href, note_id in badges:
        assert href == "/health-centers/levels-of-evidence"
        note = re.search(rf'id="{note_id}">\((.*?)\)</span>', seed_article.body_html).group(1)
        assert "consecutive but not population based" in note and "not consecutive" in note
        assert "indirect surrogate" in note
    assert "[Level of evidence" not in seed_article.body_html


def test_level_codes_explain_design_and_end_point():
    level = parse_level("3iiD")
    assert level.design == "Case series, consecutive but not population based"
    assert level.end_point == "Indirect surrogate end point"
    assert parse_level("1iA").design.endswith("double-blinded")
    assert parse_level("3iiiDiv").end_point.endswith("tumor response rate")
    assert [lv.code for lv in parse_levels("3iiD or 3iiiD")] == ["3iiD", "3iiiD"]


@pytest.mark.parametrize("code", ["", "4A", "3ivD", "2iA", "1E", "3iiDv", "<b>1A</b>"])
def test_unknown_level_codes_are_refused(code):
    with pytest.raises(RenderError):
        parse_levels(code)


def test_citation_ranges_and_repeats_get_distinct_anchors():
    out = render("One.[1] Two.[2-4] Again.[1,3]")
    assert out.citations == {1: ["cite-1-1", "cite-1-2"], 2: ["cite-2-1"], 3: ["cite-3-1", "cite-3-2"], 4: ["cite-4-1"]}
    assert len(set(re.findall(r'id="(cite-[^"]+)"', out.html))) == 6


def test_raw_html_and_script_urls_never_survive():
    out = render('<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://example.org)')
    assert "<script" not in out.html and "<img" not in out.html and "javascript:" not in out.html.replace("(javascript:", "")
    assert '<a href="https://example.org">ok</a>' in out.html
    assert "&lt;script&gt;" in out.html


def test_related_card_is_escaped_and_links_to_the_article():
    card = RelatedCard("whipple-procedure", "Whipple <Procedure>", "Teaser & more", "/health-centers/x/whipple-procedure", "Recommended")
    out = render("Text.\n\n[[related: whipple-procedure]]\n\nMore.", related_cards={"whipple-procedure": card})
    assert '<aside class="related-card"' in out.html and "Whipple &lt;Procedure&gt;" in out.html and "Teaser &amp; more" in out.html
    assert 'href="/health-centers/x/whipple-procedure"' in out.html
    with pytest.raises(RenderError):
        render("[[related: nowhere]]")


def test_headings_get_unique_ids_and_make_the_toc():
    out = render("## Same\n\ntext\n\n## Same\n\n### Sub\n")
    assert out.toc == [{"id": "same", "title": "Same"}, {"id": "same-2", "title": "Same"}]
    assert '<h3 id="sub">' in out.html
