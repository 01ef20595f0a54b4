"""`flask newsletter send`: one email per confirmed subscriber, RFC 8058 headers, never twice, resumable."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import first_link
from webapp.blueprints.newsletter import seed as newsletter_seed
from webapp.blueprints.newsletter import send as newsletter_send
from webapp.blueprints.newsletter.models import NewsletterDelivery, NewsletterIssue, NewsletterSubscriber, NewsletterSubscription, NewsletterTopic
from webapp.blueprints.newsletter.signup import topics_by_slugs
from webapp.extensions import db

PEOPLE = [
    ("ada@example.com", "confirmed", ["drug-safety", "community-highlights"]),
    ("bo@example.com", "confirmed", ["drug-safety"]),
    ("cy@example.com", "pending", ["drug-safety"]),
    ("di@example.com", "unsubscribed", ["drug-safety"]),
    ("ed@example.com", "confirmed", ["cancer"]),
]


@pytest.fixture
def subscribers(app):
    with app.app_context():
        newsletter_seed.seed(db.session, lambda _m: None)
        for email, status, slugs in PEOPLE:
            subscriber = NewsletterSubscriber(email=email, status=status)
            db.session.add(subscriber)
            db.session.flush()
            for topic in topics_by_slugs(db.session, slugs):
                subscriber.subscriptions.append(NewsletterSubscription(topic_id=topic.id))
        db.session.commit()


def _add_recall(app, number: str, description: str, *, days_ago: int = 1):
    from webapp.blueprints.mymeds.models import Recall

    with app.app_context():
        db.session.add(Recall(
            recall_number=number, classification="Class II", status="Ongoing", product_type="Drugs",
            product_description=description, reason_for_recall="Sample recall for a test: failed dissolution.",
            recalling_firm="Example Pharma", report_date=date.today() - timedelta(days=days_ago),
            generic_names=["metformin"], brand_names=[], ndcs=[], content_hash=hashlib.sha256(number.encode()).hexdigest(),
        ))
        db.session.commit()


def _newsletters(sent_mail):
    return [m for m in sent_mail() if m.category == "newsletter"]


def test_send_queues_one_email_per_confirmed_subscriber(app, client, runner, subscribers, sent_mail):
    _add_recall(app, "D-0001-2026", "Metformin ER 500 mg tablets <b>bottle of 90</b>")
    result = runner.invoke(args=["newsletter", "send", "drug-safety"])
    assert result.exit_code == 0, result.output
    assert "Queued 2 email(s)" in result.output and "2/2" in result.output
    # Without REDIS_URL the newsletter.send_issue job ran here, and is listed as finished.
    status = runner.invoke(args=["jobs", "status"]).output
    assert "newsletter.send_issue issue_id=1: finished at" in status and "2/2 (100%); Queued 2 email(s), skipped 0." in status

    mails = _newsletters(sent_mail)
    assert sorted(m.to_address for m in mails) == ["ada@example.com", "bo@example.com"]
    mail = next(m for m in mails if m.to_address == "ada@example.com")
    assert "Drug Safety & Recalls" in mail.subject
    assert "Metformin ER 500 mg tablets <b>bottle of 90</b>" in mail.body_text
    assert "&lt;b&gt;bottle of 90&lt;/b&gt;" in mail.body_html and "<b>bottle" not in mail.body_html
    unsubscribe = mail.headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://localhost/newsletter/unsubscribe/") and unsubscribe.endswith(">")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in mail.body_text

    # The one-click POST a mail client makes from the header.
    path = unsubscribe[1:-1].removeprefix("http://localhost")
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    preferences = client.get(first_link(mail.body_text, "/newsletter/preferences/"))
    assert "You are unsubscribed" in preferences.get_data(as_text=True)
    with app.app_context():
        statuses = {email: status for email, status in db.session.execute(select(NewsletterSubscriber.email, NewsletterSubscriber.status))}
    assert statuses["ada@example.com"] == "unsubscribed" and statuses["bo@example.com"] == "confirmed"


def _header(head: bytes, name: bytes) -> tuple[bytes, bytes]:
    """(the header's raw value as on the wire, the value unfolded and trimmed)."""
    match = re.search(rb"^" + re.escape(name) + rb":(.*?)\r\n(?![ \t])", head, re.MULTILINE | re.DOTALL)
    assert match, f"no {name!r} header in:\n{head.decode()}"
    return match.group(1), re.sub(rb"\r\n(?=[ \t])", b"", match.group(1)).strip()


def test_one_click_unsubscribe_headers_arrive_as_plain_ascii_over_smtp(app, make_app, client, subscribers, smtp_server):
    """Security issue #13, finding 13: a long List-Unsubscribe was sent as RFC 2047 encoded words
    (=?utf-8?q?=3Chttps...), which no mail client reads as a URL, so one-click unsubscribe failed."""
    controller, inbox = smtp_server
    site = make_app(SITE_URL="https://healthdesk.example", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                    MAIL_USE_TLS=False)
    # The address is in the signed token: a long one makes the header too long for one 78-character line.
    address = "a.reader.with.a.rather.long.address.to.make.the.token.long@subscribers.healthdesk.example"
    with site.app_context():
        subscriber = NewsletterSubscriber(email=address, status="confirmed")
        db.session.add(subscriber)
        db.session.flush()
        subscriber.subscriptions.append(NewsletterSubscription(topic_id=topics_by_slugs(db.session, ["drug-safety"])[0].id))
        db.session.commit()
    _add_recall(app, "D-0009-2026", "Metformin ER 750 mg tablets")
    runner = site.test_cli_runner()
    assert "Queued 3 email(s)" in runner.invoke(args=["newsletter", "send", "drug-safety"]).output
    assert "Sent 3," in runner.invoke(args=["mail", "deliver"]).output

    (content,) = [content for _sender, recipients, content in inbox.messages if recipients == [address]]
    head = content.split(b"\r\n\r\n", 1)[0]
    raw, unsubscribe = _header(head, b"List-Unsubscribe")
    assert b"=?" not in raw and raw.isascii()
    assert b"\r\n " in raw  # it was long enough to be folded, and folded only outside the <...>
    assert re.fullmatch(rb"<https://healthdesk\.example/newsletter/unsubscribe/[A-Za-z0-9._-]{100,}>", unsubscribe), unsubscribe
    assert _header(head, b"List-Unsubscribe-Post") == (b" List-Unsubscribe=One-Click", b"List-Unsubscribe=One-Click")
    assert head.count(b"\r\nList-Unsubscribe:") == 1
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["List-Unsubscribe"].strip() == unsubscribe.decode()

    # What a mail client does with the header (RFC 8058): POST to the URL, and the address is unsubscribed.
    path = unsubscribe.decode()[1:-1].removeprefix("https://healthdesk.example")
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with app.app_context():
        assert db.session.execute(select(NewsletterSubscriber.status).where(
            NewsletterSubscriber.email == address)).scalar_one() == "unsubscribed"


def test_running_the_same_send_again_never_mails_anyone_twice(app, runner, subscribers, sent_mail):
    _add_recall(app, "D-0002-2026", "Lisinopril 10 mg tablets")
    runner.invoke(args=["newsletter", "send", "drug-safety"])
    assert len(_newsletters(sent_mail)) == 2

    again = runner.invoke(args=["newsletter", "send", "Drug Safety & Recalls"])
    assert again.exit_code == 0, again.output
    assert "Nothing new to send" in again.output
    # Even when asked to look further back, what an earlier issue carried is left out.
    since = (date.today() - timedelta(days=60)).isoformat()
    assert "Nothing new to send" in runner.invoke(args=["newsletter", "send", "drug-safety", "--since", since]).output
    assert len(_newsletters(sent_mail)) == 2

    _add_recall(app, "D-0003-2026", "Atorvastatin 20 mg tablets")
    third = runner.invoke(args=["newsletter", "send", "drug-safety"])
    assert "1 item(s)" in third.output and "Queued 2" in third.output
    newest = _newsletters(sent_mail)[-1]
    assert "Atorvastatin" in newest.body_text and "Lisinopril" not in newest.body_text


def test_dry_run_shows_the_issue_and_queues_nothing(app, runner, subscribers, sent_mail):
    _add_recall(app, "D-0004-2026", "Amlodipine 5 mg tablets")
    result = runner.invoke(args=["newsletter", "send", "drug-safety", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Amlodipine 5 mg tablets" in result.output
    assert "would queue 2 email(s)" in result.output
    assert _newsletters(sent_mail) == []
    with app.app_context():
        assert db.session.execute(select(NewsletterIssue)).first() is None


def test_a_crashed_send_resumes_where_it_stopped(app, runner, subscribers, sent_mail):
    _add_recall(app, "D-0005-2026", "Sertraline 50 mg tablets")

    class Crash(Exception):
        pass

    def crash_after_first(done, total):
        raise Crash

    with app.app_context(), app.test_request_context("/"):
        from webapp.blueprints.newsletter.commands import _link
        from webapp.blueprints.newsletter.tasks import manage_links as _manage_links

        now = datetime.now(timezone.utc)
        topic = newsletter_send.find_topic(db.session, "drug-safety")
        draft = newsletter_send.draft_issue(db.session, topic, since=None, now=now, link=_link)
        issue = newsletter_send.create_issue(db.session, draft, now=now)
        with pytest.raises(Crash):
            newsletter_send.send_issue(db.session, issue, secret="test-secret-key", manage_links=_manage_links,
                                       now=now, progress=crash_after_first)
        db.session.rollback()
    assert [m.to_address for m in _newsletters(sent_mail)] == ["ada@example.com"]

    _add_recall(app, "D-0006-2026", "Something published after the crash")
    result = runner.invoke(args=["newsletter", "send", "drug-safety"])
    assert result.exit_code == 0, result.output
    assert "Resuming unfinished issue" in result.output and "Queued 1" in result.output
    mails = _newsletters(sent_mail)
    assert sorted(m.to_address for m in mails) == ["ada@example.com", "bo@example.com"]
    assert mails[0].subject == mails[1].subject and "after the crash" not in mails[1].body_text
    with app.app_context():
        assert db.session.execute(select(NewsletterIssue.status)).scalar_one() == "sent"
        assert len(db.session.execute(select(NewsletterDelivery)).all()) == 2


def test_a_delivery_is_recorded_once_per_issue_and_subscriber(app, subscribers):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        topic = db.session.execute(select(NewsletterTopic).where(NewsletterTopic.slug == "cancer")).scalar_one()
        issue = NewsletterIssue(topic_id=topic.id, subject="s", items=[], covers_since=datetime.now(timezone.utc))
        db.session.add(issue)
        db.session.flush()
        subscriber_id = db.session.execute(select(NewsletterSubscriber.id)).scalars().first()
        db.session.add(NewsletterDelivery(issue_id=issue.id, subscriber_id=subscriber_id))
        db.session.flush()
        db.session.add(NewsletterDelivery(issue_id=issue.id, subscriber_id=subscriber_id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_bad_arguments_give_clear_messages(runner, subscribers):
    unknown = runner.invoke(args=["newsletter", "send", "no-such-topic"])
    assert unknown.exit_code != 0 and "No newsletter topic" in unknown.output and "drug-safety" in unknown.output
    bad_date = runner.invoke(args=["newsletter", "send", "cancer", "--since", "2026-13-45"])
    assert bad_date.exit_code == 2 and "--since" in bad_date.output
    future = (date.today() + timedelta(days=3)).isoformat()
    later = runner.invoke(args=["newsletter", "send", "cancer", "--since", future])
    assert later.exit_code == 2 and "future" in later.output


def test_nothing_new_sends_nothing(runner, subscribers, sent_mail):
    result = runner.invoke(args=["newsletter", "send", "healthy-living", "--since", date.today().isoformat()])
    assert result.exit_code == 0, result.output
    assert "Nothing new to send" in result.output and sent_mail() == []


def test_community_highlights_carry_the_top_public_threads(app, runner, subscribers, sent_mail):
    from webapp.blueprints.community.models import CommunityGroup, CommunityThread

    with app.app_context():
        public = CommunityGroup(slug="nl-test", name="Newsletter Test Group", status="approved", visibility="public")
        private = CommunityGroup(slug="nl-private", name="Private Group", status="approved", visibility="private")
        db.session.add_all([public, private])
        db.session.flush()
        db.session.add_all([
            CommunityThread(group_id=public.id, title="How do you remember evening doses?", answer_count=5),
            CommunityThread(group_id=public.id, title="A quiet question", answer_count=0),
            CommunityThread(group_id=public.id, title="Removed by moderators", answer_count=9, status="hidden"),
            CommunityThread(group_id=private.id, title="Members only", answer_count=7),
        ])
        db.session.commit()
    result = runner.invoke(args=["newsletter", "send", "community-highlights"])
    assert result.exit_code == 0, result.output
    (mail,) = _newsletters(sent_mail)
    assert mail.to_address == "ada@example.com"
    text = mail.body_text
    assert text.index("How do you remember evening doses?") < text.index("A quiet question")
    assert "5 answers in Newsletter Test Group" in text
    assert "Removed by moderators" not in text and "Members only" not in text


def test_cancer_and_healthy_living_issues_pick_articles_by_health_center(app, runner, subscribers, sent_mail):
    from webapp.blueprints.content.models import Article, HealthCenter

    with app.app_context():
        cancer = HealthCenter(slug="nl-cancer", name="Sample Cancer Center", topic="Cancer", summary="s", content_hash="x")
        sleep = HealthCenter(slug="nl-sleep", name="Sample Sleep Center", topic="Sleep", summary="s", content_hash="y")
        db.session.add_all([cancer, sleep])
        db.session.flush()
        for center, slug, title in [(cancer, "nl-a1", "Sample: treatment choices explained"),
                                    (sleep, "nl-a2", "Sample: a steady bedtime routine")]:
            db.session.add(Article(
                slug=slug, center_id=center.id, title=title, short_title=title, kind="feature", audience="patient",
                summary=f"Summary of {title}", reviewed_on=date.today(), updated_on=date.today(), reviewer="Sample reviewer",
                body_html="<p>Sample</p>", source_path=f"{slug}.md", content_hash=slug,
            ))
        subscriber = db.session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.email == "bo@example.com")).scalar_one()
        for topic in topics_by_slugs(db.session, ["healthy-living"]):
            subscriber.subscriptions.append(NewsletterSubscription(topic_id=topic.id))
        db.session.commit()

    assert runner.invoke(args=["newsletter", "send", "cancer"]).exit_code == 0
    assert runner.invoke(args=["newsletter", "send", "healthy-living"]).exit_code == 0
    by_address = {m.to_address: m.body_text for m in _newsletters(sent_mail)}
    assert "treatment choices explained" in by_address["ed@example.com"]
    assert "http://localhost/health-centers/nl-cancer/nl-a1" in by_address["ed@example.com"]
    assert "bedtime routine" not in by_address["ed@example.com"]
    assert "bedtime routine" in by_address["bo@example.com"]
    assert "treatment choices" not in by_address["bo@example.com"]


def test_a_member_who_allows_personalisation_sees_recalls_of_their_medicines_first(app, runner, make_user, subscribers, sent_mail):
    from webapp.blueprints.mymeds.models import MedProfile, SavedMedicine

    member = make_user("ada@example.com")
    with app.app_context():
        profile = MedProfile(user_id=member.id, name="Me", relation="self", is_self=True)
        db.session.add(profile)
        db.session.flush()
        db.session.add(SavedMedicine(profile_id=profile.id, user_id=member.id, kind="other", name="Metformin",
                                     ingredients=["metformin"]))
        subscriber = db.session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.email == "ada@example.com")).scalar_one()
        subscriber.user_id = member.id
        db.session.commit()
    _add_recall(app, "D-0100-2026", "Metformin ER 750 mg tablets")  # Class II, metformin
    from webapp.blueprints.mymeds.models import Recall

    with app.app_context():
        db.session.add(Recall(recall_number="D-0101-2026", classification="Class I", product_description="Lisinopril 20 mg tablets",
                              reason_for_recall="Sample.", generic_names=["lisinopril"], brand_names=[], ndcs=[],
                              report_date=date.today(), content_hash="h101"))
        db.session.commit()
    assert runner.invoke(args=["newsletter", "send", "drug-safety"]).exit_code == 0
    by_address = {m.to_address: m.body_text for m in _newsletters(sent_mail)}
    member_text, visitor_text = by_address["ada@example.com"], by_address["bo@example.com"]
    assert member_text.index("Metformin ER 750") < member_text.index("Lisinopril 20")
    assert visitor_text.index("Lisinopril 20") < visitor_text.index("Metformin ER 750")  # editorial: Class I first
