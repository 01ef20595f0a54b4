"""Engine settings: SQLite that survives several writers, PostgreSQL with pre-ping.

SQLite's default deferred BEGIN takes a read lock and upgrades it on the first write;
when two workers do read-then-write at once, one upgrade fails straight away with
"database is locked" (the busy timeout cannot help, waiting would deadlock). So every
transaction that may write starts with BEGIN IMMEDIATE, which queues on the busy timeout
instead. Requests with a safe method (GET, HEAD, OPTIONS) read only and keep a deferred
BEGIN, so readers never wait for each other; WAL lets them read while one writer writes.
bench/sqlite_begin.py measures the difference.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000

_begin_mode: contextvars.ContextVar[str] = contextvars.ContextVar("sqlite_begin_mode", default="IMMEDIATE")


def set_begin_mode(mode: str) -> contextvars.Token:
    """Choose how the next SQLite transactions in this context begin (DEFERRED or IMMEDIATE)."""
    if mode not in {"DEFERRED", "IMMEDIATE"}:
        raise ValueError(mode)
    return _begin_mode.set(mode)


def reset_begin_mode(token: contextvars.Token) -> None:
    _begin_mode.reset(token)


@contextmanager
def immediate_transactions() -> Iterator[None]:
    """For the rare safe-method request that writes (e.g. following an email link)."""
    token = _begin_mode.set("IMMEDIATE")
    try:
        yield
    finally:
        _begin_mode.reset(token)


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout, and our own BEGIN statements."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        # Take transaction control away from the driver so our BEGIN is the one used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows are overwritten with zeros, not left readable in free space (many builds
        # are compiled with it on; this makes it so everywhere).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql(f"BEGIN {_begin_mode.get()}")


def truncate_wal(engine: Engine) -> bool:
    """On SQLite, copy the write-ahead log into the database file and empty it.

    Rows just deleted (an account's private data) are zeroed in the database file by
    secure_delete, but earlier copies of their pages stay readable in the -wal file until
    overwritten; a TRUNCATE checkpoint removes them. Call it after the commit. Returns False
    if a reader kept it from finishing within the busy timeout (SQLite's next checkpoints
    copy the rest, without truncating). Other databases: nothing to do.
    """
    if engine.dialect.name != "sqlite":
        return True
    connection = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    try:
        busy, _frames, _copied = connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    if busy:
        log.warning("SQLite WAL checkpoint could not finish (a reader was busy); deleted data may stay in the -wal file for a while")
    return not busy


def engine_options(uri: str, base: dict) -> dict:
    options = dict(base)
    if uri.startswith("postgresql"):
        options.setdefault("pool_pre_ping", True)
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
    return options


def render_migration_item(type_, obj, autogen_context):
    """Write our UTC column type into migrations as the plain DateTime(timezone=True) it stores."""
    from webapp.core.db_types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_in_migrations(name, type_, parent_names) -> bool:
    """Autogenerate ignores the full-text search objects made by webapp.core.search.setup."""
    from webapp.core.search.setup import is_search_object

    return not is_search_object(name)


def discard_session(session) -> None:
    """End a request's session even when its connection is gone (the database restarted):
    the rollback that closing does would raise again, so the session is just dropped."""
    try:
        session.remove()
    except SQLAlchemyError as exc:
        log.warning("database session dropped without a clean rollback: %s", exc.__class__.__name__)
        session.registry.clear()


def init_app(app, db) -> None:
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (Flask runs them
    # in reverse) and leaves nothing for that one to fail on.
    @app.teardown_appcontext
    def _end_session(_exc):
        discard_session(db.session)
