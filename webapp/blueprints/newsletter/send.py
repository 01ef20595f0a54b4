"""Send a newsletter issue: one queued email per confirmed subscriber of the topic, never twice.

An issue's items are fixed when it is created. Each recipient's email is queued in the
outbox in the same transaction as their delivery row (unique on issue + subscriber), and
that transaction commits before the next recipient. So a send that crashes half way is
resumed by running it again (the unfinished issue is picked up, with the same content,
for the recipients who have no delivery yet), and a repeated send finds nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.newsletter import compose as compose_mod
from webapp.blueprints.newsletter.models import NewsletterDelivery, NewsletterIssue, NewsletterSubscriber, NewsletterSubscription, NewsletterTopic
from webapp.blueprints.newsletter.signup import manage_token
from webapp.core.mail.outbox import queue_mail

DEFAULT_WINDOW = timedelta(days=30)  # the first issue of a topic covers this much
PREVIOUS_ISSUES_CHECKED = 50

# manage token -> (one-click unsubscribe URL, preferences URL)
ManageLinks = Callable[[str], tuple[str, str]]


class SendError(Exception):
    pass


def account_mail(session: Session, user_id: int) -> list[int]:
    """The newsletter emails sent to the account's subscription, whatever address it had then
    (the outbox rows of issues do not name the account: deleted with it through this hook)."""
    return list(session.execute(
        select(NewsletterDelivery.outbox_message_id)
        .join(NewsletterSubscriber, NewsletterSubscriber.id == NewsletterDelivery.subscriber_id)
        .where(NewsletterSubscriber.user_id == user_id, NewsletterDelivery.outbox_message_id.is_not(None))
    ).scalars())


def find_topic(session: Session, name_or_slug: str) -> NewsletterTopic:
    value = (name_or_slug or "").strip().lower()
    for topic in session.execute(select(NewsletterTopic).order_by(NewsletterTopic.position)).scalars():
        if value in (topic.slug, topic.name.lower()):
            return topic
    known = ", ".join(session.execute(select(NewsletterTopic.slug).order_by(NewsletterTopic.position)).scalars())
    raise SendError(f"No newsletter topic {name_or_slug!r}. Topics: {known or 'none (run flask seed)'}.")


def unfinished_issue(session: Session, topic: NewsletterTopic) -> NewsletterIssue | None:
    stmt = (select(NewsletterIssue).where(NewsletterIssue.topic_id == topic.id, NewsletterIssue.status == "sending")
            .order_by(NewsletterIssue.id).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def last_issue(session: Session, topic: NewsletterTopic) -> NewsletterIssue | None:
    stmt = (select(NewsletterIssue).where(NewsletterIssue.topic_id == topic.id)
            .order_by(NewsletterIssue.created_at.desc(), NewsletterIssue.id.desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def previously_sent_keys(session: Session, topic: NewsletterTopic) -> set[str]:
    stmt = (select(NewsletterIssue.items).where(NewsletterIssue.topic_id == topic.id)
            .order_by(NewsletterIssue.id.desc()).limit(PREVIOUS_ISSUES_CHECKED))
    return {item.get("key") for items in session.execute(stmt).scalars() for item in (items or [])}


@dataclass(frozen=True)
class Draft:
    topic: NewsletterTopic
    since: datetime
    items: list[compose_mod.Item]
    resumed_issue: NewsletterIssue | None = None


def draft_issue(session: Session, topic: NewsletterTopic, *, since: datetime | None, now: datetime,
                link: compose_mod.Link) -> Draft:
    """What would be sent: the unfinished issue to resume, or what is new since the last issue."""
    unfinished = unfinished_issue(session, topic)
    if unfinished is not None:
        items = [compose_mod.Item.from_dict(d) for d in unfinished.items]
        return Draft(topic, unfinished.covers_since, items, unfinished)
    if since is None:
        previous = last_issue(session, topic)
        since = previous.created_at if previous else now - DEFAULT_WINDOW
    items = compose_mod.compose(session, topic.slug, since, link, exclude_keys=previously_sent_keys(session, topic))
    return Draft(topic, since, items)


def create_issue(session: Session, draft: Draft, *, now: datetime) -> NewsletterIssue:
    if draft.resumed_issue is not None:
        return draft.resumed_issue
    if not draft.items:
        raise SendError("Nothing to send.")
    issue = NewsletterIssue(
        topic_id=draft.topic.id,
        subject=compose_mod.subject_for(draft.topic.name, draft.items),
        items=[item.to_dict() for item in draft.items],
        covers_since=draft.since,
        status="sending",
        created_at=now,
    )
    session.add(issue)
    session.commit()
    return issue


def _recipients_stmt(issue: NewsletterIssue):
    delivered = select(NewsletterDelivery.subscriber_id).where(NewsletterDelivery.issue_id == issue.id)
    return (select(NewsletterSubscriber.id)
            .join(NewsletterSubscription, NewsletterSubscription.subscriber_id == NewsletterSubscriber.id)
            .where(NewsletterSubscription.topic_id == issue.topic_id, NewsletterSubscriber.status == "confirmed",
                   NewsletterSubscriber.id.not_in(delivered)))


def pending_recipient_ids(session: Session, issue: NewsletterIssue) -> list[int]:
    return list(session.execute(_recipients_stmt(issue).order_by(NewsletterSubscriber.id)).scalars())


def confirmed_subscriber_count(session: Session, topic: NewsletterTopic) -> int:
    stmt = (select(func.count()).select_from(NewsletterSubscriber)
            .join(NewsletterSubscription, NewsletterSubscription.subscriber_id == NewsletterSubscriber.id)
            .where(NewsletterSubscription.topic_id == topic.id, NewsletterSubscriber.status == "confirmed"))
    return session.execute(stmt).scalar_one()


@dataclass(frozen=True)
class SendReport:
    issue_id: int
    queued: int
    skipped: int  # already delivered by a concurrent run, or no longer confirmed


def send_issue(session: Session, issue: NewsletterIssue, *, secret: str, manage_links: ManageLinks, now: datetime,
               progress: Callable[[int, int], None] | None = None, commit_every: int = 1) -> SendReport:
    """Queue the issue for every confirmed subscriber who has not had it.

    Commits after every `commit_every` recipients (progress is reported once they are
    committed): a crash loses at most that many, which a resumed send queues again. A batch
    that meets a delivery made meanwhile by a concurrent run is redone one recipient at a time.
    """
    issue_id, topic_id, subject = issue.id, issue.topic_id, issue.subject
    topic_name = session.get(NewsletterTopic, topic_id).name
    items = [compose_mod.Item.from_dict(d) for d in issue.items]
    ids = pending_recipient_ids(session, issue)
    queued = skipped = 0

    def queue_one(subscriber_id: int) -> bool:
        subscriber = session.get(NewsletterSubscriber, subscriber_id)
        if subscriber is None or not subscriber.is_confirmed:
            return False  # unsubscribed (or removed) while this send was running
        member = session.get(User, subscriber.user_id) if subscriber.user_id else None
        ordered = compose_mod.order_items(items, member, session)
        unsubscribe_url, preferences_url = manage_links(manage_token(secret, subscriber))
        footer = compose_mod.Footer(unsubscribe_url, preferences_url, topic_name)
        message = queue_mail(
            session,
            to=subscriber.email,
            subject=subject,
            text=compose_mod.render_text(topic_name, ordered, footer),
            html=compose_mod.render_html(topic_name, ordered, footer),
            headers={"List-Unsubscribe": f"<{unsubscribe_url}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            category="newsletter",
            account_id=subscriber.user_id,
        )
        session.flush()
        session.add(NewsletterDelivery(issue_id=issue_id, subscriber_id=subscriber_id,
                                       outbox_message_id=message.id, created_at=now))
        return True

    for start in range(0, len(ids), commit_every):
        batch = ids[start:start + commit_every]
        # The batch's subscribers in one query; queue_one then finds them loaded.
        list(session.execute(select(NewsletterSubscriber).where(NewsletterSubscriber.id.in_(batch))).scalars())
        try:
            outcomes = [queue_one(subscriber_id) for subscriber_id in batch]
            session.commit()
        except IntegrityError:
            # Another run delivered to one of them a moment ago; its email stands, ours is dropped.
            session.rollback()
            outcomes = []
            for subscriber_id in batch:
                try:
                    outcomes.append(queue_one(subscriber_id))
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    outcomes.append(False)
        for position, was_queued in enumerate(outcomes, start=start + 1):
            queued += was_queued
            skipped += not was_queued
            if progress:
                progress(position, len(ids))
    finished = session.get(NewsletterIssue, issue_id)
    finished.status = "sent"
    finished.finished_at = now
    session.commit()
    return SendReport(issue_id, queued, skipped)
