"""Personalisation around recommend(): the member's choices, reading history, and the
signals and catalog the other areas offer.

recommend() stays pure; this module is the one place that knows which signal comes from
where. It reads no other area's tables: a member's saved medicines, groups, topics, alerts
and answers come from the functions My Medicine, the drug reference, the community and the
newsletter export, and the catalog's cards from the `today_cards` hooks the caller passes in
(webapp.core.area).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.blueprints.community.groups import group_slugs, member_groups
from webapp.blueprints.community.notifications import signals_fingerprint as community_fingerprint
from webapp.blueprints.community.notifications import unread_answers
from webapp.blueprints.drugs.feeds import drug_facts, ingredient_classes
from webapp.blueprints.mymeds.feeds import active_medicines, unread_alerts
from webapp.blueprints.mymeds.feeds import signals_fingerprint as mymeds_fingerprint
from webapp.blueprints.newsletter.feeds import confirmed_topics
from webapp.blueprints.newsletter.feeds import signals_fingerprint as newsletter_fingerprint
from webapp.blueprints.personalisation.models import PersonalisationSettings, ReadingHistory
from webapp.blueprints.personalisation.recommend import Alert, Answer, Card, NewsItem, Recommendation, SavedMedicine, Signals, order_news, recommend
from webapp.core.area import CardSource, Link, change_summary

HISTORY_USED = 20           # most recent reads that shape recommendations
VISITOR_HISTORY_LIMIT = 20  # kept in the visitor's own session cookie, nowhere else
CATALOG_TTL_SECONDS = 300   # reference content changes rarely; threads are read fresh



# --- the member's choices -------------------------------------------------------------

def get_settings(session: Session, user_id: int) -> PersonalisationSettings:
    settings = session.get(PersonalisationSettings, user_id)
    return settings or PersonalisationSettings(user_id=user_id, personalise=True, keep_history=True)


def save_settings(session: Session, user_id: int, *, personalise: bool, keep_history: bool) -> None:
    settings = session.get(PersonalisationSettings, user_id)
    if settings is None:
        settings = PersonalisationSettings(user_id=user_id)
        session.add(settings)
    settings.personalise = personalise
    settings.keep_history = keep_history
    if not keep_history:
        clear_history(session, user_id)


def clear_history(session: Session, user_id: int) -> int:
    return session.execute(delete(ReadingHistory).where(ReadingHistory.user_id == user_id)).rowcount


def record_read(session: Session, user_id: int, kind: str, key: str, title: str, now: datetime) -> None:
    """Remember that the member read this item (one row per item, newest time wins)."""
    row = session.execute(
        select(ReadingHistory).where(
            ReadingHistory.user_id == user_id, ReadingHistory.item_kind == kind, ReadingHistory.item_key == key
        )
    ).scalar_one_or_none()
    if row is not None:
        row.read_at, row.title = now, title[:300]
        return
    try:
        with session.begin_nested():
            session.add(ReadingHistory(user_id=user_id, item_kind=kind, item_key=key[:200], title=title[:300], read_at=now))
    except IntegrityError:
        pass  # the same page read twice at once: one row is enough


def recent_reads(session: Session, user_id: int, limit: int = HISTORY_USED) -> list[tuple[str, str]]:
    rows = session.execute(
        select(ReadingHistory.item_kind, ReadingHistory.item_key)
        .where(ReadingHistory.user_id == user_id)
        .order_by(ReadingHistory.read_at.desc(), ReadingHistory.id.desc())
        .limit(limit)
    )
    return [(kind, key) for kind, key in rows]


def add_visitor_read(history: Sequence, kind: str, key: str) -> list[list[str]]:
    """A visitor's history as kept in their own session: newest first, bounded."""
    entries = [list(item) for item in history if isinstance(item, list | tuple) and len(item) == 2]
    entries = [item for item in entries if item != [kind, key]]
    return [[kind, key], *entries][:VISITOR_HISTORY_LIMIT]


def export_section(session: Session, user) -> dict:
    settings = get_settings(session, user.id)
    rows = session.execute(
        select(ReadingHistory).where(ReadingHistory.user_id == user.id).order_by(ReadingHistory.read_at.desc())
    ).scalars()
    return {
        "personalise": settings.personalise,
        "keep_reading_history": settings.keep_history,
        "reading_history": [
            {"kind": r.item_kind, "key": r.item_key, "title": r.title, "read_at": r.read_at.isoformat()} for r in rows
        ],
    }


# --- signals --------------------------------------------------------------------------

def _saved_medicines(session: Session, user_id: int) -> tuple[SavedMedicine, ...]:
    rows = active_medicines(session, user_id)
    drugs = drug_facts(session, {row.drug_id for row in rows if row.drug_id})
    classes = ingredient_classes(session, {name for row in rows for name in row.ingredients})
    medicines = []
    for row in rows:
        drug = drugs.get(row.drug_id)
        ingredients = frozenset(row.ingredients)
        medicines.append(SavedMedicine(
            name=row.name,
            drug_slug=drug.slug if drug else None,
            ingredients=ingredients,
            classes=frozenset(c for i in ingredients for c in classes.get(i, ())),
            conditions=drug.conditions if drug else frozenset(),
        ))
    return tuple(medicines)


def _alerts(session: Session, user_id: int, link: Link) -> tuple[Alert, ...]:
    return tuple(Alert(a.key, a.title, a.url, a.medicine, a.created_at) for a in unread_alerts(session, user_id, link))


def _answers(session: Session, user_id: int, link: Link) -> tuple[Answer, ...]:
    return tuple(Answer(a.key, a.thread_title, a.group_name, a.url, a.created_at) for a in unread_answers(session, user_id, link))


