"""A browser walk over the main public pages, at desktop width and at 360 px (a small phone):
axe-core's WCAG 2.1 AA checks, no sideways scrolling on the phone, and the keyboard path
"Tab from the top reaches the skip link first, and it moves focus to the main content".
A last check: the text-size control works from the keyboard and the page still fits at 200% zoom.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from webapp.extensions import db

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1200, "height": 900}

# name -> path, or a function (session) -> path for pages whose address comes from the data.
STATIC_PAGES = {
    "home": "/",
    "drugs-a-z": "/drugs",
    "pill-identifier-results": "/pill-identifier?imprint=pd+155+10&color=white&shape=oval",
    "health-centers": "/health-centers",
    "article": "/health-centers/pancreatic-cancer/pnet-treatment-option-overview",
    "levels-of-evidence": "/health-centers/levels-of-evidence",
    "community": "/community",
    "search-results": "/search?q=treatment",
    "newsletter-signup": "/newsletter",
    "login": "/login",
    "signup": "/signup",
}
DATA_PAGES = ["drug", "condition", "pill", "group"]


def _data_path(live_app, name: str) -> str:
    from webapp.blueprints.community.models import CommunityGroup
    from webapp.blueprints.drugs.models import Condition, Drug
    from webapp.blueprints.pills.models import Pill

    with live_app.app_context():
        try:
            if name == "drug":
                slug = db.session.execute(select(Drug.slug).where(Drug.slug == "ibuprofen")).scalar() or \
                    db.session.execute(select(Drug.slug).order_by(Drug.slug).limit(1)).scalar()
                return f"/drugs/{slug}"
            if name == "condition":
                return f"/conditions/{db.session.execute(select(Condition.slug).order_by(Condition.slug).limit(1)).scalar()}"
            if name == "pill":
                return f"/pill-identifier/pills/{db.session.execute(select(Pill.id).order_by(Pill.id).limit(1)).scalar()}"
            slug = db.session.execute(select(CommunityGroup.slug).where(CommunityGroup.status == "approved")
                                      .order_by(CommunityGroup.id).limit(1)).scalar()
            return f"/community/groups/{slug}"
        finally:
            db.session.remove()


@pytest.fixture
def path_of(live_app, live_server):
    def resolve(name: str) -> str:
        return STATIC_PAGES[name] if name in STATIC_PAGES else _data_path(live_app, name)

    return resolve


def _check_page(page, axe_check, path: str, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response.status if response else 'no response'}"
    axe_check(page)
    if viewport["width"] <= 360:
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if widths[0] > viewport["width"] + 1:
            wide = page.evaluate(
                """(limit) => Array.from(document.querySelectorAll('body *'))
                     .filter(e => e.getBoundingClientRect().right > limit + 1)
                     .filter(e => !e.closest('.skip-link, .visually-hidden'))
                     .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                                      + ' right=' + Math.round(e.getBoundingClientRect().right))""",
                viewport["width"])
            pytest.fail(f"{path} scrolls sideways at {viewport['width']} px: scrollWidth {widths[0]}; widest: {wide}")
    # Keyboard: the first Tab lands on the skip link, and following it focuses <main>.
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.keyboard.press("Tab")
    first = page.evaluate("() => [document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert first == ["skip-link", "#main"], f"{path}: first Tab lands on {first}, not the skip link"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'", timeout=3000)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
@pytest.mark.parametrize("name", list(STATIC_PAGES) + DATA_PAGES)
def test_public_page_is_accessible(page, axe_check, path_of, name, viewport):
    _check_page(page, axe_check, path_of(name), viewport)


def test_text_size_control_by_keyboard_at_200_percent_zoom(browser, live_server, axe_check):
    # 200% zoom of a 1280 px window is what a 640 CSS-pixel wide viewport at scale 2 shows.
    context = browser.new_context(base_url=live_server, viewport={"width": 640, "height": 450}, device_scale_factor=2)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto("/drugs")
        before = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
        larger = page.get_by_role("button", name="Larger text")
        larger.focus()
        assert page.evaluate("document.activeElement.textContent").strip().endswith("Larger text")
        # The size is kept in this browser (text-size.js): no round trip, the page stays cacheable.
        page.keyboard.press("Enter")
        page.wait_for_function("document.documentElement.classList.contains('fs-larger')")
        assert page.get_by_role("button", name="Larger text").get_attribute("aria-pressed") == "true"
        after = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
        assert after > before, f"text did not grow: {before}px -> {after}px"
        assert page.url.endswith("/drugs"), f"the control should leave you on the page, not {page.url}"
        # And the choice follows the reader to the next page.
        page.goto("/health-centers")
        assert page.evaluate("document.documentElement.classList.contains('fs-larger')")
        page.goto("/drugs")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 641, f"at 200% zoom with larger text the page scrolls sideways: scrollWidth {width}"
        axe_check(page)
        page.get_by_role("button", name="Default text size").focus()
        page.keyboard.press("Space")
        page.wait_for_function("document.documentElement.classList.contains('fs-default')")
        assert page.get_by_role("button", name="Default text size").get_attribute("aria-pressed") == "true"
    finally:
        context.close()
    assert not errors, f"browser console errors: {errors}"


MEMBER_EMAIL = "qa-walker@example.com"
MEMBER_PAGES = ["/my-medicine", "/my-medicine/alerts", "/my-medicine/alerts/settings", "/my-medicine/profiles/new",
                "/interaction-checker?medicines=warfarin%0Aibuprofen", "/account/settings", "/community/ask",
                "/community/notifications", "/drugs/search?q=pain"]


@pytest.fixture
def walker(live_app):
    from datetime import datetime, timezone

    from tests.conftest import PASSWORD
    from webapp.blueprints.accounts import passwords
    from webapp.blueprints.accounts.models import User

    with live_app.app_context():
        if db.session.execute(select(User).where(User.email == MEMBER_EMAIL)).scalar_one_or_none() is None:
            db.session.add(User(email=MEMBER_EMAIL, display_name="Quinn Walker", role="member",
                                email_verified_at=datetime.now(timezone.utc),
                                password_hash=passwords.hash_password(PASSWORD, live_app.config["PASSWORD_HASH_METHOD"])))
            db.session.commit()
        db.session.remove()
    return MEMBER_EMAIL, PASSWORD


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_member_pages_are_accessible(page, axe_check, walker, viewport):
    email, password = walker
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
    page.goto("/my-medicine")  # makes the member's own profile
    failures = []
    for path in MEMBER_PAGES + [page.get_by_role("link", name="Quinn Walker").first.get_attribute("href") or "/"]:
        try:
            _check_page(page, axe_check, path, viewport)
        except (AssertionError, pytest.fail.Exception) as exc:
            failures.append(str(exc).splitlines()[0][:400])
    assert not failures, "\n".join(failures)


def test_the_outage_page_passes_axe(browser, axe_check):
    """The page readers get while the database is away (503) is as accessible as the rest."""
    from werkzeug.serving import make_server

    from config import TestConfig
    from webapp import create_app

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/nothing"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Its own context: Chromium logs the 503 as a failed load, which the `page` fixture counts as an error.
    context = browser.new_context(viewport={"width": 360, "height": 800})
    try:
        page = context.new_page()
        response = page.goto(f"http://127.0.0.1:{server.server_port}/drugs/warfarin")
        assert response.status == 503
        page.get_by_role("heading", name="Back in a moment", level=1).wait_for()
        axe_check(page)
    finally:
        context.close()
        server.shutdown()
        thread.join(timeout=5)
