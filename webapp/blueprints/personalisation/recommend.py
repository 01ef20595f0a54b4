"""Ranking the "Today on HealthDesk" cards: what matters to this person, and why.

Pure: `recommend(signals, catalog, now)` takes plain values and returns plain values, the
same output for the same input. Signals are what a member has told us (saved medicines,
groups, newsletter topics, reading history they allowed, unread alerts and answers); the
catalog is the content cards we could show (core.feeds.Card), each tagged with what it is about
("ingredient:metformin", "condition:type-2-diabetes", "group:diabetes", ...).

Rules, in order:
- urgent first: a recall affecting a saved medicine, then new answers to the member;
- then cards sharing tags with the member's signals, each saying which signal led to it;
- then editorial picks, so the list is never empty;
- never a card the member has already read, never the page of a medicine they saved
  (they know it; related content is more useful), and variety: at most `per_kind` cards
  of one kind unless there is nothing else to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.core.area import Card  # the cards the areas offer (re-exported: recommend's callers build them)

CARD_KINDS = ("alert", "answer", "article", "drug", "group", "thread")

# How strongly each kind of signal counts; a saved medicine says most about a person.
WEIGHT_SAVED = 3.0
WEIGHT_GROUP = 2.0
WEIGHT_TOPIC = 1.0
WEIGHT_READ = 1.0
FRESH_DAYS = 14


@dataclass(frozen=True)
class SavedMedicine:
    name: str
    drug_slug: str | None = None
    ingredients: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    conditions: frozenset[str] = frozenset()

    def tags(self) -> set[str]:
        tags = {f"ingredient:{i}" for i in self.ingredients}
        tags |= {f"class:{c}" for c in self.classes}
        tags |= {f"condition:{c}" for c in self.conditions}
        if self.drug_slug:
            tags.add(f"drug:{self.drug_slug}")
        return tags


@dataclass(frozen=True)
class Alert:
    """An unread recall notification for a saved medicine."""

    key: str
    title: str
    url: str
    medicine: str
    created_at: datetime


@dataclass(frozen=True)
class Answer:
    """An unread answer or reply to the member."""

    key: str
    thread_title: str
    group_name: str
    url: str
    created_at: datetime


@dataclass(frozen=True)
class Signals:
    personalise: bool = True
    saved_medicines: tuple[SavedMedicine, ...] = ()
    groups: tuple[tuple[str, str], ...] = ()          # (slug, name) of joined groups
    topics: tuple[tuple[str, str], ...] = ()          # (slug, name) of newsletter topics
    unread_alerts: tuple[Alert, ...] = ()
    unread_answers: tuple[Answer, ...] = ()
    read: tuple[tuple[str, str], ...] = ()            # (kind, key) of cards already read, newest first


@dataclass(frozen=True)
class Recommendation:
    card: Card
    reason: str          # short, shown on the card: "Because you saved metformin"
    why: str             # "Why am I seeing this?": which signal, and how to change it
    urgent: bool = False
    score: float = 0.0


@dataclass(frozen=True)
class _Interest:
    weight: float
    reason: str
    why: str
    order: int  # tie-break between interests of equal weight: first given wins


def _interests(signals: Signals, catalog_by_id: dict[tuple[str, str], Card]) -> dict[str, list[_Interest]]:
    """Map each tag to the signals that make it interesting."""
    interests: dict[str, list[_Interest]] = {}
    order = 0

    def add(tag: str, weight: float, reason: str, why: str) -> None:
        nonlocal order
        interests.setdefault(tag, []).append(_Interest(weight, reason, why, order))
        order += 1

    for medicine in signals.saved_medicines:
        why = f"You saved {medicine.name} in My Medicine. Remove it there, or turn personalisation off in your settings."
        for tag in sorted(medicine.tags()):
            add(tag, WEIGHT_SAVED, f"Because you saved {medicine.name}", why)
    for slug, name in signals.groups:
        add(f"group:{slug}", WEIGHT_GROUP, f"From your group {name}",
            f"You joined the {name} group. Leave the group, or turn personalisation off in your settings.")
    for slug, name in signals.topics:
        add(f"topic:{slug}", WEIGHT_TOPIC, f"Because you follow {name}",
            f"You subscribed to {name} in the newsletter. Change your topics in your settings.")
    for kind, key in signals.read:
        card = catalog_by_id.get((kind, key))
        if card is None:
            continue
        why = f"You read “{card.title}”. Turn reading history off or clear it in your settings."
        for tag in sorted(card.tags):
            add(tag, WEIGHT_READ, f"Because you read {card.title}", why)
    return interests


def _score(card: Card, interests: dict[str, list[_Interest]], now: datetime) -> tuple[float, _Interest | None]:
    matched = [interest for tag in card.tags for interest in interests.get(tag, ())]
    if not matched:
        return 0.0, None
    best = min(matched, key=lambda i: (-i.weight, i.order))
    # Several signals pointing at one card count, but less than the strongest one.
    score = best.weight + 0.25 * (sum(i.weight for i in matched) - best.weight)
    if card.published_at and now - card.published_at <= timedelta(days=FRESH_DAYS):
        score += 0.5
    return score, best


def _urgent(signals: Signals) -> list[Recommendation]:
    urgent = []
    for alert in sorted(signals.unread_alerts, key=lambda a: (-a.created_at.timestamp(), a.key)):
        card = Card("alert", alert.key, alert.title, alert.url)
        urgent.append(Recommendation(
            card, f"Recall affecting your {alert.medicine}",
            f"An FDA recall matches {alert.medicine}, which you saved in My Medicine. Read it to mark it as seen.",
            urgent=True, score=1000.0,
        ))
    for answer in sorted(signals.unread_answers, key=lambda a: (-a.created_at.timestamp(), a.key)):
        card = Card("answer", answer.key, answer.thread_title, answer.url)
        urgent.append(Recommendation(
            card, f"New answer in {answer.group_name}",
            "Someone answered your question or replied to you in the community.",
            urgent=True, score=500.0,
        ))
    return urgent


def _editorial(card: Card) -> Recommendation:
    return Recommendation(card, "Editor's pick", "Chosen by the HealthDesk editors for everyone.",
                          score=0.1 - 0.001 * (card.editorial_rank or 0))


def _with_variety(ranked: Sequence[Recommendation], limit: int, per_kind: int) -> list[Recommendation]:
    chosen: list[Recommendation] = []
    counts: dict[str, int] = {}
    held_back: list[Recommendation] = []
    for item in ranked:
        if len(chosen) >= limit:
            break
        if counts.get(item.card.kind, 0) >= per_kind:
            held_back.append(item)
            continue
        chosen.append(item)
        counts[item.card.kind] = counts.get(item.card.kind, 0) + 1
    # Too little variety to fill the list: better more of one kind than a short list.
    for item in held_back:
        if len(chosen) >= limit:
            break
        chosen.append(item)
    return chosen


def recommend(
    signals: Signals,
    catalog: Iterable[Card],
    now: datetime,
    *,
    limit: int = 6,
    per_kind: int = 2,
    max_urgent: int = 3,
) -> list[Recommendation]:
    cards = sorted(set(catalog), key=lambda c: (c.kind, c.key))
    by_id = {(c.kind, c.key): c for c in cards}
    if not signals.personalise:
        signals = Signals(personalise=False, read=signals.read)
    read = set(signals.read)
    saved_slugs = {m.drug_slug for m in signals.saved_medicines if m.drug_slug}
    interests = _interests(signals, by_id)

    urgent = _urgent(signals)[:max_urgent] if signals.personalise else []
    ranked: list[Recommendation] = []
    for card in cards:
        if (card.kind, card.key) in read or (card.kind == "drug" and card.key in saved_slugs):
            continue
        score, interest = _score(card, interests, now)
        if interest is not None:
            ranked.append(Recommendation(card, interest.reason, interest.why, score=score))
        elif card.editorial_rank is not None:
            ranked.append(_editorial(card))
    ranked.sort(key=lambda r: (-r.score, r.card.kind, r.card.key))
    rest = _with_variety(ranked, max(limit - len(urgent), 0), per_kind)
    return urgent + rest


@dataclass(frozen=True)
class NewsItem:
    """One item of a newsletter issue, as the ordering sees it."""

    key: str
    kind: str                      # article | recall | thread
    tags: frozenset[str] = frozenset()


def order_news(items: Sequence[NewsItem], signals: Signals) -> list[int]:
    """Positions of `items` in the order one member should read them.

    Recalls of a medicine they saved come first, then items about their medicines, groups
    or topics; everything else keeps the editors' order. Without personalisation the
    editors' order is kept as it is."""
    if not signals.personalise:
        return list(range(len(items)))
    saved_tags = set().union(*(m.tags() | {f"name:{m.name.lower()}"} for m in signals.saved_medicines))
    interest_tags = saved_tags | {f"group:{slug}" for slug, _ in signals.groups} | {f"topic:{slug}" for slug, _ in signals.topics}

    def tier(item: NewsItem) -> int:
        if item.kind == "recall" and item.tags & saved_tags:
            return 2
        return 1 if item.tags & interest_tags else 0

    return sorted(range(len(items)), key=lambda i: (-tier(items[i]), i))
