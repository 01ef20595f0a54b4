"""Today on HealthDesk in a browser: a visitor's picks, a member's personal cards with
their reasons, "Why am I seeing this?", and turning personalisation off."""

from __future__ import annotations

from sqlalchemy import select

from webapp.blueprints.accounts import rules as accounts
from webapp.blueprints.community.models import CommunityGroup, CommunityMembership
from webapp.blueprints.drugs.models import Drug
from webapp.blueprints.mymeds.models import MedProfile, SavedMedicine
from webapp.extensions import db

PASSWORD = "a garden of quiet lanterns"


def _member_with_metformin(live_app, email: str) -> None:
    with live_app.app_context():
        user = accounts.create_user(db.session, email, PASSWORD, live_app.config["PASSWORD_HASH_METHOD"], display_name="Priya")
        metformin = db.session.execute(select(Drug).where(Drug.slug == "metformin")).scalar_one()
        profile = MedProfile(user_id=user.id, name="Me", relation="self", is_self=True)
        db.session.add(profile)
        db.session.flush()
        db.session.add(SavedMedicine(profile_id=profile.id, user_id=user.id, kind="drug", drug_id=metformin.id,
                                     name="Metformin", ingredients=["metformin"]))
        diabetes = db.session.execute(select(CommunityGroup).where(CommunityGroup.slug == "diabetes")).scalar_one()
        db.session.add(CommunityMembership(group_id=diabetes.id, user_id=user.id))
        db.session.commit()
        db.session.remove()


def test_visitor_then_member_today_cards(page, live_app, axe_check):
    page.goto("/")
    page.get_by_role("heading", name="What would you like to do?").wait_for()
    assert page.locator(".today-reason").first.inner_text() == "Editor's pick"
    axe_check(page)

    _member_with_metformin(live_app, "priya@example.com")
    page.goto("/login")
    page.get_by_label("Email address").fill("priya@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="For you").wait_for()
    reasons = page.locator(".today-reason").all_inner_texts()
    assert "Because you saved Metformin" in reasons
    assert page.get_by_role("link", name="Diabetes group").is_visible()

    why = page.locator(".today-why").first
    why.get_by_text("Why am I seeing this?").click()
    assert why.locator("p").is_visible()
    axe_check(page)

    page.goto("/account/settings")
    page.get_by_label("Personalise “Today on HealthDesk”").uncheck()
    page.get_by_role("button", name="Save choices").click()
    page.get_by_text("Your personalisation choices are saved").wait_for()
    axe_check(page)
    page.goto("/")
    assert set(page.locator(".today-reason").all_inner_texts()) == {"Editor's pick"}
