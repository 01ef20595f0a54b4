"""Writing in the community: asking, answering and replying, editing and deleting, the
helpful vote and the asker's best answer, and rendering stored Markdown again.

Every function takes the session and plain values (the acting user is a User row). Who may
do what is decided in rules.py; who hears of a new post in notifications.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community import notifications
from webapp.blueprints.community.groups import can_read_group, get_group, is_member
from webapp.blueprints.community.models import CommunityPost, CommunityThread, CommunityVote, CommunityWatch
from webapp.blueprints.community.moderation.standing import check_may_post, now
from webapp.blueprints.community.rules import (
    CommunityError,
    can_delete,
    can_edit,
    clean_body,
    clean_title,
    hold_reason,
    is_moderator,
    mentions_crisis,
    normalise_tags,
)
from webapp.blueprints.community.threads import can_read_thread, question_post, sync_search
from webapp.core import markdown_safe

DUPLICATE_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Question:
    group_slug: str
    title: str
    body: str
    tags: str = ""
    drug_slug: str = ""
    anonymous: bool = False


@dataclass
class PostResult:
    thread: CommunityThread
    post: CommunityPost
    held: bool
    crisis: bool
    duplicate: bool = False


def ask_question(session: Session, user: User, data: Question, thread_url: notifications.ThreadUrl | None = None) -> PostResult:
    standing = check_may_post(session, user)
    group = get_group(session, data.group_slug or "")
    if group is None or group.status != "approved" or not can_read_group(session, group, user):
        raise CommunityError("Choose a group for your question.", "group")
    if group.visibility == "private" and not is_member(session, group.id, user):
        raise CommunityError("Only members of this private group can post in it.", "group")
    title = clean_title(data.title)
    body = clean_body(data.body)
    tags = normalise_tags(data.tags)
    drug_slug = (data.drug_slug or "").strip().lower()[:120] or None
    if drug_slug and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", drug_slug):
        raise CommunityError("Choose a medicine from the list, or leave it empty.", "drug")

    # A double submit (or a second tab) posts the same question once.
    since = now() - DUPLICATE_WINDOW
    earlier = session.execute(
        select(CommunityThread).where(
            CommunityThread.author_id == user.id, CommunityThread.title == title,
            CommunityThread.created_at >= since, CommunityThread.status != "deleted",
        ).order_by(CommunityThread.id.desc()).limit(1)
    ).scalar_one_or_none()
    if earlier is not None:
        post = question_post(session, earlier)
        if post is not None and post.body == body:
            return PostResult(earlier, post, earlier.status == "held", post.mentions_crisis, duplicate=True)

    held = hold_reason(user, standing, body, title)
    crisis = mentions_crisis(title, body)
    at = now()
    thread = CommunityThread(
        group_id=group.id, author_id=user.id, title=title, tags=",".join(tags), drug_slug=drug_slug,
        anonymous=bool(data.anonymous), status="held" if held else "visible", answer_count=0,
        created_at=at, last_activity_at=at,
    )
    session.add(thread)
    session.flush()
    post = CommunityPost(
        thread_id=thread.id, author_id=user.id, is_question=True, body=body, body_html=markdown_safe.render(body),
        anonymous=bool(data.anonymous), status="held" if held else "visible", held_reason=held,
        mentions_crisis=crisis, needs_review=crisis, created_at=at, helpful_count=0, is_best=False,
    )
    session.add(post)
    session.add(CommunityWatch(thread_id=thread.id, user_id=user.id))
    session.flush()
    sync_search(session, thread)
    return PostResult(thread, post, bool(held), crisis)


def refresh_thread(session: Session, thread: CommunityThread) -> None:
    """Recount visible answers after posts appear, vanish or come back."""
    session.flush()
    thread.answer_count = session.execute(
        select(func.count()).where(
            CommunityPost.thread_id == thread.id, CommunityPost.is_question.is_(False),
            CommunityPost.parent_id.is_(None), CommunityPost.status == "visible",
        )
    ).scalar_one()
    sync_search(session, thread)


def _check_may_answer(session: Session, user: User, thread: CommunityThread) -> None:
    """Refuse (CommunityError) an answer to a thread that does not take one from this member now."""
    if not can_read_group(session, thread.group, user):
        raise CommunityError("This question is not available.", status=404)
    question = question_post(session, thread)
    if thread.status == "hidden" or (question is not None and question.status == "hidden"):
        raise CommunityError("This question was hidden by a moderator, so it doesn't take new answers. Your text is still below.", "body", 409)
    if thread.status == "deleted" or (question is not None and question.status == "deleted"):
        raise CommunityError("This question was deleted by its author, so it doesn't take new answers. Your text is still below.", "body", 409)
    if not can_read_thread(session, thread, user):
        raise CommunityError("This question is not available.", status=404)
    if thread.status == "held":
        raise CommunityError("This question is waiting for a moderator's review; answers open once it is approved.", "body", 409)
    if thread.group.visibility == "private" and not is_member(session, thread.group_id, user) and not is_moderator(user):
        raise CommunityError("Only members of this private group can answer here.", "body", 403)


def _reply_parent(session: Session, thread: CommunityThread, parent_id: int) -> CommunityPost:
    """The answer a reply goes under (replies stay one level deep)."""
    parent = session.get(CommunityPost, parent_id)
    if parent is None or parent.thread_id != thread.id or parent.is_question:
        raise CommunityError("The answer you replied to is not in this thread.", "body", 404)
    if parent.parent_id is not None:
        parent = session.get(CommunityPost, parent.parent_id)
    if parent.status in ("hidden", "deleted"):
        raise CommunityError("That answer was removed, so it doesn't take replies. Your text is still below.", "body", 409)
    return parent


def post_answer(session: Session, user: User, thread: CommunityThread, body: str, *, anonymous: bool = False,
                parent_id: int | None = None, thread_url: notifications.ThreadUrl | None = None) -> PostResult:
    """An answer to the question, or (with parent_id) a reply to an answer: one level deep."""
    standing = check_may_post(session, user)
    _check_may_answer(session, user, thread)
    parent = _reply_parent(session, thread, parent_id) if parent_id is not None else None
    text = clean_body(body)

    since = now() - DUPLICATE_WINDOW
    earlier = session.execute(
        select(CommunityPost).where(
            CommunityPost.thread_id == thread.id, CommunityPost.author_id == user.id,
            CommunityPost.body == text, CommunityPost.created_at >= since,
            CommunityPost.status != "deleted",
        ).limit(1)
    ).scalar_one_or_none()
    if earlier is not None:
        return PostResult(thread, earlier, earlier.status == "held", earlier.mentions_crisis, duplicate=True)

    held = hold_reason(user, standing, text)
    crisis = mentions_crisis(text)
    at = now()
    post = CommunityPost(
        thread_id=thread.id, parent_id=parent.id if parent else None, author_id=user.id, is_question=False,
        body=text, body_html=markdown_safe.render(text), anonymous=bool(anonymous), status="held" if held else "visible",
        held_reason=held, mentions_crisis=crisis, needs_review=crisis, created_at=at, helpful_count=0, is_best=False,
    )
    session.add(post)
    if not notifications.is_watching(session, thread, user):
        session.add(CommunityWatch(thread_id=thread.id, user_id=user.id))
    session.flush()
    if not held:
        thread.last_activity_at = at
        refresh_thread(session, thread)
        notifications.notify_new_post(session, post, thread, thread_url)
    session.flush()
    return PostResult(thread, post, bool(held), crisis)


# ---------------------------------------------------------------- editing and deleting


def edit_values(post: CommunityPost) -> tuple:
    """What the author's edit form edits, in a fixed order (for core/edit_conflicts): the
    question's title (None for an answer or reply) and the Markdown source, not the rendered HTML."""
    return (post.thread.title if post.is_question else None, post.body)


