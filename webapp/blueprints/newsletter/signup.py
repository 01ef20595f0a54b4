"""Newsletter subscriptions: double opt-in signup, confirmation, preferences and unsubscribe.

The rules that keep mail wanted and addresses private:
- an address has one subscriber row, stored normalised; signing up again never duplicates it;
- the answer to a signup is the same whatever state the address was in;
- only a confirmed address receives issues, and topics are only ever added to a confirmed
  address through a link sent to it (the link carries the topics asked for);
- a confirmation email goes out at most once an hour per address.

Links are signed tokens (webapp.core.tokens); the caller passes the secret key in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.newsletter.models import NewsletterSubscriber, NewsletterSubscription, NewsletterTopic
from webapp.core import tokens
from webapp.core.errors import FieldError
from webapp.core.mail.message import Mail

CONFIRM_PURPOSE = "newsletter-confirm"
MANAGE_PURPOSE = "newsletter-manage"
RESEND_INTERVAL = timedelta(hours=1)
CONFIRM_MAX_AGE = 60 * 60 * 24 * 3  # 3 days, like the account's verification link
# Unsubscribe and preference links sit in old emails; they must keep working for years.
MANAGE_MAX_AGE = 60 * 60 * 24 * 365 * 10
MAX_EMAIL_LENGTH = 254


class NewsletterError(FieldError):
    """A signup rule refused the address or the topics; `field` names the form field."""


def normalize_address(raw: str | None) -> str:
    """Validate the syntax (no DNS lookup) and return the address normalised and lowercased."""
    value = (raw or "").strip()
    if not value:
        raise NewsletterError("Enter your email address.", field="email")
    if len(value) > MAX_EMAIL_LENGTH:
        raise NewsletterError("Email addresses are at most 254 characters.", field="email")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise NewsletterError(f"Enter a valid email address, like name@example.com ({exc}).", field="email") from exc
    return result.normalized.lower()


def active_topics(session: Session) -> list[NewsletterTopic]:
    stmt = select(NewsletterTopic).where(NewsletterTopic.active.is_(True)).order_by(NewsletterTopic.position, NewsletterTopic.id)
    return list(session.execute(stmt).scalars())


def topics_by_slugs(session: Session, slugs: Iterable[str]) -> list[NewsletterTopic]:
    wanted = {s for s in slugs if isinstance(s, str)}
    return [topic for topic in active_topics(session) if topic.slug in wanted]


def find_subscriber(session: Session, email: str) -> NewsletterSubscriber | None:
    return session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)).scalar_one_or_none()


def subscriber_for_user(session: Session, user: User) -> NewsletterSubscriber | None:
    linked = session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.user_id == user.id)).scalar_one_or_none()
    if linked is not None:
        return linked
    by_address = find_subscriber(session, user.email.lower())
    # An address once used by another account stays that account's until it lets go.
    return by_address if by_address is not None and by_address.user_id is None else None


def topic_ids(subscriber: NewsletterSubscriber) -> set[int]:
    return {s.topic_id for s in subscriber.subscriptions}


def _add_topics(subscriber: NewsletterSubscriber, topic_ids_to_add: Iterable[int]) -> None:
    have = topic_ids(subscriber)
    for topic_id in sorted(set(topic_ids_to_add) - have):
        subscriber.subscriptions.append(NewsletterSubscription(topic_id=topic_id))


def _replace_topics(subscriber: NewsletterSubscriber, wanted: Iterable[int]) -> None:
    wanted = set(wanted)
    subscriber.subscriptions[:] = [s for s in subscriber.subscriptions if s.topic_id in wanted]
    _add_topics(subscriber, wanted)


def _account_for(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()


@dataclass(frozen=True)
class SignupResult:
    subscriber: NewsletterSubscriber
    # Topic ids the confirmation link will add; None when no email should go out now.
    confirm_topics: list[int] | None
    # True when the address was already confirmed: the email asks to confirm extra topics.
    adding_topics: bool = False


def _may_send_confirmation(subscriber: NewsletterSubscriber, now: datetime) -> bool:
    last = subscriber.confirmation_sent_at
    return last is None or now - last >= RESEND_INTERVAL


def _get_or_create(session: Session, email: str, now: datetime) -> NewsletterSubscriber:
    subscriber = find_subscriber(session, email)
    if subscriber is not None:
        return subscriber
    try:
        with session.begin_nested():
            subscriber = NewsletterSubscriber(email=email, status="pending", created_at=now)
            session.add(subscriber)
    except IntegrityError:
        # The same address was signed up at this very moment by another request.
        subscriber = find_subscriber(session, email)
        if subscriber is None:
            raise
    return subscriber


def sign_up(session: Session, raw_email: str, topic_slugs: Iterable[str], *, now: datetime,
            user: User | None = None) -> SignupResult:
    """Record a signup; the caller sends the confirmation email when confirm_topics is set.
    No topic at all means every topic (the footer's stated default: an email alone signs up);
    topics that were named but none of which exist are refused."""
    email = normalize_address(raw_email)
    slugs = [slug for slug in topic_slugs if slug]
    chosen = topics_by_slugs(session, slugs) if slugs else active_topics(session)
    if not chosen:
        message = "Choose at least one topic." if slugs else "No newsletter topics are available yet. Please come back soon."
        raise NewsletterError(message, field="topics")
    chosen_ids = [t.id for t in chosen]
    subscriber = _get_or_create(session, email, now)
    if (user is not None and subscriber.user_id is None and user.email.lower() == email
            and find_linked(session, user.id) is None):
        subscriber.user_id = user.id

    adding = False
    if subscriber.status == "confirmed":
        # Nothing changes until the owner of the address agrees through the emailed link.
        missing = [t for t in chosen_ids if t not in topic_ids(subscriber)]
        if not missing:
            return SignupResult(subscriber, None)
        adding = True
    elif subscriber.status == "unsubscribed":
        subscriber.status = "pending"
        _replace_topics(subscriber, chosen_ids)
    else:
        _add_topics(subscriber, chosen_ids)

    if not _may_send_confirmation(subscriber, now):
        session.flush()
        return SignupResult(subscriber, None, adding)
    subscriber.confirmation_sent_at = now
    session.flush()
    return SignupResult(subscriber, sorted(chosen_ids), adding)


def confirm_token(secret: str, subscriber: NewsletterSubscriber, topic_ids_to_add: Iterable[int]) -> str:
    return tokens.make_token(secret, CONFIRM_PURPOSE, {"sid": subscriber.id, "email": subscriber.email,
                                                        "topics": sorted(set(topic_ids_to_add))})


def manage_token(secret: str, subscriber: NewsletterSubscriber) -> str:
    return tokens.make_token(secret, MANAGE_PURPOSE, {"sid": subscriber.id, "email": subscriber.email})


def _subscriber_from(session: Session, data: dict) -> NewsletterSubscriber:
    sid = data.get("sid")
    if not isinstance(sid, int):
        raise tokens.TokenError("invalid")
    subscriber = session.get(NewsletterSubscriber, sid)
    if subscriber is None or subscriber.email != data.get("email"):
        raise tokens.TokenError("invalid")
    return subscriber


def subscriber_from_manage_token(session: Session, secret: str, token: str) -> NewsletterSubscriber:
    return _subscriber_from(session, tokens.read_token(secret, MANAGE_PURPOSE, token, MANAGE_MAX_AGE))


@dataclass(frozen=True)
class ConfirmResult:
    subscriber: NewsletterSubscriber
    changed: bool  # False: the link had already been used


def confirm(session: Session, secret: str, token: str, *, now: datetime, max_age: int = CONFIRM_MAX_AGE) -> ConfirmResult:
    """Confirm the address and add the topics the link carries. Raises tokens.TokenError."""
    data = tokens.read_token(secret, CONFIRM_PURPOSE, token, max_age)
    subscriber = _subscriber_from(session, data)
    wanted = data.get("topics")
    if not isinstance(wanted, list):
        raise tokens.TokenError("invalid")
    existing_ids = set(session.execute(select(NewsletterTopic.id)).scalars())
    wanted_ids = {t for t in wanted if isinstance(t, int) and t in existing_ids}
    changed = subscriber.status != "confirmed" or bool(wanted_ids - topic_ids(subscriber))
    if subscriber.status != "confirmed":
        subscriber.status = "confirmed"
        subscriber.confirmed_at = now
        subscriber.unsubscribed_at = None
    _add_topics(subscriber, wanted_ids)
    if subscriber.user_id is None:
        # The link proved the address; a member with that address owns this subscription.
        account = _account_for(session, subscriber.email)
        if account is not None and find_linked(session, account.id) is None:
            subscriber.user_id = account.id
    session.flush()
    return ConfirmResult(subscriber, changed)


def follow_email_change(session: Session, user: User, new_email: str) -> None:
    """A member's new address took effect (they followed the link sent to it): their newsletter
    goes there from now on. An unlinked subscription the new address already had joins theirs."""
    linked = find_linked(session, user.id)
    other = find_subscriber(session, new_email)
    if linked is None:
        if other is not None and other.user_id is None:
            other.user_id = user.id
        return
    if other is not None and other is not linked:
        if other.status == "confirmed":
            _add_topics(linked, topic_ids(other))
            if linked.status != "confirmed":
                linked.status, linked.confirmed_at, linked.unsubscribed_at = "confirmed", other.confirmed_at, None
        session.delete(other)
        session.flush()  # free the address before the linked row takes it
    linked.email = new_email
    session.flush()


def find_linked(session: Session, user_id: int) -> NewsletterSubscriber | None:
    return session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.user_id == user_id)).scalar_one_or_none()


def unsubscribe(subscriber: NewsletterSubscriber, *, now: datetime) -> bool:
    """Stop every issue to this address. Returns False when it was already unsubscribed."""
    if subscriber.status == "unsubscribed":
        return False
    subscriber.status = "unsubscribed"
    subscriber.unsubscribed_at = now
    return True


def set_topics(session: Session, subscriber: NewsletterSubscriber, topic_slugs: Iterable[str], *, now: datetime) -> str:
    """Preferences behind the emailed link (which proves the address). Returns the new status.

    No topics at all means unsubscribed; choosing topics again re-subscribes.
    """
    chosen = topics_by_slugs(session, topic_slugs)
    _replace_topics(subscriber, [t.id for t in chosen])
    if not chosen:
        unsubscribe(subscriber, now=now)
    elif subscriber.status != "confirmed":
        subscriber.status = "confirmed"
        subscriber.confirmed_at = subscriber.confirmed_at or now
        subscriber.unsubscribed_at = None
    session.flush()
    return subscriber.status


@dataclass(frozen=True)
class MemberResult:
    subscriber: NewsletterSubscriber | None
    status: str  # "confirmed", "unsubscribed", "pending" (confirmation sent) or "pending-wait"
    confirm_topics: list[int] | None = None


def member_set_topics(session: Session, user: User, topic_slugs: Iterable[str], *, now: datetime) -> MemberResult:
    """Topics chosen on the settings page. A verified account address counts as confirmed."""
    chosen = topics_by_slugs(session, topic_slugs)
    subscriber = subscriber_for_user(session, user)
    if subscriber is None:
        if not chosen:
            return MemberResult(None, "unsubscribed")
        subscriber = _get_or_create(session, user.email.lower(), now)
        if subscriber.user_id not in (None, user.id):
            raise NewsletterError("This address gets the newsletter through another account.", field="topics")
    if subscriber.user_id is None:
        subscriber.user_id = user.id
    if user.email_verified_at is not None or subscriber.status == "confirmed":
        return MemberResult(subscriber, set_topics(session, subscriber, [t.slug for t in chosen], now=now))
    if not chosen:
        _replace_topics(subscriber, [])
        session.flush()
        return MemberResult(subscriber, "unsubscribed")
    subscriber.status = "pending"
    _replace_topics(subscriber, [t.id for t in chosen])
    if not _may_send_confirmation(subscriber, now):
        session.flush()
        return MemberResult(subscriber, "pending-wait")
    subscriber.confirmation_sent_at = now
    session.flush()
    return MemberResult(subscriber, "pending", sorted(t.id for t in chosen))


def topic_names(session: Session, ids: Iterable[int]) -> list[str]:
    ids = set(ids)
    return [t.name for t in active_topics(session) if t.id in ids]


def confirmation_mail(link: str, topics: list[str], *, adding: bool) -> Mail:
    listed = "\n".join(f"  - {name}" for name in topics)
    if adding:
        return Mail(
            "Confirm your new HealthDesk newsletter topics",
            "Hello,\n\nSomeone (probably you) asked to add these topics to the HealthDesk newsletter "
            f"you already receive at this address:\n\n{listed}\n\nTo add them, open this link:\n\n{link}\n\n"
            "The link works for 3 days. If you didn't ask for this, ignore this message: nothing changes.\n",
        )
    return Mail(
        "Confirm your HealthDesk newsletter subscription",
        "Hello,\n\nSomeone (probably you) asked to receive the HealthDesk newsletter at this address, "
        f"on these topics:\n\n{listed}\n\nTo start receiving it, confirm by opening this link:\n\n{link}\n\n"
        "The link works for 3 days. If you didn't ask for this, ignore this message: "
        "we won't send you anything else.\n",
    )
