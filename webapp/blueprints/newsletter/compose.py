"""Compose a newsletter issue: what is new on a topic since a date, as plain text and HTML.

Sources are small query functions, one per kind of content, each returning [] while the
area it reads from (articles, recalls, community) does not exist yet. Links are made by a
`link(endpoint, values)` function the caller passes in (the CLI builds absolute URLs from
SITE_URL); it returns None for an endpoint the site does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from markupsafe import escape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

Link = Callable[[str, dict], "str | None"]

ARTICLE_LIMIT = 8
RECALL_LIMIT = 10
THREAD_LIMIT = 5
RECALL_MAX_AGE = timedelta(days=90)
CANCER_WORDS = ("cancer", "tumor", "tumour", "oncolog")
CAREGIVING_WORDS = ("caregiv", "carer")


@dataclass(frozen=True)
class Item:
    key: str        # unique across issues of a topic: "article:<slug>", "recall:<number>", "thread:<id>"
    kind: str       # article | recall | thread
    section: str    # the heading it is listed under
    title: str
    summary: str
    url: str
    # What personalisation may match on: a recall's drug names, a thread's group, an article's center.
    facts: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Item:
        return cls(**{name: data.get(name) for name in ("key", "kind", "section", "title", "summary", "url")},
                   facts=dict(data.get("facts") or {}))


def _first_link(link: Link, candidates: Iterable[tuple[str, dict]]) -> str:
    for endpoint, values in candidates:
        url = link(endpoint, values)
        if url:
            return url
    return link("main.index", {}) or "/"


def _words_match(column, words: Iterable[str]):
    return or_(*[func.lower(column).contains(word) for word in words])


def _clip(text: str, limit: int = 280) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- sources -----------------------------------------------------------------------------

def articles_since(session: Session, since: datetime, link: Link, *, center_words: Iterable[str] = (),
                   exclude_center_words: Iterable[str] = (), text_words: Iterable[str] = ()) -> list[Item]:
    from webapp.blueprints.content.models import Article, HealthCenter

    stmt = (select(Article, HealthCenter).join(HealthCenter, Article.center_id == HealthCenter.id)
            .where(Article.created_at >= since).order_by(Article.created_at.desc(), Article.id).limit(ARTICLE_LIMIT))
    center_text = HealthCenter.name + " " + HealthCenter.topic + " " + HealthCenter.slug
    if center_words:
        stmt = stmt.where(_words_match(center_text, center_words))
    if exclude_center_words:
        stmt = stmt.where(~_words_match(center_text, exclude_center_words))
    if text_words:
        stmt = stmt.where(or_(_words_match(Article.title, text_words), _words_match(Article.summary, text_words)))
    items = []
    for article, center in session.execute(stmt):
        url = _first_link(link, [("content.article", {"center_slug": center.slug, "article_slug": article.slug}),
                                 ("content.center", {"slug": center.slug})])
        items.append(Item(f"article:{article.slug}", "article", "New articles", article.title,
                          _clip(article.summary), url, {"center": center.slug}))
    return items


def recalls_since(session: Session, since: datetime, link: Link) -> list[Item]:
    from webapp.blueprints.mymeds.models import Recall

    # New on our site since the date; a bulk import of old reports is not news.
    recent = (since - RECALL_MAX_AGE).date()
    stmt = (select(Recall)
            .where(Recall.created_at >= since, or_(Recall.report_date.is_(None), Recall.report_date >= recent))
            .order_by(Recall.classification, Recall.report_date.desc(), Recall.id).limit(RECALL_LIMIT))
    items = []
    for recall in session.execute(stmt).scalars():
        # No public page per recall yet: My Medicine is where a reader checks their own medicines.
        url = _first_link(link, [("mymeds.recall", {"recall_number": recall.recall_number}), ("mymeds.index", {})])
        label = f"{recall.classification}: " if recall.classification else ""
        title = _clip(f"{label}{recall.product_description}", 160) or f"Recall {recall.recall_number}"
        summary = _clip(f"{recall.reason_for_recall} Recalled by {recall.recalling_firm}." if recall.recalling_firm
                        else recall.reason_for_recall)
        names = sorted({*(recall.generic_names or []), *(recall.brand_names or [])})
        items.append(Item(f"recall:{recall.recall_number}", "recall", "Drug recalls", title, summary, url,
                          {"drug_names": names}))
    return items


def top_threads_since(session: Session, since: datetime, link: Link, *, group_words: Iterable[str] = ()) -> list[Item]:
    from webapp.blueprints.community.models import CommunityGroup, CommunityThread

    stmt = (select(CommunityThread, CommunityGroup).join(CommunityGroup, CommunityThread.group_id == CommunityGroup.id)
            .where(CommunityThread.created_at >= since, CommunityThread.status == "visible",
                   CommunityGroup.status == "approved", CommunityGroup.visibility == "public")
            .order_by(CommunityThread.answer_count.desc(), CommunityThread.last_activity_at.desc(), CommunityThread.id)
            .limit(THREAD_LIMIT))
    if group_words:
        stmt = stmt.where(_words_match(CommunityGroup.slug + " " + CommunityGroup.name, group_words))
    items = []
    for thread, group in session.execute(stmt):
        url = _first_link(link, [("community.thread", {"thread_id": thread.id}), ("community.index", {})])
        answers = "1 answer" if thread.answer_count == 1 else f"{thread.answer_count} answers"
        items.append(Item(f"thread:{thread.id}", "thread", "From the community", thread.title,
                          f"{answers} in {group.name}.", url, {"group_id": group.id}))
    return items


# Which sources make up each topic's issue.
TOPIC_SOURCES: dict[str, Callable[[Session, datetime, Link], list[Item]]] = {
    "cancer": lambda s, since, link: (articles_since(s, since, link, center_words=CANCER_WORDS)
                                      + top_threads_since(s, since, link, group_words=CANCER_WORDS)),
    "drug-safety": lambda s, since, link: recalls_since(s, since, link),
    "healthy-living": lambda s, since, link: articles_since(s, since, link, exclude_center_words=CANCER_WORDS),
    "caregiving": lambda s, since, link: (articles_since(s, since, link, text_words=CAREGIVING_WORDS)
                                          + top_threads_since(s, since, link, group_words=CAREGIVING_WORDS)),
    "community-highlights": lambda s, since, link: top_threads_since(s, since, link),
}


def compose(session: Session, topic_slug: str, since: datetime, link: Link, *, exclude_keys: Iterable[str] = ()) -> list[Item]:
    """Everything new on the topic since `since`, leaving out what an earlier issue already carried."""
    source = TOPIC_SOURCES.get(topic_slug)
    if source is None:
        return []
    seen = set(exclude_keys)
    items = []
    for item in source(session, since, link):
        if item.key not in seen:
            seen.add(item.key)
            items.append(item)
    return items


def order_items(items: list[Item], user, session: Session | None = None) -> list[Item]:
    """The order one recipient sees.

    Editorial (as composed) for visitors. For a member, the personalisation service ranks
    the items when it exists (recalls of their saved medicines first, then their groups;
    editorial again when they turned personalisation off), using each item's `facts`.
    `user` is the member's User, or None for a visitor.
    """
    if user is None or session is None:
        return list(items)
    from webapp.blueprints.personalisation.signals import order_newsletter_items

    return order_newsletter_items(session, user, list(items))


def subject_for(topic_name: str, items: list[Item]) -> str:
    count = len(items)
    first = items[0].title if items else ""
    more = f" and {count - 1} more" if count > 1 else ""
    return _clip(f"{topic_name}: {first}{more}", 180)


@dataclass(frozen=True)
class Footer:
    unsubscribe_url: str
    preferences_url: str
    topic_name: str


def _sections(items: list[Item]) -> list[tuple[str, list[Item]]]:
    sections: dict[str, list[Item]] = {}
    for item in items:
        sections.setdefault(item.section, []).append(item)
    return list(sections.items())


def render_text(topic_name: str, items: list[Item], footer: Footer) -> str:
    lines = [f"HealthDesk newsletter: {topic_name}", ""]
    for section, section_items in _sections(items):
        lines += [section, "-" * len(section), ""]
        for item in section_items:
            lines += [item.title]
            if item.summary:
                lines += [item.summary]
            lines += [item.url, ""]
    lines += [
        "HealthDesk gives general information, not medical advice.",
        "",
        f"You receive this because you subscribed to \"{footer.topic_name}\" and confirmed your address.",
        f"Change your topics: {footer.preferences_url}",
        f"Unsubscribe with one click: {footer.unsubscribe_url}",
        "",
    ]
    return "\n".join(lines)


def render_html(topic_name: str, items: list[Item], footer: Footer) -> str:
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(topic_name)} · HealthDesk</title></head>",
        '<body style="font-family: system-ui, sans-serif; font-size: 17px; line-height: 1.6; color: #1b1f23; max-width: 40em;">',
        f"<h1 style=\"font-size: 1.5em;\">HealthDesk newsletter: {escape(topic_name)}</h1>",
    ]
    for section, section_items in _sections(items):
        parts.append(f"<h2 style=\"font-size: 1.2em;\">{escape(section)}</h2><ul>")
        for item in section_items:
            parts.append(f'<li><a href="{escape(item.url)}">{escape(item.title)}</a>'
                         + (f"<br>{escape(item.summary)}" if item.summary else "") + "</li>")
        parts.append("</ul>")
    parts += [
        "<hr><p>HealthDesk gives general information, not medical advice.</p>",
        f"<p>You receive this because you subscribed to “{escape(footer.topic_name)}” and confirmed your address.</p>",
        f'<p><a href="{escape(footer.preferences_url)}">Change your topics</a> · '
        f'<a href="{escape(footer.unsubscribe_url)}">Unsubscribe</a></p>',
        "</body></html>",
    ]
    return "\n".join(parts)
