"""One page of a longer list, the way every listing on the site shows it.

`Page` is what a domain function returns for a paged list (drugs A–Z, search results,
reviews, pills, threads) and what `templates/_macros/pager.html` draws. `page_number`
reads a page number a person typed or followed, never refusing one; `paginate` runs a
SELECT as one page of its rows plus their count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

PER_PAGE = 20
MAX_PAGE = 10_000


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    """`items` are the rows shown; `total` counts the rows of every page. Keyword-only,
    because the classes this replaced took the same numbers in different orders."""

    items: Sequence[T]
    total: int
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages there are: at least one, so "Page 1 of 1" reads right when empty."""
        return max(1, -(-self.total // self.per_page)) if self.per_page > 0 else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.per_page

    @property
    def first(self) -> int:
        """The position (from 1) of this page's first row, for an <ol start="...">."""
        return self.offset + 1


def page_number(value, maximum: int = MAX_PAGE) -> int:
    """A page number from a query string: 1 for anything that is not a whole number,
    otherwise kept between 1 and `maximum` (a crawler's page=99999999 stays cheap)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), maximum)


def page_of(items: Sequence[T], page: int, per_page: int = PER_PAGE) -> Page[T]:
    """One page of a list already in memory."""
    start = (page - 1) * per_page
    return Page(items=list(items[start:start + per_page]), total=len(items), page=page, per_page=per_page)


def paginate(session: Session, statement: Select, page: int, per_page: int = PER_PAGE) -> Page:
    """One page of an ORM SELECT's rows (scalars) and the count of all of them; the
    statement carries its own ORDER BY, which the count leaves out."""
    total = session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    rows = session.execute(statement.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)
