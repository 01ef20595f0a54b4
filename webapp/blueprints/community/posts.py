"""Community groups, questions, answers and replies: reading, posting, editing, voting.

Every function takes the session and plain values (the acting user is a User row or None).
Rule checks live in community_rules; notifications in community_notifications.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.accounts.models import User
from webapp.blueprints.community import notifications
from webapp.blueprints.community.models import (
    CommunityGroup,
    CommunityMembership,
    CommunityPost,
    CommunityStanding,
    CommunityThread,
    CommunityVote,
    CommunityWatch,
)
from webapp.blueprints.community.rules import (
    CommunityError,
    Standing,
    can_see_post_body,
    clean_body,
    clean_title,
    hold_reason,
    is_expert,
    is_moderator,
    mentions_crisis,
    normalise_tags,
    posting_block,
)
from webapp.core import markdown_safe
from webapp.core.search import index as site_search

PER_PAGE = 20
SEARCH_KIND = "thread"
SORTS = ("newest", "active", "unanswered")
DUPLICATE_WINDOW = timedelta(minutes=5)
ThreadUrl = Callable[[CommunityThread], str]


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- paging


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def clamp_page(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 10_000)


def paginate(session: Session, stmt, page: int, per_page: int = PER_PAGE) -> Page:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = list(session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars())
    return Page(items, page, per_page, total)


# ---------------------------------------------------------------- standing


def standing_row(session: Session, user_id: int) -> CommunityStanding:
    row = session.get(CommunityStanding, user_id)
    if row is None:
        row = CommunityStanding(user_id=user_id, approved_posts=0, warnings=0, email_notifications=True)
        session.add(row)
        session.flush()
    return row


def standing_of(session: Session, user_id: int) -> Standing:
    row = session.get(CommunityStanding, user_id)
    if row is None:
        return Standing()
    return Standing(row.approved_posts, row.suspended_until, row.banned_at)


def check_may_post(session: Session, user: User) -> Standing:
    if not user.is_verified:
        raise CommunityError("Please confirm your email address first (see your account settings); then you can post.", status=403)
    standing = standing_of(session, user.id)
    block = posting_block(standing, _now())
    if block:
        raise CommunityError(block, status=403)
    return standing


# ---------------------------------------------------------------- groups


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:70] or "group"


def get_group(session: Session, slug: str) -> CommunityGroup | None:
    if not slug or len(slug) > 80 or "\x00" in slug:  # PostgreSQL refuses NUL in text
        return None
    return session.execute(select(CommunityGroup).where(CommunityGroup.slug == slug)).scalar_one_or_none()


def is_member(session: Session, group_id: int, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return session.execute(
        select(exists().where(CommunityMembership.group_id == group_id, CommunityMembership.user_id == user.id))
    ).scalar()


def can_read_group(session: Session, group: CommunityGroup, viewer) -> bool:
    if is_moderator(viewer):
        return True
    if group.status != "approved":
        return viewer is not None and viewer.is_authenticated and group.owner_id == viewer.id
    if group.visibility == "public":
        return True
    return is_member(session, group.id, viewer)


def readable_groups_clause(viewer):
    """A WHERE clause on CommunityGroup: the groups whose threads this viewer may read."""
    if is_moderator(viewer):
        return CommunityGroup.status == "approved"
    public = and_(CommunityGroup.status == "approved", CommunityGroup.visibility == "public")
    if viewer is None or not viewer.is_authenticated:
        return public
    member_of = select(CommunityMembership.group_id).where(CommunityMembership.user_id == viewer.id)
    return or_(public, and_(CommunityGroup.status == "approved", CommunityGroup.id.in_(member_of)))


def readable_threads_clause(viewer):
    """A WHERE clause on CommunityThread joined to CommunityGroup: can_read_thread in SQL, for
    approved groups (listing many threads at once, e.g. the home page's notification cards)."""
    if viewer is None or not viewer.is_authenticated:
        return and_(readable_groups_clause(None), CommunityThread.status == "visible")
    if is_moderator(viewer):
        return readable_groups_clause(viewer)
    own_under_review = and_(CommunityThread.status.in_(("held", "hidden")), CommunityThread.author_id == viewer.id)
    return and_(readable_groups_clause(viewer), or_(CommunityThread.status == "visible", own_under_review))


@dataclass
class GroupSummary:
    group: CommunityGroup
    threads: int
    members: int
    joined: bool


def list_groups(session: Session, viewer) -> list[GroupSummary]:
    """Approved groups, public and private (private ones show name and description only)."""
    thread_counts = (
        select(CommunityThread.group_id, func.count().label("n"))
        .where(CommunityThread.status == "visible")
        .group_by(CommunityThread.group_id)
        .subquery()
    )
    member_counts = (
        select(CommunityMembership.group_id, func.count().label("n")).group_by(CommunityMembership.group_id).subquery()
    )
    rows = session.execute(
        select(CommunityGroup, func.coalesce(thread_counts.c.n, 0), func.coalesce(member_counts.c.n, 0))
        .outerjoin(thread_counts, thread_counts.c.group_id == CommunityGroup.id)
        .outerjoin(member_counts, member_counts.c.group_id == CommunityGroup.id)
        .where(CommunityGroup.status == "approved")
        .order_by(CommunityGroup.name)
    ).all()
    joined: set[int] = set()
    if viewer is not None and viewer.is_authenticated:
        joined = set(session.execute(select(CommunityMembership.group_id).where(CommunityMembership.user_id == viewer.id)).scalars())
    return [GroupSummary(g, t, m, g.id in joined) for g, t, m in rows]


def my_pending_groups(session: Session, user) -> list[CommunityGroup]:
    if user is None or not user.is_authenticated:
        return []
    return list(session.execute(
        select(CommunityGroup).where(CommunityGroup.owner_id == user.id, CommunityGroup.status != "approved").order_by(CommunityGroup.id)
    ).scalars())


def join_group(session: Session, group: CommunityGroup, user: User) -> bool:
    """Join a public group. Returns False when already a member."""
    if group.status != "approved":
        raise CommunityError("This group is not open yet: a moderator still has to approve it.", status=409)
    if group.visibility == "private" and group.owner_id != user.id:
        raise CommunityError("This is a private group: its owner invites members.", status=403)
    if is_member(session, group.id, user):
        return False
    session.add(CommunityMembership(group_id=group.id, user_id=user.id))
    session.flush()
    return True


def leave_group(session: Session, group: CommunityGroup, user: User) -> bool:
    if group.owner_id == user.id:
        raise CommunityError("You own this group, so you can't leave it.", status=409)
    return remove_member(session, group, user)


def remove_member(session: Session, group: CommunityGroup, user: User) -> bool:
    """End a membership; every way out of a group should come through here (today: leaving).
    Returns False when there was none.

    Watches on threads the member can no longer read go with it (a private group's), so its
    thread titles stop reaching them; in a public group they keep watching what they still read.
    """
    membership = session.execute(
        select(CommunityMembership).where(CommunityMembership.group_id == group.id, CommunityMembership.user_id == user.id)
    ).scalar_one_or_none()
    if membership is None:
        return False
    session.delete(membership)
    session.flush()
    if not can_read_group(session, group, user):
        session.execute(delete(CommunityWatch).where(
            CommunityWatch.user_id == user.id,
            CommunityWatch.thread_id.in_(select(CommunityThread.id).where(CommunityThread.group_id == group.id)),
        ))
        session.flush()
    return True


@dataclass(frozen=True)
class NewGroup:
    name: str
    description: str
    rules: str
    visibility: str


def create_group(session: Session, owner: User, data: NewGroup) -> CommunityGroup:
    """A member's support group: listed once a moderator approves it."""
    check_may_post(session, owner)
    name = " ".join(data.name.split())
    if not name or not re.search(r"\w", name):
        raise CommunityError("Give the group a name with some words in it.", "name")
    if data.visibility not in ("public", "private"):
        raise CommunityError("Choose public or private.", "visibility")
    exists_name = session.execute(
        select(CommunityGroup.id).where(func.lower(CommunityGroup.name) == name.lower())
    ).first()
    if exists_name:
        raise CommunityError("A group with this name already exists. Please choose another name.", "name")
    base = slugify(name)
    slug, n = base, 2
    while get_group(session, slug) is not None:
        slug, n = f"{base}-{n}", n + 1
    group = CommunityGroup(
        slug=slug, name=name, description=data.description.strip(), rules=data.rules.strip(),
        visibility=data.visibility, status="approved" if is_moderator(owner) else "pending", owner_id=owner.id,
    )
    session.add(group)
    session.flush()
    session.add(CommunityMembership(group_id=group.id, user_id=owner.id))
    session.flush()
    return group


# ---------------------------------------------------------------- threads


def visible_threads_stmt(viewer):
    return (
        select(CommunityThread)
        .join(CommunityGroup, CommunityGroup.id == CommunityThread.group_id)
        .where(CommunityThread.status == "visible", readable_groups_clause(viewer))
    )


def group_threads(session: Session, group: CommunityGroup, sort: str, page: int) -> Page:
    stmt = select(CommunityThread).where(CommunityThread.group_id == group.id, CommunityThread.status == "visible")
    if sort == "active":
        stmt = stmt.order_by(CommunityThread.last_activity_at.desc(), CommunityThread.id.desc())
    elif sort == "unanswered":
        stmt = stmt.where(CommunityThread.answer_count == 0).order_by(CommunityThread.created_at.desc(), CommunityThread.id.desc())
    else:
        stmt = stmt.order_by(CommunityThread.created_at.desc(), CommunityThread.id.desc())
    return paginate(session, stmt, page)


def recent_threads(session: Session, viewer, limit: int = 10) -> list[CommunityThread]:
    stmt = visible_threads_stmt(viewer).order_by(CommunityThread.last_activity_at.desc(), CommunityThread.id.desc()).limit(limit)
    return list(session.execute(stmt).scalars())


def thread_path(thread_id: int) -> str:
    """The thread page's site-relative address (stored in the shared search index)."""
    return f"/community/threads/{thread_id}"


def sync_search(session: Session, thread: CommunityThread) -> None:
    """Keep the shared site search in step: public, shown threads are indexed, others removed."""
    group = thread.group
    if thread.status == "visible" and group.status == "approved" and group.visibility == "public":
        question = question_post(session, thread)
        body = question.body if question is not None and question.status == "visible" else ""
        text = markdown_safe.plain_text(body, 5000) + " " + " ".join(thread.tag_list)
        site_search.index_document(session, SEARCH_KIND, str(thread.id), thread.title, text, thread_path(thread.id))
    else:
        site_search.remove_document(session, SEARCH_KIND, str(thread.id))


@dataclass
class SearchResult:
    thread: CommunityThread
    snippet: object  # Markup from site_search: escaped text with <mark> only


def search_threads(session: Session, viewer, query: str, page: int) -> Page:
    """Full-text search over questions in public groups (the shared site search, ranked)."""
    results = site_search.search(session, query, kinds=[SEARCH_KIND], page=page, per_page=PER_PAGE)
    ids = [int(hit.key) for hit in results.hits if hit.key.isdigit()]
    threads = {t.id: t for t in session.execute(select(CommunityThread).where(CommunityThread.id.in_(ids))).scalars()} if ids else {}
    items = [
        SearchResult(threads[int(hit.key)], hit.snippet)
        for hit in results.hits
        if hit.key.isdigit() and int(hit.key) in threads and can_read_thread(session, threads[int(hit.key)], viewer)
    ]
    return Page(items, results.page, results.per_page, results.total)


def user_threads(session: Session, user) -> list[CommunityThread]:
    return list(session.execute(
        select(CommunityThread).where(CommunityThread.author_id == user.id, CommunityThread.status != "deleted")
        .order_by(CommunityThread.created_at.desc()).limit(50)
    ).scalars())


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


def _rendered(body: str) -> str:
    return markdown_safe.render(body)


def ask_question(session: Session, user: User, data: Question, thread_url: ThreadUrl | None = None) -> PostResult:
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
    since = _now() - DUPLICATE_WINDOW
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
    now = _now()
    thread = CommunityThread(
        group_id=group.id, author_id=user.id, title=title, tags=",".join(tags), drug_slug=drug_slug,
        anonymous=bool(data.anonymous), status="held" if held else "visible", answer_count=0,
        created_at=now, last_activity_at=now,
    )
    session.add(thread)
    session.flush()
    post = CommunityPost(
        thread_id=thread.id, author_id=user.id, is_question=True, body=body, body_html=_rendered(body),
        anonymous=bool(data.anonymous), status="held" if held else "visible", held_reason=held,
        mentions_crisis=crisis, needs_review=crisis, created_at=now, helpful_count=0, is_best=False,
    )
    session.add(post)
    session.add(CommunityWatch(thread_id=thread.id, user_id=user.id))
    session.flush()
    sync_search(session, thread)
    return PostResult(thread, post, bool(held), crisis)


def question_post(session: Session, thread: CommunityThread) -> CommunityPost | None:
    return session.execute(
        select(CommunityPost).where(CommunityPost.thread_id == thread.id, CommunityPost.is_question.is_(True))
    ).scalar_one_or_none()


def can_read_thread(session: Session, thread: CommunityThread, viewer) -> bool:
    if not can_read_group(session, thread.group, viewer):
        return False
    if thread.status == "visible" or is_moderator(viewer):
        return True
    if thread.status in ("held", "hidden"):
        return viewer is not None and viewer.is_authenticated and thread.author_id == viewer.id
    return False


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


def post_answer(session: Session, user: User, thread: CommunityThread, body: str, *, anonymous: bool = False,
                parent_id: int | None = None, thread_url: ThreadUrl | None = None) -> PostResult:
    """An answer to the question, or (with parent_id) a reply to an answer: one level deep."""
    standing = check_may_post(session, user)
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
    parent = None
    if parent_id is not None:
        parent = session.get(CommunityPost, parent_id)
        if parent is None or parent.thread_id != thread.id or parent.is_question:
            raise CommunityError("The answer you replied to is not in this thread.", "body", 404)
        if parent.parent_id is not None:
            parent = session.get(CommunityPost, parent.parent_id)  # replies stay one level deep
        if parent.status in ("hidden", "deleted"):
            raise CommunityError("That answer was removed, so it doesn't take replies. Your text is still below.", "body", 409)
    text = clean_body(body)

    since = _now() - DUPLICATE_WINDOW
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
    now = _now()
    post = CommunityPost(
        thread_id=thread.id, parent_id=parent.id if parent else None, author_id=user.id, is_question=False,
        body=text, body_html=_rendered(text), anonymous=bool(anonymous), status="held" if held else "visible",
        held_reason=held, mentions_crisis=crisis, needs_review=crisis, created_at=now, helpful_count=0, is_best=False,
    )
    session.add(post)
    if not session.execute(select(exists().where(CommunityWatch.thread_id == thread.id, CommunityWatch.user_id == user.id))).scalar():
        session.add(CommunityWatch(thread_id=thread.id, user_id=user.id))
    session.flush()
    if not held:
        thread.last_activity_at = now
        refresh_thread(session, thread)
        notifications.notify_new_post(session, post, thread, thread_url)
    session.flush()
    return PostResult(thread, post, bool(held), crisis)


def edit_values(post: CommunityPost) -> tuple:
    """What the author's edit form edits, in a fixed order (for services/edit_conflicts): the
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
    from webapp.blueprints.community.rules import can_edit

    if not can_edit(user, post, _now()):
        raise CommunityError("You can edit your post for 30 minutes after posting. After that, post a reply or ask a moderator.", "body", 403)
    if not is_moderator(user):
        check_may_post(session, user)
    text = clean_body(body)
    if post.is_question and title is not None:
        post.thread.title = clean_title(title)
    if text != post.body:
        post.body = text
        post.body_html = _rendered(text)
        if mentions_crisis(text) and not post.mentions_crisis:
            post.mentions_crisis = post.needs_review = True
    post.edited_at = _now()
    session.flush()
    if post.is_question:
        sync_search(session, post.thread)
    return post


def delete_post(session: Session, user: User, post: CommunityPost) -> None:
    """The author (or a moderator) deletes a post; a "[deleted]" placeholder stays where others replied."""
    from webapp.blueprints.community.rules import can_delete

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


def mark_best(session: Session, user: User, post: CommunityPost, thread_url: ThreadUrl | None = None) -> bool:
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


def is_watching(session: Session, thread: CommunityThread, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return session.execute(select(exists().where(CommunityWatch.thread_id == thread.id, CommunityWatch.user_id == user.id))).scalar()


def set_watch(session: Session, thread: CommunityThread, user: User, watch: bool) -> None:
    row = session.execute(
        select(CommunityWatch).where(CommunityWatch.thread_id == thread.id, CommunityWatch.user_id == user.id)
    ).scalar_one_or_none()
    if watch and row is None:
        session.add(CommunityWatch(thread_id=thread.id, user_id=user.id))
    elif not watch and row is not None:
        session.delete(row)
    session.flush()


# ---------------------------------------------------------------- showing a thread


@dataclass(frozen=True)
class Byline:
    name: str
    expert: bool = False
    credential: str | None = None
    note: str | None = None  # e.g. "posted anonymously" for its author and moderators


def byline(post_or_thread, viewer) -> Byline:
    author = post_or_thread.author
    if author is None:
        return Byline("[deleted member]")
    viewer_is_author = viewer is not None and viewer.is_authenticated and viewer.id == author.id
    if post_or_thread.anonymous:
        if viewer_is_author:
            return Byline("You", note="posted anonymously: others see “Anonymous member”")
        if is_moderator(viewer):
            return Byline("Anonymous member", note=f"moderators see: {author.display_name}")
        return Byline("Anonymous member")
    return Byline(author.display_name, expert=is_expert(author), credential=author.credential if is_expert(author) else None)


@dataclass
class PostView:
    post: CommunityPost
    byline: Byline
    show_body: bool
    placeholder: str | None
    voted: bool = False
    replies: list[PostView] = field(default_factory=list)


@dataclass
class ThreadView:
    thread: CommunityThread
    question: PostView | None
    answers: list[PostView]


def _placeholder(post: CommunityPost) -> str:
    if post.status == "deleted":
        return "[deleted]"
    if post.status == "hidden":
        return "[hidden by a moderator]"
    return "[waiting for a moderator's review]"


def thread_view(session: Session, thread: CommunityThread, viewer) -> ThreadView:
    posts = list(session.execute(
        select(CommunityPost).options(selectinload(CommunityPost.author))
        .where(CommunityPost.thread_id == thread.id).order_by(CommunityPost.created_at, CommunityPost.id)
    ).scalars())
    voted: set[int] = set()
    if viewer is not None and viewer.is_authenticated and posts:
        voted = set(session.execute(
            select(CommunityVote.post_id).where(CommunityVote.user_id == viewer.id, CommunityVote.post_id.in_([p.id for p in posts]))
        ).scalars())

    def view(post: CommunityPost) -> PostView:
        show = can_see_post_body(viewer, post)
        return PostView(post, byline(post, viewer), show, None if show else _placeholder(post), post.id in voted)

    question = None
    answers: dict[int, PostView] = {}
    order: list[int] = []
    for post in posts:
        if post.is_question:
            question = view(post)
        elif post.parent_id is None:
            answers[post.id] = view(post)
            order.append(post.id)
    for post in posts:
        if post.parent_id is not None and post.parent_id in answers:
            reply = view(post)
            if reply.show_body or post.status in ("deleted", "hidden"):
                answers[post.parent_id].replies.append(reply)

    def keep(item: PostView) -> bool:
        # Removed posts leave a placeholder only where others replied to them.
        item.replies = [r for r in item.replies if r.show_body]
        return item.show_body or bool(item.replies)

    kept = [answers[i] for i in order if keep(answers[i])]
    # The best answer first, then the most helpful, then oldest.
    kept.sort(key=lambda a: (not a.post.is_best, -a.post.helpful_count, a.post.created_at, a.post.id))
    return ThreadView(thread, question, kept)


def second_opinion(session: Session, page: int) -> Page:
    """Expert posts a moderator promoted, newest first."""
    stmt = (
        select(CommunityPost)
        .join(CommunityThread, CommunityThread.id == CommunityPost.thread_id)
        .join(CommunityGroup, CommunityGroup.id == CommunityThread.group_id)
        .where(CommunityPost.promoted_at.is_not(None), CommunityPost.status == "visible",
               CommunityThread.status == "visible", CommunityGroup.status == "approved", CommunityGroup.visibility == "public")
        .order_by(CommunityPost.promoted_at.desc(), CommunityPost.id.desc())
    )
    return paginate(session, stmt, page, per_page=10)


@dataclass(frozen=True)
class PerspectiveArticle:
    title: str
    summary: str
    center_slug: str
    slug: str
    reviewer: str
    is_sample: bool


def expert_perspective_articles(session: Session, limit: int = 20) -> list[PerspectiveArticle]:
    """Health-center articles of kind "expert perspective"."""
    from webapp.blueprints.content.models import Article, HealthCenter

    rows = session.execute(
        select(Article, HealthCenter.slug).join(HealthCenter, HealthCenter.id == Article.center_id)
        .where(Article.kind == "expert-perspective").order_by(Article.updated_on.desc(), Article.id.desc()).limit(limit)
    ).all()
    return [PerspectiveArticle(a.title, a.summary, center, a.slug, a.reviewer, bool(a.is_sample)) for a, center in rows]


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


def reindex_all(session: Session) -> int:
    """Rebuild the shared search index for every thread; returns how many are searchable."""
    threads = list(session.execute(select(CommunityThread).order_by(CommunityThread.id)).scalars())
    for thread in threads:
        sync_search(session, thread)
    site_search.remove_kind(session, SEARCH_KIND, keep={str(t.id) for t in threads})
    return len(site_search.indexed_keys(session, SEARCH_KIND))
