"""Reports and the moderators' work: the queue, actions on posts and members, and the log.

Every action is written to community_moderation_actions with who took it and when.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community import notifications
from webapp.blueprints.community.models import (
    REPORT_REASONS,
    CommunityGroup,
    CommunityPost,
    CommunityReport,
)

# action_log is the console's: imported here with the other console reads.
from webapp.blueprints.community.moderation.log import action_log as action_log
from webapp.blueprints.community.moderation.log import log_action
from webapp.blueprints.community.moderation.standing import check_may_post, now, standing_row
from webapp.blueprints.community.posting import refresh_thread
from webapp.blueprints.community.rules import NOTE_MAX, CommunityError, clean_body, is_moderator
from webapp.blueprints.drugs import review_moderation
from webapp.core import markdown_safe

REASON_LABELS = {
    "spam": "Spam or advertising",
    "misinformation": "Harmful or false medical information",
    "harassment": "Harassment or hate",
    "personal_information": "Personal information (someone's name, address, phone ...)",
    "self_harm": "Someone may be at risk of self-harm or in crisis",
    "other": "Something else",
}
assert set(REASON_LABELS) == set(REPORT_REASONS)
MAX_SUSPENSION_DAYS = 365


def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise CommunityError("Only moderators can do that.", status=403)


def may_sanction(actor, target: User) -> bool:
    """Moderators act on members and experts; only an administrator acts on a moderator; nobody on an administrator."""
    if not is_moderator(actor) or target is None or target.id == actor.id:
        return False
    if target.role == "admin":
        return False
    if target.role == "moderator":
        return actor.role == "admin"
    return True


# ---------------------------------------------------------------- reports


def report_post(session: Session, reporter: User, post: CommunityPost, reason: str, note: str = "") -> CommunityReport:
    check_may_post(session, reporter)
    if reason not in REPORT_REASONS:
        raise CommunityError("Choose why you are reporting this post.", "reason")
    note = " ".join((note or "").replace("\x00", "").split())
    if len(note) > NOTE_MAX:
        raise CommunityError(f"Keep the note to {NOTE_MAX} characters or fewer.", "note")
    if post.status == "deleted":
        raise CommunityError("This post was already deleted.", status=409)
    if post.author_id == reporter.id:
        raise CommunityError("You can't report your own post. You can edit or delete it instead.", status=409)
    already = session.execute(
        select(CommunityReport.id).where(CommunityReport.post_id == post.id, CommunityReport.reporter_id == reporter.id)
    ).first()
    if already:
        raise CommunityError("You already reported this post. Thank you: a moderator will look at it.", status=409)
    report = CommunityReport(post_id=post.id, reporter_id=reporter.id, reason=reason, note=note, status="open")
    session.add(report)
    if reason == "self_harm":
        post.mentions_crisis = True
        post.needs_review = True
    session.flush()
    return report


# ---------------------------------------------------------------- the queue


@dataclass
class QueueItem:
    post: CommunityPost
    reports: list[CommunityReport] = field(default_factory=list)

    @property
    def crisis(self) -> bool:
        return self.post.mentions_crisis or any(r.reason == "self_harm" for r in self.reports)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        return Counter(REASON_LABELS[r.reason] for r in self.reports).most_common()

    @property
    def notes(self) -> list[str]:
        return [r.note for r in self.reports if r.note]


def queue(session: Session, limit: int = 100) -> list[QueueItem]:
    """Held posts and posts with open reports; crisis first, then the most reported, then the oldest."""
    open_reports = list(session.execute(
        select(CommunityReport).where(CommunityReport.status == "open").order_by(CommunityReport.created_at)
    ).scalars())
    by_post: dict[int, QueueItem] = {}
    for report in open_reports:
        by_post.setdefault(report.post_id, QueueItem(report.post)).reports.append(report)
    held = session.execute(
        select(CommunityPost).where(or_(CommunityPost.status == "held", CommunityPost.needs_review.is_(True)))
        .order_by(CommunityPost.created_at).limit(limit)
    ).scalars()
    for post in held:
        by_post.setdefault(post.id, QueueItem(post))
    items = [i for i in by_post.values() if i.post.status != "deleted" or i.reports]
    first_seen = {pid: min([r.created_at for r in item.reports] or [item.post.created_at]) for pid, item in by_post.items()}
    items.sort(key=lambda i: (not i.crisis, -len(i.reports), first_seen[i.post.id]))
    return items[:limit]


def queue_size(session: Session) -> int:
    """Posts waiting for a moderator plus reported drug reviews."""
    reported = select(CommunityReport.post_id).where(CommunityReport.status == "open")
    return review_moderation.reported_count(session) + session.execute(
        select(func.count()).select_from(CommunityPost)
        .where(or_(CommunityPost.status == "held", CommunityPost.needs_review.is_(True), CommunityPost.id.in_(reported)))
    ).scalar_one()


def pending_groups(session: Session) -> list[CommunityGroup]:
    return list(session.execute(select(CommunityGroup).where(CommunityGroup.status == "pending").order_by(CommunityGroup.created_at)).scalars())


def _close_reports(session: Session, post: CommunityPost, status: str) -> int:
    post.needs_review = False
    reports = session.execute(
        select(CommunityReport).where(CommunityReport.post_id == post.id, CommunityReport.status == "open")
    ).scalars().all()
    for report in reports:
        report.status = status
        report.resolved_at = now()
    return len(reports)


# ---------------------------------------------------------------- actions on posts


def dismiss(session: Session, moderator: User, post: CommunityPost, reason: str = "") -> None:
    """The reports were unfounded: close them and leave the post as it is."""
    _require_moderator(moderator)
    _close_reports(session, post, "dismissed")
    log_action(session, moderator, "dismiss", post=post, reason=reason)
    session.flush()


def hide(session: Session, moderator: User, post: CommunityPost, reason: str) -> None:
    _require_moderator(moderator)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise CommunityError("Say why the post is hidden; its author will see this.", "reason")
    if post.status == "deleted":
        raise CommunityError("This post was already deleted by its author.", status=409)
    post.status = "hidden"
    post.hidden_reason = reason
    post.is_best = False
    post.promoted_at = None
    if post.is_question:
        post.thread.status = "hidden"
    refresh_thread(session, post.thread)
    _close_reports(session, post, "actioned")
    log_action(session, moderator, "hide", post=post, reason=reason)
    if post.author_id:
        notifications.notify(session, post.author_id, "moderation",
                             f"A moderator hid your post in “{post.thread.title}”. Reason: {reason}",
                             thread_id=post.thread_id, post_id=post.id)
    session.flush()


def restore(session: Session, moderator: User, post: CommunityPost, thread_url: notifications.ThreadUrl | None = None) -> None:
    """Show a hidden post again, or approve a held one (which then notifies as a new post would)."""
    _require_moderator(moderator)
    if post.status not in ("hidden", "held"):
        raise CommunityError("This post is already shown.", status=409)
    was_held = post.status == "held"
    post.status = "visible"
    post.hidden_reason = None
    post.held_reason = None
    if post.is_question:
        post.thread.status = "visible"
    if was_held and post.author_id:
        standing_row(session, post.author_id).approved_posts += 1
    refresh_thread(session, post.thread)
    _close_reports(session, post, "dismissed")
    log_action(session, moderator, "approve" if was_held else "restore", post=post)
    if was_held and not post.is_question:
        post.thread.last_activity_at = now()
        notifications.notify_new_post(session, post, post.thread, thread_url)
    session.flush()


def redact_values(post: CommunityPost) -> tuple:
    """What the moderator's redact form edits (for core/edit_conflicts): the post's Markdown source."""
    return (post.body,)


def redact(session: Session, moderator: User, post: CommunityPost, new_body: str, reason: str = "") -> None:
    """Edit personal information out of a post; the author is told."""
    _require_moderator(moderator)
    if post.status == "deleted":
        raise CommunityError("This post was already deleted.", status=409)
    text = clean_body(new_body)
    post.body = text
    post.body_html = markdown_safe.render(text)
    post.edited_at = now()
    if post.is_question:
        refresh_thread(session, post.thread)
    _close_reports(session, post, "actioned")
    log_action(session, moderator, "redact", post=post, reason=reason or "personal information removed")
    if post.author_id:
        notifications.notify(session, post.author_id, "moderation",
                             f"A moderator edited your post in “{post.thread.title}” to remove personal information.",
                             thread_id=post.thread_id, post_id=post.id)
    session.flush()


def set_promoted(session: Session, moderator: User, post: CommunityPost, promoted: bool) -> None:
    """Feature an expert's post on the Second Opinion page (or take it off)."""
    _require_moderator(moderator)
    if promoted:
        if post.author is None or post.author.role != "expert" or post.anonymous:
            raise CommunityError("Only posts signed by an expert can be featured on Second Opinion.", status=409)
        if post.status != "visible":
            raise CommunityError("Only posts that are shown can be featured.", status=409)
        post.promoted_at = now()
    else:
        post.promoted_at = None
    log_action(session, moderator, "promote" if promoted else "unpromote", post=post)
    session.flush()


