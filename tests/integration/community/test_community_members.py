"""Notifications (site and email), groups (join, leave, create, approve, private), export and account deletion."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.integration._community import ask, client_as, post_ids, thread_id_from
from webapp.blueprints.community.models import CommunityGroup, CommunityPost
from webapp.extensions import db


def html(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_answer_notifies_the_asker_on_site_and_by_email(app, asker, other, sent_mail, thread_id):
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "Try taking it with food."})
    page = html(asker, "/community")
    assert 'Notifications <span class="badge">1' in page
    notices = html(asker, "/community/notifications")
    assert "Olive Other answered your question" in notices
    mails = sent_mail("asker@example.com")
    assert len(mails) == 1 and "Is it normal to feel tired" in mails[0].subject
    assert f"/community/threads/{thread_id}" in mails[0].body_text
    assert "Try taking it with food" not in mails[0].body_text  # health details stay on the site
    assert sent_mail("other@example.com") == []  # never about your own post


def test_reply_notifies_the_answer_author(app, asker, other, sent_mail, thread_id):
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "An answer"})
    answer_id = post_ids(app, thread_id)[1]
    asker.post(f"/community/posts/{answer_id}/reply", data={"body": "Thanks!"})
    assert "Alex Asker replied to your answer" in html(other, "/community/notifications")
    assert len(sent_mail("other@example.com")) == 1


def test_anonymous_answers_do_not_reveal_the_name_in_notifications(app, asker, other, sent_mail, thread_id):
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "Quiet answer", "anonymous": "y"})
    assert "An anonymous member answered" in html(asker, "/community/notifications")
    assert "Olive" not in sent_mail("asker@example.com")[0].body_text


def test_email_preference_off_means_site_only(app, asker, other, sent_mail, thread_id):
    asker.post("/community/notifications", data={})  # the box unticked
    assert 'type="checkbox"' in html(asker, "/community/notifications")
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "An answer"})
    assert sent_mail("asker@example.com") == []
    assert "answered your question" in html(asker, "/community/notifications")


def test_opening_a_notification_marks_it_read_and_mark_all(app, asker, other, thread_id):
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "First"})
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "Second"})
    page = html(asker, "/community/notifications")
    first = re.search(r'href="(/community/notifications/\d+)"', page).group(1)
    response = asker.get(first)
    assert response.status_code == 302 and f"/community/threads/{thread_id}" in response.headers["Location"]
    assert 'Notifications <span class="badge">1' in html(asker, "/community")
    asker.post("/community/notifications", data={"action": "read-all"})
    assert 'class="badge"' not in html(asker, "/community")
    assert other.get(first).status_code == 404  # someone else's notification


def test_watchers_are_notified(app, asker, other, people, thread_id):
    other.post(f"/community/threads/{thread_id}/watch", data={"watch": "1"})
    expert = client_as(app, people.expert.email)
    expert.post(f"/community/threads/{thread_id}/answer", data={"body": "Expert view"})
    assert "which you are watching" in html(other, "/community/notifications")


def test_join_and_leave_a_group(app, other):
    page = html(other, "/community/groups/heart-health")
    assert "Join group" in page
    other.post("/community/groups/heart-health/join")
    assert "Leave group" in html(other, "/community/groups/heart-health")
    assert "You're a member" in html(other, "/community")
    other.post("/community/groups/heart-health/leave")
    assert "Join group" in html(other, "/community/groups/heart-health")


def test_create_group_waits_for_approval(app, other, mod, client):
    response = other.post("/community/groups/new", data={"name": "Living with Lupus", "description": "For people with lupus.",
                                                         "rules": "Be kind", "visibility": "public"})
    assert response.status_code == 302
    assert "Living with Lupus" not in html(client, "/community")
    assert client.get("/community/groups/living-with-lupus").status_code == 404
    assert "Waiting for a moderator" in html(other, "/community/groups/living-with-lupus")
    queue = html(mod, "/community/moderation")
    assert "Living with Lupus" in queue
    with app.app_context():
        gid = db.session.execute(select(CommunityGroup.id).where(CommunityGroup.slug == "living-with-lupus")).scalar_one()
    mod.post(f"/community/moderation/groups/{gid}", data={f"g{gid}-approve": "Approve"})
    assert "Living with Lupus" in html(client, "/community")
    assert "is approved" in html(other, "/community/notifications")


@pytest.mark.parametrize("data, message", [
    ({"name": "", "description": "x", "visibility": "public"}, "Give the group a name"),
    ({"name": "Diabetes", "description": "dup", "visibility": "public"}, "already exists"),
    ({"name": "🙂🙂", "description": "x", "visibility": "public"}, "some words"),
    ({"name": "Ok name", "description": "", "visibility": "public"}, "Describe the group"),
    ({"name": "Ok name", "description": "x", "visibility": "secret"}, "Not a valid choice"),
])
def test_bad_group_input(other, data, message):
    response = other.post("/community/groups/new", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_private_group_only_for_invited_members(app, people, other, asker, mod, client):
    other.post("/community/groups/new", data={"name": "Quiet Circle", "description": "Private support.", "visibility": "private"})
    with app.app_context():
        gid = db.session.execute(select(CommunityGroup.id).where(CommunityGroup.slug == "quiet-circle")).scalar_one()
    mod.post(f"/community/moderation/groups/{gid}", data={f"g{gid}-approve": "Approve"})
    tid = thread_id_from(ask(other, title="Private matter", group="quiet-circle"))
    assert "Private group" in html(client, "/community")
    assert client.get("/community/groups/quiet-circle").status_code == 403
    assert client.get(f"/community/threads/{tid}").status_code == 404
    assert asker.post("/community/groups/quiet-circle/join").status_code == 302
    assert asker.get(f"/community/threads/{tid}").status_code == 404  # joining is by invitation only
    assert "Private matter" not in html(client, "/community/search?q=private+matter")
    other.post("/community/groups/quiet-circle/invite", data={"email": "nobody@example.com"})
    other.post("/community/groups/quiet-circle/invite", data={"email": "asker@example.com"})
    assert asker.get(f"/community/threads/{tid}").status_code == 404  # invited, not yet a member
    notices = html(asker, "/community/notifications")
    assert "Olive Other invited you to the private group “Quiet Circle”" in notices
    accept = re.search(r'action="(/community/invitations/\d+/accept)"', notices).group(1)
    assert asker.post(accept).status_code == 302
    assert "Private matter" in html(asker, f"/community/threads/{tid}")


def test_export_contains_community_data(app, asker, other, thread_id):
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "My answer text"})
    response = other.get("/account/export")
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    posts = data["community"]["posts"]
    assert posts[0]["body"] == "My answer text" and posts[0]["kind"] == "answer"


def test_account_deletion_leaves_deleted_member_on_public_posts(app, people, asker, other, client, thread_id):
    other.post(f"/community/threads/{thread_id}/answer", data={"body": "Answer that stays"})
    answer_id = post_ids(app, thread_id)[1]
    asker.post(f"/community/posts/{answer_id}/helpful")
    with app.app_context():
        from webapp.blueprints.accounts.models import User

        db.session.delete(db.session.get(User, people.other.id))
        db.session.commit()
        assert db.session.get(CommunityPost, answer_id).author_id is None
    page = html(client, f"/community/threads/{thread_id}")
    assert "[deleted member]" in page and "Answer that stays" in page


def test_nul_bytes_and_control_characters_in_every_form_never_give_500(app, asker, other, mod, thread_id):
    nul = "bad\x00text\x1b"
    pid = post_ids(app, thread_id)[0]
    requests = [
        (other, "/community/groups/new", {"name": nul, "description": nul, "rules": nul, "visibility": "public"}),
        (other, "/community/groups/new", {"name": "Fine", "description": nul, "rules": nul, "visibility": nul}),
        (other, f"/community/threads/{thread_id}/answer", {"body": nul}),
        (other, f"/community/posts/{pid}/report", {"reason": nul, "note": nul}),
        (other, f"/community/posts/{pid}/report", {"reason": "other", "note": nul}),
        (asker, f"/community/posts/{pid}/edit", {"title": nul, "body": nul}),
        (asker, "/community/ask", {"group": nul, "title": "ok title", "body": nul, "tags": nul, "drug": nul}),
        (mod, f"/community/moderation/posts/{pid}/hide", {"hide-reason": nul}),
        (mod, f"/community/moderation/posts/{pid}/warn", {"warn-reason": nul}),
        (mod, f"/community/moderation/posts/{pid}/suspend", {"suspend-days": nul, "suspend-reason": nul}),
        (mod, f"/community/moderation/posts/{pid}/ban", {"ban-reason": nul, "ban-confirm": "y"}),
        (mod, f"/community/moderation/posts/{pid}/redact", {"redact-body": nul}),
        (asker, "/community/notifications", {"email_notifications": nul}),
        (asker, "/community/groups/diabetes/invite", {"email": nul}),
    ]
    for client, url, data in requests:
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, data, response.status_code)
    for url in (f"/community/search?q={nul}", f"/community/groups/diabetes?sort={nul}&page={nul}"):
        assert asker.get(url).status_code < 500, url


def test_second_opinion_lists_expert_perspective_articles(app, client):
    from datetime import date

    from webapp.blueprints.content.models import Article, HealthCenter

    with app.app_context():
        center = HealthCenter(slug="test-center", name="Test Center", topic="Testing", summary="A test center.", content_hash="x")
        db.session.add(center)
        db.session.flush()
        for slug, kind in (("an-expert-view", "expert-perspective"), ("a-feature", "feature")):
            db.session.add(Article(
                slug=slug, center_id=center.id, title=f"Title of {slug}", short_title=slug, kind=kind, audience="patient",
                summary=f"Summary of {slug}", reviewed_on=date(2026, 11, 1), updated_on=date(2026, 11, 1), reviewer="A Reviewer",
                body_html="<p>x</p>", source_path="test.md", content_hash="y", is_sample=True,
            ))
        db.session.commit()
    page = html(client, "/community/second-opinion")
    assert "Title of an-expert-view" in page and "Summary of an-expert-view" in page
    assert "Title of a-feature" not in page


def test_rerender_and_reindex_commands(app, runner, client, thread_id):
    with app.app_context():
        post = db.session.get(CommunityPost, post_ids(app, thread_id)[0])
        post.body_html = "<p>stale <script>alert(1)</script></p>"  # as if rendered by an older, looser sanitiser
        from webapp.core.search import index as site_search

        site_search.clear(db.session)
        db.session.commit()
    assert "Is it normal" not in html(client, "/community/search?q=metformin")
    result = runner.invoke(args=["community", "rerender"])
    assert result.exit_code == 0 and "1 changed" in result.output
    result = runner.invoke(args=["community", "reindex"])
    assert result.exit_code == 0 and "index: 1" in result.output
    page = html(client, f"/community/threads/{thread_id}")
    assert "<script>alert(1)" not in page and "<strong>tired</strong>" in page
    assert "Is it normal" in html(client, "/community/search?q=metformin")


def test_a_race_on_a_unique_row_gives_a_message_not_a_500(app, other, thread_id, monkeypatch):
    from webapp.blueprints.community import groups
    from webapp.blueprints.community.models import CommunityMembership

    # Simulate a second click that slipped past the "already a member?" check.
    monkeypatch.setattr(groups, "is_member", lambda *_args: False)
    assert other.post("/community/groups/heart-health/join").status_code == 302
    response = other.post("/community/groups/heart-health/join", headers={"Referer": "http://localhost/community/groups/heart-health"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/community/groups/heart-health")
    assert "already done" in other.get("/community/groups/heart-health").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(CommunityMembership)).scalar_one() == 1


def test_seed_is_idempotent(app_ctx):
    from webapp.blueprints.community.seed import GROUPS, seed

    messages: list[str] = []
    seed(db.session, messages.append)
    seed(db.session, messages.append)
    db.session.commit()
    assert messages[0].startswith(f"community groups: {len(GROUPS)} added")
    assert messages[1].startswith("community groups: 0 added, 0 updated")
    names = set(db.session.execute(select(CommunityGroup.name)).scalars())
    assert {"Pancreatic Cancer", "Cancer Caregivers", "Diabetes", "Heart Health", "Mental Health", "Medications & Side Effects"} <= names


def test_unread_count_for_visitors_is_zero(app_ctx):
    from flask_login import AnonymousUserMixin

    from webapp.blueprints.community.notifications import unread_count

    assert unread_count(db.session, AnonymousUserMixin()) == 0
    assert unread_count(db.session, None) == 0
