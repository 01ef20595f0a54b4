"""Helpers for the community integration tests: people with roles, clients logged in as them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tests.conftest import PASSWORD
from webapp.blueprints.community import groups
from webapp.blueprints.community.models import CommunityGroup, CommunityStanding, CommunityThread
from webapp.blueprints.community.seed import seed
from webapp.extensions import db


@dataclass
class People:
    asker: object
    other: object
    expert: object
    moderator: object
    newbie: object


def setup_people(app, make_user) -> People:
    """Seeded groups and five accounts; asker and other are members in good standing."""
    people = People(
        asker=make_user("asker@example.com", display_name="Alex Asker"),
        other=make_user("other@example.com", display_name="Olive Other"),
        expert=make_user("expert@example.com", display_name="Dr Erin Expert", role="expert"),
        moderator=make_user("mod@example.com", display_name="Max Moderator", role="moderator"),
        newbie=make_user("new@example.com", display_name="Nina Newbie"),
    )
    with app.app_context():
        seed(db.session, lambda _m: None)
        from webapp.blueprints.accounts.models import User

        db.session.get(User, people.expert.id).credential = "PharmD, oncology pharmacist"
        for user in (people.asker, people.other):
            db.session.add(CommunityStanding(user_id=user.id, approved_posts=3, warnings=0, email_notifications=True))
        db.session.commit()
    return people


def client_as(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def ask(client, title="Is it normal to feel tired on metformin?", body="I started last week and feel **tired** all day.", group="diabetes", **extra):
    data = {"group": group, "title": title, "body": body}
    data.update(extra)
    return client.post("/community/ask", data=data)


def thread_id_from(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return int(response.headers["Location"].rstrip("/").split("/")[-1].split("#")[0])


def latest_thread(app) -> CommunityThread:
    with app.app_context():
        thread = db.session.execute(select(CommunityThread).order_by(CommunityThread.id.desc())).scalars().first()
        db.session.expunge(thread)
        return thread


def group_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.execute(select(CommunityGroup.id).where(CommunityGroup.slug == slug)).scalar_one()


def post_ids(app, thread_id: int) -> list[int]:
    from webapp.blueprints.community.models import CommunityPost

    with app.app_context():
        return list(db.session.execute(
            select(CommunityPost.id).where(CommunityPost.thread_id == thread_id).order_by(CommunityPost.id)
        ).scalars())


def private_group(app, owner, moderator, name: str = "Quiet Circle", approve: bool = True) -> str:
    """A private group made by `owner` through the site (approved by `moderator` unless told not to); its slug."""
    response = owner.post("/community/groups/new", data={"name": name, "description": "A private support circle.",
                                                         "visibility": "private"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    slug = groups.group_slug(name)
    if approve:
        gid = group_id(app, slug)
        assert moderator.post(f"/community/moderation/groups/{gid}", data={f"g{gid}-approve": "Approve"}).status_code == 302
    return slug


def invitation_forms(client, page: str = "/community/notifications") -> dict[str, str]:
    """The Accept and Decline form actions on a member's page, by group name: {"Quiet Circle": {"accept": ..., ...}}."""
    import re

    html = client.get(page).get_data(as_text=True)
    found: dict = {}
    for action, verb, name in re.findall(
            r'action="(/community/invitations/\d+/(accept|decline))"[^>]*>.*?the invitation to ([^<]+)</span>', html, re.S):
        found.setdefault(name.replace("&amp;", "&"), {})[verb] = action
    return found


__all__ = ["People", "ask", "client_as", "group_id", "invitation_forms", "latest_thread", "post_ids", "private_group",
           "setup_people", "thread_id_from"]