# ---------------------------------------------------------------- actions on members


def _target(session: Session, moderator: User, user_id: int | None) -> User:
    _require_moderator(moderator)
    target = session.get(User, user_id) if user_id else None
    if target is None:
        raise CommunityError("That member's account no longer exists.", status=404)
    if not may_sanction(moderator, target):
        raise CommunityError("You can't take this action on that account.", status=403)
    return target


def warn(session: Session, moderator: User, user_id: int | None, reason: str, post: CommunityPost | None = None) -> None:
    target = _target(session, moderator, user_id)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise CommunityError("Write the warning the member will read.", "reason")
    standing_row(session, target.id).warnings += 1
    notifications.notify(session, target.id, "moderation", f"A warning from the moderators: {reason}",
                         thread_id=post.thread_id if post else None)
    log_action(session, moderator, "warn", post=post, target_user_id=target.id, reason=reason)
    session.flush()


def suspend(session: Session, moderator: User, user_id: int | None, days: int, reason: str = "", post: CommunityPost | None = None) -> datetime:
    target = _target(session, moderator, user_id)
    if not isinstance(days, int) or not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise CommunityError(f"Choose between 1 and {MAX_SUSPENSION_DAYS} days.", "days")
    until = now() + timedelta(days=days)
    standing_row(session, target.id).suspended_until = until
    notifications.notify(session, target.id, "moderation",
                         f"Your community posting is suspended for {days} day{'s' if days != 1 else ''}." + (f" Reason: {reason}" if reason else ""))
    log_action(session, moderator, "suspend", post=post, target_user_id=target.id, reason=f"{days} days. {reason}".strip())
    session.flush()
    return until