def build_signals(session: Session, user_id: int, link: Link) -> Signals:
    settings = get_settings(session, user_id)
    if not settings.personalise:
        return Signals(personalise=False)
    return Signals(
        personalise=True,
        saved_medicines=_saved_medicines(session, user_id),
        groups=member_groups(session, user_id),
        topics=confirmed_topics(session, user_id),
        unread_alerts=_alerts(session, user_id, link),
        unread_answers=_answers(session, user_id, link),
        read=tuple(recent_reads(session, user_id)) if settings.keep_history else (),
    )


def order_newsletter_items(session: Session, user, items: list) -> list:
    """The order of a newsletter issue's items for one recipient (editorial for visitors
    and for members who turned personalisation off). Items carry `kind` and `facts`."""
    if user is None or not get_settings(session, user.id).personalise:
        return list(items)
    signals = Signals(saved_medicines=_saved_medicines(session, user.id), groups=member_groups(session, user.id))
    slugs = group_slugs(session, {item.facts.get("group_id") for item in items if item.kind == "thread"})
    news = [NewsItem(item.key, item.kind, frozenset(_news_tags(item, slugs))) for item in items]
    return [items[i] for i in order_news(news, signals)]


def _news_tags(item, slugs: dict[int, str]) -> set[str]:
    facts = item.facts or {}
    if item.kind == "recall":
        names = [str(n).lower() for n in facts.get("drug_names", [])]
        return {f"ingredient:{n}" for n in names} | {f"name:{n}" for n in names}
    if item.kind == "thread" and facts.get("group_id") in slugs:
        return {f"group:{slugs[facts['group_id']]}"}
    if item.kind == "article" and facts.get("center"):
        # A health center and its community group share a slug (pancreatic-cancer).
        return {f"center:{facts['center']}", f"group:{facts['center']}"}
    return set()


# --- catalog --------------------------------------------------------------------------

def build_catalog(session: Session, link: Link, now: datetime, cache: dict | None = None, *,
                  cards: Iterable[CardSource] = (), fresh_cards: Iterable[CardSource] = ()) -> list[Card]:
    """Every card we could show: those of `cards` (articles, drugs, groups: they change
    rarely) are kept in `cache` (one dict per application) for a few minutes; those of
    `fresh_cards` (threads) are always read fresh."""
    cache = {} if cache is None else cache
    cached = cache.get("static")
    if cached is None or time.monotonic() - cached[0] > CATALOG_TTL_SECONDS:
        static = tuple(card for source in cards for card in source(session, link, now))
        cached = cache["static"] = (time.monotonic(), static)
    return [*cached[1], *(card for source in fresh_cards for card in source(session, link, now))]


def _fingerprint_parts(user_id) -> list:
    """One scalar subquery per signal source: any change to what shapes a member's cards
    changes at least one of them (counts, newest ids and times)."""
    return [
        change_summary(ReadingHistory.id, ReadingHistory.read_at, ReadingHistory.user_id == user_id),
        change_summary(PersonalisationSettings.user_id, PersonalisationSettings.updated_at, PersonalisationSettings.user_id == user_id),
        *mymeds_fingerprint(user_id),
        *community_fingerprint(user_id),
        *newsletter_fingerprint(user_id),
    ]


@lru_cache(maxsize=1)
def _fingerprint_statement():
    # Built once: constructing eight subqueries costs more than running them.
    return select(*_fingerprint_parts(bindparam("uid")))


def signals_fingerprint(session: Session, user_id: int) -> tuple:
    """A cheap value (one round trip) that changes whenever the member's signals change."""
    return tuple(session.execute(_fingerprint_statement(), {"uid": user_id}).one())


TODAY_CACHE_SECONDS = 60
TODAY_CACHE_SIZE = 2000


@dataclass(frozen=True)
class Today:
    cards: list[Recommendation]
    groups: tuple[tuple[str, str], ...]  # the member's groups, for quick links


def today(
    session: Session,
    user_id: int | None,
    visitor_reads: Sequence[tuple[str, str]],
    link: Link,
    now: datetime,
    *,
    limit: int = 6,
    cache: dict | None = None,
    cards: Iterable[CardSource] = (),
    fresh_cards: Iterable[CardSource] = (),
) -> Today:
    """The "Today on HealthDesk" cards for a member (user_id) or a visitor (None), chosen
    from the cards of `cards` and `fresh_cards` (the areas' today_cards hooks)."""
    cache = {} if cache is None else cache

    def catalog() -> list[Card]:
        return build_catalog(session, link, now, cache, cards=cards, fresh_cards=fresh_cards)

    groups: tuple[tuple[str, str], ...] = ()
    signals = Signals(personalise=False, read=tuple(visitor_reads))
    if user_id is not None:
        # A member's cards change only when their signals do: reuse them for a minute
        # while the fingerprint (one cheap query) stays the same.
        key = ("today", user_id, limit, signals_fingerprint(session, user_id), tuple(visitor_reads))
        hit = cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < TODAY_CACHE_SECONDS:
            return hit[1]
        member_signals = build_signals(session, user_id, link)
        if member_signals.personalise:
            signals, groups = member_signals, member_signals.groups
        else:
            groups = member_groups(session, user_id)
        result = Today(recommend(signals, catalog(), now, limit=limit), groups)
        _remember(cache, key, result)
        return result
    return Today(recommend(signals, catalog(), now, limit=limit), groups)


def _remember(cache: dict, key: tuple, result: Today) -> None:
    entries = [k for k in cache if isinstance(k, tuple) and k and k[0] == "today"]
    if len(entries) >= TODAY_CACHE_SIZE:
        for old in entries[: len(entries) // 2]:  # oldest first: dicts keep insertion order
            cache.pop(old, None)
    cache[key] = (time.monotonic(), result)
