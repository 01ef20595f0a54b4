"""Reports, the moderation queue and every moderator action, with their permissions and log."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.integration._community import ask, client_as, post_ids, thread_id_from
from webapp.blueprints.community.models import CommunityModerationAction, CommunityPost, CommunityReport, CommunityStanding
from webapp.extensions import db


def question_id(app, thread_id):
    return post_ids(app, thread_id)[0]


def report(client, post_id, reason="spam", note=""):
    return client.post(f"/community/posts/{post_id}/report", data={"reason": reason, "note": note})


def actions(app) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(select(CommunityModerationAction).order_by(CommunityModerationAction.id)).scalars()
        return [(a.action, a.moderator_id) for a in rows]


def html(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_report_once_per_member_per_post(app, other, thread_id):
    pid = question_id(app, thread_id)
    assert "Why are you reporting this post?" in html(other, f"/community/posts/{pid}/report")
    assert report(other, pid, note="Looks like an advert").status_code == 302
    again = report(other, pid, reason="other")
    assert again.status_code == 302
    assert "already reported" in other.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(CommunityReport)).scalar_one() == 1


def test_report_without_reason_keeps_note(app, other, thread_id):
    pid = question_id(app, thread_id)
    response = other.post(f"/community/posts/{pid}/report", data={"note": "my note"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose why" in body and "my note" in body


def test_reporter_stays_anonymous_to_the_author(app, asker, other, mod, thread_id):
    pid = question_id(app, thread_id)
    report(other, pid, reason="misinformation", note="wrong dose")
    mod.post(f"/community/moderation/posts/{pid}/hide", data={"hide-reason": "Contains a wrong dose"})
    notices = html(asker, "/community/notifications")
    assert "Contains a wrong dose" in notices
    assert "Olive Other" not in notices and "Olive Other" not in html(asker, f"/community/threads/{thread_id}")


def test_members_cannot_open_the_queue_or_act(app, other, client, thread_id):
    assert other.get("/community/moderation").status_code == 403
    pid = question_id(app, thread_id)
    assert other.post(f"/community/moderation/posts/{pid}/hide", data={"hide-reason": "x"}).status_code == 403
    assert client.get("/community/moderation").status_code == 302
    with app.app_context():
        assert db.session.get(CommunityPost, pid).status == "visible"


def test_queue_shows_reports_with_context_and_hide_shows_reason_to_author_only(app, asker, other, mod, client, thread_id):
    pid = question_id(app, thread_id)
    report(other, pid, reason="spam")
    queue = html(mod, "/community/moderation")
    assert "Is it normal to feel tired on metformin?" in queue and "Spam or advertising (1)" in queue
    review = html(mod, f"/community/moderation/posts/{pid}")
    assert "Open reports (1)" in review and "Alex Asker" in review
    response = mod.post(f"/community/moderation/posts/{pid}/hide", data={"hide-reason": "Advertising a product"})
    assert response.status_code == 302
    assert client.get(f"/community/threads/{thread_id}").status_code == 404
    own = html(asker, f"/community/threads/{thread_id}")
    assert "Hidden by a moderator" in own and "Advertising a product" in own
    assert "Advertising a product" not in html(mod, "/community/moderation")  # resolved: out of the queue
    assert ("hide", mod_id(app)) in actions(app)


def mod_id(app):
    with app.app_context():
        from webapp.blueprints.accounts.models import User

        return db.session.execute(select(User.id).where(User.email == "mod@example.com")).scalar_one()


def test_hide_needs_a_reason(app, mod, thread_id):
    pid = question_id(app, thread_id)
    response = mod.post(f"/community/moderation/posts/{pid}/hide", data={"hide-reason": "  "})
    assert response.status_code == 400 and "Write a reason" in response.get_data(as_text=True)


def test_restore_and_dismiss(app, other, mod, client, thread_id):
    pid = question_id(app, thread_id)
    mod.post(f"/community/moderation/posts/{pid}/hide", data={"hide-reason": "Checking"})
    mod.post(f"/community/moderation/posts/{pid}/restore")
    assert client.get(f"/community/threads/{thread_id}").status_code == 200
    report(other, pid)
    mod.post(f"/community/moderation/posts/{pid}/dismiss")
    assert "Nothing waiting" in html(mod, "/community/moderation")
    assert [a for a, _ in actions(app)] == ["hide", "restore", "dismiss"]


def test_approving_a_held_first_post(app, people, mod, client):
    newbie = client_as(app, people.newbie.email)
    tid = thread_id_from(ask(newbie, title="First time here"))
    pid = question_id(app, tid)
    queue = html(mod, "/community/moderation")
    assert "First time here" in queue and "waiting for review" in queue
    mod.post(f"/community/moderation/posts/{pid}/restore")
    assert "First time here" in html(client, f"/community/threads/{tid}")
    with app.app_context():
        assert db.session.get(CommunityStanding, people.newbie.id).approved_posts == 1
    assert "approve" in [a for a, _ in actions(app)]


def test_redact_personal_information(app, asker, mod, client):
    tid = thread_id_from(ask(asker, body="Call me on 555-0100 at 12 Elm Street"))
    pid = question_id(app, tid)
    shown = re.search(r'name="redact-shown_version" type="hidden" value="(\w+)"', html(mod, f"/community/moderation/posts/{pid}")).group(1)
    mod.post(f"/community/moderation/posts/{pid}/redact", data={"redact-body": "Call me on [removed]", "redact-shown_version": shown})
    page = html(client, f"/community/threads/{tid}")
    assert "555-0100" not in page and "[removed]" in page
    assert "to remove personal information" in html(asker, "/community/notifications")


def test_warn_suspend_and_the_suspended_member_cannot_post_or_report(app, people, asker, other, mod, thread_id):
    pid = question_id(app, thread_id)
    mod.post(f"/community/moderation/posts/{pid}/warn", data={"warn-reason": "Please be kind"})
    assert "Please be kind" in html(asker, "/community/notifications")
    mod.post(f"/community/moderation/posts/{pid}/suspend", data={"suspend-days": "3", "suspend-reason": "Repeated"})
    response = ask(asker, title="Another question")
    assert response.status_code == 400 and "suspended until" in response.get_data(as_text=True)
    other_thread = thread_id_from(ask(other, title="Other's question"))
    reported = report(asker, question_id(app, other_thread))
    assert reported.status_code == 302
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(CommunityReport)).scalar_one() == 0
    assert [a for a, _ in actions(app)] == ["warn", "suspend"]


@pytest.mark.parametrize("days", ["0", "-1", "366", "abc", ""])
def test_suspend_days_are_checked(app, mod, thread_id, days):
    pid = question_id(app, thread_id)
    response = mod.post(f"/community/moderation/posts/{pid}/suspend", data={"suspend-days": days})
    assert response.status_code == 400


def test_ban_hides_all_their_content_and_blocks_posting(app, asker, other, mod, client, thread_id):
    answer_thread = thread_id_from(ask(other, title="Other asks"))
    asker.post(f"/community/threads/{answer_thread}/answer", data={"body": "An answer by the asker"})
    pid = question_id(app, thread_id)
    refused = mod.post(f"/community/moderation/posts/{pid}/ban", data={"ban-reason": "Spam account"})
    assert refused.status_code == 400  # the confirmation box was not ticked
    mod.post(f"/community/moderation/posts/{pid}/ban", data={"ban-reason": "Spam account", "ban-confirm": "y"})
    assert client.get(f"/community/threads/{thread_id}").status_code == 404
    assert "An answer by the asker" not in html(client, f"/community/threads/{answer_thread}")
    response = ask(asker, title="Back again")
    assert response.status_code == 400 and "banned" in response.get_data(as_text=True)
    assert "ban" in [a for a, _ in actions(app)]
    log = html(mod, "/community/moderation/log")
    assert "Max Moderator" in log and "Spam account" in log
    mod.post(f"/community/moderation/posts/{pid}/unban")
    assert thread_id_from(ask(asker, title="Back after the ban is lifted"))


def test_a_moderator_cannot_ban_another_moderator(app, people, make_user, mod):
    make_user("mod2@example.com", role="moderator", display_name="Second Mod")
    mod2 = client_as(app, "mod2@example.com")
    tid = thread_id_from(ask(mod2, title="Moderator question"))
    pid = question_id(app, tid)
    mod.post(f"/community/moderation/posts/{pid}/ban", data={"ban-reason": "x", "ban-confirm": "y"})
    with app.app_context():
        assert db.session.get(CommunityPost, pid).status == "visible"


def test_crisis_post_shows_988_to_author_and_tops_the_queue(app, asker, other, mod):
    ordinary = thread_id_from(ask(other, title="Ordinary question"))
    report(asker, question_id(app, ordinary), reason="spam")
    response = ask(asker, title="Hard days", body="Since the diagnosis I sometimes think about suicide.", group="mental-health")
    tid = thread_id_from(response)
    page = html(asker, f"/community/threads/{tid}")
    assert "988" in page and "You are not alone" in page
    queue = html(mod, "/community/moderation")
    assert queue.index("Possible crisis") < queue.index("Ordinary question")
    assert queue.index("Hard days") < queue.index("Ordinary question")


def test_self_harm_report_puts_post_first(app, asker, other, mod):
    first = thread_id_from(ask(other, title="Question one"))
    second = thread_id_from(ask(other, title="Question two"))
    report(asker, question_id(app, first), reason="spam")
    response = report(asker, question_id(app, second), reason="self_harm")
    assert response.status_code == 302
    queue = html(mod, "/community/moderation")
    assert queue.index("Question two") < queue.index("Question one")


def test_promote_an_expert_answer_to_second_opinion(app, people, mod, client, thread_id):
    expert = client_as(app, people.expert.email)
    expert.post(f"/community/threads/{thread_id}/answer", data={"body": "Fatigue often settles within weeks."})
    answer_id = post_ids(app, thread_id)[1]
    assert "No expert answers featured yet" in html(client, "/community/second-opinion")
    mod.post(f"/community/moderation/posts/{answer_id}/promote")
    page = html(client, "/community/second-opinion")
    assert "Fatigue often settles within weeks." in page and "PharmD" in page
    # A member's post cannot be promoted.
    question = question_id(app, thread_id)
    mod.post(f"/community/moderation/posts/{question}/promote")
    with app.app_context():
        assert db.session.get(CommunityPost, question).promoted_at is None


def test_unknown_action_is_404(app, mod, thread_id):
    pid = question_id(app, thread_id)
    assert mod.post(f"/community/moderation/posts/{pid}/explode").status_code == 404
    assert mod.get("/community/moderation/posts/999999").status_code == 404


def test_csrf_token_is_required(database_url, _schema, make_user, app):
    import re

    from config import TestConfig
    from webapp import create_app

    make_user("csrf@example.com")
    strict = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    client = strict.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', login_page)
    token = token.group(1) or token.group(2)
    client.post("/login", data={"email": "csrf@example.com", "password": "correct horse battery", "csrf_token": token})
    response = client.post("/community/ask", data={"group": "diabetes", "title": "No token", "body": "x"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert "Log out" in client.get("/community").get_data(as_text=True)  # logged in: only the token was missing
    with strict.app_context():
        from webapp.blueprints.community.models import CommunityThread

        assert db.session.execute(select(db.func.count()).select_from(CommunityThread)).scalar_one() == 0
        db.session.remove()
        db.engine.dispose()


def test_answering_a_hidden_question_says_so_and_keeps_the_text(app, other, mod, thread_id):
    pid = question_id(app, thread_id)
    assert "Answer this question" in html(other, f"/community/threads/{thread_id}")  # the page is open in a tab
    mod.post(f"/community/moderation/posts/{pid}/hide", data={"hide-reason": "Off topic"})
    response = other.post(f"/community/threads/{thread_id}/answer", data={"body": "My long, careful answer"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "hidden by a moderator" in page and "My long, careful answer" in page


def test_queue_pages(app, people, mod, monkeypatch):
    from webapp.blueprints.community.moderation import routes as moderation_routes

    monkeypatch.setattr(moderation_routes, "QUEUE_PAGE", 2)
    newbie = client_as(app, people.newbie.email)
    for n in range(3):
        ask(newbie, title=f"Held question {n}")
    first = html(mod, "/community/moderation")
    assert "Reported and held posts (3)" in first and "Page 1 of 2" in first
    assert "Held question 0" in first and "Held question 2" not in first
    assert "Held question 2" in html(mod, "/community/moderation?page=2")
    assert "Nothing waiting" not in html(mod, "/community/moderation?page=abc")
