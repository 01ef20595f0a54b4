"""Newsletter services without the app: composing, rendering, signup rules and idempotent sending."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from webapp import database
from webapp.blueprints.accounts.models import User
from webapp.blueprints.newsletter import compose
from webapp.blueprints.newsletter import seed as newsletter_seed
from webapp.blueprints.newsletter import send as newsletter_send
from webapp.blueprints.newsletter import signup as newsletter_signup
from webapp.blueprints.newsletter.models import NewsletterDelivery, NewsletterIssue, NewsletterSubscriber, NewsletterSubscription, NewsletterTopic
from webapp.core import tokens
from webapp.core.mail.models import OutboxMessage
from webapp.extensions import db

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
SECRET = "unit-secret"


def link(endpoint: str, values: dict) -> str | None:
    if endpoint == "missing.page":
        return None
    return f"https://healthdesk.example/{endpoint}/" + "/".join(str(v) for v in values.values())


def manage_links(token: str) -> tuple[str, str]:
    return f"https://healthdesk.example/newsletter/unsubscribe/{token}", f"https://healthdesk.example/newsletter/preferences/{token}"


@pytest.fixture
def session(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'unit.sqlite3'}")
    database.configure_sqlite(engine)
    tables = [db.metadata.tables[name] for name in ("users", "outbox_messages", "newsletter_topics",
                                                    "newsletter_subscribers", "newsletter_subscriptions",
                                                    "newsletter_issues", "newsletter_deliveries")]
    db.metadata.create_all(engine, tables=tables)
    with Session(engine) as session:
        newsletter_seed.seed(session, lambda _m: None)
        session.commit()
        yield session
    engine.dispose()


def _item(n: int, kind="article", section="New articles") -> compose.Item:
    return compose.Item(f"{kind}:{n}", kind, section, f"Title {n}", f"Summary {n}", f"https://healthdesk.example/{n}")


# --- composing ---------------------------------------------------------------------------

def test_compose_leaves_out_what_an_earlier_issue_carried(monkeypatch):
    monkeypatch.setitem(compose.TOPIC_SOURCES, "test", lambda s, since, lk: [_item(1), _item(2), _item(1), _item(3)])
    items = compose.compose(None, "test", NOW, link, exclude_keys={"article:2"})
    assert [i.key for i in items] == ["article:1", "article:3"]
    assert compose.compose(None, "no-such-topic", NOW, link) == []


def test_visitors_get_the_editorial_order():
    items = [_item(3), _item(1), _item(2)]
    assert compose.order_items(items, None) == items
    assert compose.order_items(items, None, session=object()) == items
    assert compose.order_items(items, User(email="m@example.com")) == items


def test_items_survive_the_json_round_trip_of_a_stored_issue():
    item = compose.Item("recall:D-1", "recall", "Drug recalls", "T", "S", "u", {"drug_names": ["metformin"]})
    assert compose.Item.from_dict(item.to_dict()) == item


def test_first_link_falls_back_to_the_home_page():
    assert compose._first_link(link, [("missing.page", {"slug": "x"})]) == "https://healthdesk.example/main.index/"


def test_rendered_issue_escapes_html_and_carries_the_unsubscribe_links():
    items = [_item(1), compose.Item("thread:9", "thread", "From the community", "<script>x</script> & more", "", "https://h/9")]
    footer = compose.Footer("https://h/unsubscribe/T", "https://h/preferences/T", "Cancer")
    text = compose.render_text("Cancer", items, footer)
    html = compose.render_html("Cancer", items, footer)
    assert "New articles" in text and "From the community" in text
    assert "Unsubscribe with one click: https://h/unsubscribe/T" in text and "https://h/preferences/T" in text
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt; &amp; more" in html
    assert 'href="https://h/unsubscribe/T"' in html
    assert "not medical advice" in text


def test_subject_names_the_topic_and_the_first_item():
    assert compose.subject_for("Cancer", [_item(1)]) == "Cancer: Title 1"
    assert compose.subject_for("Cancer", [_item(1), _item(2), _item(3)]) == "Cancer: Title 1 and 2 more"
    assert len(compose.subject_for("Cancer", [compose.Item("k", "article", "s", "x" * 500, "", "u")])) <= 180


# --- signup rules -----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("  Mixed.Case@Example.COM ", "mixed.case@example.com"),
    ("user@EXAMPLE.org", "user@example.org"),
])
def test_addresses_are_stored_normalised(raw, expected):
    assert newsletter_signup.normalize_address(raw) == expected


@pytest.mark.parametrize("raw", ["", None, "plain", "a@", "x" * 300 + "@example.com", "a b@example.com", "a@b@c.com"])
def test_bad_addresses_raise_a_message_for_the_email_field(raw):
    with pytest.raises(newsletter_signup.NewsletterError) as excinfo:
        newsletter_signup.normalize_address(raw)
    assert excinfo.value.field == "email"


def test_confirmation_goes_out_at_most_once_an_hour(session):
    first = newsletter_signup.sign_up(session, "a@example.com", ["cancer"], now=NOW)
    assert first.confirm_topics
    soon = newsletter_signup.sign_up(session, "A@example.com", ["cancer"], now=NOW + timedelta(minutes=59))
    assert soon.confirm_topics is None
    later = newsletter_signup.sign_up(session, "a@example.com", ["cancer"], now=NOW + timedelta(minutes=61))
    assert later.confirm_topics
    assert session.execute(select(func.count()).select_from(NewsletterSubscriber)).scalar_one() == 1


def test_confirm_token_is_bound_to_the_address(session):
    result = newsletter_signup.sign_up(session, "b@example.com", ["cancer"], now=NOW)
    token = newsletter_signup.confirm_token(SECRET, result.subscriber, result.confirm_topics)
    result.subscriber.email = "changed@example.com"
    with pytest.raises(tokens.TokenError):
        newsletter_signup.confirm(session, SECRET, token, now=NOW)
    with pytest.raises(tokens.TokenError):
        newsletter_signup.confirm(session, "another-secret", token, now=NOW)


# --- idempotent sending -----------------------------------------------------------------------

def _subscribe(session, email, status="confirmed", slug="cancer"):
    topic = session.execute(select(NewsletterTopic).where(NewsletterTopic.slug == slug)).scalar_one()
    subscriber = NewsletterSubscriber(email=email, status=status)
    subscriber.subscriptions.append(NewsletterSubscription(topic_id=topic.id))
    session.add(subscriber)
    session.commit()
    return subscriber


def _issue(session, monkeypatch, items):
    monkeypatch.setitem(compose.TOPIC_SOURCES, "cancer", lambda s, since, lk: list(items))
    topic = newsletter_send.find_topic(session, "cancer")
    draft = newsletter_send.draft_issue(session, topic, since=None, now=NOW, link=link)
    return newsletter_send.create_issue(session, draft, now=NOW)


def _queued(session) -> list[str]:
    return list(session.execute(select(OutboxMessage.to_address).order_by(OutboxMessage.id)).scalars())


def test_send_queues_once_per_confirmed_subscriber_and_never_twice(session, monkeypatch):
    for email in ("one@example.com", "two@example.com"):
        _subscribe(session, email)
    _subscribe(session, "pending@example.com", status="pending")
    _subscribe(session, "other-topic@example.com", slug="caregiving")
    issue = _issue(session, monkeypatch, [_item(1)])
    progress = []
    report = newsletter_send.send_issue(session, issue, secret=SECRET, manage_links=manage_links, now=NOW,
                                        progress=lambda done, total: progress.append((done, total)))
    assert (report.queued, report.skipped) == (2, 0)
    assert progress == [(1, 2), (2, 2)]
    assert _queued(session) == ["one@example.com", "two@example.com"]

    again = newsletter_send.send_issue(session, issue, secret=SECRET, manage_links=manage_links, now=NOW)
    assert again.queued == 0 and len(_queued(session)) == 2

    message = session.execute(select(OutboxMessage)).scalars().first()
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = message.headers["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    assert newsletter_signup.subscriber_from_manage_token(session, SECRET, token).email == "one@example.com"


def test_a_crash_half_way_resumes_with_the_remaining_recipients(session, monkeypatch):
    for n in range(4):
        _subscribe(session, f"r{n}@example.com")
    issue = _issue(session, monkeypatch, [_item(1)])

    def crash_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        newsletter_send.send_issue(session, issue, secret=SECRET, manage_links=manage_links, now=NOW, progress=crash_after_two)
    session.rollback()
    assert _queued(session) == ["r0@example.com", "r1@example.com"]

    topic = newsletter_send.find_topic(session, "cancer")
    draft = newsletter_send.draft_issue(session, topic, since=None, now=NOW, link=link)
    assert draft.resumed_issue is not None and draft.resumed_issue.id == issue.id
    newsletter_send.send_issue(session, draft.resumed_issue, secret=SECRET, manage_links=manage_links, now=NOW)
    assert sorted(_queued(session)) == [f"r{n}@example.com" for n in range(4)]
    assert session.execute(select(func.count()).select_from(NewsletterDelivery)).scalar_one() == 4
    assert session.get(NewsletterIssue, issue.id).status == "sent"


def test_a_subscriber_who_unsubscribes_during_a_send_is_skipped(session, monkeypatch):
    first = _subscribe(session, "stay@example.com")
    leaving = _subscribe(session, "leave@example.com")
    issue = _issue(session, monkeypatch, [_item(1)])

    def unsubscribe_the_second(done, total):
        if done == 1:
            newsletter_signup.unsubscribe(session.get(NewsletterSubscriber, leaving.id), now=NOW)
            session.commit()

    report = newsletter_send.send_issue(session, issue, secret=SECRET, manage_links=manage_links, now=NOW,
                                        progress=unsubscribe_the_second)
    assert (report.queued, report.skipped) == (1, 1)
    assert _queued(session) == [first.email]


def test_the_next_issue_only_carries_new_items(session, monkeypatch):
    _subscribe(session, "one@example.com")
    issue = _issue(session, monkeypatch, [_item(1), _item(2)])
    newsletter_send.send_issue(session, issue, secret=SECRET, manage_links=manage_links, now=NOW)
    topic = newsletter_send.find_topic(session, "cancer")
    monkeypatch.setitem(compose.TOPIC_SOURCES, "cancer", lambda s, since, lk: [_item(2), _item(3)])
    draft = newsletter_send.draft_issue(session, topic, since=None, now=NOW + timedelta(days=7), link=link)
    assert [i.key for i in draft.items] == ["article:3"]
    assert draft.since == NOW  # since the last issue
    with pytest.raises(newsletter_send.SendError):
        newsletter_send.create_issue(session, newsletter_send.Draft(topic, NOW, []), now=NOW)
