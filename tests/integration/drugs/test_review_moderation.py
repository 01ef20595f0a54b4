"""Reported drug reviews reach the moderators: the queue shows them, a moderator dismisses the
reports, hides the review (off the drug page and out of its averages) or restores it, and every
action is in the moderation log. Nobody else sees or does any of this."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from tests.integration._community import client_as
from tests.integration.drugs_helpers import load_sample
from webapp.blueprints.community.models import CommunityModerationAction, CommunityNotification
from webapp.blueprints.community.moderation import actions as community_moderation
from webapp.blueprints.drugs.models import Review, ReviewReport
from webapp.extensions import db

SPAM = "Buy cheap statins at pills-example.test, no prescription needed!"
HONEST = "Lowered my cholesterol a lot. Mild muscle aches in the first weeks."


@pytest.fixture
def site(app, make_user, tmp_path):
    """Two reviews of atorvastatin (one spam, rated 1; one honest, rated 5), a reporter and a moderator."""
    with app.app_context():
        load_sample(tmp_path, with_products=False)
        db.session.remove()
    people = {
        "spammer": make_user("spammer@example.com", display_name="Sam Spammer"),
        "honest": make_user("honest@example.com", display_name="Hana Honest"),
        "reporter": make_user("reporter@example.com", display_name="Rita Reporter"),
        "second": make_user("second@example.com", display_name="Seb Second"),
        "mod": make_user("mod@example.com", display_name="Max Moderator", role="moderator"),
    }
    clients = {name: client_as(app, user.email) for name, user in people.items()}
    for name, rating, body in (("spammer", 1, SPAM), ("honest", 5, HONEST)):
        response = clients[name].post("/drugs/atorvastatin/reviews/new", data={
            "effectiveness": rating, "ease_of_use": rating, "satisfaction": rating, "condition_id": "", "body": body})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        clients["spam_id"] = db.session.execute(select(Review.id).where(Review.user_id == people["spammer"].id)).scalar_one()
    return clients


def report(client, review_id: int, reason="spam", details=""):
    response = client.post(f"/drugs/reviews/{review_id}/report", data={"reason": reason, "details": details})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def text_of(response) -> str:
    """The page's text as a reader sees it: tags dropped, white space collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))).replace(" )", ")")


def moderate(client, review_id: int, action: str, reason: str | None = None):
    data = {f"review{review_id}-reason": reason} if reason is not None else {}
    return client.post(f"/community/moderation/reviews/{review_id}/{action}", data=data)


def log_entries(app) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(CommunityModerationAction.action, CommunityModerationAction.review_id, CommunityModerationAction.reason)
            .order_by(CommunityModerationAction.id))]


def report_statuses(app, review_id: int) -> list[str]:
    with app.app_context():
        return sorted(db.session.execute(select(ReviewReport.status).where(ReviewReport.review_id == review_id)).scalars())


def review_status(app, review_id: int) -> str | None:
    with app.app_context():
        return db.session.execute(select(Review.status).where(Review.id == review_id)).scalar()


