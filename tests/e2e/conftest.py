"""Browser tests: the app served by a real server on a free loopback port, driven by
Playwright in Debian's Chromium, with axe-core's WCAG 2.1 AA checks on every page visited.

The server gets its own database (a SQLite file, or its own PostgreSQL schema when
TEST_DATABASE_URL is set) loaded with the embedded seed data.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from config import TestConfig
from tests.conftest import PASSWORD, reset_postgres_schema, with_search_path
from webapp import create_app
from webapp.core.mail.models import OutboxMessage
from webapp.core.search import setup as search_setup
from webapp.extensions import db
from webapp.seeding import run_seed

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
E2E_SCHEMA = f"hd_e2e_{os.getpid()}"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Off by default in axe (it is tagged "experimental"); WCAG 2.5.3 Label in Name: a control's
# accessible name contains its visible text, so speech users can say what they see (#15).
AXE_EXTRA_RULES = {"label-content-name-mismatch": {"enabled": True}}

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium); not installed here")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(skip)


def _e2e_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        reset_postgres_schema(url, E2E_SCHEMA)
        return with_search_path(url, E2E_SCHEMA)
    return f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.sqlite3'}"


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    # CSRF stays on: the browser goes through the real forms.
    app = create_app(TestConfig, {
        "SQLALCHEMY_DATABASE_URI": _e2e_database_url(tmp_path_factory),
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        db.create_all()
        search_setup.install(db.engine)
        run_seed(db.session, lambda _message: None)
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app_url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["SITE_URL"] = app_url
    yield app_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    # A CSP violation or script error shows up as a console error.
    assert not errors, f"browser console errors: {errors}"


@pytest.fixture
def axe_check():
    """axe_check(page): zero WCAG 2.1 A/AA violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "rules": AXE_EXTRA_RULES,
                                         "resultTypes": ["violations"]})
        violations = results.response.get("violations", [])
        details = [
            f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in violations
        ]
        assert not violations, f"axe found {len(violations)} violation(s) on {page.url}:\n" + "\n".join(details)

    return check


@pytest.fixture
def live_outbox(live_app):
    """live_outbox(to) -> list of (subject, text) the server queued for that address."""

    def read(to: str) -> list[tuple[str, str]]:
        with live_app.app_context():
            rows = db.session.execute(
                select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)
            ).scalars()
            messages = [(m.subject, m.body_text) for m in rows]
            db.session.remove()
            return messages

    return read


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the real form as an account the test made."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Welcome back").wait_for()
