"""Personalisation around recommend(): the member's choices, reading history, and the
signals and catalog read from the database.

recommend() stays pure; this module is the one place that knows where each signal lives.
Areas are optional (the site runs while one is unfinished), so each source is read only
when its module exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.blueprints.personalisation.models import PersonalisationSettings, ReadingHistory
from webapp.blueprints.personalisation.recommend import Alert, Answer, Card, NewsItem, Recommendation, SavedMedicine, Signals, order_news, recommend

HISTORY_USED = 20           # most recent reads that shape recommendations
VISITOR_HISTORY_LIMIT = 20  # kept in the visitor's own session cookie, nowhere else
CATALOG_TTL_SECONDS = 300   # reference content changes rarely; threads are read fresh
THREAD_WINDOW = timedelta(days=60)

# Which community group a condition belongs to, so a saved medicine can lead to a group.
GROUP_CONDITIONS = {
    "diabetes": {"type-2-diabetes", "type-1-diabetes"},
    "heart-health": {"hypertension", "high-cholesterol", "heart-failure", "atrial-fibrillation", "angina",
                     "heart-attack", "heart-attack-prevention", "stroke-prevention", "blood-clots", "high-triglycerides"},
    "mental-health": {"depression", "anxiety", "bipolar-disorder", "schizophrenia", "adhd", "insomnia",
                      "obsessive-compulsive-disorder", "panic-disorder"},
    "pancreatic-cancer": {"pancreatic-neuroendocrine-tumors", "pancreatic-cancer", "carcinoid-syndrome"},
    "chronic-pain": {"pain", "osteoarthritis", "rheumatoid-arthritis", "neuropathic-pain", "migraine", "fibromyalgia", "joint-pain"},
    "asthma-allergies": {"asthma", "allergies", "copd"},
}

Link = Callable[..., str]  # url_for-like: link(endpoint, **values) -> path


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
    from sqlalchemy.orm import selectinload

    from webapp.blueprints.drugs.models import Drug, Ingredient
    from webapp.blueprints.mymeds.models import SavedMedicine as SavedRow

    rows = session.execute(
        select(SavedRow.name, SavedRow.drug_id, SavedRow.ingredients)
        .where(SavedRow.user_id == user_id, SavedRow.status == "active").order_by(SavedRow.id)
    ).all()
    drug_ids = {drug_id for _, drug_id, _ in rows if drug_id}
    drugs = {}
    if drug_ids:
        query = select(Drug).options(selectinload(Drug.conditions)).where(Drug.id.in_(drug_ids))
        drugs = {d.id: d for d in session.execute(query).scalars()}
    names = {name for _, _, ingredients in rows for name in (ingredients or [])}
    classes: dict[str, set[str]] = {}
    if names:
        query = select(Ingredient).options(selectinload(Ingredient.classes)).where(Ingredient.name.in_(names))
        classes = {i.name: {c.slug for c in i.classes} for i in session.execute(query).scalars()}
    medicines = []
    for name, drug_id, ingredient_list in rows:
        drug = drugs.get(drug_id)
        ingredients = frozenset(ingredient_list or [])
        medicines.append(SavedMedicine(
            name=name,
            drug_slug=drug.slug if drug else None,
            ingredients=ingredients,
            classes=frozenset(c for i in ingredients for c in classes.get(i, ())),
            conditions=frozenset(c.slug for c in drug.conditions) if drug else frozenset(),
        ))
    return tuple(medicines)


def member_groups(session: Session, user_id: int) -> tuple[tuple[str, str], ...]:
    from webapp.blueprints.community.models import CommunityGroup, CommunityMembership

    rows = session.execute(
        select(CommunityGroup.slug, CommunityGroup.name).join(CommunityMembership, CommunityMembership.group_id == CommunityGroup.id)
        .where(CommunityMembership.user_id == user_id).order_by(CommunityGroup.name)
    )
    return tuple((slug, name) for slug, name in rows)


def _topics(session: Session, user_id: int) -> tuple[tuple[str, str], ...]:
    """Newsletter topics the member confirmed."""
    from webapp.blueprints.newsletter.models import NewsletterSubscriber, NewsletterSubscription, NewsletterTopic

    rows = session.execute(
        select(NewsletterTopic.slug, NewsletterTopic.name)
        .join(NewsletterSubscription, NewsletterSubscription.topic_id == NewsletterTopic.id)
        .join(NewsletterSubscriber, NewsletterSubscriber.id == NewsletterSubscription.subscriber_id)
        .where(NewsletterSubscriber.user_id == user_id, NewsletterSubscriber.status == "confirmed")
        .order_by(NewsletterTopic.name)
    )
    return tuple((slug, name) for slug, name in rows)


def _alerts(session: Session, user_id: int, link: Link) -> tuple[Alert, ...]:
    if "mymeds.alerts" not in _endpoints(link):
        return ()
    from webapp.blueprints.mymeds.models import MedNotification, RecallMatch
    from webapp.blueprints.mymeds.models import SavedMedicine as SavedRow

    notifications = list(session.execute(
        select(MedNotification.id, MedNotification.title, MedNotification.created_at,
               MedNotification.recall_id, MedNotification.profile_id)
        .where(MedNotification.user_id == user_id, MedNotification.read_at.is_(None))
        .order_by(MedNotification.created_at.desc()).limit(10)
    ))
    if not notifications:
        return ()
    # Which saved medicine each recall concerns, for the card's reason (one query for all).
    medicine_of: dict[tuple[int, int], str] = {}
    matches = session.execute(
        select(RecallMatch.recall_id, RecallMatch.profile_id, SavedRow.name)
        .join(SavedRow, SavedRow.id == RecallMatch.saved_medicine_id)
        .where(RecallMatch.user_id == user_id, RecallMatch.recall_id.in_({n.recall_id for n in notifications}))
        .order_by(RecallMatch.id)
    )
    for recall_id, profile_id, name in matches:
        medicine_of.setdefault((recall_id, profile_id), name)
    base = link("mymeds.alerts")
    return tuple(
        Alert(f"alert-{n.id}", n.title, f"{base}#alert-{n.id}", medicine_of.get((n.recall_id, n.profile_id), "a saved medicine"),
              n.created_at)
        for n in notifications
    )


def _answers(session: Session, user_id: int, link: Link) -> tuple[Answer, ...]:
    if "community.notifications" not in _endpoints(link):
        return ()
    from webapp.blueprints.accounts.models import User
    from webapp.blueprints.community.models import CommunityGroup, CommunityNotification, CommunityThread
    from webapp.blueprints.community.threads import readable_threads_clause

    # Only threads the member may read today: one who left a private group no longer sees
    # its thread titles, even on notifications from before they left.
    rows = session.execute(
        select(CommunityNotification, CommunityThread.title, CommunityGroup.name)
        .join(CommunityThread, CommunityThread.id == CommunityNotification.thread_id)
        .join(CommunityGroup, CommunityGroup.id == CommunityThread.group_id)
        .where(CommunityNotification.user_id == user_id, CommunityNotification.read_at.is_(None),
               readable_threads_clause(session.get(User, user_id)))
        .order_by(CommunityNotification.created_at.desc()).limit(10)
    )
    return tuple(
        Answer(f"note-{note.id}", title, group, link("community.notifications"), note.created_at) for note, title, group in rows
    )


def build_signals(session: Session, user_id: int, link: Link) -> Signals:
    settings = get_settings(session, user_id)
    if not settings.personalise:
        return Signals(personalise=False)
    return Signals(
        personalise=True,
        saved_medicines=_saved_medicines(session, user_id),
        groups=member_groups(session, user_id),
        topics=_topics(session, user_id),
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
    group_slugs = _group_slugs(session, {item.facts.get("group_id") for item in items if item.kind == "thread"})
    news = [NewsItem(item.key, item.kind, frozenset(_news_tags(item, group_slugs))) for item in items]
    return [items[i] for i in order_news(news, signals)]


def _group_slugs(session: Session, ids: set) -> dict[int, str]:
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    from webapp.blueprints.community.models import CommunityGroup

    return dict(session.execute(select(CommunityGroup.id, CommunityGroup.slug).where(CommunityGroup.id.in_(ids))).all())


def _news_tags(item, group_slugs: dict[int, str]) -> set[str]:
    facts = item.facts or {}
    if item.kind == "recall":
        names = [str(n).lower() for n in facts.get("drug_names", [])]
        return {f"ingredient:{n}" for n in names} | {f"name:{n}" for n in names}
    if item.kind == "thread" and facts.get("group_id") in group_slugs:
        return {f"group:{group_slugs[facts['group_id']]}"}
    if item.kind == "article" and facts.get("center"):
        # A health center and its community group share a slug (pancreatic-cancer).
        return {f"center:{facts['center']}", f"group:{facts['center']}"}
    return set()


# --- catalog --------------------------------------------------------------------------

def _article_cards(session: Session, link: Link) -> list[Card]:
    from webapp.blueprints.content.models import Article
    from webapp.blueprints.content.queries import url_of

    cards = []
    for article in session.execute(select(Article)).scalars():
        center = article.center
        tags = {f"center:{center.slug}"} | {f"drug:{slug}" for slug in (center.related_drugs or [])}
        if center.community_group:
            tags.add(f"group:{center.community_group}")
        cards.append(Card("article", article.slug, article.short_title or article.title, url_of(article),
                          article.summary, frozenset(tags), editorial_rank=article.pick_order))
    return cards


def _drug_cards(session: Session, link: Link) -> list[Card]:
    if "drugs.detail" not in _endpoints(link):
        return []
    from sqlalchemy.orm import selectinload

    from webapp.blueprints.drugs.models import Drug, Ingredient

    cards = []
    drugs = session.execute(
        select(Drug).options(selectinload(Drug.ingredients).selectinload(Ingredient.classes), selectinload(Drug.conditions))
    ).scalars()
    for drug in drugs:
        tags = {f"drug:{drug.slug}"} | {f"ingredient:{i.name}" for i in drug.ingredients}
        tags |= {f"class:{c.slug}" for i in drug.ingredients for c in i.classes}
        tags |= {f"condition:{c.slug}" for c in drug.conditions}
        cards.append(Card("drug", drug.slug, drug.name, link("drugs.detail", slug=drug.slug), drug.summary, frozenset(tags)))
    return cards


def _group_cards(session: Session, link: Link) -> list[Card]:
    if "community.group" not in _endpoints(link):
        return []
    from webapp.blueprints.community.models import CommunityGroup

    cards = []
    for group in session.execute(
        select(CommunityGroup).where(CommunityGroup.status == "approved", CommunityGroup.visibility == "public")
    ).scalars():
        tags = {f"group:{group.slug}"} | {f"condition:{c}" for c in GROUP_CONDITIONS.get(group.slug, ())}
        cards.append(Card("group", group.slug, group.name, link("community.group", slug=group.slug), group.description[:200], frozenset(tags)))
    return cards


def _thread_cards(session: Session, link: Link, now: datetime) -> list[Card]:
    if "community.thread" not in _endpoints(link):
        return []
    from webapp.blueprints.community.models import CommunityGroup, CommunityThread

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


def _endpoints(link: Link) -> set[str]:
    return getattr(link, "endpoints", set())


def build_catalog(session: Session, link: Link, now: datetime, cache: dict | None = None) -> list[Card]:
    """Every card we could show. Articles, drugs and groups change rarely and are kept in
    `cache` (one dict per application) for a few minutes; threads are always read fresh."""
    cache = {} if cache is None else cache
    cached = cache.get("static")
    if cached is None or time.monotonic() - cached[0] > CATALOG_TTL_SECONDS:
        static = (*_article_cards(session, link), *_drug_cards(session, link), *_group_cards(session, link))
        cached = cache["static"] = (time.monotonic(), static)
    return [*cached[1], *_thread_cards(session, link, now)]


def _summary(count_of, newest, *conditions):
    """count:newest as text, e.g. "3:2026-11-28 10:00:00", as a scalar subquery."""
    from sqlalchemy import String, cast, func

    text_value = cast(func.count(count_of), String) + ":" + func.coalesce(cast(func.max(newest), String), "")
    return select(text_value).where(*conditions).scalar_subquery()


def _fingerprint_parts(user_id) -> list:
    """One scalar subquery per signal source: any change to what shapes a member's cards
    changes at least one of them (counts, newest ids and times)."""
    parts = [
        _summary(ReadingHistory.id, ReadingHistory.read_at, ReadingHistory.user_id == user_id),
        _summary(PersonalisationSettings.user_id, PersonalisationSettings.updated_at, PersonalisationSettings.user_id == user_id),
    ]
    from webapp.blueprints.mymeds.models import MedNotification
    from webapp.blueprints.mymeds.models import SavedMedicine as SavedRow

    parts.append(_summary(SavedRow.id, SavedRow.updated_at, SavedRow.user_id == user_id))
    parts.append(_summary(MedNotification.id, MedNotification.id,
                          MedNotification.user_id == user_id, MedNotification.read_at.is_(None)))
    from webapp.blueprints.community.models import CommunityMembership, CommunityNotification

    parts.append(_summary(CommunityMembership.id, CommunityMembership.id, CommunityMembership.user_id == user_id))
    parts.append(_summary(CommunityNotification.id, CommunityNotification.id,
                          CommunityNotification.user_id == user_id, CommunityNotification.read_at.is_(None)))
    from webapp.blueprints.newsletter.models import NewsletterSubscriber, NewsletterSubscription

    parts.append(_summary(NewsletterSubscriber.id, NewsletterSubscriber.status, NewsletterSubscriber.user_id == user_id))
    parts.append(_summary(NewsletterSubscription.topic_id, NewsletterSubscription.created_at,
                          NewsletterSubscription.subscriber_id.in_(
                              select(NewsletterSubscriber.id).where(NewsletterSubscriber.user_id == user_id))))
    return parts


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
) -> Today:
    """The "Today on HealthDesk" cards for a member (user_id) or a visitor (None)."""
    cache = {} if cache is None else cache
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
        result = Today(recommend(signals, build_catalog(session, link, now, cache), now, limit=limit), groups)
        _remember(cache, key, result)
        return result
    return Today(recommend(signals, build_catalog(session, link, now, cache), now, limit=limit), groups)


def _remember(cache: dict, key: tuple, result: Today) -> None:
    entries = [k for k in cache if isinstance(k, tuple) and k and k[0] == "today"]
    if len(entries) >= TODAY_CACHE_SIZE:
        for old in entries[: len(entries) // 2]:  # oldest first: dicts keep insertion order
            cache.pop(old, None)
    cache[key] = (time.monotonic(), result)