def ban(session: Session, moderator: User, user_id: int | None, reason: str = "", post: CommunityPost | None = None) -> int:
    """Ban a member from the community and hide everything they posted. Returns how many posts were hidden."""
    target = _target(session, moderator, user_id)
    standing_row(session, target.id).banned_at = now()
    posts = session.execute(
        select(CommunityPost).where(CommunityPost.author_id == target.id, CommunityPost.status.in_(("visible", "held")))
    ).scalars().all()
    threads = set()
    for item in posts:
        item.status = "hidden"
        item.hidden_reason = "Removed because the author was banned from the community."
        item.is_best = False
        item.promoted_at = None
        if item.is_question:
            item.thread.status = "hidden"
        threads.add(item.thread)
        _close_reports(session, item, "actioned")
    for thread in threads:
        refresh_thread(session, thread)
    log_action(session, moderator, "ban", post=post, target_user_id=target.id, reason=reason)
    session.flush()
    return len(posts)


def unban(session: Session, moderator: User, user_id: int | None) -> None:
    target = _target(session, moderator, user_id)
    row = standing_row(session, target.id)
    row.banned_at = None
    row.suspended_until = None
    log_action(session, moderator, "unban", target_user_id=target.id)
    session.flush()


# ---------------------------------------------------------------- groups


def decide_group(session: Session, moderator: User, group: CommunityGroup, approve: bool, reason: str = "") -> None:
    _require_moderator(moderator)
    if group.status != "pending":
        raise CommunityError("This group was already reviewed.", status=409)
    group.status = "approved" if approve else "rejected"
    log_action(session, moderator, "approve_group" if approve else "reject_group", group=group,
               target_user_id=group.owner_id, reason=reason)
    if group.owner_id:
        text = (f"Your group “{group.name}” is approved and now listed." if approve
                else f"Your group “{group.name}” was not approved." + (f" Reason: {reason}" if reason else ""))
        notifications.notify(session, group.owner_id, "moderation", text)
    session.flush()


def reports_by(session: Session, user_id: int) -> list[CommunityReport]:
    return list(session.execute(select(CommunityReport).where(CommunityReport.reporter_id == user_id)).scalars())
