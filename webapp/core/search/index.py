"""Shared site search: one full-text index for every area (articles, drugs, community ...).

How an area uses it
-------------------
Each searchable thing is a *document* identified by ``(kind, key)``: ``kind`` names the
area and type (``"article"``, ``"drug"``, ``"thread"`` ...), ``key`` is its stable id within
that kind (a slug or a number as text). The area keeps the index in step with its own data:

    from webapp.core.search import index as site_search

    site_search.index_document(session, "drug", "atorvastatin", "Atorvastatin (Lipitor)",
                               plain_text, url="/drugs/atorvastatin")   # insert or replace
    site_search.remove_document(session, "drug", "atorvastatin")         # when it goes away
    site_search.remove_kind(session, "drug", keep={"atorvastatin", ...}) # prune after a sync

    results = site_search.search(session, "statin muscle pain", kinds=["drug"], page=1)
    for hit in results.hits:          # hit.kind, hit.key, hit.title, hit.url, hit.snippet, hit.rank
        ...                           # hit.snippet is Markup: escaped text with <mark> only
    results.total, results.pages      # for pagination

``title`` and ``body`` are PLAIN TEXT (strip HTML before indexing; it would be shown
escaped). ``url`` is a site-relative path; the index stores it as given. The calls do not
commit: the caller's transaction does, together with the area's own changes.

Queries are never passed to the database as syntax: ``search_terms`` keeps only the word
characters of the first few hundred characters (markup, quotes, FTS operators, NUL bytes
and the like all disappear), so any input gives results or an empty page, never an error.
All terms must match (ranked best first); when that finds nothing, any term may match.

Storage
-------
Objects live outside the ORM and are made by ``install(connection)``; every name starts with
``search_`` so Alembic's autogenerate ignores them (see webapp/core/search/setup.py):

* ``search_documents`` - id, kind, doc_key, title, body, url; unique (kind, doc_key).
* SQLite: an external-content FTS5 table ``search_documents_fts`` (porter stemming,
  diacritics folded) kept in step by three triggers; ranking by bm25 with the title
  weighted 8x the body; snippets by FTS5 ``snippet()``.
* PostgreSQL: a stored generated ``tsvector`` column (title weight A, body weight B) with a
  GIN index; ``websearch_to_tsquery`` on the cleaned terms, ``ts_rank``, ``ts_headline``.

Snippets are highlighted with private-use sentinel characters, then HTML-escaped, and only
then are the sentinels turned into ``<mark>``: the result is safe HTML whatever the text.
"""

# SQL here is assembled only from this module's constant names; every value is a bound parameter.
# ruff: noqa: S608
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from webapp.core.paging import Page

TABLE = "search_documents"
FTS_TABLE = "search_documents_fts"

MAX_QUERY_CHARS = 300
MAX_TERMS = 12
MAX_PER_PAGE = 100
MAX_PAGE = 500
KIND_MAX = 40
KEY_MAX = 200
URL_MAX = 500

# Private-use characters mark highlights until the text has been escaped.
_START = "\ue000"
_END = "\ue001"
# Control characters (NUL included: PostgreSQL text refuses it) and our sentinels.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
# Letters and digits of any script; underscores and everything else separate words.
_TERM = re.compile(r"[^\W_]+")

_SQLITE_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id INTEGER PRIMARY KEY,
        kind VARCHAR({KIND_MAX}) NOT NULL,
        doc_key VARCHAR({KEY_MAX}) NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        url VARCHAR({URL_MAX}) NOT NULL,
        CONSTRAINT search_documents_kind_key UNIQUE (kind, doc_key)
    )""",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title, body, content='{TABLE}', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]

_POSTGRES_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id BIGSERIAL PRIMARY KEY,
        kind VARCHAR({KIND_MAX}) NOT NULL,
        doc_key VARCHAR({KEY_MAX}) NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        url VARCHAR({URL_MAX}) NOT NULL,
        search_vector tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
        ) STORED,
        CONSTRAINT search_documents_kind_key UNIQUE (kind, doc_key)
    )""",
    f"CREATE INDEX IF NOT EXISTS search_documents_vector ON {TABLE} USING GIN (search_vector)",
]


