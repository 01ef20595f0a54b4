"""HealthDesk: create_app builds the Flask application."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import Config, ProductionConfig, config_for_env
from webapp import database, security
from webapp.core.area import EXTENSION_KEY
from webapp.core.db_types import MAX_DATABASE_INT
from webapp.core.mail import mailer
from webapp.extensions import csrf, db, limiter, login_manager, migrate
from webapp.jobs.queue import celery_init_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(config_class: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=os.environ.get("HEALTHDESK_INSTANCE", str(PROJECT_ROOT / "instance")),
    )
    config_class = config_class or config_for_env()
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    _configure_database_url(app)
    _configure_hosts(app)
    _configure_logging(app)

    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    security.init_app(app)
    mailer.init_app(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    celery_init_app(app)
    _trust_proxies(app)
    return app


def _configure_hosts(app: Flask) -> None:
    """Answer 400 to a request naming a host we are not (Flask checks TRUSTED_HOSTS)."""
    if app.config.get("TRUSTED_HOSTS"):
        return
    hosts = [urlsplit(app.config["SITE_URL"]).hostname or "localhost"]
    if app.config["HEALTHDESK_ENV"] != "production":
        hosts += ["localhost", "127.0.0.1"]
    app.config["TRUSTED_HOSTS"] = list(dict.fromkeys(hosts))


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, take the client address and scheme from the headers
    they add: rate limits then count per client, not per load balancer."""
    count = app.config.get("TRUSTED_PROXIES", 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _configure_database_url(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'healthdesk.sqlite3'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # the old Heroku-style scheme
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(uri, app.config["SQLALCHEMY_ENGINE_OPTIONS"])


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_extensions(app: Flask) -> None:
    # Every area's models (and the outbox's) join the metadata that Alembic and create_all read.
    from webapp.areas import REGISTRY
    from webapp.core.mail import models as outbox_models  # noqa: F401
    from webapp.jobs import models as jobs_models  # noqa: F401

    app.extensions[EXTENSION_KEY] = REGISTRY
    db.init_app(app)
    database.init_app(app, db)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            database.configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True,
                    render_item=database.render_migration_item, include_name=database.include_in_migrations)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    _configure_limiter(app)


def _configure_limiter(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.config["RATELIMIT_STORAGE_URI"] = redis_url
        # If Redis is down or unreachable, limits go on per process, in memory, after at
        # most a second's wait; a login or a post never fails because of the counters.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    else:
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"
        if not app.testing:
            log.warning("REDIS_URL is not set: rate-limit counters are kept in memory, per process.")
    limiter.init_app(app)


class BoundedIntConverter(IntegerConverter):
    """<int:...> that only matches ids a database column can hold: a larger number is
    simply a page that does not exist (404), never an overflow error (500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DATABASE_INT)
        super().__init__(url_map, *args, **kwargs)


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter


def register_blueprints(app: Flask) -> None:
    for blueprint in app.extensions[EXTENSION_KEY].blueprints:
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from webapp.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from webapp.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from webapp.cli import register

    register(app)
