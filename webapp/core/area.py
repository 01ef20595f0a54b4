"""What an area of the site can plug into: each area's hooks.py builds one `Area`.

Also what one area hands another instead of its tables: sitemap entries, "Today on
HealthDesk" cards and newsletter items. An area that has something to offer exports a
function in its own domain modules returning these plain values, and declares it in its
hooks.py. The sitemap and the home page ask every area through the registry; the
newsletter and a member's signals call the exported functions they need. Nobody reads
another area's models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from types import ModuleType
from typing import Any, Generic, TypeVar

from flask import Blueprint, current_app
from flask.cli import AppGroup
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

Link = Callable[..., str]                      # url_for-like: link(endpoint, **values) -> path
NewsLink = Callable[[str, dict], "str | None"]  # link(endpoint, values) -> absolute URL, None when there is no such page


# --- the sitemap --------------------------------------------------------------------------

@dataclass(frozen=True)
class SitemapEntry:
    """One public page: the endpoint and values url_for builds its address from."""

    endpoint: str
    values: dict = field(default_factory=dict)
    lastmod: date | None = None


@dataclass(frozen=True)
class SitemapSection:
    """A list that can outgrow one sitemap file: served as files `<name>-1`, `<name>-2` …

    count(session) says how many entries there are; entries(session, offset, limit) gives
    one file's worth, always in the same order (a chunk must not shift between requests).
    """

    name: str
    count: Callable[[Session], int]
    entries: Callable[[Session, int, int], list[SitemapEntry]]


def day(value: date | datetime | None) -> date | None:
    """A sitemap's lastmod is a date."""
    return value.date() if isinstance(value, datetime) else value


# --- "Today on HealthDesk" ------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    """Something the home page could show, tagged with what it is about
    ("ingredient:metformin", "condition:type-2-diabetes", "group:diabetes", ...)."""

    kind: str
    key: str
    title: str
    url: str
    summary: str = ""
    tags: frozenset[str] = frozenset()
    published_at: datetime | None = None
    editorial_rank: int | None = None  # lower is picked first; None when not an editorial pick


# --- newsletter items ---------------------------------------------------------------------

@dataclass(frozen=True)
class FeedItem:
    """One entry of a newsletter issue (kept as a dict in the issue row)."""

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
    def from_dict(cls, data: dict) -> FeedItem:
        return cls(**{name: data.get(name) for name in ("key", "kind", "section", "title", "summary", "url")},
                   facts=dict(data.get("facts") or {}))


def first_link(link: NewsLink, candidates: Iterable[tuple[str, dict]]) -> str:
    """The first of the candidate pages the site has, else the home page."""
    for endpoint, values in candidates:
        url = link(endpoint, values)
        if url:
            return url
    return link("main.index", {}) or "/"


def words_match(column, words: Iterable[str]):
    """A WHERE clause: the column's text contains any of the words (case-insensitive)."""
    return or_(*[func.lower(column).contains(word) for word in words])


def clip(text: str, limit: int = 280) -> str:
    """Text on one line, cut at a word before `limit` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- change fingerprints ------------------------------------------------------------------

def change_summary(count_of, newest, *conditions):
    """count:newest as text (e.g. "3:2026-11-28 10:00:00"), as a scalar subquery: it changes
    whenever a row matching `conditions` is added, removed or touched."""
    text_value = cast(func.count(count_of), String) + ":" + func.coalesce(cast(func.max(newest), String), "")
    return select(text_value).where(*conditions).scalar_subquery()


# --- the hooks ----------------------------------------------------------------------------

SeedStep = Callable[[Session, Callable[[str], None]], None]
ExportSection = Callable[[Session, Any], Any]
HeaderCounter = Callable[[Any], int]
EmailChangeHook = Callable[[Session, Any, str], None]
AccountMail = Callable[[Session, int], Iterable[int]]
RegisterCli = Callable[[Any, AppGroup], None]
SitemapPages = Callable[[Session], Iterable[SitemapEntry]]
CardSource = Callable[[Session, Link, datetime], Iterable[Card]]


@dataclass(frozen=True)
class Area:
    """One area's connections to the shared parts of the site.

    blueprints: registered in the order the areas are listed;
    models: the module whose tables the schema (Alembic, create_all) must know;
    seed_steps: `flask seed` steps (label, function(session, echo));
    export_sections: "Export my data" sections (name, function(session, user));
    header_counters: header badges (label, endpoint, function(user) -> int);
    email_change_hooks: function(session, user, new_email), run when a new address takes effect;
    account_mail: function(session, user_id) -> ids of the outbox messages the area sent the
        account without naming it there (deleted with the account; read before it goes);
    cli: register(app, import_group) adding the area's commands;
    sitemap_start_pages: endpoints of its public start pages (no values), listed first in the sitemap;
    sitemap_pages: function(session) -> its other public pages, for the sitemap's "pages" file;
    sitemap_sections: its long public lists, served as numbered sitemap files;
    today_cards: function(session, link, now) -> cards for "Today on HealthDesk" that change
        rarely (kept a few minutes); today_fresh_cards: the same, read on every request.
    """

    name: str
    blueprints: tuple[Blueprint, ...] = ()
    models: ModuleType | None = None
    seed_steps: tuple[tuple[str, SeedStep], ...] = ()
    export_sections: tuple[tuple[str, ExportSection], ...] = ()
    header_counters: tuple[tuple[str, str, HeaderCounter], ...] = ()
    email_change_hooks: tuple[EmailChangeHook, ...] = ()
    account_mail: tuple[AccountMail, ...] = ()
    cli: RegisterCli | None = None
    sitemap_start_pages: tuple[str, ...] = ()
    sitemap_pages: tuple[SitemapPages, ...] = ()
    sitemap_sections: tuple[SitemapSection, ...] = ()
    today_cards: tuple[CardSource, ...] = ()
    today_fresh_cards: tuple[CardSource, ...] = ()


T = TypeVar("T")


class _Gathered(Generic[T]):
    """A Registry attribute: the entries of the Area field of the same name, every area's,
    in the order the areas are listed."""

    def __set_name__(self, owner, name: str) -> None:
        self.field = name

    def __get__(self, registry: Registry | None, owner=None) -> list[T]:
        if registry is None:  # read on the class itself (help(), introspection)
            return self  # type: ignore[return-value]
        return [item for area in registry.areas for item in getattr(area, self.field)]


@dataclass(frozen=True)
class Registry:
    """Every area's hooks, gathered once by create_app (see webapp/areas.py)."""

    areas: tuple[Area, ...]

    # Not annotated, so they are not dataclass fields: each reads the Area field of its name.
    blueprints = _Gathered[Blueprint]()
    seed_steps = _Gathered[tuple[str, SeedStep]]()
    export_sections = _Gathered[tuple[str, ExportSection]]()
    header_counters = _Gathered[tuple[str, str, HeaderCounter]]()
    email_change_hooks = _Gathered[EmailChangeHook]()
    account_mail = _Gathered[AccountMail]()
    sitemap_start_pages = _Gathered[str]()
    sitemap_pages = _Gathered[SitemapPages]()
    sitemap_sections = _Gathered[SitemapSection]()
    today_cards = _Gathered[CardSource]()
    today_fresh_cards = _Gathered[CardSource]()

    @property
    def cli(self) -> list[RegisterCli]:
        return [area.cli for area in self.areas if area.cli is not None]


EXTENSION_KEY = "healthdesk.areas"


def registry() -> Registry:
    """The running app's areas (for views and commands; domain code gets what it needs passed in)."""
    return current_app.extensions[EXTENSION_KEY]
