"""A member who leaves a private group stops hearing about its threads (security issue #13,
finding 4): no site notification, no email (its subject is the thread's title), no home-page
card; leaving removes their watches there. Read access is checked when notifying, so a
watch left behind by any other path stays silent too."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from tests.integration._community import ask, invitation_forms, post_ids, private_group, thread_id_from
from webapp.blueprints.community.models import CommunityGroup, CommunityMembership, CommunityNotification, CommunityWatch
from webapp.extensions import db

TITLE = "Coping after the diagnosis"


@pytest.fixture
def circle(app, people, other, asker, mod):
    """Quiet Circle (private, owned by `other`) with `asker` as a member watching its one thread."""
    slug = private_group(app, other, mod)
    thread_id = thread_id_from(ask(other, title=TITLE, group=slug))
    other.post(f"/community/groups/{slug}/invite", data={"email": "asker@example.com"})
    assert asker.post(invitation_forms(asker)["Quiet Circle"]["accept"]).status_code == 302
    assert asker.post(f"/community/threads/{thread_id}/watch", data={"watch": "1"}).status_code == 302
    return slug, thread_id


def watching(app, user_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.execute(select(CommunityWatch.thread_id).where(CommunityWatch.user_id == user_id)).scalars())


def notes_about(app, user_id: int, thread_id: int) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(CommunityNotification).where(
            CommunityNotification.user_id == user_id, CommunityNotification.thread_id == thread_id)).scalar_one()


def titled(mails) -> list:
    return [m for m in mails if TITLE in m.subject or TITLE in m.body_text]


def test_a_watching_member_hears_of_new_posts(app, people, circle, other, sent_mail):
    """The baseline the other tests take away: while a member, the watcher is told."""
    _slug, thread_id = circle
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "An update from me."})
    assert notes_about(app, people.asker.id, thread_id) == 1
    assert len(titled(sent_mail("asker@example.com"))) == 1


def test_leaving_removes_the_watches_and_the_notifications_stop(app, people, circle, other, asker, sent_mail):
    slug, thread_id = circle
    assert watching(app, people.asker.id) == [thread_id]
    assert asker.post(f"/community/groups/{slug}/leave").status_code == 302
    assert watching(app, people.asker.id) == []
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "An update after they left."})
    assert notes_about(app, people.asker.id, thread_id) == 0
    assert titled(sent_mail("asker@example.com")) == []
    assert TITLE not in asker.get("/community/notifications").get_data(as_text=True)


def test_a_watch_left_behind_stays_silent(app, people, circle, other, sent_mail):
    """Removed from the group by any other path (here straight in the database), with the watch still there."""
    _slug, thread_id = circle
    with app.app_context():
        db.session.execute(delete(CommunityMembership).where(CommunityMembership.user_id == people.asker.id))
        db.session.commit()
    assert watching(app, people.asker.id) == [thread_id]
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "Another update."})
    assert notes_about(app, people.asker.id, thread_id) == 0
    assert titled(sent_mail("asker@example.com")) == []


def test_an_asker_or_answerer_who_left_is_not_told_either(app, people, circle, other, asker, sent_mail):
    """Not only watchers: the author of an answer who left hears of neither replies nor a best-answer mark."""
    slug, thread_id = circle
    asker.post(f"/community/threads/{thread_id}/answer", data={"body": "What helped me was talking to someone."})
    answer_id = post_ids(app, thread_id)[-1]
    asker.post(f"/community/groups/{slug}/leave")
    before = len(sent_mail("asker@example.com"))
    other.post(f"/community/posts/{answer_id}/reply", data={"body": "Thank you, that helps."})
    other.post(f"/community/posts/{answer_id}/best")
    with app.app_context():
        kinds = list(db.session.execute(select(CommunityNotification.kind).where(
            CommunityNotification.user_id == people.asker.id)).scalars())
    assert "reply" not in kinds and "best" not in kinds
    assert len(sent_mail("asker@example.com")) == before


def test_the_home_page_card_goes_when_the_member_leaves(app, people, circle, other, asker):
    slug, thread_id = circle
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "News while they were a member."})
    assert TITLE in asker.get("/").get_data(as_text=True)  # an unread answer: a card on the home page
    asker.post(f"/community/groups/{slug}/leave")
    asker.get("/community")  # where "You left Quiet Circle." is shown
    home = asker.get("/").get_data(as_text=True)
    assert TITLE not in home
    assert "Quiet Circle" not in home  # nor the group, as a card or a quick link


def test_the_home_page_card_rechecks_access_for_a_watch_left_behind(app, people, circle, other, asker):
    _slug, thread_id = circle
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "News while they were a member."})
    assert TITLE in asker.get("/").get_data(as_text=True)
    with app.app_context():
        db.session.execute(delete(CommunityMembership).where(CommunityMembership.user_id == people.asker.id))
        db.session.commit()
    assert TITLE not in asker.get("/").get_data(as_text=True)


def test_leaving_a_public_group_keeps_watches_on_what_the_member_still_reads(app, people, asker, thread_id):
    """In a public group membership doesn't decide who reads, so the asker still hears about their own question."""
    with app.app_context():
        diabetes = db.session.execute(select(CommunityGroup.id).where(CommunityGroup.slug == "diabetes")).scalar_one()
        db.session.add(CommunityMembership(group_id=diabetes, user_id=people.asker.id))
        db.session.commit()
    assert asker.post("/community/groups/diabetes/leave").status_code == 302
    assert watching(app, people.asker.id) == [thread_id]


def test_a_moderator_who_leaves_a_private_group_keeps_reading_it(app, people, circle, mod, other):
    """Moderators read every group, so leaving one changes nothing they may see."""
    slug, thread_id = circle
    with app.app_context():
        gid = db.session.execute(select(CommunityGroup.id).where(CommunityGroup.slug == slug)).scalar_one()
        db.session.add(CommunityMembership(group_id=gid, user_id=people.moderator.id))
        db.session.add(CommunityWatch(thread_id=thread_id, user_id=people.moderator.id))
        db.session.commit()
    assert mod.post(f"/community/groups/{slug}/leave").status_code == 302
    assert watching(app, people.moderator.id) == [thread_id]
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "For the moderators too."})
    assert notes_about(app, people.moderator.id, thread_id) == 1
