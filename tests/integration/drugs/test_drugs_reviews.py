"""Reviews: one per member per drug, ratings 1–5, averages, helpful votes, reports, export."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from config import TestConfig
from webapp import create_app
from webapp.blueprints.drugs import reviews
from webapp.blueprints.drugs.models import Condition, Review, ReviewReport
from webapp.extensions import db


def condition_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.execute(select(Condition.id).where(Condition.slug == slug)).scalar_one()


def review(client, slug="atorvastatin", **fields):
    data = {"effectiveness": "4", "ease_of_use": "5", "satisfaction": "3", "condition_id": "", "body": ""}
    data.update({k: str(v) for k, v in fields.items()})
    return client.post(f"/drugs/{slug}/reviews/new", data=data)


def test_writing_a_review_needs_an_account(client, drugs):
    response = client.get("/drugs/atorvastatin/reviews/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert review(client).status_code == 302
    with drugs.app_context():
        assert db.session.execute(select(Review)).first() is None


def test_review_then_averages_overall_and_per_condition(drugs, client, auth, make_user):
    cholesterol = condition_id(drugs, "high-cholesterol")
    first = make_user("first@example.com")
    auth.login(first.email)
    response = review(client, effectiveness=5, ease_of_use=5, satisfaction=4, condition_id=cholesterol,
                      body="Worked well for me.\nNo side effects.")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your review is published" in page and "Worked well for me." in page
    auth.logout()

    second = make_user("second@example.com")
    auth.login(second.email)
    review(client, effectiveness=3, ease_of_use=3, satisfaction=2)
    detail = client.get("/drugs/atorvastatin").get_data(as_text=True)
    # Effectiveness (5 + 3) / 2 = 4.0; satisfaction (4 + 2) / 2 = 3.0; 2 reviews.
    assert "4.0 out of 5" in detail and "3.0 out of 5" in detail and "(2 reviews)" in detail
    assert "High cholesterol" in detail and "Condition not given" in detail
    condition_page = client.get("/conditions/high-cholesterol").get_data(as_text=True)
    assert "4.7 out of 5" in condition_page  # (5 + 5 + 4) / 3 for this condition
    api = client.get("/api/v1/drugs/atorvastatin").get_json()["reviews"]
    assert api == {"count": 2, "effectiveness": 4.0, "ease_of_use": 4.0, "satisfaction": 3.0}


def test_one_review_per_member_and_it_can_be_edited(drugs, logged_in_client):
    assert review(logged_in_client).status_code == 302
    again = review(logged_in_client, body="second try")
    assert again.status_code == 302 and again.headers["Location"].endswith("/drugs/atorvastatin/reviews/edit")
    page = logged_in_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already reviewed this drug" in page
    shown = re.search(r'name="shown_version" type="hidden" value="(\w+)"', page).group(1)
    edited = logged_in_client.post("/drugs/atorvastatin/reviews/edit", data={
        "effectiveness": "1", "ease_of_use": "1", "satisfaction": "1", "condition_id": "", "body": "Changed my mind",
        "shown_version": shown})
    assert edited.status_code == 302
    with drugs.app_context():
        (only,) = db.session.execute(select(Review)).scalars().all()
        assert (only.effectiveness, only.body) == (1, "Changed my mind")


@pytest.mark.parametrize(("fields", "message"), [
    ({"effectiveness": "0"}, "Choose a rating from 1 to 5."),
    ({"ease_of_use": "6"}, "Choose a rating from 1 to 5."),
    ({"satisfaction": "abc"}, "Choose a rating from 1 to 5."),
    ({"satisfaction": ""}, "Choose a rating from 1 to 5."),
    ({"condition_id": "999999"}, "Choose a condition from the list."),
    ({"body": "x" * 5001}, "Use at most 5,000 characters."),
    ({"body": "bad\x00byte"}, "Remove the invisible control characters"),
])
def test_invalid_reviews_are_refused_beside_the_field(drugs, logged_in_client, fields, message):
    response = review(logged_in_client, **{"body": "Kept text", **fields})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and 'class="error"' in page
    if "body" not in fields:
        assert "Kept text" in page
    with drugs.app_context():
        assert db.session.execute(select(Review)).first() is None


def test_review_of_a_missing_drug(drugs, logged_in_client):
    assert logged_in_client.get("/drugs/no-such-drug/reviews/new").status_code == 404
    response = review(logged_in_client, slug="no-such-drug")
    assert response.status_code == 302
    assert "does not exist" in logged_in_client.get(response.headers["Location"]).get_data(as_text=True)


def test_hostile_text_is_shown_as_text(drugs, logged_in_client):
    review(logged_in_client, body="<script>alert(1)</script> \U0001F48A ' OR 1=1 --")
    page = logged_in_client.get("/drugs/atorvastatin/reviews").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_helpful_votes_count_once_and_not_for_your_own(drugs, client, auth, make_user):
    author = make_user("author@example.com")
    auth.login(author.email)
    review(client)
    with drugs.app_context():
        review_id = db.session.execute(select(Review.id)).scalar_one()
    own = client.post(f"/drugs/reviews/{review_id}/helpful", follow_redirects=True).get_data(as_text=True)
    assert "vote for your own review" in own
    auth.logout()
    voter = make_user("voter@example.com")
    auth.login(voter.email)
    assert "your vote is counted" in client.post(f"/drugs/reviews/{review_id}/helpful",
                                                 follow_redirects=True).get_data(as_text=True)
    assert "already marked" in client.post(f"/drugs/reviews/{review_id}/helpful",
                                           follow_redirects=True).get_data(as_text=True)
    helpful = client.get("/drugs/atorvastatin/reviews?sort=helpful").get_data(as_text=True)
    assert "1 person found this helpful" in helpful
    assert client.post("/drugs/reviews/999999/helpful").status_code == 404


def test_reports_are_stored_once_for_the_moderators(drugs, client, auth, make_user):
    author = make_user("author@example.com")
    auth.login(author.email)
    review(client, body="Buy cheap pills at example.com")
    auth.logout()
    with drugs.app_context():
        review_id = db.session.execute(select(Review.id)).scalar_one()
    reporter = make_user("reporter@example.com")
    auth.login(reporter.email)
    assert client.get(f"/drugs/reviews/{review_id}/report").status_code == 200
    missing_reason = client.post(f"/drugs/reviews/{review_id}/report", data={"details": "spam"})
    assert "Choose a reason." in missing_reason.get_data(as_text=True)
    for _ in range(2):
        done = client.post(f"/drugs/reviews/{review_id}/report", data={"reason": "spam", "details": "an advert"})
        assert done.status_code == 302
    with drugs.app_context():
        (report,) = db.session.execute(select(ReviewReport)).scalars().all()
        assert (report.reason, report.status, report.details) == ("spam", "open", "an advert")


def test_delete_and_export_my_reviews(drugs, logged_in_client, user):
    review(logged_in_client, body="Mine")
    with drugs.app_context():
        from webapp.blueprints.accounts.models import User

        member = db.session.get(User, user.id)
        exported = reviews.export_section(db.session, member)
    assert exported["reviews"][0]["drug_slug"] == "atorvastatin" and exported["reviews"][0]["text"] == "Mine"
    assert exported["reviews"][0]["status"] == "shown"
    assert logged_in_client.post("/drugs/atorvastatin/reviews/delete").status_code == 302
    with drugs.app_context():
        assert db.session.execute(select(Review)).first() is None


def test_deleting_the_account_removes_its_reviews(drugs, logged_in_client, user):
    review(logged_in_client)
    with drugs.app_context():
        from webapp.blueprints.accounts.models import User

        db.session.delete(db.session.get(User, user.id))
        db.session.commit()
        assert db.session.execute(select(Review)).first() is None


def test_review_form_refuses_a_post_without_csrf_token(database_url, _schema, drugs, make_user):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    make_user("csrf-drugs@example.com")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": "csrf-drugs@example.com", "password": "correct horse battery",
                                "csrf_token": token})
    refused = review(client)
    assert refused.status_code in (200, 400)
    with app.app_context():
        assert db.session.execute(select(Review)).first() is None
        db.session.remove()
        db.engine.dispose()
