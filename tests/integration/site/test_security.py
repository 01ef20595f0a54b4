"""Headers, CSRF, error pages, rate limits and hostile input on the foundation's pages."""

from __future__ import annotations

import json
import os
import re

import pytest

PAGES = ["/", "/login", "/signup", "/forgot-password"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "form-action 'self'"]:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # only in production


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(client, path):
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)", html)
    assert "<style" not in html and " style=" not in html
    assert re.search(r'<a class="skip-link" href="#main">', html)


def test_csrf_is_enforced(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    make_user("csrf@example.com")
    refused = client.post("/login", data={"email": "csrf@example.com", "password": "correct horse battery"})
    assert refused.status_code == 400
    assert "This form has expired" in refused.get_data(as_text=True)
    assert client.post("/logout").status_code == 400
    # The two public forms on cached pages carry no token: the origin check stands in (SECURITY.md).
    assert client.post("/font-size", data={"size": "larger"}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/font-size", data={"size": "larger"}, headers={"Origin": "http://localhost"}).status_code == 303

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post("/login", data={"email": "csrf@example.com", "password": "correct horse battery", "csrf_token": token})
    assert accepted.status_code == 302


def test_production_sends_hsts_and_host_cookies(make_app, database_url, monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-value")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SITE_URL", "https://localhost")
    app = make_app(ProductionConfig, RATELIMIT_STORAGE_URI="memory://", SITE_URL="https://localhost")
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("get", "/no-such-page", 404, "Page not found"),
        ("get", "/logout", 405, "allowed here"),
        ("post", "/font-size", 400, "That request could not be understood"),
    ],
)
def test_friendly_error_pages(client, method, path, status, title):
    response = getattr(client, method)(path)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert title in html
    assert 'href="/"' in html  # a way back home


