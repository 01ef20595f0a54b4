"""webapp.core.paging: Page arithmetic, page numbers from query strings, paging a SELECT."""

import pytest
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from webapp.core.paging import MAX_PAGE, Page, page_number, page_of, paginate


@pytest.mark.parametrize(("total", "per_page", "pages"), [(0, 20, 1), (1, 20, 1), (20, 20, 1), (21, 20, 2), (45, 10, 5), (5, 0, 1)])
def test_pages(total, per_page, pages):
    assert Page(items=[], total=total, per_page=per_page).pages == pages


def test_prev_next_and_positions():
    first, middle, last = (Page(items=[], total=45, page=n, per_page=20) for n in (1, 2, 3))
    assert (first.has_prev, first.has_next) == (False, True)
    assert (middle.has_prev, middle.has_next) == (True, True)
    assert (last.has_prev, last.has_next) == (True, False)
    assert (middle.offset, middle.first) == (20, 21)


def test_a_page_past_the_end_has_no_next():
    page = Page(items=[], total=5, page=9)
    assert page.has_prev and not page.has_next


def test_fields_are_keyword_only():
    with pytest.raises(TypeError):
        Page([], 10, 1)  # the replaced classes took these in different orders


@pytest.mark.parametrize(("raw", "expected"), [
    ("3", 3), (" 4 ", 4), (None, 1), ("", 1), ("abc", 1), ("2.5", 1), ("0", 1), ("-7", 1),
    ("99999999999", MAX_PAGE), ("\x00", 1), (7, 7),
])
def test_page_number(raw, expected):
    assert page_number(raw) == expected


def test_page_number_maximum():
    assert page_number("900", maximum=500) == 500


def test_page_of_a_list():
    page = page_of(list(range(45)), 3, per_page=20)
    assert list(page.items) == list(range(40, 45)) and page.total == 45 and page.pages == 3
    assert list(page_of(list(range(5)), 4, per_page=2).items) == []


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(10))


def test_paginate_counts_all_and_returns_the_page_in_order():
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(_Row(id=n, name=f"r{n:02}") for n in range(1, 26))
        session.flush()
        page = paginate(session, select(_Row).order_by(_Row.name.desc()), 2, per_page=10)
    engine.dispose()
    assert page.total == 25 and page.pages == 3 and page.page == 2
    assert [row.id for row in page.items] == list(range(15, 5, -1))


def test_site_search_results_are_a_page_of_hits():
    from webapp.core.search.index import SearchResults

    results = SearchResults(query="statin", items=["a", "b"], total=45, page=2, per_page=20)
    assert isinstance(results, Page) and results.hits == ["a", "b"]
    assert (results.pages, results.has_prev, results.has_next, results.first) == (3, True, True, 21)
