"""Newsletter signup, double opt-in, preferences and one-click unsubscribe through the test client."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from config import TestConfig
from tests.conftest import first_link
from webapp import create_app
from webapp.blueprints.newsletter import seed as newsletter_seed
from webapp.blueprints.newsletter import signup as newsletter_signup
from webapp.blueprints.newsletter.models import NewsletterSubscriber, NewsletterTopic
from webapp.core import tokens
from webapp.extensions import db


@pytest.fixture
def topics(app):
    with app.app_context():
        newsletter_seed.seed(db.session, lambda _m: None)
        db.session.commit()


@pytest.fixture
def csrf_app(database_url, _schema, app):
    """A second app on the same database with CSRF protection on, as in production."""
    protected = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield protected
    with protected.app_context():
        db.session.remove()
        db.engine.dispose()


def _subscribers(app) -> list[tuple[str, str, list[str]]]:
    with app.app_context():
        rows = db.session.execute(select(NewsletterSubscriber).order_by(NewsletterSubscriber.id)).scalars().all()
        result = []
        for row in rows:
            slugs = sorted(db.session.execute(select(NewsletterTopic.slug).where(
                NewsletterTopic.id.in_([s.topic_id for s in row.subscriptions]))).scalars())
            result.append((row.email, row.status, slugs))
        return result


def _signup(client, email, topics=("cancer",)):
    return client.post("/newsletter", data={"email": email, "topics": list(topics)})


def _manage_token(app, email) -> str:
    with app.app_context():
        subscriber = db.session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)).scalar_one()
        return newsletter_signup.manage_token(app.config["SECRET_KEY"], subscriber)


def _age_confirmation(app, email, hours=2):
    with app.app_context():
        subscriber = db.session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)).scalar_one()
        subscriber.confirmation_sent_at -= timedelta(hours=hours)
        db.session.commit()


def test_signup_needs_confirmation_before_anything_is_sent(client, app, topics, sent_mail):
    response = _signup(client, "Reader@Example.COM", ["cancer", "drug-safety"])
    assert response.status_code == 302 and response.location.endswith("/newsletter/check-email")
    assert "Check your email" in client.get(response.location).get_data(as_text=True)
    assert _subscribers(app) == [("reader@example.com", "pending", ["cancer", "drug-safety"])]

    (mail,) = sent_mail("reader@example.com")
    assert "Confirm your HealthDesk newsletter" in mail.subject
    assert "Cancer" in mail.body_text and "Drug Safety & Recalls" in mail.body_text
    page = client.get(first_link(mail.body_text, "/newsletter/confirm/"))
    assert page.status_code == 200
    assert "your subscription is confirmed" in page.get_data(as_text=True)
    assert _subscribers(app) == [("reader@example.com", "confirmed", ["cancer", "drug-safety"])]

    again = client.get(first_link(mail.body_text, "/newsletter/confirm/"))
    assert again.status_code == 200 and "already confirmed" in again.get_data(as_text=True)


def test_signing_up_again_never_duplicates_nor_reveals_and_resends_at_most_hourly(client, app, topics, sent_mail):
    first = _signup(client, "sam@example.com")
    second = _signup(client, "  SAM@EXAMPLE.COM ")
    assert first.location == second.location
    assert len(_subscribers(app)) == 1
    assert len(sent_mail("sam@example.com")) == 1  # within the hour: no second email

    _age_confirmation(app, "sam@example.com")
    third = _signup(client, "sam@example.com", ["caregiving"])
    assert third.location == first.location
    mails = sent_mail("sam@example.com")
    assert len(mails) == 2
    assert _subscribers(app) == [("sam@example.com", "pending", ["cancer", "caregiving"])]


def test_a_confirmed_address_only_gains_topics_through_its_own_link(client, app, topics, sent_mail):
    _signup(client, "kim@example.com", ["cancer"])
    client.get(first_link(sent_mail("kim@example.com")[0].body_text, "/newsletter/confirm/"))
    _age_confirmation(app, "kim@example.com")

    # Same topics again: nothing to confirm, no email, same answer.
    assert _signup(client, "kim@example.com", ["cancer"]).location.endswith("/newsletter/check-email")
    assert len(sent_mail("kim@example.com")) == 1

    # A stranger adding topics changes nothing until the owner opens the link.
    _signup(client, "kim@example.com", ["healthy-living"])
    mails = sent_mail("kim@example.com")
    assert len(mails) == 2 and "new HealthDesk newsletter topics" in mails[1].subject
    assert _subscribers(app) == [("kim@example.com", "confirmed", ["cancer"])]
    client.get(first_link(mails[1].body_text, "/newsletter/confirm/"))
    assert _subscribers(app) == [("kim@example.com", "confirmed", ["cancer", "healthy-living"])]


@pytest.mark.parametrize("address", [
    "", "   ", "not-an-address", "two@@example.com", "a" * 490 + "@example.com",
    "<script>alert(1)</script>@example.com", "nul\x00byte@example.com", "' OR 1=1 --", "🙂@🙂",
])
def test_bad_addresses_are_refused_beside_the_field(client, app, topics, sent_mail, address):
    response = _signup(client, address)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="email-error"' in body
    assert "<script>alert" not in body
    assert _subscribers(app) == [] and sent_mail() == []


def test_no_topic_chosen_keeps_what_was_typed(client, topics, sent_mail):
    response = client.post("/newsletter", data={"email": "lee@example.com", "topics": ["no-such-topic"]})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Choose at least one topic." in body
    assert 'value="lee@example.com"' in body
    assert sent_mail() == []


def test_signup_page_prefills_a_members_email_and_lists_the_topics(logged_in_client, topics):
    body = logged_in_client.get("/newsletter").get_data(as_text=True)
    assert 'value="member@example.com"' in body
    for name in ("Cancer", "Drug Safety &amp; Recalls", "Healthy Living", "Caregiving", "Community Highlights"):
        assert name in body


def test_footer_form_is_on_every_page_and_carries_no_session_token(app, csrf_app, topics, logged_in_client):
    body = csrf_app.test_client().get("/login").get_data(as_text=True)
    footer = body[body.index('<section class="footer-newsletter"'):]
    footer = footer[: footer.index("</section>")]
    assert 'aria-labelledby="footer-newsletter-heading"' in footer
    assert 'id="footer-newsletter-heading"' in footer
    # The page may come from the shared cache: the signup checks the request's origin instead.
    assert "csrf_token" not in footer
    assert '<label for="footer-newsletter-email">' in footer
    # An email alone: the default is stated beside the button, no topic list to fill in.
    assert 'type="checkbox"' not in footer and "<strong>all topics</strong>" in footer
    # Members find their own address filled in.
    member_page = logged_in_client.get("/").get_data(as_text=True)
    assert 'id="footer-newsletter-email" name="email" autocomplete="email" maxlength="254" required value="member@example.com"' in member_page


def test_signup_sent_from_another_site_is_refused(csrf_app, app, topics):
    response = csrf_app.test_client().post("/newsletter", data={"email": "x@example.com", "topics": ["cancer"]},
                                           headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert _subscribers(app) == []


def test_signup_is_rate_limited(client, topics):
    codes = [_signup(client, f"r{n}@example.com").status_code for n in range(7)]
    assert codes[:5] == [302] * 5 and codes[-1] == 429


def test_tampered_and_expired_links_explain_themselves(client, app, topics, sent_mail):
    _signup(client, "pat@example.com")
    link = first_link(sent_mail()[0].body_text, "/newsletter/confirm/")
    tampered = client.get(link[:-3] + "abc")
    assert tampered.status_code == 400 and "not valid" in tampered.get_data(as_text=True)
    assert client.get("/newsletter/unsubscribe/garbage").status_code == 400
    assert client.post("/newsletter/unsubscribe/garbage").status_code == 400
    assert client.get("/newsletter/preferences/%FF%FE").status_code == 400

    with app.app_context():
        token = link.rsplit("/", 1)[1]
        with pytest.raises(tokens.TokenError) as excinfo:
            newsletter_signup.confirm(db.session, app.config["SECRET_KEY"], token,
                                      now=datetime.now(timezone.utc), max_age=-1)
        assert excinfo.value.reason == "expired"
    # A link for another purpose (the account's email verification) is not accepted here.
    other = tokens.make_token(app.config["SECRET_KEY"], "verify-email", {"sid": 1, "email": "pat@example.com"})
    assert client.get(f"/newsletter/confirm/{other}").status_code == 400
    assert _subscribers(app)[0][1] == "pending"


def test_expired_confirmation_link_page(client, app, topics):
    _signup(client, "old@example.com")
    app.config["EMAIL_TOKEN_MAX_AGE"] = -1
    with app.app_context():
        subscriber = db.session.execute(select(NewsletterSubscriber)).scalar_one()
        token = newsletter_signup.confirm_token(app.config["SECRET_KEY"], subscriber, [])
    response = client.get(f"/newsletter/confirm/{token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def _confirmed(client, app, sent_mail, email="una@example.com", topics=("cancer", "caregiving")):
    _signup(client, email, topics)
    client.get(first_link(sent_mail(email)[0].body_text, "/newsletter/confirm/"))
    return _manage_token(app, email)


def test_rfc8058_one_click_post_unsubscribes_without_csrf(csrf_app, app, client, topics, sent_mail):
    token = _confirmed(client, app, sent_mail)
    mail_client = csrf_app.test_client()  # no session, no CSRF token: what a mail provider sends
    # Opening the link (or a scanner prefetching it) only asks.
    page = mail_client.get(f"/newsletter/unsubscribe/{token}")
    assert page.status_code == 200 and "Unsubscribe from the newsletter?" in page.get_data(as_text=True)
    assert _subscribers(app)[0][1] == "confirmed"

    response = mail_client.post(f"/newsletter/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    assert _subscribers(app)[0][1] == "unsubscribed"

    twice = mail_client.post(f"/newsletter/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert twice.status_code == 200 and "already unsubscribed" in twice.get_data(as_text=True)
    assert "already unsubscribed" in mail_client.get(f"/newsletter/unsubscribe/{token}").get_data(as_text=True)


def test_preferences_change_topics_and_can_resubscribe(client, app, topics, sent_mail):
    token = _confirmed(client, app, sent_mail)
    page = client.get(f"/newsletter/preferences/{token}").get_data(as_text=True)
    assert re.search(r'value="cancer"[^>]*checked', page) and not re.search(r'value="drug-safety"[^>]*checked', page)

    saved = client.post(f"/newsletter/preferences/{token}", data={"topics": ["drug-safety", "nonsense"]}, follow_redirects=True)
    assert "topics are saved" in saved.get_data(as_text=True)
    assert _subscribers(app) == [("una@example.com", "confirmed", ["drug-safety"])]

    none = client.post(f"/newsletter/preferences/{token}", data={}, follow_redirects=True)
    assert "you are unsubscribed" in none.get_data(as_text=True)
    assert _subscribers(app) == [("una@example.com", "unsubscribed", [])]

    client.post(f"/newsletter/preferences/{token}", data={"topics": ["cancer"]})
    assert _subscribers(app) == [("una@example.com", "confirmed", ["cancer"])]


def test_unsubscribed_address_signing_up_again_must_confirm_again(client, app, topics, sent_mail):
    token = _confirmed(client, app, sent_mail, "vic@example.com", ["cancer"])
    client.post(f"/newsletter/unsubscribe/{token}")
    _age_confirmation(app, "vic@example.com")
    _signup(client, "vic@example.com", ["healthy-living"])
    assert _subscribers(app) == [("vic@example.com", "pending", ["healthy-living"])]
    assert len(sent_mail("vic@example.com")) == 2


def test_members_manage_topics_in_settings(logged_in_client, app, topics, sent_mail):
    page = logged_in_client.get("/account/settings").get_data(as_text=True)
    assert 'id="newsletter-settings-heading"' in page and "You don't receive the newsletter" in page

    response = logged_in_client.post("/newsletter/settings", data={"topics": ["cancer", "community-highlights"]},
                                     follow_redirects=True)
    assert "Your newsletter topics are saved." in response.get_data(as_text=True)
    # The account's address is verified already: no second opt-in email.
    assert _subscribers(app) == [("member@example.com", "confirmed", ["cancer", "community-highlights"])]
    assert sent_mail() == []
    page = logged_in_client.get("/account/settings").get_data(as_text=True)
    assert re.search(r'id="settings-newsletter-topics-cancer"[^>]*checked', page)

    logged_in_client.post("/newsletter/settings", data={})
    assert _subscribers(app) == [("member@example.com", "unsubscribed", [])]


def test_unverified_member_confirms_by_email(client, auth, make_user, app, topics, sent_mail):
    make_user("new@example.com", verified=False)
    auth.login("new@example.com")
    response = client.post("/newsletter/settings", data={"topics": ["caregiving"]}, follow_redirects=True)
    assert "We sent a confirmation link" in response.get_data(as_text=True)
    assert _subscribers(app) == [("new@example.com", "pending", ["caregiving"])]
    (mail,) = sent_mail("new@example.com")
    client.get(first_link(mail.body_text, "/newsletter/confirm/"))
    assert _subscribers(app)[0][1] == "confirmed"


def test_export_includes_subscription_and_deleting_the_account_removes_it(logged_in_client, client, app, user, topics, sent_mail):
    from tests.conftest import PASSWORD

    logged_in_client.post("/newsletter/settings", data={"topics": ["cancer"]})
    export = logged_in_client.get("/account/export").get_json()
    assert export["newsletter"]["email"] == "member@example.com"
    assert export["newsletter"]["status"] == "confirmed"
    assert export["newsletter"]["topics"] == ["Cancer"]

    response = logged_in_client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _subscribers(app) == []


def test_an_anonymous_signup_is_linked_to_the_matching_account_on_confirmation(client, app, user, topics, sent_mail):
    _signup(client, "MEMBER@example.com")
    client.get(first_link(sent_mail("member@example.com")[0].body_text, "/newsletter/confirm/"))
    with app.app_context():
        subscriber = db.session.execute(select(NewsletterSubscriber)).scalar_one()
        assert subscriber.user_id == user.id


@pytest.mark.parametrize("path", ["/newsletter?x=%FF%FE", "/newsletter/check-email?%C3%28=%00", "/newsletter?email=%00"])
def test_odd_query_strings_are_harmless(client, topics, path):
    assert client.get(path).status_code == 200


def test_huge_and_odd_form_values_never_fail(client, app, topics, sent_mail):
    huge = client.post("/newsletter", data={"email": "a" * 10_000, "topics": ["cancer"]})
    assert huge.status_code == 200 and "at most 254 characters" in huge.get_data(as_text=True)
    odd_topics = client.post("/newsletter", data={"email": "odd@example.com", "topics": ["\x00", "x" * 5000, "cancer"]})
    assert odd_topics.status_code == 302
    assert _subscribers(app) == [("odd@example.com", "pending", ["cancer"])]
    assert client.post("/newsletter/unsubscribe/" + "A" * 5000).status_code == 400


def test_one_click_unsubscribe_is_never_rate_limited(client, app, topics, sent_mail):
    token = _confirmed(client, app, sent_mail)
    codes = {client.post(f"/newsletter/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code
             for _ in range(40)}
    assert codes == {200}


def test_an_address_linked_to_another_account_is_left_alone(client, auth, make_user, app, topics):
    owner = make_user("owner@example.com")
    make_user("second@example.com")
    with app.app_context():
        db.session.add(NewsletterSubscriber(email="second@example.com", status="confirmed", user_id=owner.id))
        db.session.commit()
    auth.login("second@example.com")
    response = client.post("/newsletter/settings", data={"topics": ["cancer"]}, follow_redirects=True)
    assert "through another account" in response.get_data(as_text=True)
    assert _subscribers(app) == [("second@example.com", "confirmed", [])]


def _change_email(client, new_email, sent_mail):
    from tests.conftest import PASSWORD

    client.post("/account/email", data={"em-new_email": new_email, "em-current_password": PASSWORD})
    (message,) = [m for m in sent_mail(new_email) if "/account/email/confirm/" in m.body_text]
    client.get(first_link(message.body_text, "/account/email/confirm/"))


def test_the_newsletter_follows_a_members_new_email_address(logged_in_client, app, topics, sent_mail):
    logged_in_client.post("/newsletter/settings", data={"topics": ["cancer"]})
    _change_email(logged_in_client, "moved@example.com", sent_mail)
    assert _subscribers(app) == [("moved@example.com", "confirmed", ["cancer"])]
    page = logged_in_client.get("/account/settings").get_data(as_text=True)
    assert re.search(r'id="settings-newsletter-topics-cancer"[^>]*checked', page)


def test_an_earlier_signup_of_the_new_address_joins_the_members_subscription(logged_in_client, client, app, topics, sent_mail):
    logged_in_client.post("/newsletter/settings", data={"topics": ["cancer"]})
    with app.test_client() as stranger:  # the member had also signed up their other address, logged out
        _signup(stranger, "moved@example.com", ["caregiving"])
        stranger.get(first_link(sent_mail("moved@example.com")[0].body_text, "/newsletter/confirm/"))
    _change_email(logged_in_client, "moved@example.com", sent_mail)
    assert _subscribers(app) == [("moved@example.com", "confirmed", ["cancer", "caregiving"])]


ALL_TOPICS = ["cancer", "caregiving", "community-highlights", "drug-safety", "healthy-living"]


def test_an_email_alone_subscribes_to_all_topics_after_confirming_and_the_confirmation_page_narrows_them(
        client, app, topics, sent_mail):
    response = client.post("/newsletter", data={"email": "alone@example.com"})
    assert response.status_code == 302 and response.location.endswith("/newsletter/check-email")
    assert _subscribers(app) == [("alone@example.com", "pending", ALL_TOPICS)]  # still double opt-in

    (mail,) = sent_mail("alone@example.com")
    page = client.get(first_link(mail.body_text, "/newsletter/confirm/"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "your subscription is confirmed" in body and "all topics" in body
    assert body.count('type="checkbox"') == len(ALL_TOPICS) and body.count(" checked") == len(ALL_TOPICS)
    assert _subscribers(app) == [("alone@example.com", "confirmed", ALL_TOPICS)]

    # The form on the confirmation page narrows the topics (it posts to the preferences page).
    action = re.search(r'<form method="post" action="(/newsletter/preferences/[^"]+)"', body).group(1)
    saved = client.post(action, data={"topics": ["cancer"]})
    assert saved.status_code == 302
    assert _subscribers(app) == [("alone@example.com", "confirmed", ["cancer"])]


def test_an_email_alone_with_no_topics_on_offer_is_told_so(client, app, sent_mail):
    response = client.post("/newsletter", data={"email": "early@example.com"})
    assert response.status_code == 200 and "No newsletter topics are available yet" in response.get_data(as_text=True)
    assert _subscribers(app) == [] and sent_mail() == []


def test_pages_do_not_ask_for_the_newsletter_topics(app, client, topics):
    """The footer lists no topics any more: a page renders without querying them."""
    from sqlalchemy import event

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements  # the home page does read the database
    assert not [s for s in statements if "newsletter_topics" in s]