def test_reported_review_is_in_the_queue_and_hiding_takes_it_off_the_drug_page(app, site):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id, "spam", "Advert for an online pharmacy")
    report(site["second"], spam_id, "medical-misinformation", "Says no prescription needed")

    queue = site["mod"].get("/community/moderation")
    assert queue.status_code == 200
    page = text_of(queue)
    assert "Reported drug reviews (1)" in page and "Review of Atorvastatin" in page
    assert SPAM in page and "By Sam Spammer" in page
    assert "2 open reports" in page and "Spam or advertising (1)" in page and "Dangerous medical advice (1)" in page
    assert "“Advert for an online pharmacy”" in page and "“Says no prescription needed”" in page
    assert "1 item waiting for a moderator" in page
    # Only the reported review is in the queue; the honest one is not.
    assert HONEST not in page
    with app.app_context():
        assert community_moderation.queue_size(db.session) == 1

    before = text_of(site["reporter"].get("/drugs/atorvastatin"))
    assert "3.0 out of 5" in before and "(2 reviews)" in before  # (1 + 5) / 2

    hidden = moderate(site["mod"], spam_id, "hide", "Advertising for an online seller")
    assert hidden.status_code == 302 and hidden.headers["Location"].endswith("/community/moderation#reviews-h")
    assert "The review of Atorvastatin is hidden." in text_of(site["mod"].get(hidden.headers["Location"]))

    for path in ("/drugs/atorvastatin", "/drugs/atorvastatin/reviews"):
        after = text_of(site["reporter"].get(path))
        assert SPAM not in after and HONEST in after, path
    detail = text_of(site["reporter"].get("/drugs/atorvastatin"))
    assert "5.0 out of 5" in detail and "(1 review)" in detail and "3.0 out of 5" not in detail
    assert site["reporter"].get("/api/v1/drugs/atorvastatin").get_json()["reviews"]["count"] == 1

    assert review_status(app, spam_id) == "hidden"
    assert report_statuses(app, spam_id) == ["actioned", "actioned"]
    assert log_entries(app) == [("review_hide", spam_id, "Advertising for an online seller")]
    log = text_of(site["mod"].get("/community/moderation/log"))
    assert "hide review" in log and "Review of Atorvastatin (hidden)" in log and "Advertising for an online seller" in log
    assert "Max Moderator" in log and "Sam Spammer" in log

    queue = text_of(site["mod"].get("/community/moderation"))
    assert "Reported drug reviews (0)" in queue and "Hidden drug reviews (1)" in queue
    assert "Reason: Advertising for an online seller" in queue
    with app.app_context():
        assert community_moderation.queue_size(db.session) == 0
        notes = db.session.execute(select(CommunityNotification.text)).scalars().all()
    assert notes == ["A moderator hid your review of Atorvastatin. Reason: Advertising for an online seller"]
    # The author's own data export says so too.
    (mine,) = site["spammer"].get("/account/export").get_json()["drug_reviews"]["reviews"]
    assert mine["text"] == SPAM and mine["status"] == "hidden by a moderator"


def test_dismissing_keeps_the_review_and_empties_the_queue(app, site):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id, "other", "I just disagree with it")

    dismissed = moderate(site["mod"], spam_id, "dismiss")
    assert dismissed.status_code == 302
    assert "Reports dismissed; the review stays as it is." in text_of(site["mod"].get(dismissed.headers["Location"]))
    assert review_status(app, spam_id) == "visible"
    assert report_statuses(app, spam_id) == ["dismissed"]
    assert SPAM in text_of(site["reporter"].get("/drugs/atorvastatin/reviews"))
    queue = text_of(site["mod"].get("/community/moderation"))
    assert "Reported drug reviews (0)" in queue and SPAM not in queue
    assert log_entries(app) == [("review_dismiss", spam_id, "")]
    assert "dismiss review reports" in text_of(site["mod"].get("/community/moderation/log"))

    # Sent twice, or after the reports are gone: a clear message, nothing more in the log.
    again = moderate(site["mod"], spam_id, "dismiss")
    assert again.status_code == 302
    assert "already handled" in text_of(site["mod"].get(again.headers["Location"]))
    assert len(log_entries(app)) == 1


def test_restoring_a_hidden_review_puts_it_back_in_the_averages(app, site):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id)
    assert moderate(site["mod"], spam_id, "hide", "Looks like an advert").status_code == 302
    assert "(1 review)" in text_of(site["reporter"].get("/drugs/atorvastatin"))

    queue = text_of(site["mod"].get("/community/moderation"))
    assert "Hidden drug reviews (1)" in queue and SPAM in queue and "Restore review" in queue

    restored = moderate(site["mod"], spam_id, "restore")
    assert restored.status_code == 302
    assert "The review of Atorvastatin is shown again." in text_of(site["mod"].get(restored.headers["Location"]))
    detail = text_of(site["reporter"].get("/drugs/atorvastatin"))
    assert "3.0 out of 5" in detail and "(2 reviews)" in detail
    assert SPAM in text_of(site["reporter"].get("/drugs/atorvastatin/reviews"))
    assert [(a, r) for a, r, _ in log_entries(app)] == [("review_hide", spam_id), ("review_restore", spam_id)]
    assert "Hidden drug reviews (0)" in text_of(site["mod"].get("/community/moderation"))
    assert "restore review" in text_of(site["mod"].get("/community/moderation/log"))


