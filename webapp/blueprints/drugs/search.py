"""Drug name search: normalisation, the precomputed search keys, and ranked lookup.

Every name a drug, a catalogue product or a condition is known by is stored
normalised in `drug_search_terms` (the whole name and each word-suffix of it, so
"extra strength" finds "Tylenol Extra Strength"). A query is answered by two index
range scans (`key >= q AND key < q'`), never a table scan. Typos are handled by a
"symmetric delete" table: each known word, in a sound-alike spelling (ph=f, c=k/s,
double letters single ...), is stored under itself and every one-letter deletion of
it; a misspelt query word reaches its neighbours by looking up the same variants of
itself (an `IN` on an indexed column), then the best correction is searched again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from webapp.blueprints.drugs.models import DrugSearchTerm, DrugSearchTypoKey
from webapp.blueprints.drugs.moieties import moieties_of

MAX_QUERY_CHARS = 100  # longer input is cut: no drug name is that long
MIN_TYPO_WORD = 4  # shorter words are too ambiguous to correct
MAX_CORRECTED_WORDS = 4
PRODUCT_FETCH_LIMIT = 100
SHORT_PRODUCT_FETCH_LIMIT = 60

# Ranking tiers: how well the query matches a name, before popularity.
EXACT_NAME = 100
EXACT_SYNONYM = 100  # "paracetamol" is as exact as "acetaminophen"; popularity decides
PREFIX_NAME = 70
PREFIX_OTHER = 65
EXACT_WORD = 60
PREFIX_WORD = 50
TYPO_PENALTY = 40

NAME_KINDS = frozenset({"name", "generic", "brand", "condition"})

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str | None) -> str:
    """Lowercase ASCII words separated by single spaces: "St. John's Wort®" -> "st johns wort"."""
    if not text:
        return ""
    text = text[: MAX_QUERY_CHARS * 4]
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()[:MAX_QUERY_CHARS].strip()


def normalize_query(text: str | None) -> str:
    return normalize(text)


_SOUND_RULES = [
    ("ph", "f"),
    ("ck", "k"),
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "si"),
    ("c", "k"),
    ("qu", "kw"),
    ("y", "i"),
    ("z", "s"),
    ("th", "t"),
]


def skeleton(word: str) -> str:
    """A sound-alike spelling, so common misspellings meet: "acetaminofen" and
    "acetaminophen" both become "asetaminofen", "amoxicilin" equals "amoxicillin"."""
    for old, new in _SOUND_RULES:
        word = word.replace(old, new)
    out = []
    for ch in word:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def deletes(word: str) -> set[str]:
    """The word and every one-letter deletion of it."""
    variants = {word}
    for i in range(len(word)):
        variants.add(word[:i] + word[i + 1:])
    return variants


def typo_variants(word: str) -> set[str]:
    return deletes(skeleton(word))


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance with adjacent transpositions, stopping early past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def max_typos(word: str) -> int:
    return 1 if len(word) < 7 else 2


def word_suffixes(key: str) -> list[str]:
    """Each tail of a multi-word key starting at a word: "a b c" -> ["b c", "c"]."""
    words = key.split(" ")
    return [" ".join(words[i:]) for i in range(1, len(words))]


def prefix_upper_bound(key: str) -> str:
    """The smallest string greater than every string starting with `key` (keys are ASCII)."""
    return key[:-1] + chr(ord(key[-1]) + 1)


# --- building the keys -----------------------------------------------------------------

def bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows fast: COPY on PostgreSQL (executemany there costs a round trip
    per row), executemany elsewhere. Every row must have the same keys."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    column_list = ", ".join(f'"{c}"' for c in columns)
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


@dataclass(frozen=True)
class TermRow:
    key: str
    target_type: str
    target_key: str
    label: str
    matched: str
    match_kind: str
    weight: int

    def as_tuple(self) -> tuple:
        return (self.key, self.target_type, self.target_key, self.label, self.matched, self.match_kind, self.weight)


def terms_for(target_type: str, target_key: str, label: str, weight: int,
              names: Iterable[tuple[str, str]], skip_words: frozenset[str] = frozenset()) -> list[TermRow]:
    """Search rows for one target from its (match_kind, name) pairs: each whole name,
    plus each word-suffix of it as a weaker "word" match (except suffixes starting with
    one of `skip_words`, e.g. "hydrochloride"). Duplicates keep the best kind."""
    order = ["name", "brand", "generic", "condition", "synonym", "ingredient", "word"]
    best: dict[str, tuple[str, str]] = {}

    def offer(key: str, kind: str, matched: str) -> None:
        if not key:
            return
        current = best.get(key)
        if current is None or (order.index(kind), matched) < (order.index(current[0]), current[1]):
            best[key] = (kind, matched)

    for kind, name in names:
        key = normalize(name)
        offer(key, kind, name)
        for suffix in word_suffixes(key):
            if len(suffix) >= 2 and suffix.split(" ", 1)[0] not in skip_words:
                offer(suffix, "word", name)
    return [TermRow(k, target_type, target_key, label[:300], matched[:300], kind, weight)
            for k, (kind, matched) in best.items()]


def sync_terms(session: Session, target_types: Iterable[str], rows: Iterable[TermRow]) -> tuple[int, int]:
    """Make the stored terms of these target types exactly `rows`; returns (added, removed).
    Unchanged rows are left alone, so a second run writes nothing."""
    target_types = list(target_types)
    wanted = {row.as_tuple() for row in rows}
    columns = (DrugSearchTerm.key, DrugSearchTerm.target_type, DrugSearchTerm.target_key, DrugSearchTerm.label,
               DrugSearchTerm.matched, DrugSearchTerm.match_kind, DrugSearchTerm.weight)
    existing: dict[tuple, list[int]] = {}
    for row in session.execute(select(DrugSearchTerm.id, *columns).where(DrugSearchTerm.target_type.in_(target_types))):
        existing.setdefault(tuple(row[1:]), []).append(row[0])
    stale_ids = [i for values, ids in existing.items() if values not in wanted for i in ids]
    stale_ids += [i for ids in existing.values() for i in ids[1:]]  # duplicates
    for start in range(0, len(stale_ids), 500):
        session.execute(delete(DrugSearchTerm).where(DrugSearchTerm.id.in_(stale_ids[start:start + 500])))
    new = [dict(zip(("key", "target_type", "target_key", "label", "matched", "match_kind", "weight"), values, strict=True))
           for values in wanted if values not in existing]
    bulk_insert(session, DrugSearchTerm.__table__, new)
    return len(new), len(stale_ids)


def sync_typo_keys(session: Session) -> tuple[int, int]:
    """Rebuild the typo table from the words of every stored search key (diffed)."""
    word_weight: dict[str, int] = {}
    for key, weight in session.execute(select(DrugSearchTerm.key, DrugSearchTerm.weight)):
        for word in key.split(" "):
            if len(word) >= MIN_TYPO_WORD and not word.isdigit() and weight > word_weight.get(word, -1):
                word_weight[word] = weight
    wanted: dict[tuple[str, str], int] = {}
    for word, weight in word_weight.items():
        for variant in typo_variants(word):
            if len(variant) >= MIN_TYPO_WORD - 1:
                wanted[(variant, word)] = weight
    existing = {(v, w): (i, weight) for i, v, w, weight in session.execute(
        select(DrugSearchTypoKey.id, DrugSearchTypoKey.variant, DrugSearchTypoKey.word, DrugSearchTypoKey.weight))}
    stale = [i for pair, (i, weight) in existing.items() if wanted.get(pair) != weight]
    for start in range(0, len(stale), 500):
        session.execute(delete(DrugSearchTypoKey).where(DrugSearchTypoKey.id.in_(stale[start:start + 500])))
    new = [{"variant": v, "word": w, "weight": weight} for (v, w), weight in wanted.items()
           if (v, w) not in existing or existing[(v, w)][1] != weight]
    bulk_insert(session, DrugSearchTypoKey.__table__, new)
    return len(new), len(stale)


# --- searching -------------------------------------------------------------------------


@dataclass
class Hit:
    target_type: str  # drug | product | condition
    target_key: str  # slug
    label: str
    matched: str  # the name that matched (a brand, a synonym ...)
    match_kind: str
    quality: int
    weight: int
    typo: bool = False

    @property
    def rank(self) -> tuple:
        return (-self.quality, -self.weight, len(self.label), self.label)


@dataclass
class SearchOutcome:
    query: str  # normalised
    hits: list[Hit] = field(default_factory=list)
    corrected: str | None = None  # the spelling we searched instead, when we corrected a typo

    @property
    def total(self) -> int:
        return len(self.hits)


def _quality(key: str, query: str, match_kind: str) -> int:
    exact = key == query
    if match_kind == "word":
        return EXACT_WORD if exact else PREFIX_WORD
    if exact:
        return EXACT_NAME if match_kind in NAME_KINDS else EXACT_SYNONYM
    return PREFIX_NAME if match_kind in NAME_KINDS else PREFIX_OTHER


_terms = DrugSearchTerm.__table__
_typo = DrugSearchTypoKey.__table__
_TERM_COLUMNS = (_terms.c.key, _terms.c.target_type, _terms.c.target_key, _terms.c.label, _terms.c.matched,
                 _terms.c.match_kind, _terms.c.weight)
_IN_RANGE = (_terms.c.key >= bindparam("low")) & (_terms.c.key < bindparam("high"))
# Built once: Core statements with bound parameters skip the ORM's per-query work.
_CURATED_PREFIX = select(*_TERM_COLUMNS).where(_terms.c.target_type.in_(("drug", "condition")), _IN_RANGE)
_CURATED_SHORT_PREFIX = _CURATED_PREFIX.where(_terms.c.match_kind != "word")
_CURATED_DRUG_PREFIX = select(*_TERM_COLUMNS).where(_terms.c.target_type == "drug", _IN_RANGE)
_CURATED_CONDITION_PREFIX = select(*_TERM_COLUMNS).where(_terms.c.target_type == "condition", _IN_RANGE)
_PRODUCT_EXACT = select(*_TERM_COLUMNS).where(_terms.c.target_type == "product", _terms.c.key == bindparam("low"))
# The best-weighted ids come from the covering index alone; only those rows are read.
_PRODUCT_PREFIX_IDS = (select(_terms.c.id).where(_terms.c.target_type == "product", _IN_RANGE)
                       .order_by(_terms.c.weight.desc()).limit(PRODUCT_FETCH_LIMIT).scalar_subquery())
_PRODUCT_PREFIX = select(*_TERM_COLUMNS).where(_terms.c.id.in_(_PRODUCT_PREFIX_IDS))
# Very short prefixes match thousands of catalogue names: take them in index order (no
# sort) and leave out mid-name word matches.
_PRODUCT_SHORT_PREFIX = (select(*_TERM_COLUMNS).where(_terms.c.target_type == "product", _IN_RANGE,
                                                       _terms.c.match_kind != "word")
                         .order_by(_terms.c.key).limit(SHORT_PRODUCT_FETCH_LIMIT))
_TYPO_LOOKUP = select(_typo.c.word, _typo.c.weight).where(_typo.c.variant.in_(bindparam("variants", expanding=True)))
_KNOWN_WORD = select(_typo.c.id).where(_typo.c.variant == bindparam("variant"), _typo.c.word == bindparam("word")).limit(1)


def _prefix_hits(session: Session, query: str, target_types: set[str], typo: bool) -> list[Hit]:
    connection = session.connection()
    params = {"low": query, "high": prefix_upper_bound(query)}
    rows = []
    if {"drug", "condition"} <= target_types:
        rows += connection.execute(_CURATED_SHORT_PREFIX if len(query) < 2 else _CURATED_PREFIX, params).all()
    elif "drug" in target_types:
        rows += connection.execute(_CURATED_DRUG_PREFIX, params).all()
    elif "condition" in target_types:
        rows += connection.execute(_CURATED_CONDITION_PREFIX, params).all()
    if "product" in target_types:
        rows += connection.execute(_PRODUCT_EXACT, params).all()
        rows += connection.execute(_PRODUCT_SHORT_PREFIX if len(query) < 3 else _PRODUCT_PREFIX, params).all()
    penalty = TYPO_PENALTY if typo else 0
    return [Hit(target_type, target_key, label, matched, match_kind, _quality(key, query, match_kind) - penalty,
                weight, typo)
            for key, target_type, target_key, label, matched, match_kind, weight in rows]


def _best_per_target(hits: Iterable[Hit]) -> list[Hit]:
    best: dict[tuple[str, str], Hit] = {}
    for hit in hits:
        ident = (hit.target_type, hit.target_key)
        if ident not in best or hit.rank < best[ident].rank:
            best[ident] = hit
    return sorted(best.values(), key=lambda h: h.rank)


def corrections(session: Session, word: str, limit: int = 3) -> list[str]:
    """Known words within a small edit distance of `word`, closest and most important first."""
    if len(word) < MIN_TYPO_WORD or word.isdigit():
        return []
    target = skeleton(word)
    variants = sorted(typo_variants(word))
    rows = session.connection().execute(_TYPO_LOOKUP, {"variants": variants}).all()
    scored = {}
    allowed = max_typos(word)
    for candidate, weight in rows:
        if candidate in scored:
            continue
        distance = edit_distance(target, skeleton(candidate), allowed)
        if distance <= allowed:
            # The literal spelling breaks ties between sound-alikes.
            scored[candidate] = (distance, edit_distance(word, candidate, 4), -weight, candidate)
    return [w for w, _ in sorted(scored.items(), key=lambda item: item[1])[:limit]]


def _is_known_word(session: Session, word: str) -> bool:
    return session.connection().execute(_KNOWN_WORD, {"variant": skeleton(word), "word": word}).first() is not None


def search(session: Session, text: str | None, *, target_types: Iterable[str] = ("drug", "product", "condition"),
           want: int = 10) -> SearchOutcome:
    """Ranked matches for what a person typed. Exact and prefix matches on names come
    first, ordered by how common the drug is; typo corrections are tried when the
    spelling as typed finds fewer than `want` results."""
    query = normalize_query(text)
    outcome = SearchOutcome(query=query)
    if not query:
        return outcome
    types = set(target_types)
    hits = _prefix_hits(session, query, types, typo=False)
    if not any(h.match_kind != "word" for h in hits):
        # Another name or spelling of a moiety, or a name with form and strength words
        # ("ciclosporin", "HCTZ", "metformin ER 500 mg"): search for what the resolver reads.
        resolved = normalize(" ".join(moieties_of(text)))
        if resolved and resolved != query:
            extra = _prefix_hits(session, resolved, types, typo=False)
            if extra:
                outcome.corrected = resolved
                hits += extra
    if not any(h.match_kind != "word" for h in hits):
        # Nothing starts with what was typed: try the nearest spellings.
        words = query.split(" ")[:MAX_CORRECTED_WORDS]
        fixed_words = []
        changed = False
        for index, word in enumerate(words):
            last = index == len(words) - 1
            if len(word) < MIN_TYPO_WORD or _is_known_word(session, word):
                fixed_words.append([word])
                continue
            options = corrections(session, word)
            if not options:
                fixed_words.append([word])
                continue
            changed = True
            fixed_words.append(options if last else options[:1])
        if changed:
            candidates = [" ".join(w[0] for w in fixed_words[:-1]) + (" " if len(fixed_words) > 1 else "") + option
                          for option in fixed_words[-1]]
            for candidate in candidates:
                extra = _prefix_hits(session, candidate, types, typo=True)
                if extra and outcome.corrected is None:
                    outcome.corrected = candidate
                hits += extra
    if not hits and " " in query:
        hits += _all_words_hits(session, query, types)
    outcome.hits = _best_per_target(hits)
    return outcome


def _all_words_hits(session: Session, query: str, types: set[str]) -> list[Hit]:
    """Names containing every word of a multi-word query in any order ("hydrocodone
    acetaminophen"): look up the longest word, keep names having all the others."""
    words = [w for w in query.split(" ") if w not in {"and", "with", "or", "of"}][:MAX_CORRECTED_WORDS]
    if not words:
        return []
    longest = max(words, key=len)
    found = []
    for hit in _prefix_hits(session, longest, types, typo=False):
        name_words = set(normalize(hit.label).split()) | set(normalize(hit.matched).split())
        if all(any(n.startswith(w) for n in name_words) for w in words):
            hit.quality = PREFIX_WORD - 5
            found.append(hit)
    return found


# --- key rows for the curated reference --------------------------------------------------


def drug_weight(popularity: int) -> int:
    return 1000 + 100 * int(popularity or 0)


CONDITION_WEIGHT = 1050


def product_weight(rows: int, marketed: bool) -> int:
    return min(rows, 50) + (100 if marketed else 0)
