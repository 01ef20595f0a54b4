"""The community's rules as pure functions: who may do what, which posts wait for review,
which mention a crisis. No database here; callers pass in what the rules need."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.core import markdown_safe
from webapp.core.errors import FieldError

EDIT_WINDOW = timedelta(minutes=30)
TITLE_MAX = 150
BODY_MAX = 20_000
NOTE_MAX = 1000
MANY_LINKS = 3  # a post with this many links or more waits for a moderator
MAX_TAGS = 5
TAG_MAX = 30

CRISIS_RESOURCES = (
    "If you are thinking about suicide or self-harm, or are worried about someone, you can call or text 988 "
    "(the 988 Suicide & Crisis Lifeline, US) at any time, or chat at 988lifeline.org. In an emergency call 911."
)

# Words that suggest a member may be in crisis. Matching is deliberately broad: a false
# alarm only shows a helpline and moves the post up the moderators' queue.
_CRISIS_RE = re.compile(
    r"\b(suicid\w*|kill(ing)?\s+my\s*self|end(ing)?\s+(it\s+all|my\s+life)|take\s+my\s+(own\s+)?life|"
    r"self[-\s]?harm\w*|(want|wanted|wanting)\s+to\s+die|better\s+off\s+dead|no\s+reason\s+to\s+live|overdose\s+on\s+purpose)\b",
    re.IGNORECASE,
)


class CommunityError(FieldError):
    """A community rule refused an action (message, field and status as FieldError's)."""


@dataclass(frozen=True)
class Standing:
    """What the rules need to know about a member's community record."""

    approved_posts: int = 0
    suspended_until: datetime | None = None
    banned_at: datetime | None = None


def mentions_crisis(*texts: str | None) -> bool:
    return any(_CRISIS_RE.search(t or "") for t in texts)


def is_moderator(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", True) and user.has_role("moderator"))


def is_expert(user) -> bool:
    return user is not None and user.role == "expert"


def posting_block(standing: Standing, now: datetime) -> str | None:
    """Why this member may not post or report right now, or None."""
    if standing.banned_at is not None:
        return "Your account is banned from the community, so you can't post or report. Contact us if you think this is a mistake."
    if standing.suspended_until is not None and standing.suspended_until > now:
        return (f"Your community posting is suspended until {standing.suspended_until:%B %-d, %Y at %H:%M} UTC. "
                "You can still read the community.")
    return None


def hold_reason(user, standing: Standing, body: str, title: str = "") -> str | None:
    """Why a new post waits for a moderator before others see it, or None."""
    if user.has_role("expert", "moderator"):
        return None
    if markdown_safe.count_links(title) + markdown_safe.count_links(body) >= MANY_LINKS:
        return "It contains several links."
    if standing.approved_posts < 1:
        return "New members' first posts are checked by a moderator."
    return None


def can_edit(user, post, now: datetime) -> bool:
    """Authors edit their own post for 30 minutes; moderators may always edit (to remove personal information)."""
    if user is None or not user.is_authenticated:
        return False
    if is_moderator(user):
        return post.status != "deleted"
    return post.author_id == user.id and post.status in ("visible", "held") and now - post.created_at <= EDIT_WINDOW


def can_delete(user, post) -> bool:
    if user is None or not user.is_authenticated or post.status == "deleted":
        return False
    return post.author_id == user.id or is_moderator(user)


def can_see_post_body(user, post) -> bool:
    """Held and hidden posts are shown to their author and to moderators only."""
    if post.status == "visible":
        return True
    if post.status == "deleted":
        return False
    if user is None or not user.is_authenticated:
        return False
    return post.author_id == user.id or is_moderator(user)


def can_mark_best(user, thread, question_author_id: int | None) -> bool:
    return bool(user is not None and user.is_authenticated and question_author_id is not None and question_author_id == user.id)


def normalise_tags(raw: str | None) -> list[str]:
    """"Insulin, side effects, insulin" -> ["insulin", "side effects"]; refuses odd tags."""
    tags: list[str] = []
    for piece in (raw or "").split(","):
        tag = " ".join(piece.split()).lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise CommunityError(f"Each tag can be at most {TAG_MAX} characters.", "tags")
        if not re.fullmatch(r"[\w][\w +&'/-]*", tag):
            raise CommunityError("Tags may use letters, numbers, spaces and - + & ' / only.", "tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise CommunityError(f"Use at most {MAX_TAGS} tags.", "tags")
    return tags


def clean_title(title: str | None) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise CommunityError("Write a title for your question.", "title")
    if len(text) > TITLE_MAX:
        raise CommunityError(f"Keep the title to {TITLE_MAX} characters or fewer (it has {len(text)}).", "title")
    if not re.search(r"\w", text):
        raise CommunityError("Use some words in the title, not only symbols or emoji, so others can find it.", "title")
    return text


def clean_body(body: str | None, field: str = "body") -> str:
    text = (body or "").replace("\r\n", "\n").replace("\x00", "")
    if not text.strip():
        raise CommunityError("Write something before posting.", field)
    if len(text) > BODY_MAX:
        raise CommunityError(f"Posts can be at most {BODY_MAX:,} characters (this one has {len(text):,}). Please shorten it.", field)
    return text.strip("\n")
