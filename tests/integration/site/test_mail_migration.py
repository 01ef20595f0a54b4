"""Migration 0005 moves the account a message belongs to from its headers into outbox_messages.user_id."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from config import TestConfig
from tests.conftest import drop_postgres_schema, reset_postgres_schema, with_search_path
from webapp import create_app
from webapp.extensions import db

SCHEMA = f"hd_mail_migration_{os.getpid()}"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
UNSUBSCRIBE = {"List-Unsubscribe": "<https://healthdesk.example/newsletter/unsubscribe/tok>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}

users = sa.table("users", *(sa.column(n) for n in ("id", "email", "display_name", "password_hash", "role",
                                                    "session_token", "created_at", "password_changed_at")))
outbox = sa.table("outbox_messages", sa.column("id"), sa.column("message_id"), sa.column("to_address"),
                  sa.column("subject"), sa.column("body_text"), sa.column("headers", sa.JSON()), sa.column("category"),
                  sa.column("status"), sa.column("attempts"), sa.column("next_attempt_at"), sa.column("created_at"))
topics = sa.table("newsletter_topics", *(sa.column(n) for n in ("id", "slug", "name", "description", "position", "active",
                                                                 "created_at")))
issues = sa.table("newsletter_issues", sa.column("id"), sa.column("topic_id"), sa.column("subject"), sa.column("intro"),
                  sa.column("items", sa.JSON()), sa.column("covers_since"), sa.column("status"), sa.column("created_at"))
subscribers = sa.table("newsletter_subscribers", *(sa.column(n) for n in ("id", "email", "user_id", "status", "created_at")))
deliveries = sa.table("newsletter_deliveries", *(sa.column(n) for n in ("id", "issue_id", "subscriber_id",
                                                                         "outbox_message_id", "created_at")))


@pytest.fixture
def empty_app(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        reset_postgres_schema(url, SCHEMA)
        database = with_search_path(url, SCHEMA)
    else:
        database = f"sqlite:///{tmp_path / 'mail-migration.sqlite3'}"
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if url and url.startswith("postgresql"):
        drop_postgres_schema(url, SCHEMA)


def _message(connection, message_id: int, to: str, headers: dict) -> None:
    connection.execute(outbox.insert().values(
        id=message_id, message_id=f"<{message_id}.test@healthdesk.local>", to_address=to, subject="Recall for Grandma",
        body_text="Grandma's warfarin is recalled.", headers=headers, category="mymeds-recall", status="sent",
        attempts=1, next_attempt_at=NOW, created_at=NOW))


def _headers(connection) -> dict[int, dict]:
    return dict(connection.execute(sa.select(outbox.c.id, outbox.c.headers)).all())


def _rows(connection) -> dict[int, tuple]:
    return {row.id: (row.user_id, row.headers) for row in connection.execute(
        sa.select(sa.column("id"), sa.column("user_id"), sa.column("headers", sa.JSON()))
        .select_from(sa.table("outbox_messages")))}


def test_upgrade_moves_the_account_from_the_headers_into_user_id_and_back(empty_app):
    upgrade(revision="0004")
    with db.engine.begin() as connection:
        for user_id, email in ((1, "member@example.com"), (2, "other@example.com")):
            connection.execute(users.insert().values(
                id=user_id, email=email, display_name=f"Member {user_id}", password_hash="x", role="member",
                session_token=f"token-{user_id}", created_at=NOW, password_changed_at=NOW))
        _message(connection, 10, "earlier-address@example.com", {"_account_id": 1, **UNSUBSCRIBE})
        _message(connection, 11, "other@example.com", {"_account_id": 2})
        _message(connection, 12, "gone@example.com", {"_account_id": 999})  # its account was deleted without it
        _message(connection, 13, "reader@example.com", {"X-Note": "mentions _account_id in a value"})
        _message(connection, 14, "reader@example.com", {})
        # A newsletter issue's delivery record points at message 10: the SQLite table rebuild must keep the link.
        connection.execute(topics.insert().values(id=1, slug="drug-safety", name="Drug safety", description="",
                                                  position=1, active=True, created_at=NOW))
        connection.execute(issues.insert().values(id=1, topic_id=1, subject="Issue", intro="", items=[],
                                                  covers_since=NOW, status="sent", created_at=NOW))
        connection.execute(subscribers.insert().values(id=1, email="member@example.com", user_id=1, status="confirmed",
                                                       created_at=NOW))
        connection.execute(deliveries.insert().values(id=1, issue_id=1, subscriber_id=1, outbox_message_id=10,
                                                      created_at=NOW))

    upgrade()
    with db.engine.begin() as connection:
        assert _rows(connection) == {
            10: (1, UNSUBSCRIBE),
            11: (2, {}),
            12: (None, {}),
            13: (None, {"X-Note": "mentions _account_id in a value"}),
            14: (None, {}),
        }
        assert list(connection.execute(sa.select(deliveries.c.outbox_message_id)).scalars()) == [10]
        # The column is a real foreign key: deleting account 2 deletes its message.
        connection.execute(users.delete().where(users.c.id == 2))
        assert 11 not in _rows(connection)

    downgrade(revision="0004")
    with db.engine.begin() as connection:
        assert _headers(connection) == {
            10: {**UNSUBSCRIBE, "_account_id": 1},
            12: {},
            13: {"X-Note": "mentions _account_id in a value"},
            14: {},
        }
        assert "user_id" not in {c["name"] for c in sa.inspect(connection).get_columns("outbox_messages")}
        assert list(connection.execute(sa.select(deliveries.c.outbox_message_id)).scalars()) == [10]
