"""Reading the community: who may read a thread, the lists of threads, the thread page as it
is shown to one viewer (bylines, placeholders, the order of answers), Second Opinion, the
threads' entries in the shared site search (kept in step by posting.py and moderation.py).

The viewer is a User row, an anonymous user or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.community.groups import can_read_group, readable_groups_clause
from webapp.blueprints.community.models import CommunityGroup, CommunityPost, CommunityThread, CommunityVote
from webapp.blueprints.community.rules import can_see_post_body, is_expert, is_moderator
from webapp.core import markdown_safe
from webapp.core.area import Card, FeedItem, Link, NewsLink, SitemapEntry, SitemapSection, day, first_link, words_match
from webapp.core.paging import PER_PAGE, Page, paginate
from webapp.core.search import index as site_search

SORTS = ("newest", "active", "unanswered")


def can_read_thread(session: Session, thread: CommunityThread, viewer) -> bool:
    if not can_read_group(session, thread.group, viewer):
        return False
    if thread.status == "visible" or is_moderator(viewer):
        return True
    if thread.status in ("held", "hidden"):
        return viewer is not None and viewer.is_authenticated and thread.author_id == viewer.id
    return False


def readable_threads_clause(viewer):
    """A WHERE clause on CommunityThread joined to CommunityGroup: can_read_thread in SQL, for
    approved groups (listing many threads at once, e.g. the home page's notification cards)."""
    if viewer is None or not viewer.is_authenticated:
        return and_(readable_groups_clause(None), CommunityThread.status == "visible")
    if is_moderator(viewer):
        return readable_groups_clause(viewer)
    own_under_review = and_(CommunityThread.status.in_(("held", "hidden")), CommunityThread.author_id == viewer.id)
    return and_(readable_groups_clause(viewer), or_(CommunityThread.status == "visible", own_under_review))


def visible_threads_stmt(viewer):
    """The shown threads of the groups this viewer may read (the sitemap asks with None)."""
    return (
        select(CommunityThread)
        .join(CommunityGroup, CommunityGroup.id == CommunityThread.group_id)
        .where(CommunityThread.status == "visible", readable_groups_clause(viewer))
    )


def question_post(session: Session, thread: CommunityThread) -> CommunityPost | None:
    return session.execute(
        select(CommunityPost).where(CommunityPost.thread_id == thread.id, CommunityPost.is_question.is_(True))
    ).scalar_one_or_none()


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


def user_threads(session: Session, user) -> list[CommunityThread]:
    return list(session.execute(
        select(CommunityThread).where(CommunityThread.author_id == user.id, CommunityThread.status != "deleted")
        .order_by(CommunityThread.created_at.desc()).limit(50)
    ).scalars())


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


def post_view(post: CommunityPost, viewer) -> PostView:
    """One post as this viewer sees it, without its replies (the reply and report pages)."""
    return PostView(post, byline(post, viewer), can_see_post_body(viewer, post), None)


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


# ---------------------------------------------------------------- Second Opinion


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


# ---------------------------------------------------------------- the site search


SEARCH_KIND = "thread"


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
    return Page(items=items, total=results.total, page=results.page, per_page=results.per_page)


def reindex_all(session: Session) -> int:
    """Rebuild the shared search index for every thread; returns how many are searchable."""
    threads = list(session.execute(select(CommunityThread).order_by(CommunityThread.id)).scalars())
    for thread in threads:
        sync_search(session, thread)
    site_search.remove_kind(session, SEARCH_KIND, keep={str(t.id) for t in threads})
    return len(site_search.indexed_keys(session, SEARCH_KIND))


# ---------------------------------------------------------------- what other areas ask for
# (declared in hooks.py: the sitemap, "Today on HealthDesk", the newsletter)

THREAD_WINDOW = timedelta(days=60)  # threads quieter than this make no home-page card
NEWSLETTER_THREADS = 5              # threads in one newsletter issue


def _public_threads():
    return visible_threads_stmt(None).with_only_columns(CommunityThread.id, CommunityThread.last_activity_at)


def _sitemap_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(_public_threads().subquery())).scalar_one()


def _sitemap_entries(session: Session, offset: int, limit: int) -> list[SitemapEntry]:
    rows = session.execute(_public_threads().order_by(CommunityThread.id).offset(offset).limit(limit)).all()
    return [SitemapEntry("community.thread", {"thread_id": thread_id}, day(changed)) for thread_id, changed in rows]


SITEMAP_SECTION = SitemapSection("threads", _sitemap_count, _sitemap_entries)


def today_cards(session: Session, link: Link, now: datetime) -> list[Card]:
    """The public threads active lately, newest activity first (read fresh: they move fast)."""
    rows = session.execute(
        select(CommunityThread, CommunityGroup.slug)
        .join(CommunityGroup, CommunityGroup.id == CommunityThread.group_id)
        .where(CommunityThread.status == "visible", CommunityGroup.status == "approved",
               CommunityGroup.visibility == "public", CommunityThread.last_activity_at >= now - THREAD_WINDOW)
        .order_by(CommunityThread.last_activity_at.desc()).limit(100)
    )
    cards = []
    for thread, group_slug in rows:
        tags = {f"group:{group_slug}"} | ({f"drug:{thread.drug_slug}"} if thread.drug_slug else set())
        cards.append(Card("thread", str(thread.id), thread.title, link("community.thread", thread_id=thread.id), "",
                          frozenset(tags), published_at=thread.last_activity_at))
    return cards


def top_threads_since(session: Session, since: datetime, link: NewsLink, *, group_words: Iterable[str] = ()) -> list[FeedItem]:
    """For a newsletter issue: the public threads started since then with the most answers,
    in groups named by any of `group_words` (every public group when none)."""
    stmt = (select(CommunityThread, CommunityGroup).join(CommunityGroup, CommunityThread.group_id == CommunityGroup.id)
            .where(CommunityThread.created_at >= since, CommunityThread.status == "visible",
                   CommunityGroup.status == "approved", CommunityGroup.visibility == "public")
            .order_by(CommunityThread.answer_count.desc(), CommunityThread.last_activity_at.desc(), CommunityThread.id)
            .limit(NEWSLETTER_THREADS))
    if group_words:
        stmt = stmt.where(words_match(CommunityGroup.slug + " " + CommunityGroup.name, group_words))
    items = []
    for thread, group in session.execute(stmt):
        url = first_link(link, [("community.thread", {"thread_id": thread.id}), ("community.index", {})])
        answers = "1 answer" if thread.answer_count == 1 else f"{thread.answer_count} answers"
        items.append(FeedItem(f"thread:{thread.id}", "thread", "From the community", thread.title,
                              f"{answers} in {group.name}.", url, {"group_id": group.id}))
    return items
