"""SQLite with several writers: read-then-write transactions from many threads all succeed."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from config import TestConfig
from webapp import create_app, database
from webapp.extensions import db


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"})
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
            conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_pragmas_are_set(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == database.SQLITE_BUSY_TIMEOUT_MS


def test_concurrent_read_then_write_loses_nothing(sqlite_app):
    workers, increments = 8, 25
    errors: list[BaseException] = []

    def work():
        try:
            with sqlite_app.app_context():
                for _ in range(increments):
                    with db.engine.begin() as conn:  # BEGIN IMMEDIATE outside safe-method requests
                        value = conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
                        conn.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with sqlite_app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM counter")).scalar_one() == workers * increments


def test_safe_method_requests_begin_deferred(sqlite_app):
    seen = []
    with sqlite_app.app_context():
        from sqlalchemy import event

        @event.listens_for(db.engine, "before_cursor_execute")
        def _record(conn, cursor, statement, *args):
            if statement.startswith("BEGIN"):
                seen.append(statement)

    client = sqlite_app.test_client()
    client.get("/healthz")
    client.post("/login", data={"email": "a@example.com", "password": "whatever it is here"})
    assert seen[0] == "BEGIN DEFERRED"
    assert "BEGIN IMMEDIATE" in seen[1:]
