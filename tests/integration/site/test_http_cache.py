"""Public pages a shared cache may keep, the origin check on the two public forms, static
fingerprints, and the purges sent when content changes (webapp/core/caching/http_cache.py)."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.integration._community import ask, thread_id_from
from webapp.core.caching import http_cache
from webapp.extensions import db


@pytest.fixture
def purge_server():
    """A stand-in for Varnish that records each PURGE's xkey header."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PURGE(self):  # noqa: N802 - the HTTP method's name
            received.append(self.headers.get("xkey", ""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def drugs_app(drugs):
    """The app with the sample drug reference (the `drugs` fixture of tests/integration/conftest.py)."""
    return drugs


def test_a_visitors_drug_page_is_public_and_identical(drugs_app):
    client = drugs_app.test_client()
    first, second = client.get("/drugs/atorvastatin"), client.get("/drugs/atorvastatin")
    assert first.status_code == 200 and first.get_data() == second.get_data()
    cache_control = first.headers["Cache-Control"]
    for part in ("public", "max-age=", "s-maxage=", "stale-while-revalidate=", "stale-if-error="):
        assert part in cache_control
    assert "Set-Cookie" not in first.headers
    assert first.headers["ETag"].startswith('"')  # strong
    assert {"drug:atorvastatin", "site"} <= set(first.headers["xkey"].split())
    assert client.get("/drugs/atorvastatin", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    # No visitor trail: the page says what it is for the browser's own history, nothing is stored.
    assert 'data-reading="drug:atorvastatin"' in first.get_data(as_text=True)
    assert not client.get_cookie("session")


def test_a_visitors_group_and_question_pages_are_public(make_app, asker):
    """A page that makes a form for members only must not start a session for a visitor
    (the group page did, and every visitor's copy went past the shared cache)."""
    thread = thread_id_from(ask(asker))
    app = make_app(WTF_CSRF_ENABLED=True)  # a form's token would be made, as in production
    for path in ("/community/groups/diabetes", f"/community/threads/{thread}"):
        visitor = app.test_client()
        first, second = visitor.get(path), app.test_client().get(path)
        assert first.status_code == 200, path
        assert first.headers["Cache-Control"].startswith("public, "), path
        assert "Set-Cookie" not in first.headers and not visitor.get_cookie("session"), path
        assert first.get_data() == second.get_data(), path


def test_a_request_with_a_session_is_never_public(drugs_app, auth, user):
    client = drugs_app.test_client()
    client.set_cookie("session", "anything")
    response = client.get("/drugs/atorvastatin")
    assert response.headers["Cache-Control"] == "private, no-store" and "xkey" not in response.headers


def test_a_visitor_whose_session_is_spent_returns_to_the_shared_cache(drugs_app):
    client = drugs_app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Thanks, check your email.")]
    # The message is shown; Flask-Login's session protection leaves "_fresh" behind, which
    # alone would keep this reader past the shared cache from now on.
    shown = client.get("/drugs/atorvastatin")
    assert shown.headers["Cache-Control"] == "private, no-store"
    assert "session=;" in shown.headers.get("Set-Cookie", "")  # so the spent session is deleted
    assert client.get("/drugs/atorvastatin").headers["Cache-Control"].startswith("public, ")


def test_the_text_size_cookie_takes_a_reader_past_the_cache(client):
    client.set_cookie("font_size", "larger")
    response = client.get("/health-centers")
    assert 'class="fs-larger"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_static_files_are_fingerprinted_for_a_year(client):
    html = client.get("/health-centers").get_data(as_text=True)
    path = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "max-age=31536000" not in client.get("/static/css/site.css?v=old").headers["Cache-Control"]


@pytest.mark.parametrize(("path", "data"), [
    ("/font-size", {"size": "larger", "next": "/drugs"}),
    ("/newsletter", {"email": "reader@example.com", "topics": "recalls"}),
])
@pytest.mark.parametrize(("headers", "accepted"), [
    ({"Origin": "https://evil.example"}, False),
    ({"Origin": "null"}, False),
    ({"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}, False),
    ({"Sec-Fetch-Site": "same-site"}, False),
    ({"Referer": "https://evil.example/page"}, False),
    ({"Origin": "http://localhost"}, True),
    ({"Sec-Fetch-Site": "same-origin"}, True),
    ({"Referer": "http://localhost/drugs"}, True),
])
def test_public_forms_are_checked_by_origin(make_app, path, data, headers, accepted):
    app = make_app(WTF_CSRF_ENABLED=True)  # the token check is on: these two forms do not need it
    response = app.test_client().post(path, data=data, headers=headers)
    if accepted:
        assert response.status_code in (200, 302, 303), response.status_code
    else:
        assert response.status_code == 403


def test_the_footer_form_and_text_size_buttons_carry_no_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().get("/health-centers")
    html = response.get_data(as_text=True)
    assert 'action="/newsletter"' in html and 'action="/font-size"' in html
    assert "csrf_token" not in html and "Set-Cookie" not in response.headers


def test_a_member_form_without_its_token_is_still_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user("token@example.com")
    client = app.test_client()
    refused = client.post("/login", data={"email": "token@example.com", "password": "correct horse battery"},
                          headers={"Origin": "http://localhost"})
    assert refused.status_code == 400


def test_purge_sends_the_keys_and_never_raises(app, purge_server, caplog):
    url, received = purge_server
    with app.app_context():
        assert http_cache.purge({"drug:a", "site"}, [url]) == 1
        assert received == ["drug:a site"]
        dead = f"http://127.0.0.1:{_closed_port()}/"
        assert http_cache.purge({"drug:a"}, [dead]) == 0
    assert "Cache purge" in caplog.text


def test_too_many_keys_purge_the_whole_site(app, purge_server):
    url, received = purge_server
    with app.app_context():
        http_cache.purge({f"pill:{n}" for n in range(http_cache.MAX_KEYS_PER_PURGE + 1)}, [url])
    assert received == ["site"]


def test_a_community_question_purges_its_lists_after_commit(app, purge_server, asker, people):
    url, received = purge_server
    app.config["CACHE_PURGE_URLS"] = [url]
    thread = thread_id_from(ask(asker))
    keys = set(" ".join(received).split())
    assert f"thread:{thread}" in keys and "list:community" in keys


def test_a_change_rolled_back_purges_nothing(drugs_app, purge_server):
    from webapp.blueprints.drugs.models import Drug

    url, received = purge_server
    drugs_app.config["CACHE_PURGE_URLS"] = [url]
    with drugs_app.app_context():
        drug = db.session.execute(db.select(Drug).where(Drug.slug == "ibuprofen")).scalar_one()
        drug.summary = drug.summary + " (edited)"
        db.session.flush()
        db.session.rollback()
        assert received == []
        drug = db.session.execute(db.select(Drug).where(Drug.slug == "ibuprofen")).scalar_one()
        drug.summary = drug.summary + " (edited)"
        db.session.commit()
    assert "drug:ibuprofen" in received[0].split()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_seed_empties_the_shared_cache(make_app, purge_server):
    url, received = purge_server
    app = make_app(CACHE_PURGE_URLS=[url])
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "site" in received


def test_an_import_empties_the_shared_cache(make_app, purge_server, tmp_path):
    from tests.integration.mymeds.test_mymeds_recalls import WARFARIN_RECALL, write

    url, received = purge_server
    app = make_app(CACHE_PURGE_URLS=[url])
    result = app.test_cli_runner().invoke(args=["import", "recalls", str(write(tmp_path, [WARFARIN_RECALL]))])
    assert result.exit_code == 0, result.output
    assert "site" in received
