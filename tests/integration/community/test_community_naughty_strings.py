"""The Big List of Naughty Strings through the real forms: no 500, and nothing executable on the page."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.integration._community import client_as, setup_people
from webapp.extensions import limiter

BLNS = Path(__file__).parents[3].parent / "shared" / "data" / "blns" / "blns.json"
pytestmark = pytest.mark.skipif(not BLNS.exists(), reason=f"the Big List of Naughty Strings is not at {BLNS} (../shared is absent)")


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            target = "".join((value or "").split()).lower()
            if name in ("href", "src", "action", "formaction") and target.startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.problems.append("inline <script>")
        if tag in ("iframe", "object", "embed", "img", "svg", "math", "style", "base"):
            self.problems.append(f"<{tag}>")


def executable_bits(html: str) -> list[str]:
    parser = _Scripts()
    parser.feed(html)
    return parser.problems


@pytest.fixture
def naughty() -> list[str]:
    strings = json.loads(BLNS.read_text(encoding="utf-8"))
    if os.environ.get("TEST_DATABASE_URL"):
        # The whole list runs on SQLite (and through the sanitiser in the unit tests); on
        # PostgreSQL every fifth string is enough to catch a dialect difference, in a fifth of the time.
        return strings[::5]
    return strings


def test_every_naughty_string_as_question_and_answer(app, make_user, monkeypatch, naughty):
    monkeypatch.setattr(limiter, "enabled", False)  # 1,000 posts in a minute is the point here
    people = setup_people(app, make_user)
    asker = client_as(app, people.asker.email)
    other = client_as(app, people.other.email)
    baseline = executable_bits(asker.get("/community").get_data(as_text=True))
    assert baseline == []
    thread_url = None
    posted = 0
    for text in naughty:
        response = asker.post("/community/ask", data={"group": "diabetes", "title": text, "body": text, "tags": "", "drug": text})
        assert response.status_code in (302, 400), (text, response.status_code)
        if response.status_code == 302:
            posted += 1
            thread_url = thread_url or response.headers["Location"]
        else:
            assert executable_bits(response.get_data(as_text=True)) == [], text
    assert posted > len(naughty) * 0.6  # most strings are fine questions; the rest got a message
    for text in naughty:
        response = other.post(thread_url + "/answer", data={"body": text})
        assert response.status_code in (302, 400), (text, response.status_code)
    # Every title is listed on the group's pages, every body on the first thread's page.
    pages = [thread_url, "/community"] + [f"/community/groups/diabetes?page={n}" for n in range(1, posted // 20 + 2)]
    for url in pages:
        page = asker.get(url)
        assert page.status_code == 200
        assert executable_bits(page.get_data(as_text=True)) == [], url


def test_naughty_search_queries(client, naughty):
    for text in naughty:
        response = client.get("/community/search", query_string={"q": text})
        assert response.status_code in (200, 400), text
        assert executable_bits(response.get_data(as_text=True)) == [], text
