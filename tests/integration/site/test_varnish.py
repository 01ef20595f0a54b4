"""deploy/varnish/healthdesk.vcl in front of the app under gunicorn, both on loopback: public
pages are served from the cache, members pass through, a content change purges its pages,
and a stopped application's pages are still served (stale) for their grace period.

Runs varnishd itself (its own -n working directory, free ports); skips when it is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench import serving

ROOT = Path(__file__).resolve().parents[3]
ARTICLE = "/health-centers/pancreatic-cancer/pnet-treatment-option-overview"
WHIPPLE = "/health-centers/pancreatic-cancer/whipple-procedure"
NEVER_CACHED = "/login"  # sets a session cookie: never stored

pytestmark = pytest.mark.skipif(serving.varnish_available() is not None,
                                reason=serving.varnish_available() or "varnish is installed")


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode(errors="replace")


def flask_command(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True, text=True, timeout=300)


def wait_for(check, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("varnish-stack")
    env = {**os.environ, "HEALTHDESK_ENV": "development", "HEALTHDESK_INSTANCE": str(folder),
           "DATABASE_URL": f"sqlite:///{folder / 'site.sqlite3'}", "CACHE_PURGE_URLS": ""}
    env.pop("TEST_DATABASE_URL", None)
    flask_command(env, "db", "upgrade")
    flask_command(env, "content", "sync")
    started: list = []
    with serving.gunicorn(env["DATABASE_URL"], str(folder), 2, extra_env=env, started=started) as app_url:
        port = int(app_url.rsplit(":", 1)[1])
        with serving.varnish(port, str(folder / "varnish")) as cache_url:
            wait_for(lambda: fetch(cache_url + "/health-centers")[0] == 200, "varnish to see a healthy backend")
            yield {"cache": cache_url, "app": started[0], "env": {**env, "CACHE_PURGE_URLS": cache_url + "/"},
                   "folder": folder}


def test_public_pages_are_served_from_the_cache(stack):
    cache = stack["cache"]
    status, first, body = fetch(cache + ARTICLE)
    assert status == 200 and first["Cache-Control"].startswith("public")
    status, second, again = fetch(cache + ARTICLE)
    assert second["X-Cache"] == "HIT" and again == body
    assert "xkey" not in {k.lower() for k in second} and "Set-Cookie" not in second
    # Tracking parameters and unrelated cookies share the same cached copy.
    assert fetch(cache + ARTICLE + "?utm_source=mail&gclid=abc&fbclid=x")[1]["X-Cache"] == "HIT"
    assert fetch(cache + ARTICLE, headers={"Cookie": "_ga=GA1.1.1"})[1]["X-Cache"] == "HIT"
    # Equivalent addresses are one object: parameters in any order, an empty query.
    fetch(cache + "/health-centers?page=1&sort=new")
    for same in ("/health-centers?sort=new&page=1", "/health-centers?sort=new&utm_medium=x&page=1"):
        assert fetch(cache + same)[1]["X-Cache"] == "HIT", same
    fetch(cache + "/health-centers")
    assert fetch(cache + "/health-centers?")[1]["X-Cache"] == "HIT"
    # The browser's own copy is revalidated by ETag.
    assert fetch(cache + ARTICLE, headers={"If-None-Match": second["ETag"]})[0] == 304


def test_a_request_with_a_session_always_reaches_the_application(stack):
    cache = stack["cache"]
    fetch(cache + ARTICLE)
    # (__Host-session is the production name; this development app calls its cookie "session".)
    for cookie in ("session=member-session", "__Host-session=x", "remember_token=x", "font_size=larger"):
        for _ in range(2):
            status, headers, _body = fetch(cache + ARTICLE, headers={"Cookie": "_ga=1; " + cookie})
            assert status == 200 and headers["X-Cache"] == "MISS", cookie
    assert fetch(cache + ARTICLE, headers={"Cookie": "session=x"})[1]["Cache-Control"] == "private, no-store"


def test_a_content_change_purges_its_pages(stack):
    cache = stack["cache"]
    fetch(cache + ARTICLE)
    assert fetch(cache + ARTICLE)[1]["X-Cache"] == "HIT"
    assert fetch(cache + WHIPPLE)[0] == 200 and fetch(cache + WHIPPLE)[1]["X-Cache"] == "HIT"
    content = stack["folder"] / "content"
    shutil.copytree(ROOT / "webapp" / "content", content, dirs_exist_ok=True)
    path = content / "pancreatic-cancer" / "pnet-treatment-option-overview.md"
    path.write_text(path.read_text().replace("## Localized Disease", "## Localised Disease (purged)"))
    flask_command(stack["env"], "content", "sync", "--folder", str(content))
    status, headers, body = fetch(cache + ARTICLE)
    assert headers["X-Cache"] == "MISS" and "Localised Disease (purged)" in body
    assert fetch(cache + WHIPPLE)[1]["X-Cache"] == "HIT"  # untouched: still cached


def test_a_failed_purge_never_fails_the_change(stack, tmp_path):
    env = {**stack["env"], "CACHE_PURGE_URLS": f"http://127.0.0.1:{serving.free_port()}/"}
    flask_command(env, "content", "sync")  # check=True: the command succeeds without a cache


def test_pages_are_served_stale_while_the_application_is_stopped(stack):
    cache = stack["cache"]
    status, _headers, body = fetch(cache + WHIPPLE)
    assert status == 200
    app = stack["app"]
    app.terminate()
    app.wait(timeout=10)
    # Expire the page but keep it for grace, as a TTL running out would.
    assert fetch(cache + "/", method="PURGE", headers={"xkey-softpurge": "article:whipple-procedure"})[0] == 200
    wait_for(lambda: fetch(cache + NEVER_CACHED)[0] == 503, "varnish to notice the stopped application")
    status, headers, stale = fetch(cache + WHIPPLE)
    assert status == 200 and stale == body and headers["X-Cache"] == "HIT"
