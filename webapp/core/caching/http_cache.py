"""HTTP caching for a shared cache (Varnish, a CDN): which responses may be stored, for how
long, under which surrogate keys, and the purges that drop them when their content changes.

A page is public only when three things hold: its view says so (`@public_page`), the request
carries no cookie the page could depend on (the session, the no-JavaScript text size), and
nothing made while answering it was personal (a member was read, the session was touched, a
cookie was set). Anything else keeps the private rules in security.py.

Purges: the models whose rows make public pages name their surrogate keys
(`surrogate_keys()` on the model class); every committed flush that touched such rows sends
one purge request per configured cache (`CACHE_PURGE_URLS`) with those keys in an `xkey`
header. A purge that fails is logged and never fails the change that caused it: the page
then lives until its `s-maxage`.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, has_app_context, request, session
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Browsers cannot be purged, so they keep a page one minute; the shared cache is purged on
# change and keeps it ten; either may serve a stale copy while refetching, or for a day while
# the application is down.
MAX_AGE = 60
SHARED_MAX_AGE = 600
STALE_WHILE_REVALIDATE = 60
STALE_IF_ERROR = 86400
STATIC_MAX_AGE = 31536000  # fingerprinted static files: a new file gets a new address

SITE_KEY = "site"  # on every public response: purging it empties the cache
FONT_SIZE_COOKIE = "font_size"  # the no-JavaScript text size: the page differs, so never shared
MAX_KEYS_PER_PURGE = 200  # a bigger change (an import) purges the whole site instead
PURGE_TIMEOUT_SECONDS = 2.0
KEYS_PENDING = "http_cache_keys"


@dataclass(frozen=True)
class Policy:
    keys: tuple[str, ...]
    max_age: int = MAX_AGE
    s_maxage: int = SHARED_MAX_AGE

    def cache_control(self) -> str:
        return (f"public, max-age={self.max_age}, s-maxage={self.s_maxage}, "
                f"stale-while-revalidate={STALE_WHILE_REVALIDATE}, stale-if-error={STALE_IF_ERROR}")


def public_page(*keys: str, max_age: int = MAX_AGE, s_maxage: int = SHARED_MAX_AGE):
    """The view's answer to a visitor is the same for every visitor and may be shared.

    `keys` are surrogate-key templates filled from the view's arguments ("drug:{slug}").
    """
    policy_keys = tuple(keys)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.public_cache = Policy(tuple(k.format(**kwargs) for k in policy_keys), max_age, s_maxage)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def last_modified(value: date | datetime | None) -> None:
    """The date the page's content last changed (the newest one given wins)."""
    if value is None:
        return
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    current = g.get("last_modified")
    g.last_modified = value if current is None or value > current else current


def tag(*keys: str) -> None:
    """More surrogate keys for this response, known only once the view has loaded its content."""
    g.extra_cache_keys = (*g.get("extra_cache_keys", ()), *keys)


def request_has_session() -> bool:
    """The request carries a session (or a remembered log-in that becomes one)."""
    config = current_app.config
    return (config["SESSION_COOKIE_NAME"] in request.cookies
            or config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)


# What Flask-Login leaves in a visitor's session once their flashed message or form token is
# gone ("basic" session protection marks any non-empty session not fresh). Kept, it would take
# that visitor past the shared cache for good.
_LOGIN_BOOKKEEPING = frozenset({"_fresh", "_id"})


def forget_leftover_visitor_session() -> None:
    """Empty a session that holds nothing but log-in bookkeeping, so its cookie is deleted."""
    if session and "_user_id" not in session and set(session.keys()) <= _LOGIN_BOOKKEEPING:
        session.clear()


def _reader_specific_request() -> bool:
    return request_has_session() or FONT_SIZE_COOKIE in request.cookies


def make_public(response: Response) -> bool:
    """Mark the response public if the view allowed it and nothing in it can be personal."""
    policy: Policy | None = g.get("public_cache")
    if (policy is None or request.method not in ("GET", "HEAD") or response.status_code != 200
            or _reader_specific_request() or session.modified or "Set-Cookie" in response.headers):
        return False
    headers = response.headers
    headers["Cache-Control"] = policy.cache_control()
    keys = dict.fromkeys((SITE_KEY, *policy.keys, *g.get("extra_cache_keys", ())))
    headers["xkey"] = " ".join(keys)
    modified = g.get("last_modified")
    if modified is not None:
        response.last_modified = modified
    if not response.direct_passthrough:
        response.add_etag()  # strong: a hash of the exact bytes
        response.make_conditional(request)  # If-None-Match / If-Modified-Since -> 304
    return True


