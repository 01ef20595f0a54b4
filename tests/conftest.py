"""Shared fixtures: app, client, runner, a user factory and log-in helpers.

The schema is created once per test session; each test then starts from empty tables.
With TEST_DATABASE_URL set (PostgreSQL) the same tests run there, on a fresh schema.
"""

from __future__ import annotations

import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, select, text

from config import TestConfig
from webapp import create_app
from webapp.blueprints.accounts import passwords
from webapp.blueprints.accounts.models import User
from webapp.core.mail.models import OutboxMessage
from webapp.extensions import db

PASSWORD = "correct horse battery"  # 21 characters, not in the common list


def _reuse_url_rule_builders() -> None:
    """Every test gets a fresh app, and Werkzeug writes and compiles a Python function for each
    of its ~100 URL rules: about three quarters of create_app's time. That function depends only
    on the rule's text, parts and defaults (the rule itself is passed in when it runs), so one
    compiled builder per distinct rule can serve every app of the session."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None:  # a Werkzeug without it: nothing to reuse
        return
    builders: dict = {}

    def compile_builder(self, append_unknown: bool = True):
        try:
            defaults = sorted((self.defaults or {}).items())
            key = (self.rule, tuple(self._trace), append_unknown, repr(defaults),
                   tuple(self._converters[name].to_url(value) for name, value in defaults if name in self._converters))
        except Exception:  # anything unexpected: compile as Werkzeug would
            return original(self, append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    Rule._compile_builder = compile_builder


_reuse_url_rule_builders()


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def reset_postgres_schema(url: str, schema: str = "public") -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def drop_postgres_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        # A fresh schema of this run's own, so concurrent runs never see each other's rows.
        schema = f"hd_test_{os.getpid()}"
        reset_postgres_schema(url, schema)
        yield with_search_path(url, schema)
        drop_postgres_schema(url, schema)
        return
    yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        _install_search_objects(app)
        db.engine.dispose()
    return True


def _install_search_objects(app) -> None:
    """Database objects the models cannot express (full-text indexes), made by the same code as the migrations."""
    from webapp.core.search import setup as search_setup

    search_setup.install(db.engine)


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    from webapp.core.search import setup as search_setup

    search_setup.clear(db.session)
    db.session.commit()


@pytest.fixture
def app(database_url, _schema):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url})
    yield app
    with app.app_context():
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(database_url, _schema):
    """make_app(config_class=TestConfig, **overrides): another app on the test database,
    with its connections closed at the end of the test."""
    made = []

    def factory(config_class=TestConfig, **overrides):
        made.append(create_app(config_class, {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}))
        return made[-1]

    yield factory
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a user straight in the database: make_user(email=..., role=..., verified=...)."""
    counter = {"n": 0}

    def factory(email: str | None = None, *, password: str = PASSWORD, role: str = "member",
                display_name: str | None = None, verified: bool = True) -> User:
        from datetime import datetime, timezone

        counter["n"] += 1
        email = email or f"user{counter['n']}@example.com"
        with app.app_context():
            user = User(
                email=email,
                display_name=display_name or f"User {counter['n']}",
                password_hash=passwords.hash_password(password, app.config["PASSWORD_HASH_METHOD"]),
                role=role,
                email_verified_at=datetime.now(timezone.utc) if verified else None,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return factory


@dataclass
class AuthActions:
    client: object

    def login(self, email: str, password: str = PASSWORD, remember: bool = False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def user(make_user):
    return make_user("member@example.com", display_name="Morgan Member")


@pytest.fixture
def logged_in_client(client, auth, user):
    response = auth.login(user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def sent_mail(app):
    """Read the outbox: sent_mail() -> list of OutboxMessage, newest last."""

    def read(to: str | None = None) -> list[OutboxMessage]:
        with app.app_context():
            stmt = select(OutboxMessage).order_by(OutboxMessage.id)
            if to:
                stmt = stmt.where(OutboxMessage.to_address == to)
            messages = list(db.session.execute(stmt).scalars())
            for message in messages:
                db.session.expunge(message)
            return messages

    return read


class SmtpInbox:
    """What a real SMTP server on loopback (aiosmtpd) received: (sender, recipients, bytes)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_smtp_server(handler):
    """A real SMTP server (aiosmtpd) on a free loopback port with this handler."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop(no_assert=True)


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port: yields (controller, inbox)."""
    inbox = SmtpInbox()
    with running_smtp_server(inbox) as controller:
        yield controller, inbox


def first_link(text: str, path_fragment: str) -> str:
    """The path of the first link in a mail body that contains path_fragment."""
    match = re.search(r"https?://[^/\s]+(\S*" + re.escape(path_fragment) + r"\S*)", text)
    assert match, f"no link with {path_fragment!r} in:\n{text}"
    return match.group(1)