@dataclass(frozen=True)
class SearchHit:
    kind: str
    key: str
    title: str
    url: str
    snippet: Markup  # escaped text; only <mark> elements are HTML
    rank: float


@dataclass(frozen=True, kw_only=True)
class SearchResults(Page[SearchHit]):
    """One page of hits (`hits` is the page's `items`), with the terms that were searched."""

    query: str  # the cleaned terms, space separated ("" when nothing searchable was given)

    @property
    def hits(self) -> Sequence[SearchHit]:
        return self.items


def install(connection: Connection) -> None:
    """Create the search table and its index if they are missing (SQLite or PostgreSQL)."""
    statements = _POSTGRES_DDL if connection.dialect.name == "postgresql" else _SQLITE_DDL
    for statement in statements:
        connection.exec_driver_sql(statement)


def clear(session: Session) -> None:
    """Empty the index (the test suite calls this between tests)."""
    session.execute(text(f"DELETE FROM {TABLE}"))


def clean_text(value: str | None) -> str:
    """Text as stored: no control characters, no highlight sentinels."""
    return _UNSAFE_CHARS.sub(" ", value or "")


def search_terms(query: str | None) -> list[str]:
    """The plain words of a query, lower-cased, de-duplicated, at most MAX_TERMS of them."""
    if not query:
        return []
    words: list[str] = []
    for word in _TERM.findall(clean_text(query[:MAX_QUERY_CHARS]).lower()):
        if word not in words:
            words.append(word[:60])
        if len(words) == MAX_TERMS:
            break
    return words


def index_document(session: Session, kind: str, key: str, title: str, body: str, url: str) -> None:
    """Add a document, or replace the one with the same (kind, key)."""
    if not kind or len(kind) > KIND_MAX or not key or len(key) > KEY_MAX:
        raise ValueError(f"search document needs a kind (≤{KIND_MAX}) and key (≤{KEY_MAX}): {kind!r}, {key!r}")
    if len(url) > URL_MAX:
        raise ValueError(f"search document url longer than {URL_MAX} characters: {url[:80]!r}")
    session.execute(
        text(
            f"INSERT INTO {TABLE} (kind, doc_key, title, body, url) VALUES (:kind, :key, :title, :body, :url) "
            "ON CONFLICT (kind, doc_key) DO UPDATE SET title = excluded.title, body = excluded.body, url = excluded.url"
        ),
        {"kind": kind, "key": key, "title": clean_text(title), "body": clean_text(body), "url": url},
    )


def remove_document(session: Session, kind: str, key: str) -> None:
    session.execute(text(f"DELETE FROM {TABLE} WHERE kind = :kind AND doc_key = :key"), {"kind": kind, "key": key})


def remove_kind(session: Session, kind: str, keep: Iterable[str] = ()) -> int:
    """Remove every document of a kind except the keys in `keep`; returns how many went."""
    keep = set(keep)
    rows = session.execute(text(f"SELECT doc_key FROM {TABLE} WHERE kind = :kind"), {"kind": kind}).scalars()
    gone = [key for key in rows if key not in keep]
    for key in gone:
        remove_document(session, kind, key)
    return len(gone)


def indexed_kinds(session: Session) -> list[str]:
    """The kinds that have at least one document (for a "show only" filter)."""
    return list(session.execute(text(f"SELECT DISTINCT kind FROM {TABLE} ORDER BY kind")).scalars())


def indexed_keys(session: Session, kind: str) -> set[str]:
    return set(session.execute(text(f"SELECT doc_key FROM {TABLE} WHERE kind = :kind"), {"kind": kind}).scalars())


def search(session: Session, query: str | None, kinds: Sequence[str] | None = None, page: int = 1, per_page: int = 20) -> SearchResults:
    """Ranked matches for the words of `query`, optionally limited to some kinds."""
    terms = search_terms(query)
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    page = min(max(int(page), 1), MAX_PAGE)
    cleaned = " ".join(terms)
    if not terms:
        return SearchResults(query=cleaned, items=[], total=0, page=page, per_page=per_page)
    kinds = [k for k in (kinds or []) if k]
    run = _search_postgres if session.get_bind().dialect.name == "postgresql" else _search_sqlite
    total, rows = run(session, terms, "all", kinds, page, per_page)
    if total == 0 and len(terms) > 1:
        total, rows = run(session, terms, "any", kinds, page, per_page)
    hits = [
        SearchHit(kind=kind, key=key, title=title, url=url, snippet=highlight(snippet or ""), rank=float(rank or 0.0))
        for kind, key, title, url, snippet, rank in rows
    ]
    return SearchResults(query=cleaned, items=hits, total=total, page=page, per_page=per_page)