def test_double_submits_and_already_resolved_reviews_get_a_message(app, site):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id)
    assert moderate(site["mod"], spam_id, "hide", "Advert").status_code == 302
    again = moderate(site["mod"], spam_id, "hide", "Advert")
    assert again.status_code == 302 and "This review is already hidden." in text_of(site["mod"].get(again.headers["Location"]))
    late_dismiss = moderate(site["mod"], spam_id, "dismiss")
    assert "already handled" in text_of(site["mod"].get(late_dismiss.headers["Location"]))
    assert moderate(site["mod"], spam_id, "restore").status_code == 302
    twice = moderate(site["mod"], spam_id, "restore")
    assert "This review is already shown." in text_of(site["mod"].get(twice.headers["Location"]))
    assert [a for a, _r, _ in log_entries(app)] == ["review_hide", "review_restore"]


def test_hiding_needs_a_reason(app, site):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id)
    for reason in (None, "   "):
        response = moderate(site["mod"], spam_id, "hide", reason)
        assert response.status_code == 302
        assert "The review was not hidden: Write a reason." in text_of(site["mod"].get(response.headers["Location"]))
    assert review_status(app, spam_id) == "visible" and report_statuses(app, spam_id) == ["open"]
    assert log_entries(app) == []


def test_a_review_deleted_by_its_author_gives_a_message_and_keeps_the_log(app, site):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id)
    assert moderate(site["mod"], spam_id, "hide", "Advert").status_code == 302
    assert site["spammer"].post("/drugs/atorvastatin/reviews/delete").status_code == 302
    assert review_status(app, spam_id) is None
    for action, reason in (("restore", None), ("dismiss", None), ("hide", "Advert")):
        response = moderate(site["mod"], spam_id, action, reason)
        assert response.status_code == 302, action
        assert "That review no longer exists" in text_of(site["mod"].get(response.headers["Location"]))
    # The log keeps the entry, without the link to the review.
    assert log_entries(app) == [("review_hide", None, "Advert")]
    assert "A review since deleted" in text_of(site["mod"].get("/community/moderation/log"))
    assert "Hidden drug reviews (0)" in text_of(site["mod"].get("/community/moderation"))


def test_members_and_visitors_can_neither_see_nor_act(app, site, client):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id, "spam", "Advert for an online pharmacy")
    report(site["second"], spam_id, "other", "Second reporter's private note")
    for name in ("reporter", "spammer", "honest"):
        assert site[name].get("/community/moderation").status_code == 403, name
        assert site[name].get("/community/moderation/log").status_code == 403, name
        for action in ("dismiss", "hide", "restore"):
            assert moderate(site[name], spam_id, action, "because").status_code == 403, (name, action)
    for action in ("dismiss", "hide", "restore"):
        response = moderate(client, spam_id, action, "because")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert review_status(app, spam_id) == "visible" and report_statuses(app, spam_id) == ["open", "open"]
    assert log_entries(app) == []
    # The reporter sees the same pages as before: nothing about the other report.
    for path in ("/drugs/atorvastatin", "/drugs/atorvastatin/reviews", f"/drugs/reviews/{spam_id}/report"):
        page = text_of(site["reporter"].get(path))
        assert "Second reporter" not in page and "Seb Second" not in page, path
    assert moderate(site["mod"], spam_id, "publish").status_code == 404


def test_moderator_posts_need_the_csrf_token(site, make_app):
    spam_id = site["spam_id"]
    report(site["reporter"], spam_id)
    strict = make_app(WTF_CSRF_ENABLED=True)
    mod = strict.test_client()
    page = mod.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert mod.post("/login", data={"email": "mod@example.com", "password": "correct horse battery",
                                    "csrf_token": token.group(1)}).status_code == 302
    assert moderate(mod, spam_id, "hide", "Advert").status_code == 400
    assert moderate(mod, spam_id, "dismiss").status_code == 400
    assert review_status(strict, spam_id) == "visible"
    # With the token from the queue page, the same action goes through.
    queue = mod.get("/community/moderation").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', queue).group(1)
    response = mod.post(f"/community/moderation/reviews/{spam_id}/dismiss", data={"csrf_token": token})
    assert response.status_code == 302
    assert report_statuses(strict, spam_id) == ["dismissed"]
