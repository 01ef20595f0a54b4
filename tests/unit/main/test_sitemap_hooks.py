"""The sitemap asks the areas for their pages (webapp.core.area hooks) and never reads a table."""

from __future__ import annotations

from datetime import date

from webapp.blueprints.main import sitemap
from webapp.core.area import Area, Registry, SitemapEntry, SitemapSection

ROWS = [SitemapEntry("things.detail", {"thing_id": n}, date(2026, 1, n % 28 + 1)) for n in range(1, 26)]


def _things() -> SitemapSection:
    return SitemapSection("things", lambda _session: len(ROWS), lambda _session, offset, limit: ROWS[offset:offset + limit])


AREAS = Registry((
    Area(name="first", sitemap_start_pages=("first.index",), sitemap_pages=(lambda _s: [SitemapEntry("first.page", {"slug": "a"})],)),
    Area(name="second", sitemap_start_pages=("second.index", "second.tool"), sitemap_sections=(_things(),),
         sitemap_pages=(lambda _s: iter([SitemapEntry("second.page", {"slug": "b"})]),)),
))


def test_the_pages_file_lists_every_areas_start_pages_first_then_their_pages_in_area_order():
    entries = sitemap.section_entries(None, AREAS, "pages")
    assert [e.endpoint for e in entries] == ["first.index", "second.index", "second.tool", "first.page", "second.page"]


def test_a_long_list_comes_in_numbered_files_of_chunk_entries(monkeypatch):
    monkeypatch.setattr(sitemap, "CHUNK", 10)
    assert sitemap.sections(None, AREAS) == ["pages", "things-1", "things-2", "things-3"]
    chunks = [sitemap.section_entries(None, AREAS, f"things-{n}") for n in (1, 2, 3)]
    assert [len(chunk) for chunk in chunks] == [10, 10, 5]
    assert [e for chunk in chunks for e in chunk] == ROWS


def test_unknown_sections_and_numbers_past_the_end_are_none(monkeypatch):
    monkeypatch.setattr(sitemap, "CHUNK", 10)
    for name in ("things-4", "things-0", "others-1", "things", "things-9999999", "pages-1", ""):
        assert sitemap.section_entries(None, AREAS, name) is None, name


def test_an_empty_long_list_has_no_files():
    empty = Registry((Area(name="x", sitemap_sections=(SitemapSection("none", lambda _s: 0, lambda _s, _o, _l: []),)),))
    assert sitemap.sections(None, empty) == ["pages"]
    assert sitemap.section_entries(None, empty, "none-1") is None