def highlight(marked: str) -> Markup:
    """Escape text whose highlights are wrapped in sentinels, then turn the sentinels into <mark>."""
    html = str(escape(marked))
    opened = False
    out: list[str] = []
    for char in html:
        if char == _START and not opened:
            out.append("<mark>")
            opened = True
        elif char == _END and opened:
            out.append("</mark>")
            opened = False
        elif char not in (_START, _END):
            out.append(char)
    if opened:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every character outside <mark> was escaped above


def _kind_filter(kinds: list[str]) -> tuple[str, dict]:
    if not kinds:
        return "", {}
    return " AND d.kind IN :kinds", {"kinds": kinds}


def _bind_kinds(statement, kinds: list[str]):
    return statement.bindparams(bindparam("kinds", expanding=True)) if kinds else statement


def _search_sqlite(session: Session, terms: list[str], mode: str, kinds: list[str], page: int, per_page: int):
    # Every term is quoted, so FTS5 sees plain strings, never operators.
    match = (" " if mode == "all" else " OR ").join(f'"{term}"' for term in terms)
    where, params = _kind_filter(kinds)
    params |= {"match": match}
    base = f"FROM {FTS_TABLE} JOIN {TABLE} d ON d.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH :match{where}"
    total = session.execute(_bind_kinds(text(f"SELECT count(*) {base}"), kinds), params).scalar_one()
    if not total:
        return 0, []
    rows = session.execute(
        _bind_kinds(
            text(
                f"SELECT d.kind, d.doc_key, d.title, d.url, "
                f"snippet({FTS_TABLE}, 1, :start, :end, '…', 28) AS snippet, bm25({FTS_TABLE}, 8.0, 1.0) AS rank "
                f"{base} ORDER BY rank, d.id LIMIT :limit OFFSET :offset"
            ),
            kinds,
        ),
        params | {"start": _START, "end": _END, "limit": per_page, "offset": (page - 1) * per_page},
    ).all()
    return total, [(k, key, t, u, s, -float(r)) for k, key, t, u, s, r in rows]


_HEADLINE_OPTIONS = f"StartSel={_START}, StopSel={_END}, MaxWords=40, MinWords=18, MaxFragments=2, FragmentDelimiter=\" … \""


def _search_postgres(session: Session, terms: list[str], mode: str, kinds: list[str], page: int, per_page: int):
    # Terms are bare words; websearch_to_tsquery never raises on its input anyway.
    words = (" " if mode == "all" else " or ").join(terms)
    where, params = _kind_filter(kinds)
    params |= {"words": words}
    base = f"FROM {TABLE} d WHERE d.search_vector @@ websearch_to_tsquery('english', :words){where}"
    total = session.execute(_bind_kinds(text(f"SELECT count(*) {base}"), kinds), params).scalar_one()
    if not total:
        return 0, []
    rows = session.execute(
        _bind_kinds(
            text(
                "SELECT p.kind, p.doc_key, p.title, p.url, "
                "ts_headline('english', p.body, websearch_to_tsquery('english', :words), :options) AS snippet, p.rank "
                f"FROM (SELECT d.id, d.kind, d.doc_key, d.title, d.url, d.body, "
                f"ts_rank(d.search_vector, websearch_to_tsquery('english', :words)) AS rank {base} "
                "ORDER BY rank DESC, d.id LIMIT :limit OFFSET :offset) AS p ORDER BY p.rank DESC, p.id"
            ),
            kinds,
        ),
        params | {"options": _HEADLINE_OPTIONS, "limit": per_page, "offset": (page - 1) * per_page},
    ).all()
    return total, [tuple(row) for row in rows]
