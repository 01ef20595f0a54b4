"""Queue mail in the outbox table and deliver it with retries, never twice.

Delivery claims a message by switching it from "pending" to "sending" in its own
committed transaction before talking to the mail server. A crash after the server
accepted the message leaves it in "sending", which is never retried automatically:
a lost message is reported rather than a duplicate sent. `stuck_messages` finds them
(`flask mail status` lists them, `flask mail deliver` warns), and an operator who has
checked the mail server's log puts them back with `requeue` (`flask mail retry`).

Any number of workers deliver at once (the `mail.deliver` job, webapp/core/mail/tasks.py):
each reserves a small batch of due messages for a few minutes (`reserve_batch`, with
FOR UPDATE SKIP LOCKED on PostgreSQL) and claims them one by one as above, so workers do not
queue behind each other's rows and a killed worker holds at most one message in "sending".

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
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import policy as email_policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import and_, column, delete, func, or_, select, table, update
from sqlalchemy.orm import Session

from webapp.core.mail.models import TEXT_REMOVED, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BASE_BACKOFF = timedelta(minutes=1)
# A send takes seconds; a message still "sending" after this was interrupted.
STUCK_AFTER = timedelta(minutes=10)
# deliver_pending reserves this many messages at a time, for this long (see reserve_batch).
BATCH_SIZE = 20
LEASE = timedelta(minutes=5)
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


def _due(now: datetime, category: str | None):
    conditions = [OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now]
    if category is not None:
        conditions.append(OutboxMessage.category == category)
    return conditions


def due_message_ids(session: Session, now: datetime, limit: int, category: str | None = None) -> list[int]:
    stmt = select(OutboxMessage.id).where(*_due(now, category)).order_by(OutboxMessage.id).limit(limit)
    return list(session.execute(stmt).scalars())


def due_count(session: Session, now: datetime, category: str | None = None) -> int:
    return session.execute(select(func.count()).select_from(OutboxMessage).where(*_due(now, category))).scalar_one()


def reserve_batch(session: Session, now: datetime, limit: int, *, lease: timedelta = LEASE,
                  category: str | None = None) -> list[int]:
    """Reserve up to `limit` due messages for this worker, in one committed transaction.

    A reserved message stays "pending" but is not due again until the lease runs out, so
    other workers pass it by; each is still claimed on its own ("sending") just before it is
    sent. A worker killed mid-batch therefore leaves only the message it was sending in
    "sending"; the rest of its batch is due again when the lease ends. On PostgreSQL,
    FOR UPDATE SKIP LOCKED lets workers reserve side by side without waiting for each
    other; SQLite has one writer (BEGIN IMMEDIATE), which serialises reservations.
    """
    due = select(OutboxMessage.id).where(*_due(now, category)).order_by(OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    reserved = list(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), *_due(now, category))
        .values(next_attempt_at=now + lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars())
    session.commit()
    return sorted(reserved)


def _release(session: Session, message_ids: list[int], now: datetime) -> None:
    """Give back reserved messages this worker will not send after all (it is stopping)."""
    try:
        session.commit()  # the message sent just before keeps its "sent"
    except Exception:
        session.rollback()
    if message_ids:
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending")
                        .values(next_attempt_at=now).execution_options(synchronize_session=False))
        session.commit()


# What sending needs of a message, read by the claim itself (UPDATE … RETURNING): one round trip.
_SEND_COLUMNS = (OutboxMessage.id, OutboxMessage.message_id, OutboxMessage.to_address, OutboxMessage.subject,
                 OutboxMessage.body_text, OutboxMessage.body_html, OutboxMessage.headers, OutboxMessage.attempts)


def _claim_for_sending(session: Session, message_id: int, now: datetime):
    """Claim one message ("sending", committed) and return what sending needs; None if it is not ours.
    The commit also commits the outcome of the message sent before it (see _send_one)."""
    row = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
        .returning(*_SEND_COLUMNS)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    session.commit()
    return row


def _send_one(session: Session, message_id: int, send: Callable[[EmailMessage], None], sender: str,
              now: Callable[[], datetime]) -> str | None:
    """Claim, send and record one message; returns "sent", "retried", "failed" or None (not ours).

    The outcome is written, not committed: the claim of the next message commits both in one
    transaction (one disk flush per message instead of two), and the run commits the last.
    If the account was deleted meanwhile, its mail with it, the outcome updates no row.
    """
    message = _claim_for_sending(session, message_id, now())
    if message is None:
        return None  # another process took it, or it was deleted with its account
    try:
        send(build_email(message, sender))
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        attempts = message.attempts
        if attempts >= MAX_ATTEMPTS:
            outcome, values = "failed", {"status": "failed"}
        else:
            outcome, values = "retried", {"status": "pending", "next_attempt_at": now() + backoff(attempts)}
        values["last_error"] = error
        log.warning("mail %s to %s not delivered: %s", message.id, message.to_address, error)
    else:
        outcome, values = "sent", {"status": "sent", "sent_at": now(), "last_error": None}
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.status == "sending")
                    .values(**values).execution_options(synchronize_session=False))
    return outcome


def deliver_pending(
    session: Session,
    send: Callable[[EmailMessage], None],
    sender: str,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    limit: int | None = 500,
    progress: Callable[[int, int], None] | None = None,
    category: str | None = None,
    batch_size: int = BATCH_SIZE,
    lease: timedelta = LEASE,
) -> DeliveryReport:
    """Deliver due messages (of one category, if given), at most `limit` (None: until none is due).

    Safe to run again and from any number of processes: each reserves a batch of its own
    (reserve_batch) and claims each message before sending it, so none is sent twice.
    progress(done, total): total is what was due when the run began (others may take some).
    """
    total = due_count(session, now(), category)
    if limit is not None:
        total = min(total, limit)
    counts = {"sent": 0, "retried": 0, "failed": 0}
    done = 0
    session.commit()  # the count's transaction: on SQLite it holds the write lock
    try:
        while limit is None or done < limit:
            wanted = batch_size if limit is None else min(batch_size, limit - done)
            batch = reserve_batch(session, now(), wanted, lease=lease, category=category)
            if not batch:
                break
            for position, message_id in enumerate(batch):
                try:
                    outcome = _send_one(session, message_id, send, sender, now)
                except BaseException:
                    _release(session, batch[position + 1:], now())
                    raise
                if outcome:
                    counts[outcome] += 1
                done += 1
            session.commit()
            # Reported once a batch, after its commit: on SQLite a progress write from another
            # connection would otherwise wait for this transaction.
            if progress:
                progress(done, max(total, done))
    finally:
        close = getattr(send, "close", None)
        if close:
            close()
    return DeliveryReport(**counts)


class SmtpTransport:
    """Send through one SMTP connection, kept open between messages (a new one costs several
    round trips); reopened after any error, or when it has been idle a while (servers drop
    idle connections, and a message must not fail for that)."""

    IDLE_LIMIT = 10.0  # seconds

    def __init__(self, host: str, port: int, *, use_tls: bool, username: str | None, password: str | None,
                 timeout: float = 30):
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password, self.timeout = username, password, timeout
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._last_used > self.IDLE_LIMIT:
            self.close()
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.use_tls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def __call__(self, email: EmailMessage) -> None:
        try:
            self._connection().send_message(email)
        except BaseException:
            self.close()
            raise
        self._last_used = time.monotonic()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def smtp_sender(host: str, port: int, *, use_tls: bool, username: str | None, password: str | None, timeout: float = 30):
    """A send function that keeps one SMTP connection for a delivery run (deliver_pending closes it)."""
    return SmtpTransport(host, port, use_tls=use_tls, username=username, password=password, timeout=timeout)


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
