"""`flask db upgrade` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect

from config import TestConfig
from tests.conftest import drop_postgres_schema, reset_postgres_schema, with_search_path
from webapp import create_app, database
from webapp.extensions import db

MIGRATION_SCHEMA = f"hd_migration_check_{os.getpid()}"


@pytest.fixture
def empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        reset_postgres_schema(url, MIGRATION_SCHEMA)
        yield with_search_path(url, MIGRATION_SCHEMA)
        drop_postgres_schema(url, MIGRATION_SCHEMA)
    else:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"


def _describe(difference) -> str:
    if isinstance(difference, list):  # column modifications come as lists of tuples
        return "; ".join(_describe(d) for d in difference)
    operation, *details = difference
    names = [getattr(d, "name", None) or str(d) for d in details[:3]]
    return f"{operation}: {', '.join(str(n) for n in names)}"[:200]


def test_upgrade_from_empty_matches_models(empty_database_url):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        engine = create_engine(empty_database_url)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    "include_name": database.include_in_migrations,
                },
            )
            differences = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        engine.dispose()
        db.engine.dispose()
    assert differences == [], "a migration is missing for:\n" + "\n".join(_describe(d) for d in differences)
    assert {"users", "outbox_messages", "alembic_version", "search_documents"} <= tables