# ---------------------------------------------------------------- static files


def _static_version(app: Flask, filename: str) -> str | None:
    versions: dict = app.extensions.setdefault("static_versions", {})
    if filename not in versions:
        path = Path(app.static_folder or "") / filename
        try:
            versions[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        except OSError:
            versions[filename] = None
    return versions[filename]


def _fingerprint_static(app: Flask):
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = _static_version(app, values["filename"])
            if version:
                values["v"] = version

    return add_version


def static_cache_headers(app: Flask, response: Response) -> None:
    """A static file asked for by its current fingerprint never changes: keep it a year."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == _static_version(app, filename):
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
    else:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"


def immutable_file(response: Response) -> None:
    """A file served at an address made from its content's hash (pill photos): the bytes at
    that address never change and depend on no visitor, so every cache may keep them a year."""
    if response.status_code in (200, 304):
        g.immutable_file = True
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"


# ---------------------------------------------------------------- purges


def purge_urls() -> list[str]:
    if not has_app_context():
        return []
    return list(current_app.config.get("CACHE_PURGE_URLS") or [])


def purge(keys: Iterable[str], urls: list[str] | None = None) -> int:
    """Ask every configured cache to drop what is tagged with any of `keys`; how many answered 2xx.

    Never raises: a cache that is down or refuses is logged, the page then ages out by itself.
    """
    keys = sorted(set(keys))
    urls = purge_urls() if urls is None else urls
    if not keys or not urls:
        return 0
    if len(keys) > MAX_KEYS_PER_PURGE:
        keys = [SITE_KEY]
    done = 0
    for url in urls:
        purge_request = urllib.request.Request(url, method="PURGE", headers={"xkey": " ".join(keys)})  # noqa: S310
        try:
            # http(s) only: init_app refuses any other scheme.
            with urllib.request.urlopen(purge_request, timeout=PURGE_TIMEOUT_SECONDS) as answer:  # noqa: S310
                done += 200 <= answer.status < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("Cache purge of %s at %s failed: %s", " ".join(keys), url, exc)
    return done


def purge_site() -> int:
    """Empty the shared caches: after seed, an import or a content sync, whose bulk writes pass
    by the per-row keys below and may touch any page."""
    return purge([SITE_KEY])


BULK_CHANGE = "http_cache_bulk_change"


@contextmanager
def bulk_change(db_session: Session) -> Iterator[None]:
    """A bulk write (an import of thousands of rows, committed in batches): no per-row purges
    while it runs, which would empty the whole site at every batch; one site purge at the end."""
    db_session.info[BULK_CHANGE] = True
    try:
        yield
    finally:
        db_session.info.pop(BULK_CHANGE, None)
        db_session.info.pop(KEYS_PENDING, None)
        purge_site()


def _keys_of(instance) -> Iterable[str]:
    keys_of = getattr(type(instance), "surrogate_keys", None)
    return keys_of(instance) if keys_of is not None else ()


def _collect_keys(db_session: Session, _flush_context) -> None:
    if not purge_urls() or db_session.info.get(BULK_CHANGE):
        return
    pending: set = db_session.info.setdefault(KEYS_PENDING, set())
    with db_session.no_autoflush:
        for instance in (*db_session.new, *db_session.dirty, *db_session.deleted):
            try:
                pending.update(_keys_of(instance))
            except Exception:  # noqa: BLE001 - a key we cannot work out must not fail the write
                log.exception("Could not work out the cache keys of %r; purging the whole site", instance)
                pending.add(SITE_KEY)


def _send_pending(db_session: Session) -> None:
    keys = db_session.info.pop(KEYS_PENDING, None)
    if keys:
        purge(keys)


def _drop_pending(db_session: Session, previous_transaction=None) -> None:
    # Only a real rollback forgets the keys; a savepoint's is not worth the bookkeeping
    # (purging a page that did not change costs one render).
    if previous_transaction is not None and previous_transaction.nested:
        return
    db_session.info.pop(KEYS_PENDING, None)


def init_app(app: Flask) -> None:
    urls = app.config.get("CACHE_PURGE_URLS") or []
    if isinstance(urls, str):
        urls = [u.strip() for u in urls.split(",") if u.strip()]
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"CACHE_PURGE_URLS: {url!r} is not an http:// or https:// address")
    app.config["CACHE_PURGE_URLS"] = urls
    app.url_defaults(_fingerprint_static(app))
    if not event.contains(Session, "after_flush", _collect_keys):
        event.listen(Session, "after_flush", _collect_keys)
        event.listen(Session, "after_commit", _send_pending)
        event.listen(Session, "after_soft_rollback", _drop_pending)
