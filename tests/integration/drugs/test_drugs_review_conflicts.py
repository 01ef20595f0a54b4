"""Editing a drug review never silently overwrites an edit made in another tab or device."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.integration.concurrency import at_the_same_moment
from webapp.blueprints.drugs import reviews
from webapp.blueprints.drugs.models import Condition, Review
from webapp.extensions import db

URL = "/drugs/atorvastatin/reviews/edit"
CONFLICT = "was changed somewhere else"


@pytest.fixture
def reviewer(drugs, logged_in_client):
    """A member with a review of atorvastatin (4, 5, 3, no condition, some text)."""
    response = logged_in_client.post("/drugs/atorvastatin/reviews/new", data={
        "effectiveness": "4", "ease_of_use": "5", "satisfaction": "3", "condition_id": "", "body": "First text"})
    assert response.status_code == 302
    return logged_in_client


def shown_version(html: str) -> str:
    match = re.search(r'<input[^>]*name="shown_version"[^>]*value="([0-9a-f]+)"', html)
    assert match, "no hidden shown_version field"
    return match.group(1)


def open_form(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return shown_version(response.get_data(as_text=True))


def edit(client, version: str | None, **fields):
    data = {"effectiveness": "4", "ease_of_use": "5", "satisfaction": "3", "condition_id": "", "body": "First text"}
    data.update({k: str(v) for k, v in fields.items()})
    if version is not None:
        data["shown_version"] = version
    return client.post(URL, data=data)


def stored(app) -> tuple:
    with app.app_context():
        (review,) = db.session.execute(select(Review)).scalars().all()
        return review.effectiveness, review.ease_of_use, review.satisfaction, review.condition_id, review.body


def cholesterol(app) -> int:
    with app.app_context():
        return db.session.execute(select(Condition.id).where(Condition.slug == "high-cholesterol")).scalar_one()


def test_two_tabs_editing_a_review(drugs, reviewer):
    condition = cholesterol(drugs)
    tab_a, tab_b = open_form(reviewer), open_form(reviewer)
    assert edit(reviewer, tab_b, effectiveness=2, condition_id=condition, body="Tab B text").status_code == 302

    typed = "Tab A <script>alert(1)</script> & more"
    refused = edit(reviewer, tab_a, effectiveness=1, satisfaction=1, body=typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert stored(drugs) == (2, 5, 3, condition, "Tab B text")
    assert 'role="alert"' in html and CONFLICT in html
    assert "Tab A &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html and "<script>alert(1)" not in html
    assert re.search(r'<input[^>]*checked[^>]*name="effectiveness"[^>]*value="1"|<input[^>]*name="effectiveness"[^>]*value="1"[^>]*checked', html)
    # The current version: B's rating, condition and text.
    assert "<p>Tab B text</p>" in html and "2 out of 5" in html and "High cholesterol" in html

    again = edit(reviewer, shown_version(html), effectiveness=1, satisfaction=1, body=typed)
    assert again.status_code == 302
    assert stored(drugs) == (1, 5, 1, None, typed)


def test_a_save_without_the_shown_version_is_refused(drugs, reviewer):
    response = edit(reviewer, None, body="Hand-made request")
    assert response.status_code == 409 and CONFLICT in response.get_data(as_text=True)
    assert edit(reviewer, "0" * 32, body="Forged").status_code == 409
    assert stored(drugs) == (4, 5, 3, None, "First text")


def test_helpful_votes_meanwhile_do_not_block_a_save(drugs, reviewer, app, make_user):
    version = open_form(reviewer)
    with drugs.app_context():
        review_id = db.session.execute(select(Review.id)).scalar_one()
    voter = make_user("voter@example.com")
    other = app.test_client()
    assert other.post("/login", data={"email": voter.email, "password": PASSWORD}).status_code == 302
    assert other.post(f"/drugs/reviews/{review_id}/helpful").status_code == 302
    assert edit(reviewer, version, body="Edited after a vote").status_code == 302
    assert stored(drugs)[4] == "Edited after a vote"


def test_a_review_deleted_in_another_tab_goes_to_a_new_review(drugs, reviewer):
    version = open_form(reviewer)
    assert reviewer.post("/drugs/atorvastatin/reviews/delete").status_code == 302
    response = edit(reviewer, version, body="Too late")
    assert response.status_code == 302 and response.headers["Location"].endswith("/drugs/atorvastatin/reviews/new")
    with drugs.app_context():
        assert db.session.execute(select(Review)).first() is None


def test_two_saves_at_the_same_moment_take_turns(drugs, reviewer, monkeypatch, second_device):
    """Both tabs send the same shown version at once: one save wins, the other gets the conflict page."""
    version = open_form(reviewer)
    update = reviews.update_review

    def slow_update(*args, **kwargs):  # widen the window between the check and the commit
        result = update(*args, **kwargs)
        time.sleep(0.4)
        return result

    monkeypatch.setattr(reviews, "update_review", slow_update)
    def save(client, body):
        return lambda: edit(client, version, body=body).status_code

    results = at_the_same_moment(save(reviewer, "Tab 0"), save(second_device, "Tab 1"))
    statuses = dict(zip(["Tab 0", "Tab 1"], results, strict=True))
    assert sorted(statuses.values()) == [302, 409], statuses
    winner = next(body for body, status in statuses.items() if status == 302)
    assert stored(drugs)[4] == winner


@pytest.fixture
def second_device(app, user):
    """The reviewer logged in on a second device."""
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client
