"""Ask a question -> an expert answers -> the asker marks it best -> another member reports it
-> a moderator hides it. In a real browser, with axe checks on every page visited."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in
from webapp.blueprints.accounts import passwords
from webapp.blueprints.accounts.models import User
from webapp.blueprints.community.models import CommunityStanding
from webapp.extensions import db


def _make_people(live_app) -> None:
    with live_app.app_context():
        if db.session.query(User).filter_by(email="e2e-asker@example.com").first():
            return
        method = live_app.config["PASSWORD_HASH_METHOD"]
        people = [
            ("e2e-asker@example.com", "Casey Asker", "member", None),
            ("e2e-expert@example.com", "Dr Pat Expert", "expert", "PharmD, clinical pharmacist"),
            ("e2e-reporter@example.com", "Robin Reporter", "member", None),
            ("e2e-mod@example.com", "Morgan Moderator", "moderator", None),
        ]
        for email, name, role, credential in people:
            user = User(email=email, display_name=name, role=role, credential=credential,
                        password_hash=passwords.hash_password(PASSWORD, method), email_verified_at=datetime.now(timezone.utc))
            db.session.add(user)
            db.session.flush()
            if role == "member":  # members in good standing: their posts are not held for review
                db.session.add(CommunityStanding(user_id=user.id, approved_posts=2, warnings=0, email_notifications=True))
        db.session.commit()
        db.session.remove()



def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out").wait_for()


def test_question_expert_answer_best_report_hide(page, axe_check, live_app, live_outbox):
    _make_people(live_app)
    title = "Does metformin make everyone this tired? (browser test)"

    # The asker asks through "Get Answers".
    log_in(page, "e2e-asker@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Community").click()
    page.get_by_role("heading", name="Community", level=1).wait_for()
    assert page.get_by_text("not monitored 24/7").is_visible()
    axe_check(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Get Answers").click()
    page.get_by_role("heading", name="Get Answers: ask a question").wait_for()
    axe_check(page)
    page.get_by_label("Group").select_option(label="Diabetes")
    page.get_by_label("Your question in one line").fill(title)
    page.get_by_label("Details").fill("I started metformin two weeks ago and feel **tired** every afternoon. <script>alert(1)</script>")
    page.get_by_role("button", name="Post question").click()
    page.get_by_role("heading", name=title).wait_for()
    assert page.get_by_text("Your question is posted.").is_visible()
    assert page.locator(".post-body strong", has_text="tired").is_visible()
    assert page.get_by_text("<script>alert(1)</script>").is_visible()  # shown as text, never run
    thread_url = page.url
    axe_check(page)
    _log_out(page)

    # An expert answers.
    log_in(page, "e2e-expert@example.com")
    page.goto(thread_url)
    page.get_by_label("Your answer").fill("Tiredness can happen in the first weeks. Please mention it to your prescriber; "
                                          "they may check your vitamin B12 level.")
    page.get_by_role("button", name="Post answer").click()
    page.get_by_text("Your answer is posted.").wait_for()
    answer = page.locator("article.answer").first
    assert answer.get_by_text("Expert answer").is_visible()
    assert answer.get_by_text("PharmD, clinical pharmacist").is_visible()
    axe_check(page)
    _log_out(page)

    # The asker is notified and marks the answer as the best.
    assert any("New in your HealthDesk thread" in subject for subject, _ in live_outbox("e2e-asker@example.com"))
    log_in(page, "e2e-asker@example.com")
    page.get_by_role("link", name="Notifications 1 unread").click()
    page.get_by_text("Dr Pat Expert answered your question").wait_for()
    axe_check(page)
    page.get_by_text("Dr Pat Expert answered your question").click()
    page.get_by_role("heading", name=title).wait_for()
    page.get_by_role("button", name="Mark as best answer").click()
    page.get_by_text("Marked as the best answer.").wait_for()
    assert page.locator("article.answer").first.locator(".badge-best").inner_text().strip() == "★ Best answer"
    axe_check(page)
    _log_out(page)

    # Another member reports the answer.
    log_in(page, "e2e-reporter@example.com")
    page.goto(thread_url)
    page.get_by_role("link", name="Report this answer").click()
    page.get_by_role("heading", name="Report a post").wait_for()
    axe_check(page)
    page.get_by_label("Harmful or false medical information").check()
    page.get_by_label("Anything the moderators should know (optional)").fill("Testing the report flow.")
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("Thank you for your report").wait_for()
    axe_check(page)
    _log_out(page)

    # A moderator reviews it in the queue and hides it.
    log_in(page, "e2e-mod@example.com")
    page.goto("/community")
    page.get_by_role("navigation", name="Community").get_by_role("link", name="Moderation").click()
    page.get_by_role("heading", name="Moderation queue").wait_for()
    item = page.locator(".queue-item", has_text=title)
    assert item.get_by_text("Harmful or false medical information (1)").is_visible()
    axe_check(page)
    item.get_by_role("link", name="Review this post").click()
    page.get_by_role("heading", name="Review a post").wait_for()
    assert page.get_by_text("Testing the report flow.").is_visible()
    axe_check(page)
    page.get_by_label("Reason").first.fill("Under review by our pharmacist team.")
    page.get_by_role("button", name="Hide post").click()
    page.get_by_text("The post is hidden").wait_for()
    axe_check(page)
    page.get_by_role("link", name="Moderation log").click()
    assert page.locator("td", has_text="hide").first.is_visible()
    axe_check(page)
    _log_out(page)

    # Visitors no longer see the answer; the question stays.
    page.goto(thread_url)
    page.get_by_role("heading", name=title).wait_for()
    assert page.get_by_text("vitamin B12").count() == 0
    axe_check(page)


def test_other_community_pages_pass_axe(page, axe_check, live_app):
    _make_people(live_app)
    for url in ("/community/groups/pancreatic-cancer", "/community/groups/pancreatic-cancer?sort=unanswered",
                "/community/search?q=metformin", "/community/second-opinion"):
        page.goto(url)
        assert page.get_by_text("not monitored 24/7").is_visible()
        axe_check(page)

    log_in(page, "e2e-reporter@example.com")
    page.goto("/community/groups/new")
    page.get_by_label("Group name").fill("Browser Test Circle")
    page.get_by_label("What is the group for?").fill("A private group made by the browser test.")
    page.get_by_label("Private: only members you invite can read it").check()
    axe_check(page)
    page.get_by_role("button", name="Send for approval").click()
    page.get_by_text("will be listed once a moderator approves it").wait_for()
    axe_check(page)
    page.get_by_role("link", name="Ask in this group").wait_for()

    page.goto("/community/ask?group=heart-health")
    page.get_by_label("Your question in one line").fill("Which blood pressure readings should I log? (browser test)")
    page.get_by_label("Details").fill("Morning or evening?")
    page.get_by_role("button", name="Post question").click()
    page.get_by_role("link", name="Edit this question").click()
    page.get_by_role("heading", name="Edit your question").wait_for()
    axe_check(page)
    _log_out(page)

    log_in(page, "e2e-mod@example.com")
    page.goto("/community/moderation")
    group = page.locator(".card", has_text="Browser Test Circle")
    axe_check(page)
    group.get_by_role("button", name="Approve").click()
    page.get_by_text("Browser Test Circle is approved").wait_for()
    axe_check(page)


def test_private_group_invitation_is_accepted_by_the_invitee(page, axe_check, live_app):
    """The owner invites by email; the invitee sees the invitation on their community page and
    joins only by accepting it (security issue #13, finding 2)."""
    from webapp.blueprints.community.models import CommunityGroup, CommunityMembership

    _make_people(live_app)
    slug = "e2e-private-caregivers"
    with live_app.app_context():
        if db.session.query(CommunityGroup).filter_by(slug=slug).first() is None:
            owner = db.session.query(User).filter_by(email="e2e-asker@example.com").one()
            group = CommunityGroup(slug=slug, name="E2E Private Caregivers", description="A private browser-test group.",
                                   visibility="private", status="approved", owner_id=owner.id)
            db.session.add(group)
            db.session.flush()
            db.session.add(CommunityMembership(group_id=group.id, user_id=owner.id))  # the owner is its first member
            db.session.commit()
        db.session.remove()

    log_in(page, "e2e-asker@example.com")
    page.goto(f"/community/groups/{slug}")
    page.get_by_label("Member's email address").fill("e2e-reporter@example.com")
    page.get_by_role("button", name="Invite", exact=True).click()
    page.get_by_text("Thank you. If that address belongs to a HealthDesk member").wait_for()
    axe_check(page)
    _log_out(page)

    log_in(page, "e2e-reporter@example.com")
    page.goto("/community")
    page.get_by_role("heading", name="Invitations to private groups").wait_for()
    axe_check(page)
    page.get_by_role("button", name="Accept the invitation to E2E Private Caregivers").click()
    page.goto(f"/community/groups/{slug}")
    page.get_by_role("heading", name="E2E Private Caregivers", level=1).wait_for()
    page.goto("/community")
    assert page.get_by_role("heading", name="Invitations to private groups").count() == 0
