"""Queue mail in the outbox table and deliver it with retries, never twice.

Delivery claims a message by switching it from "pending" to "sending" in its own
committed transaction before talking to the mail server. A crash after the server
accepted the message leaves it in "sending", which is never retried automatically:
a lost message is reported rather than a duplicate sent. `stuck_messages` finds them
(`flask mail status` lists them, `flask mail deliver` warns), and an operator who has
checked the mail server's log puts them back with `requeue` (`flask mail retry`).

What a message says can hold health data (a recall alert names a family member and a
medicine), so it is kept only as long as it is useful: `remove_old_text` blanks the
subject, text, HTML and headers of messages sent (or given up on) longer ago than the
retention period, leaving the delivery record. Each message also remembers the account it
belongs to (`user_id`, a foreign key with ON DELETE CASCADE), so deleting the account removes
its mail, even mail sent to an address the account no longer has; `delete_account_mail`
removes what has no such link (mail queued before the column existed, sent to its address).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import policy as email_policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import and_, column, delete, func, or_, select, table, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from webapp.core.mail.models import TEXT_REMOVED, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BASE_BACKOFF = timedelta(minutes=1)
# A send takes seconds; a message still "sending" after this was interrupted.
STUCK_AFTER = timedelta(minutes=10)
# The accounts table, named rather than imported: core knows no area's models.
_USERS = table("users", column("id"), column("email"))


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    retried: int
    failed: int


LOOK_UP = object()  # queue_mail's default: find the account by the address


def queue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    category: str = "general",
    domain: str = "healthdesk.local",
    account_id: int | None | object = LOOK_UP,
) -> OutboxMessage:
    """Add a message to the outbox; the caller's transaction commits it with the change that caused it.

    account_id: the account the message belongs to, stored as its user_id (None: no account);
    by default the account that has the address.
    """
    if account_id is LOOK_UP:
        account_id = account_for_address(session, to)
    message = OutboxMessage(
        message_id=make_msgid(idstring=secrets.token_hex(6), domain=domain),
        to_address=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=dict(headers or {}),
        category=category,
        user_id=account_id,
    )
    session.add(message)
    return message


def account_for_address(session: Session, address: str) -> int | None:
    """The id of the account whose (normalised) email is this address, if any."""
    with session.no_autoflush:  # queueing mail must not flush the caller's half-made changes
        return session.execute(select(_USERS.c.id).where(_USERS.c.email == address)).scalar_one_or_none()


class _ListHeader:
    """List-Unsubscribe, List-Unsubscribe-Post and the other RFC 2369 list headers.

    Mail clients read these literally (an angle-bracketed URL; RFC 8058's one-click POST), so
    they are folded only at spaces, or just after the colon, and never turned into RFC 2047
    encoded words: the default policy encodes any word too long for a 78-character line,
    and `=?utf-8?q?=3Chttps...` is no URL to a mail client.
    """

    max_count = 1

    @classmethod
    def parse(cls, value, kwds):
        if not value.isascii():
            raise ValueError("List-* header values must be ASCII (encode the URL)")
        kwds["decoded"] = " ".join(value.split())
        kwds["parse_tree"] = None

    def fold(self, *, policy):
        limit = policy.max_line_length or sys.maxsize
        lines = [f"{self.name}:"]
        for word in str(self).split():
            if len(lines[-1]) + 1 + len(word) <= limit:
                lines[-1] += " " + word
            else:
                lines.append(" " + word)
        return policy.linesep.join(lines) + policy.linesep


LIST_HEADERS = ("List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post",
                "List-Owner", "List-Archive")


def _outgoing_policy() -> email_policy.EmailPolicy:
    registry = HeaderRegistry()
    for name in LIST_HEADERS:
        registry.map_to_type(name, _ListHeader)
    return email_policy.default.clone(header_factory=registry)


OUTGOING_POLICY = _outgoing_policy()


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage(policy=OUTGOING_POLICY)
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(localtime=False)
    for name, value in (message.headers or {}).items():
        if not name.startswith("_"):  # ours, not the mail's (before migration 0005, "_account_id")
            email[name] = value
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after each failed attempt."""
    return BASE_BACKOFF * (2 ** max(attempts - 1, 0))


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    # While a message is "sending", next_attempt_at holds when this attempt started.
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
    )
    session.commit()
    return result.rowcount == 1


def due_message_ids(session: Session, now: datetime, limit: int, category: str | None = None) -> list[int]:
    stmt = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if category is not None:
        stmt = stmt.where(OutboxMessage.category == category)
    return list(session.execute(stmt).scalars())


def deliver_pending(
    session: Session,
    send: Callable[[EmailMessage], None],
    sender: str,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    limit: int = 500,
    progress: Callable[[int, int], None] | None = None,
    category: str | None = None,
) -> DeliveryReport:
    """Deliver every due message (of one category, if given) once. Safe to run again and from several processes."""
    ids = due_message_ids(session, now(), limit, category)
    sent = retried = failed = 0
    for position, message_id in enumerate(ids, start=1):
        if not _claim(session, message_id, now()):
            continue  # another process took it
        message = session.get(OutboxMessage, message_id)
        if message is None:
            continue  # deleted with its account a moment ago
        try:
            send(build_email(message, sender))
        except (smtplib.SMTPException, OSError) as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                failed += 1
            else:
                message.status = "pending"
                message.next_attempt_at = now() + backoff(message.attempts)
                retried += 1
            log.warning("mail %s to %s not delivered: %s", message.id, message.to_address, message.last_error)
        else:
            message.status = "sent"
            message.sent_at = now()
            message.last_error = None
            sent += 1
        try:
            session.commit()
        except StaleDataError:
            session.rollback()  # the account was deleted, its mail with it, while this one was being sent
        if progress:
            progress(position, len(ids))
    return DeliveryReport(sent=sent, retried=retried, failed=failed)