def post_for_update(session: Session, post_id: int) -> CommunityPost | None:
    """The post read afresh and locked until the transaction ends (with its thread, whose title a
    question's edit changes), so two saves of one post at once take turns on PostgreSQL."""
    post = session.execute(
        select(CommunityPost).where(CommunityPost.id == post_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if post is not None and post.is_question:
        session.execute(
            select(CommunityThread).where(CommunityThread.id == post.thread_id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
    return post


def edit_post(session: Session, user: User, post: CommunityPost, body: str, title: str | None = None) -> CommunityPost:
    if not can_edit(user, post, now()):
        raise CommunityError("You can edit your post for 30 minutes after posting. After that, post a reply or ask a moderator.", "body", 403)
    if not is_moderator(user):
        check_may_post(session, user)
    text = clean_body(body)
    if post.is_question and title is not None:
        post.thread.title = clean_title(title)
    if text != post.body:
        post.body = text
        post.body_html = markdown_safe.render(text)
        if mentions_crisis(text) and not post.mentions_crisis:
            post.mentions_crisis = post.needs_review = True
    post.edited_at = now()
    session.flush()
    if post.is_question:
        sync_search(session, post.thread)
    return post


def delete_post(session: Session, user: User, post: CommunityPost) -> None:
    """The author (or a moderator) deletes a post; a "[deleted]" placeholder stays where others replied."""
    if not can_delete(user, post):
        raise CommunityError("You can only delete your own posts.", status=403)
    post.status = "deleted"
    post.body = ""
    post.body_html = ""
    post.is_best = False
    post.promoted_at = None
    thread = post.thread
    if post.is_question:
        has_answers = session.execute(
            select(exists().where(CommunityPost.thread_id == thread.id, CommunityPost.is_question.is_(False),
                                  CommunityPost.status != "deleted"))
        ).scalar()
        if not has_answers:
            thread.status = "deleted"
    refresh_thread(session, thread)
    session.flush()


def rerender_all(session: Session, batch: int = 500) -> int:
    """Render every stored Markdown body again (after the sanitiser's allow-list changes). Returns how many changed."""
    changed = 0
    last_id = 0
    while True:
        rows = list(session.execute(
            select(CommunityPost).where(CommunityPost.id > last_id).order_by(CommunityPost.id).limit(batch)
        ).scalars())
        if not rows:
            return changed
        for post in rows:
            html = markdown_safe.render(post.body) if post.body else ""
            if html != post.body_html:
                post.body_html = html
                changed += 1
        last_id = rows[-1].id
        session.flush()


# ---------------------------------------------------------------- votes


def toggle_helpful(session: Session, user: User, post: CommunityPost) -> bool:
    """Vote a post helpful (or take the vote back). Returns whether the vote now stands."""
    if post.status != "visible":
        raise CommunityError("You can only vote on posts that are shown.", status=409)
    if post.author_id == user.id:
        raise CommunityError("You can't vote for your own post.", status=409)
    vote = session.execute(
        select(CommunityVote).where(CommunityVote.post_id == post.id, CommunityVote.user_id == user.id)
    ).scalar_one_or_none()
    if vote is None:
        session.add(CommunityVote(post_id=post.id, user_id=user.id))
        voted = True
    else:
        session.delete(vote)
        voted = False
    session.flush()
    post.helpful_count = session.execute(select(func.count()).where(CommunityVote.post_id == post.id)).scalar_one()
    session.flush()
    return voted


def mark_best(session: Session, user: User, post: CommunityPost, thread_url: notifications.ThreadUrl | None = None) -> bool:
    """The asker marks one answer as the best (again to unmark). Returns whether it is now best."""
    thread = post.thread
    question = question_post(session, thread)
    if question is None or question.author_id is None or question.author_id != user.id:
        raise CommunityError("Only the person who asked can choose the best answer.", status=403)
    if post.is_question or post.parent_id is not None or post.status != "visible":
        raise CommunityError("Choose one of the answers shown on the page.", status=409)
    if post.is_best:
        post.is_best = False
        session.flush()
        return False
    session.execute(update(CommunityPost).where(CommunityPost.thread_id == thread.id).values(is_best=False))
    post.is_best = True
    session.flush()
    # Not to an author who has since left the private group: the title is not theirs to see.
    if post.author is not None and post.author_id != user.id and can_read_thread(session, thread, post.author):
        notifications.notify(session, post.author_id, "best", f"Your answer to “{thread.title}” was marked as the best answer.",
                             thread_id=thread.id, post_id=post.id)
    return True
