"""When the database goes away (a restart, a network cut), readers get an honest 503 page
with Retry-After, never a raw server error, and the worker recovers by itself."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from webapp.extensions import db

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"  # nothing listens on port 1


def test_an_unreachable_database_gives_a_503_page_that_needs_no_database(make_app):
    client = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE).test_client()
    response = client.get("/drugs/warfarin")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30" and "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert "<h1>Back in a moment</h1>" in html and "Nothing you saved is lost" in html
    assert "Content-Security-Policy" in response.headers  # the usual headers still go out
    assert client.get("/hello").status_code == 200  # what needs no database still works


def test_the_api_says_503_in_json(make_app):
    response = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE).test_client().get("/api/v1/drugs?q=ibuprofen")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["status"] == 503


@pytest.fixture
def postgres_app(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: a server-side disconnect (pg_terminate_backend) is what is tested")
    return app


def _cut_my_connection(database_url: str) -> None:
    """What a database restart does to this request's connection: the server ends it."""
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(database_url)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_cut_mid_request_gives_a_503_and_the_next_request_works(postgres_app, database_url):
    app = postgres_app

    @app.route("/_fault/cut-then-query")
    def cut_then_query():
        _cut_my_connection(database_url)
        db.session.execute(text("SELECT 1"))  # the server has gone: OperationalError
        return "not reached"

    client = app.test_client()
    response = client.get("/_fault/cut-then-query")
    assert response.status_code == 503 and "Back in a moment" in response.get_data(as_text=True)
    assert client.get("/drugs").status_code == 200  # pre-ping replaced the dead connection


def test_a_connection_cut_after_the_view_never_breaks_the_response(postgres_app, database_url):
    app = postgres_app

    @app.route("/_fault/cut-after-reading")
    def cut_after_reading():
        _cut_my_connection(database_url)  # the transaction is open; ending it at teardown fails
        return "the page"

    response = app.test_client().get("/_fault/cut-after-reading")
    assert response.status_code == 200 and response.get_data(as_text=True) == "the page"
