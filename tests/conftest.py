"""Shared fixtures: app, client, runner, a user factory and log-in helpers.

The schema is created once per test session; each test then starts from empty tables.
With TEST_DATABASE_URL set (PostgreSQL) the same tests run there, on a fresh schema.

Speed (bench/README.md, "Test suite time, session 4"): every test still gets its own app, but
Werkzeug's URL builders and Jinja's compiled templates are shared by the apps of a process,
only the tables a test wrote to are emptied, and seed_once() replays the rows of the sample
data loads instead of loading the files again.
"""

from __future__ import annotations

import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from jinja2 import BytecodeCache
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


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for the whole test process. Each app has its own Jinja
    environment, so without this every test compiled every template it rendered again (a
    third of an integration test's time). Jinja checks the source's checksum before using
    the code, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        checksum, code = self._code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


def _share_compiled_templates() -> None:
    shared = _SharedTemplateCode()
    original = Flask.create_jinja_environment

    def create_jinja_environment(self):
        environment = original(self)
        environment.bytecode_cache = shared
        return environment

    Flask.create_jinja_environment = create_jinja_environment


_share_compiled_templates()


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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Tests that share a fixture built once per module (the site smoke test's seeded site) run
    on one xdist worker under `--dist loadgroup` (pyproject.toml), so it is built once, not once
    per worker. The browser tests' session-wide server is left to spread over the workers: as
    one group they were the longest path of the run."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if any(definitions[-1].scope == "module" for definitions in item._fixtureinfo.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


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


def _table_names() -> list[str]:
    """Every table a test can write to, children before parents: the models' and the search index's."""
    from webapp.core.search import index as search_index

    return [search_index.TABLE] + [t.name for t in reversed(db.metadata.sorted_tables)]


def tables_with_rows(names: list[str] | None = None) -> list[str]:
    """The tables (of `names`, default all) that hold a row, in the order given: one query."""
    names = names or _table_names()
    query = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names)
    found = set(db.session.execute(text(query)).scalars())
    return [name for name in names if name in found]


def _empty_all_tables() -> None:
    """Empty the tables the test wrote to. Most tests touch a handful of the ~45 tables, so one
    query finds them and only those are emptied (on PostgreSQL, TRUNCATE of all of them took
    longer than many tests)."""
    from webapp.core.search import index as search_index
    from webapp.core.search import setup as search_setup

    used = tables_with_rows()
    if search_index.TABLE in used:
        search_setup.clear(db.session)  # through the search module: SQLite's FTS index follows it
        used.remove(search_index.TABLE)
    if db.engine.dialect.name == "postgresql":
        if used:
            db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in used) + " CASCADE"))
        # Ids start again from 1 in every table, as on SQLite where an empty table's next id is 1.
        db.session.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                                "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"))
    else:
        for table in used:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


# --- seed steps run once per process, then replayed ---

_SEED_ROWS: dict[str, dict[str, list[dict]]] = {}


def _table(name: str):
    from sqlalchemy import column, table

    from webapp.core.search import index as search_index

    if name == search_index.TABLE:  # not a model; PostgreSQL computes its search_vector column itself
        return table(name, *(column(c) for c in ("id", "kind", "doc_key", "title", "body", "url")))
    return db.metadata.tables[name]


def _row_counts(names: list[str]) -> dict[str, int]:
    return {name: db.session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def seed_once(key: str, step) -> None:
    """Run step() (inside an app context), a seed that fills tables of its own from files, or
    insert the rows it wrote the first time this process ran it under this key.

    Loading the embedded data costs far more than inserting its rows, and many tests start
    from the same data. The rows are recorded only when the step wrote to tables that were
    empty and left every other table's row count alone, and replayed only into tables that
    are empty again, so the result is the rows the step itself would have written (same ids;
    timestamps from the first run). Steps whose rows depend on other tables' rows (who
    is logged in, what exists already) must not use this.
    """
    names = _table_names()
    before = tables_with_rows(names)
    recorded = _SEED_ROWS.get(key)
    if recorded is not None and not set(recorded) & set(before):
        for name in reversed(names):  # parents first
            if name in recorded:
                db.session.execute(_table(name).insert(), recorded[name])
        if db.engine.dialect.name == "postgresql":
            for name in recorded:
                if "id" in _table(name).c:
                    db.session.execute(text(f"SELECT setval(pg_get_serial_sequence(:name, 'id'), max(id)) FROM \"{name}\""),
                                       {"name": f'"{name}"'})
        db.session.commit()
        return
    counts = _row_counts(before)
    step()
    db.session.commit()
    written = [name for name in tables_with_rows(names) if name not in before]
    if recorded is None and written and _row_counts(before) == counts:
        _SEED_ROWS[key] = {name: _rows(_table(name)) for name in written}


def _rows(table) -> list[dict]:
    order = [table.c.id] if "id" in table.c else list(table.primary_key) or list(table.c)
    return [dict(row) for row in db.session.execute(table.select().order_by(*order)).mappings()]


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
def make_app(app, database_url):
    """make_app(config_class=TestConfig, **overrides): another app on the test database,
    with its connections closed at the end of the test. It depends on `app` so that the
    rows these apps write are emptied with the test's (the `app` fixture's teardown)."""
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
