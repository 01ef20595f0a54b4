"""The home page's "Today on HealthDesk" for a visitor, a new member, and a member with
medicines, groups and alerts; privacy controls; reading history."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from webapp.blueprints.community import seed as community_seed
from webapp.blueprints.community.models import CommunityGroup, CommunityMembership, CommunityThread
from webapp.blueprints.content import loader as content_loader
from webapp.blueprints.drugs.models import Condition, Drug, Ingredient, drug_ingredients
from webapp.blueprints.mymeds.models import MedNotification, MedProfile, Recall, RecallMatch, SavedMedicine
from webapp.blueprints.personalisation.models import ReadingHistory
from webapp.extensions import db


def _reasons(html: str) -> list[str]:
    return [r.replace("&#39;", "'") for r in re.findall(r'today-reason">(?:<span[^>]*>!</span> <span[^>]*>Important: </span>)?([^<]*)<', html)]


def _titles(html: str) -> list[str]:
    return re.findall(r'today-title"><a href="[^"]*">([^<]*)<', html)


@pytest.fixture
def site(app):
    """Articles and groups from the seed, and a small drug reference."""
    with app.app_context():
        content_loader.seed(db.session, lambda _m: None)
        community_seed.seed(db.session, lambda _m: None)
        diabetes = Condition(slug="type-2-diabetes", name="Type 2 diabetes")
        db.session.add(diabetes)
        for slug, name in [("metformin", "Metformin"), ("sitagliptin", "Sitagliptin"), ("glipizide", "Glipizide")]:
            drug = Drug(slug=slug, name=name, kind="prescription", generic_name=slug, summary=f"{name} lowers blood sugar.")
            drug.conditions.append(diabetes)
            ingredient = Ingredient(name=slug)
            db.session.add_all([drug, ingredient])
            db.session.flush()
            db.session.execute(insert(drug_ingredients).values(drug_id=drug.id, ingredient_id=ingredient.id, position=0))
        db.session.commit()
    return app


def _member_with_signals(app, user):
    """Metformin saved, the Diabetes group joined, a recent thread there, an unread recall alert."""
    now = datetime.now(timezone.utc)
    with app.app_context():
        metformin = db.session.execute(select(Drug).where(Drug.slug == "metformin")).scalar_one()
        profile = MedProfile(user_id=user.id, name="Me", relation="self", is_self=True)
        db.session.add(profile)
        db.session.flush()
        saved = SavedMedicine(profile_id=profile.id, user_id=user.id, kind="drug", drug_id=metformin.id, name="Metformin",
                              ingredients=["metformin"])
        diabetes = db.session.execute(select(CommunityGroup).where(CommunityGroup.slug == "diabetes")).scalar_one()
        db.session.add_all([saved, CommunityMembership(group_id=diabetes.id, user_id=user.id)])
        db.session.add(CommunityThread(group_id=diabetes.id, title="Low blood sugar at night?", last_activity_at=now))
        recall = Recall(recall_number="D-0001-2026", classification="Class II", product_description="Metformin ER 500 mg",
                        reason_for_recall="NDMA above the limit", recalling_firm="Example Pharma", report_date=date(2026, 11, 1),
                        content_hash="x")
        db.session.add(recall)
        db.session.flush()
        db.session.add(RecallMatch(recall_id=recall.id, saved_medicine_id=saved.id, profile_id=profile.id, user_id=user.id, basis="ingredient"))
        db.session.add(MedNotification(user_id=user.id, profile_id=profile.id, recall_id=recall.id,
                                       title="Recall: Metformin ER 500 mg (Example Pharma)", created_at=now - timedelta(hours=1)))
        db.session.commit()


def test_visitor_sees_the_main_tasks_and_editorial_picks(site, client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "What would you like to do?" in html
    assert set(_reasons(html)) == {"Editor's pick"}
    assert "Whipple Procedure" in _titles(html)
    assert "no-store" not in response.headers["Cache-Control"]  # visitor pages stay cacheable


def test_new_member_gets_personal_page_that_is_never_stored(site, logged_in_client):
    response = logged_in_client.get("/")
    html = response.get_data(as_text=True)
    assert "Hello, Morgan Member" in html and "For you" in html
    assert "no-store" in response.headers["Cache-Control"]
    assert _reasons(html) and set(_reasons(html)) == {"Editor's pick"}


def test_member_with_medicines_groups_and_alerts(site, logged_in_client, user):
    _member_with_signals(site, user)
    html = logged_in_client.get("/").get_data(as_text=True)
    reasons = _reasons(html)
    assert reasons[0] == "Recall affecting your Metformin"
    assert _titles(html)[0] == "Recall: Metformin ER 500 mg (Example Pharma)"
    assert "Because you saved Metformin" in reasons
    assert "From your group Diabetes" in reasons
    assert "Metformin" not in _titles(html)  # not the page of the medicine they saved
    assert "Diabetes group" in html  # quick link to their group
    assert "Why am I seeing this?" in html


def test_turning_personalisation_off_shows_the_visitor_picks(site, logged_in_client, user):
    _member_with_signals(site, user)
    logged_in_client.post("/account/personalisation", data={"keep_history": "y"})
    html = logged_in_client.get("/").get_data(as_text=True)
    assert set(_reasons(html)) == {"Editor's pick"}


def test_reading_history_is_kept_exported_and_cleared(site, logged_in_client, user):
    logged_in_client.get("/health-centers/pancreatic-cancer/whipple-procedure")
    with site.app_context():
        rows = db.session.execute(select(ReadingHistory).where(ReadingHistory.user_id == user.id)).scalars().all()
        assert [(r.item_kind, r.item_key) for r in rows] == [("article", "whipple-procedure")]

    html = logged_in_client.get("/").get_data(as_text=True)
    assert "Whipple Procedure" not in _titles(html)  # already read
    assert any(r.startswith("Because you read") for r in _reasons(html))

    exported = json.loads(logged_in_client.get("/account/export").data)
    assert exported["personalisation"]["reading_history"][0]["key"] == "whipple-procedure"

    logged_in_client.post("/account/reading-history/clear")
    with site.app_context():
        assert db.session.execute(select(ReadingHistory)).first() is None


def test_history_off_stores_nothing(site, logged_in_client, user):
    logged_in_client.post("/account/personalisation", data={"personalise": "y"})
    logged_in_client.get("/health-centers/pancreatic-cancer/whipple-procedure")
    with site.app_context():
        assert db.session.execute(select(ReadingHistory)).first() is None
    assert "checked" not in re.search(r'id="keep_history"[^>]*>', logged_in_client.get("/account/settings").get_data(as_text=True)).group(0)


def test_a_visitors_history_is_left_to_their_browser(site, client):
    before = client.get("/").get_data(as_text=True)
    article = client.get("/health-centers/pancreatic-cancer/whipple-procedure")
    # No trail on the server, not even in a cookie: site.js keeps it in the reader's own browser.
    assert "Set-Cookie" not in article.headers
    assert 'data-reading="article:' in article.get_data(as_text=True)
    html = client.get("/").get_data(as_text=True)
    assert _titles(html) == _titles(before)
    assert not any(r.startswith("Because you read") for r in _reasons(html))
    with site.app_context():
        assert db.session.execute(select(ReadingHistory)).first() is None


def _sidebar(html: str) -> str:
    return html[html.index('aria-labelledby="today-title"'):]


def test_article_sidebar_is_editorial_for_visitors_and_personal_for_members(site, client, logged_in_client, user):
    visitor = client.get("/health-centers/pancreatic-cancer/pnet-treatment-option-overview").get_data(as_text=True)
    assert "Editor&#39;s pick" in _sidebar(visitor)

    _member_with_signals(site, user)
    response = logged_in_client.get("/health-centers/pancreatic-cancer/pnet-treatment-option-overview")
    sidebar = _sidebar(response.get_data(as_text=True))
    assert "Recall affecting your Metformin" in sidebar
    assert "Because you saved Metformin" in sidebar
    assert "no-store" in response.headers["Cache-Control"]


def test_cards_follow_changes_at_once_despite_the_cache(site, logged_in_client, user):
    assert set(_reasons(logged_in_client.get("/").get_data(as_text=True))) == {"Editor's pick"}
    _member_with_signals(site, user)
    assert _reasons(logged_in_client.get("/").get_data(as_text=True))[0] == "Recall affecting your Metformin"
    with site.app_context():
        for note in db.session.execute(select(MedNotification)).scalars():
            note.read_at = datetime.now(timezone.utc)
        db.session.commit()
    assert "Recall affecting your Metformin" not in _reasons(logged_in_client.get("/").get_data(as_text=True))


def test_cached_home_page_carries_a_working_csrf_token(site, make_app, user):
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": token})
    first, second = (client.get("/").get_data(as_text=True) for _ in range(2))
    assert "hole" not in second and "Hello, Morgan Member" in second
    home_token = re.search(r'name="csrf_token" value="([^"]+)"', second).group(1)
    assert client.post("/logout", data={"csrf_token": home_token}).status_code == 302
    assert "Hello, Morgan Member" not in client.get("/").get_data(as_text=True)
