"""Database objects outside the ORM models: full-text search indexes.

SQLite uses FTS5 virtual tables, PostgreSQL uses tsvector expressions with GIN (and
pg_trgm) indexes. The same functions are called by the migrations and by the test
suite's schema setup, so both always build identical objects. Every object created
here has a name starting with "search_", which Alembic's autogenerate ignores.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from webapp.core.search import index as search

SEARCH_PREFIX = "search_"


def install(bind: Engine | Connection) -> None:
    """Create every search object that is missing (safe to call again)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            install(connection)
        return
    search.install(bind)


def clear(session: Session) -> None:
    search.clear(session)


def is_search_object(name: str | None) -> bool:
    return bool(name) and name.startswith(SEARCH_PREFIX)