def test_too_large_request_gets_413(client):
    response = client.post("/signup", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "That was too large" in response.get_data(as_text=True)


def test_unhandled_error_gets_the_500_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    @app.route("/staff-only")
    def staff_only():
        from flask import abort

        abort(403)

    client = app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    forbidden = client.get("/staff-only")
    assert forbidden.status_code == 403
    assert "You can" in forbidden.get_data(as_text=True) and "open this page" in forbidden.get_data(as_text=True)


def test_login_is_rate_limited_with_a_friendly_page(client):
    statuses = [client.post("/login", data={"email": "x@example.com", "password": "wrong password here"}).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    response = client.post("/login", data={"email": "x@example.com", "password": "wrong password here"})
    assert "Please slow down" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    assert client.get("/login").status_code == 200  # reading the page is not limited


@pytest.mark.parametrize("query", ["?q=%ff%fe", "?next=%00", "?q=" + "<script>alert(1)</script>" * 400, "?x=' OR 1=1 --"])
def test_hostile_query_strings_never_give_500(client, query):
    for path in PAGES:
        assert client.get(path + query).status_code in (200, 400)


def _lists_nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Bodies that gave a 500: a RecursionError in the parser, and a lone surrogate (valid JSON, but
# not Unicode) failing to encode in the first query that used it.
CRASHING_API_BODIES = {
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "nested 33 deep": json.dumps({"drugs": ["warfarin"], "allergies": _lists_nested(32)}),
    "lone surrogate in a drug": '{"drugs": ["\\ud800"]}',
    "lone surrogate among drugs": '{"drugs": ["warfarin", "x\\udfffy"]}',
    "lone surrogate in the allergies": '{"drugs": ["warfarin"], "allergies": "\\ud800"}',
    "lone surrogate in a key": '{"drugs": ["warfarin"], "\\ud800": 1}',
    "lone surrogate as UTF-8 bytes": b'{"drugs": ["\xed\xa0\x80"]}',
}


@pytest.mark.parametrize("label", CRASHING_API_BODIES)
def test_api_refuses_bodies_that_crashed_it_with_a_json_400(client, label):
    response = client.post("/api/v1/interactions", data=CRASHING_API_BODIES[label], content_type="application/json")
    assert response.status_code == 400 and response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 400 and ("nested more than 32" in error["message"] or "lone surrogate" in error["message"])


def test_valid_json_bodies_are_read_as_before(client, make_user):
    body = {"drugs": ["warfarin", "\U0001F48A"], "allergies": "penicillin"}
    response = client.post("/api/v1/interactions", json=body)
    assert response.status_code == 200 and response.get_json()["unrecognized"] == ["warfarin", "\U0001F48A"]
    assert client.post("/api/v1/interactions", json={"drugs": [[["x"]]]}).get_json()["error"]["message"] == (
        '"drugs" must be a list of medicine names (text).')  # the view's own checks still answer
    make_user("json@example.com")
    logged_in = client.post("/login", json={"email": "json@example.com", "password": "correct horse battery"})
    assert logged_in.status_code == 302  # a form may still be sent as JSON text fields


@pytest.mark.parametrize("path", ["/login", "/signup", "/forgot-password", "/font-size"])
@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000, '{"email": "\\ud800@example.com", "password": "\\ud800"}',
    '["email", "x"]', '"email"', "5", '{"email": 5, "password": true}', '{"email": {"a": "b"}}',
    '{"email": [null]}', '{"email": ',
])
def test_pages_refuse_json_that_is_not_form_fields(client, path, body):
    """Flask-WTF reads a JSON body as the form: anything but text fields crashed the view."""
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "That request could not be understood" in response.get_data(as_text=True)


QUERY_PAGES = ["/drugs/search?q=", "/drugs?letter=", "/drugs/autocomplete?q=", "/pill-identifier?imprint=",
               "/pill-identifier?color=", "/interaction-checker?medicines=", "/community/search?q=", "/search?q=",
               "/api/v1/drugs?q=", "/api/v1/drugs?kind=", "/api/v1/drugs?page=", "/api/v1/pills?imprint=",
               "/api/v1/pills?shape=", "/api/v1/pills?imprint=A&page="]


@pytest.mark.parametrize("value", ["%ED%A0%80", "%FF", "a%ED%A0%80b%FF%00"])
@pytest.mark.parametrize("page", QUERY_PAGES)
def test_query_strings_that_are_not_utf8_give_a_page_or_400(client, page, value):
    """A lone surrogate or a byte that is not UTF-8 stays percent-encoded text: never a 500."""
    response = client.get(page + value)
    assert response.status_code in (200, 400), response.status_code
    if page.startswith("/api/"):
        assert response.is_json and (response.status_code == 200 or response.get_json()["error"]["message"])


def test_font_size_cookie_and_class(client):
    response = client.post("/font-size", data={"size": "larger", "next": "/login"})
    assert response.status_code == 303 and response.location == "/login"
    assert "font_size=larger" in response.headers["Set-Cookie"]
    assert 'class="fs-larger"' in client.get("/login").get_data(as_text=True)


def test_font_size_refuses_off_site_redirects_and_bad_sizes(client):
    assert client.post("/font-size", data={"size": "larger", "next": "https://evil.example/"}).location == "/"
    assert client.post("/font-size", data={"size": "huge"}).status_code == 400


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test Redis-backed limits")
def test_rate_limits_are_counted_in_redis(make_app):
    import redis

    url = os.environ["TEST_REDIS_URL"]
    redis.Redis.from_url(url).flushdb()
    app = make_app(REDIS_URL=url)
    assert app.config["RATELIMIT_STORAGE_URI"] == url
    # Two processes share counters through Redis: here, two app instances.
    first, second = app.test_client(), make_app(REDIS_URL=url).test_client()
    data = {"email": "x@example.com", "password": "wrong password here"}
    statuses = [(first if n % 2 else second).post("/login", data=data).status_code for n in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    assert redis.Redis.from_url(url).dbsize() > 0
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def limiter_state():
    """The limiter is one object per process; a test that breaks its storage puts it back."""
    from webapp.extensions import limiter

    yield limiter
    limiter._storage_dead = False


def test_a_redis_outage_never_fails_a_login_and_limits_go_on_in_memory(make_app, limiter_state):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    client = app.test_client()
    data = {"email": "x@example.com", "password": "wrong password here"}
    first = client.post("/login", data=data)
    assert first.status_code == 200 and "The email address or password is not correct." in first.get_data(as_text=True)
    statuses = [client.post("/login", data=data).status_code for _ in range(10)]
    assert statuses[:9] == [200] * 9 and statuses[9] == 429
