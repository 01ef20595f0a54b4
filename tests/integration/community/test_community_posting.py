"""Community pages, asking, answering, editing, deleting, votes and best answers, bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration._community import ask, client_as, post_ids, thread_id_from
from webapp.blueprints.community.models import CommunityPost, CommunityThread
from webapp.extensions import db

DISCLAIMER = "not medical advice"


def answer(client, thread_id, body="Tiredness is common in the first weeks; tell your doctor if it lasts.", **extra):
    return client.post(f"/community/threads/{thread_id}/answer", data={"body": body, **extra})


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_every_public_page_shows_the_disclaimer(client, people, thread_id):
    for url in ("/community", "/community/groups/diabetes", "/community/groups/diabetes?sort=unanswered",
                "/community/groups/diabetes?sort=active&page=2", f"/community/threads/{thread_id}",
                "/community/search?q=metformin", "/community/second-opinion"):
        html = page(client, url)
        assert DISCLAIMER in html and "not monitored 24/7" in html, url


def test_member_pages_show_the_disclaimer(asker, thread_id):
    post_id = post_ids(asker.application, thread_id)[0]
    for url in ("/community/ask", "/community/notifications", "/community/groups/new", f"/community/posts/{post_id}/edit"):
        assert DISCLAIMER in page(asker, url), url


def test_index_lists_seeded_groups_and_recent_questions(client, people, thread_id):
    html = page(client, "/community")
    for name in ("Pancreatic Cancer", "Cancer Caregivers", "Diabetes", "Heart Health", "Mental Health", "Medications &amp; Side Effects"):
        assert name in html
    assert "Is it normal to feel tired on metformin?" in html


def test_ask_needs_login(client, people):
    response = client.get("/community/ask")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_ask_then_read_the_question(asker, client, thread_id):
    html = page(client, f"/community/threads/{thread_id}")
    assert "<h1 id=\"thread-title\">Is it normal to feel tired on metformin?</h1>" in html
    assert "<strong>tired</strong>" in html
    assert "Alex Asker" in html
    group = page(client, "/community/groups/diabetes?sort=unanswered")
    assert "Is it normal to feel tired on metformin?" in group


def test_question_with_tags_and_drug(asker, client):
    tid = thread_id_from(ask(asker, title="Statin and grapefruit", tags="statins, Food", drug="Atorvastatin", group="heart-health"))
    html = page(client, f"/community/threads/{tid}")
    assert "statins" in html and "food" in html and "atorvastatin" in html.lower()


def test_anonymous_question_hides_the_name_from_members_not_moderators(app, people, asker, other):
    tid = thread_id_from(ask(asker, title="A private worry", anonymous="y"))
    assert "Alex Asker" not in page(other, f"/community/threads/{tid}")
    assert "Anonymous member" in page(other, f"/community/threads/{tid}")
    assert "posted anonymously" in page(asker, f"/community/threads/{tid}")
    moderator = client_as(app, people.moderator.email)
    assert "Alex Asker" in page(moderator, f"/community/threads/{tid}")


def test_double_submit_posts_once(app, asker):
    first = thread_id_from(ask(asker))
    second = thread_id_from(ask(asker))
    assert first == second
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(CommunityThread)).scalar_one() == 1


@pytest.mark.parametrize("data, message", [
    ({"title": "", "body": "x"}, "Write a title"),
    ({"title": "   ", "body": "x"}, "Write a title"),
    ({"title": "😀😀😀", "body": "body"}, "not only symbols or emoji"),
    ({"title": "Fine title", "body": "   \n  "}, "Write something"),
    ({"title": "Fine title", "body": "a" * 100_000}, "at most 20,000 characters"),
    ({"title": "Fine title", "body": "ok", "group": "no-such-group"}, "Choose a group"),
    ({"title": "Fine title", "body": "ok", "group": ""}, "Choose a group"),
    ({"title": "Fine\x00title", "body": "ok"}, "control characters"),
    ({"title": "Fine title", "body": "ok", "tags": "<b>x</b>"}, "Tags may use"),
])
def test_bad_questions_get_a_message_and_keep_the_text(asker, data, message):
    payload = {"group": "diabetes", **data}
    response = asker.post("/community/ask", data=payload)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    if payload["body"].strip() and len(payload["body"]) < 1000:
        assert payload["body"] in html  # what was typed is kept


def test_html_and_script_in_every_field_is_escaped(asker, client):
    evil = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    tid = thread_id_from(ask(asker, title=f"Question {evil}", body=f"Body {evil} [x](javascript:alert(1))", drug="x<script>"))
    html = page(client, f"/community/threads/{tid}")
    assert "<script>alert(1)" not in html and "<img src=x" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_expert_answer_has_badge_and_credential(expert, client, thread_id):
    assert answer(expert, thread_id).status_code == 302
    html = page(client, f"/community/threads/{thread_id}")
    assert "Expert answer" in html and "PharmD, oncology pharmacist" in html and "Dr Erin Expert" in html


def test_member_answer_has_no_expert_badge(other, client, thread_id):
    answer(other, thread_id)
    assert "Expert answer" not in page(client, f"/community/threads/{thread_id}")


def test_reply_to_an_answer_is_threaded_one_level(app, other, expert, client, thread_id):
    answer(expert, thread_id)
    answer_id = post_ids(app, thread_id)[1]
    assert "Your reply" in page(other, f"/community/posts/{answer_id}/reply")
    response = other.post(f"/community/posts/{answer_id}/reply", data={"body": "Thanks, that helps."})
    assert response.status_code == 302
    reply_id = post_ids(app, thread_id)[2]
    # A reply to a reply attaches to the answer: one level only.
    other.post(f"/community/posts/{reply_id}/reply", data={"body": "One more thought."})
    with app.app_context():
        parents = db.session.execute(
            select(CommunityPost.parent_id).where(CommunityPost.thread_id == thread_id, CommunityPost.parent_id.is_not(None))
        ).scalars().all()
    assert parents == [answer_id, answer_id]
    assert "Thanks, that helps." in page(client, f"/community/threads/{thread_id}")


def test_best_answer_only_by_the_asker(app, asker, other, expert, client, thread_id):
    answer(expert, thread_id)
    answer(other, thread_id, body="I felt the same, it passed.")
    expert_answer, other_answer = post_ids(app, thread_id)[1:3]
    assert "Mark as best answer" not in page(other, f"/community/threads/{thread_id}")
    other.post(f"/community/posts/{expert_answer}/best")
    assert "Best answer" not in page(client, f"/community/threads/{thread_id}")
    asker.post(f"/community/posts/{other_answer}/best")
    asker.post(f"/community/posts/{expert_answer}/best")
    html = page(client, f"/community/threads/{thread_id}")
    assert html.count("★</span> Best answer") == 1
    # The best answer is listed first.
    assert html.index("Dr Erin Expert") < html.index("I felt the same")


def test_helpful_votes_once_per_member_and_not_on_own_post(app, asker, other, expert, thread_id):
    answer(expert, thread_id)
    answer_id = post_ids(app, thread_id)[1]
    asker.post(f"/community/posts/{answer_id}/helpful")
    other.post(f"/community/posts/{answer_id}/helpful")
    html = page(asker, f"/community/threads/{thread_id}")
    assert "Helpful <span class=\"count\">(2)</span>" in html and 'aria-pressed="true"' in html
    asker.post(f"/community/posts/{answer_id}/helpful")  # taking it back
    assert "(1)" in page(asker, f"/community/threads/{thread_id}")
    response = expert.post(f"/community/posts/{answer_id}/helpful", follow_redirects=True)
    assert "can&#39;t vote for your own post" in response.get_data(as_text=True)


def test_edit_within_30_minutes_shows_edited(app, asker, client, thread_id):
    question_id = post_ids(app, thread_id)[0]
    form = page(asker, f"/community/posts/{question_id}/edit")
    shown = re.search(r'name="shown_version" type="hidden" value="(\w+)"', form).group(1)
    response = asker.post(f"/community/posts/{question_id}/edit",
                          data={"title": "Tired on metformin?", "body": "Updated details", "shown_version": shown})
    assert response.status_code == 302
    html = page(client, f"/community/threads/{thread_id}")
    assert "Updated details" in html and "edited" in html and "Tired on metformin?" in html


def test_edit_after_30_minutes_is_refused(app, asker, thread_id):
    question_id = post_ids(app, thread_id)[0]
    with app.app_context():
        post = db.session.get(CommunityPost, question_id)
        post.created_at = post.created_at - timedelta(minutes=31)
        db.session.commit()
    response = asker.post(f"/community/posts/{question_id}/edit", data={"body": "late"}, follow_redirects=True)
    assert "30 minutes" in response.get_data(as_text=True)
    assert "late" not in page(asker, f"/community/threads/{thread_id}").split("post-body")[1][:200]


def test_others_cannot_edit_or_delete(app, other, thread_id):
    question_id = post_ids(app, thread_id)[0]
    other.post(f"/community/posts/{question_id}/edit", data={"body": "vandalised"})
    other.post(f"/community/posts/{question_id}/delete")
    html = page(other, f"/community/threads/{thread_id}")
    assert "vandalised" not in html and "feel <strong>tired</strong>" in html


def test_delete_keeps_a_placeholder_where_others_replied(app, asker, other, expert, client, thread_id):
    answer(expert, thread_id)
    answer_id = post_ids(app, thread_id)[1]
    other.post(f"/community/posts/{answer_id}/reply", data={"body": "Good point"})
    expert.post(f"/community/posts/{answer_id}/delete")
    html = page(client, f"/community/threads/{thread_id}")
    assert "[deleted]" in html and "Good point" in html and "Tiredness is common" not in html


def test_delete_an_unanswered_question_removes_the_thread(app, asker, client, thread_id):
    question_id = post_ids(app, thread_id)[0]
    assert asker.post(f"/community/posts/{question_id}/delete").status_code == 302
    assert client.get(f"/community/threads/{thread_id}").status_code == 404


def test_answering_a_deleted_question_says_so_and_keeps_the_text(app, asker, other, expert, thread_id):
    answer(expert, thread_id)
    question_id = post_ids(app, thread_id)[0]
    asker.post(f"/community/posts/{question_id}/delete")
    response = answer(other, thread_id, body="My careful answer")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "deleted by its author" in html and "My careful answer" in html


def test_empty_and_huge_answers_are_refused_with_text_kept(other, thread_id):
    response = answer(other, thread_id, body="   ")
    assert response.status_code == 400 and "Write something" in response.get_data(as_text=True)
    response = answer(other, thread_id, body="b" * 100_000)
    assert response.status_code == 400 and "at most 20,000 characters" in response.get_data(as_text=True)


def test_double_submitted_answer_is_posted_once(app, other, thread_id):
    answer(other, thread_id)
    answer(other, thread_id)
    assert len(post_ids(app, thread_id)) == 2


def test_unverified_member_cannot_post(app, make_user, people):
    make_user("unverified@example.com", verified=False)
    client = client_as(app, "unverified@example.com")
    assert "confirm your email address" in page(client, "/community/ask")
    response = ask(client)
    assert response.status_code == 400
    assert latest_count(app) == 0


def latest_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(db.func.count()).select_from(CommunityThread)).scalar_one()


def test_new_members_first_post_waits_for_review(app, people, client, other):
    newbie = client_as(app, people.newbie.email)
    response = ask(newbie, title="My first question")
    tid = thread_id_from(response)
    assert "waiting for a moderator" in page(newbie, f"/community/threads/{tid}")
    assert client.get(f"/community/threads/{tid}").status_code == 404
    assert "My first question" not in page(other, "/community/groups/diabetes")


def test_many_links_are_held(app, asker, client):
    tid = thread_id_from(ask(asker, title="Links", body="https://a.example https://b.example https://c.example"))
    assert client.get(f"/community/threads/{tid}").status_code == 404


def test_search_finds_public_questions_and_survives_odd_input(client, thread_id):
    assert "Is it normal to feel tired on metformin?" in page(client, "/community/search?q=metformin")
    for query in ("' OR 1=1 --", "<script>", "%00", "\u202e", "🙂", "a" * 500, "%ff%fe"):
        response = client.get("/community/search?q=" + query)
        assert response.status_code in (200, 400), query
    assert client.get(b"/community/search?q=%ff%fe%00".decode("latin-1")).status_code in (200, 400)


def test_paging_parameters_never_break(client, people):
    for value in ("0", "-3", "abc", "99999999999999999999", ""):
        assert client.get(f"/community/groups/diabetes?page={value}").status_code == 200
        assert client.get(f"/community/second-opinion?page={value}").status_code == 200


def test_unknown_things_are_404(client, people):
    for url in ("/community/groups/nope", "/community/threads/999999", "/community/posts/99999/report"):
        assert client.get(url).status_code in (404, 302), url


def test_watch_and_unwatch(app, other, thread_id):
    assert "Watch this thread" in page(other, f"/community/threads/{thread_id}")
    other.post(f"/community/threads/{thread_id}/watch", data={"watch": "1"})
    assert "Stop watching this thread" in page(other, f"/community/threads/{thread_id}")
    other.post(f"/community/threads/{thread_id}/watch", data={"watch": "0"})
    assert "Watch this thread" in page(other, f"/community/threads/{thread_id}")


def test_posting_is_rate_limited_with_a_friendly_page(app, other, thread_id):
    statuses = [answer(other, thread_id, body=f"Answer number {n}").status_code for n in range(11)]
    assert statuses[-1] == 429
    assert "Please slow down" in answer(other, thread_id, body="again").get_data(as_text=True)


def test_odd_group_addresses_are_404(client, people):
    for slug in ("%00", "a%00b", "x" * 300, "%F0%9F%99%82", "..%2F..%2Fetc", "' OR 1=1 --"):
        assert client.get(f"/community/groups/{slug}").status_code == 404, slug
        assert client.post(f"/community/groups/{slug}/join").status_code in (302, 400, 404), slug
