"""Settings classes. Everything secret or deployment-specific comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta

DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise RuntimeError(f"{name} must be a whole number, not {value!r}")
    return int(value)


class Config:
    """Defaults shared by every environment (development-friendly)."""

    HEALTHDESK_ENV = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # None means "a SQLite file in the instance folder", resolved in create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # Pill photos made by `flask import spl` (default: media/pills in the instance folder).
    PILL_PHOTO_FOLDER = os.environ.get("PILL_PHOTO_FOLDER")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL")

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "HealthDesk <no-reply@healthdesk.local>")
    # Without SMTP settings, mail is written to the log as soon as a request queues it.
    MAIL_LOG_IMMEDIATELY = not os.environ.get("MAIL_SERVER")
    # Days a sent message keeps its subject, text and headers (`flask mail purge`); then only its delivery record.
    MAIL_BODY_RETENTION_DAYS = int(os.environ.get("MAIL_BODY_RETENTION_DAYS", "30"))

    # Background jobs (webapp/jobs). With REDIS_URL they go to Celery workers through this
    # Redis list; without it they run in the process that starts them.
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "healthdesk")
    JOBS_MAX_RETRIES = _int("JOBS_MAX_RETRIES", 3)
    JOBS_RETRY_BACKOFF_SECONDS = float(os.environ.get("JOBS_RETRY_BACKOFF_SECONDS", "30"))  # doubled each retry
    JOBS_KEEP_DAYS = _int("JOBS_KEEP_DAYS", 14)  # finished and failed jobs stay listed this long
    # How often the scheduler starts a delivery run, and how many a big send (a newsletter
    # issue, a recall's alerts) starts side by side: about the number of worker processes.
    MAIL_DELIVER_EVERY_SECONDS = float(os.environ.get("MAIL_DELIVER_EVERY_SECONDS", "10"))
    MAIL_DELIVERY_JOBS = _int("MAIL_DELIVERY_JOBS", 4)
    # A delivery worker reserves a few messages at a time for this long (outbox.reserve_batch):
    # what a killed worker had reserved and not begun is due again after it.
    MAIL_CLAIM_LEASE_SECONDS = _int("MAIL_CLAIM_LEASE_SECONDS", 300)

    # The public address: every absolute link in an email or the sitemap is built on it,
    # never on the request's Host header (which the sender of a request chooses).
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")
    # Host names a request may name; anything else is answered 400. Empty: SITE_URL's host
    # (plus localhost and 127.0.0.1 outside production), filled in by create_app.
    TRUSTED_HOSTS = _list("TRUSTED_HOSTS")
    # How many reverse proxies in front of us append to X-Forwarded-For / -Proto. With 0
    # the headers are ignored, because any client could send them.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # Where to send cache purges (Varnish's address, e.g. http://127.0.0.1:6081/); none: no
    # shared cache, nothing to purge (the embedded `make run`).
    CACHE_PURGE_URLS = _list("CACHE_PURGE_URLS")
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    PASSWORD_HASH_METHOD = "scrypt"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    SECURE_COOKIES = False
    EMAIL_TOKEN_MAX_AGE = 60 * 60 * 24 * 3  # verification links: 3 days
    RESET_TOKEN_MAX_AGE = 60 * 60  # reset links: 1 hour
    # How many products of the embedded Drugs@FDA catalogue `flask seed` loads (None: all).
    DRUG_CATALOGUE_SEED_LIMIT: int | None = None


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    HEALTHDESK_ENV = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")
    WTF_CSRF_ENABLED = False
    MAIL_LOG_IMMEDIATELY = False
    # The cheapest scrypt cost OpenSSL accepts with Werkzeug's memory limit (N=256; below about
    # 100 it refuses): thousands of accounts are made and logged in, and at N=16384 the hashing
    # alone was a third of the suite's time. Production keeps Werkzeug's default ("scrypt",
    # N=32768), which tests/integration/accounts/test_production_password_hash.py signs up with.
    PASSWORD_HASH_METHOD = "scrypt:256:8:1"
    # Tests that seed load a slice of the 39,473-product catalogue; the ones about the
    # whole catalogue load it on purpose.
    DRUG_CATALOGUE_SEED_LIMIT = 200
    REDIS_URL = None
    SITE_URL = "http://localhost"
    CACHE_PURGE_URLS: list[str] = []


class ProductionConfig(Config):
    HEALTHDESK_ENV = "production"
    SECURE_COOKIES = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAIL_LOG_IMMEDIATELY = False
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        """Refuse to start with settings that would be unsafe in production."""
        problems = []
        if not os.environ.get("SECRET_KEY") or os.environ["SECRET_KEY"] == DEFAULT_SECRET_KEY:
            problems.append("SECRET_KEY must be set to a long random value")
        if not os.environ.get("DATABASE_URL"):
            problems.append("DATABASE_URL must be set")
        if not os.environ.get("SITE_URL", "").startswith(("https://", "http://")):
            problems.append("SITE_URL must be set to the site's public address (https://…)")
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for_env() -> type[Config]:
    name = os.environ.get("HEALTHDESK_ENV", "development").strip().lower()
    if name not in CONFIGS:
        raise RuntimeError(f"HEALTHDESK_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
