"""Compose a newsletter issue: what is new on a topic since a date, as plain text and HTML.

The items come from the areas that have them, through the functions those areas export
(new articles from content, recalls from My Medicine, busy threads from the community);
this module decides which of them make up each topic's issue. Links are made by a
`link(endpoint, values)` function the caller passes in (the CLI builds absolute URLs from
SITE_URL); it returns None for an endpoint the site does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from markupsafe import escape
from sqlalchemy.orm import Session

from webapp.blueprints.community.threads import top_threads_since
from webapp.blueprints.content.feeds import articles_since
from webapp.blueprints.mymeds.feeds import recalls_since
from webapp.blueprints.personalisation.signals import order_newsletter_items
from webapp.core.area import FeedItem, NewsLink, clip, first_link

Link = NewsLink
Item = FeedItem  # one entry of an issue: key, kind, section, title, summary, url, facts
_first_link = first_link

CANCER_WORDS = ("cancer", "tumor", "tumour", "oncolog")
CAREGIVING_WORDS = ("caregiv", "carer")


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

    Editorial (as composed) for visitors. For a member, personalisation ranks
    the items (recalls of their saved medicines first, then their groups;
    editorial again when they turned personalisation off), using each item's `facts`.
    `user` is the member's User, or None for a visitor.
    """
    if user is None or session is None:
        return list(items)
    return order_newsletter_items(session, user, list(items))


def subject_for(topic_name: str, items: list[Item]) -> str:
    count = len(items)
    first = items[0].title if items else ""
    more = f" and {count - 1} more" if count > 1 else ""
    return clip(f"{topic_name}: {first}{more}", 180)


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