def smtp_sender(host: str, port: int, *, use_tls: bool, username: str | None, password: str | None, timeout: float = 30):
    """A send function that opens one SMTP connection per batch call."""

    def send(email: EmailMessage) -> None:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if use_tls:
                smtp.starttls()
            if username:
                smtp.login(username, password or "")
            smtp.send_message(email)

    return send


def log_sender(logger: logging.Logger = log):
    """Development transport: write the whole message, links included, to the log."""

    def send(email: EmailMessage) -> None:
        body = email.get_body(preferencelist=("plain",))
        logger.warning(
            "MAIL (not sent: no MAIL_SERVER configured)\nTo: %s\nSubject: %s\n\n%s",
            email["To"],
            email["Subject"],
            body.get_content() if body else "",
        )

    return send


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}


def stuck_messages(session: Session, now: datetime) -> list[OutboxMessage]:
    """Messages whose delivery was interrupted (the process died while sending them)."""
    return list(session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now - STUCK_AFTER)
        .order_by(OutboxMessage.id)
    ).scalars())


def failed_messages(session: Session) -> list[OutboxMessage]:
    return list(session.execute(select(OutboxMessage).where(OutboxMessage.status == "failed").order_by(OutboxMessage.id)).scalars())


def requeue(session: Session, message_ids: Iterable[int], now: datetime) -> list[int]:
    """Put stuck or failed messages back in the queue, with a fresh set of attempts.
    A stuck message may already have reached its recipient: the operator decides.
    A message whose text was removed after the retention period cannot be sent again."""
    ids = sorted(set(message_ids))
    requeued = list(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status.in_(["failed", "sending"]),
               OutboxMessage.body_text != TEXT_REMOVED)
        .values(status="pending", attempts=0, next_attempt_at=now)
        .returning(OutboxMessage.id)
    ).scalars())
    return sorted(requeued)


def _past_retention(cutoff: datetime):
    """Sent, or given up on, before the cutoff, with its text still there.

    next_attempt_at is when the last attempt started (never after sent_at), so this reads
    the (status, next_attempt_at) index; the rows it passes over were mostly blanked already,
    and a blanked row's text is short.
    """
    return and_(
        OutboxMessage.status.in_(["sent", "failed"]),
        OutboxMessage.next_attempt_at < cutoff,
        or_(OutboxMessage.status == "failed", OutboxMessage.sent_at < cutoff),
        OutboxMessage.body_text != TEXT_REMOVED,
    )


def remove_old_text(session: Session, *, now: datetime, retention: timedelta, batch_size: int = 500,
                    progress: Callable[[int, int], None] | None = None) -> int:
    """Blank the subject, text, HTML and headers of every message sent (or failed for good)
    more than `retention` ago; the delivery record stays (recipient, status, times, Message-ID,
    category, attempts, and user_id, the account it belongs to, so deleting that account still
    deletes it).

    Commits after each batch; returns how many messages it blanked. Running it again, or
    beside a delivery run, is safe: each UPDATE checks the message still qualifies.
    """
    if retention < timedelta(0):
        raise ValueError("the retention period cannot be negative")
    cutoff = now - retention
    total = session.execute(select(func.count()).select_from(OutboxMessage).where(_past_retention(cutoff))).scalar_one()
    done = removed = last_id = 0
    while done < total:
        batch = list(session.execute(
            select(OutboxMessage.id)
            .where(_past_retention(cutoff), OutboxMessage.id > last_id)
            .order_by(OutboxMessage.id).limit(batch_size)
        ).scalars())
        if not batch:
            break  # a few went (deleted with their account, or blanked by another run) since the count
        removed += session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(batch), _past_retention(cutoff))
            .values(subject="", body_text=TEXT_REMOVED, body_html=None, headers={})
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        last_id = batch[-1]
        done = min(done + len(batch), total)
        if progress:
            progress(done, total)
    return removed


def delete_account_mail(session: Session, *, address: str, message_ids: Iterable[int] = ()) -> int:
    """Delete the mail of an account that has no link to it: every message to its address and
    the messages the caller names. What belongs to the account (user_id, at any address: an
    earlier one, or a new one never confirmed) goes with the account, by ON DELETE CASCADE;
    this finds what was queued without it. Returns how many were deleted; the caller commits."""
    belongs = [func.lower(OutboxMessage.to_address) == address.lower()]
    named = sorted(set(message_ids))
    if named:
        belongs.append(OutboxMessage.id.in_(named))
    result = session.execute(
        delete(OutboxMessage).where(or_(*belongs)).execution_options(synchronize_session=False)
    )
    return result.rowcount
