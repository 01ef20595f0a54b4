"""What a site-wide search query is and how its result sections are ordered: pure functions.

`read_query` turns what a person typed into a `Query`: the text to search, or a message
saying why it cannot be searched (empty, too long, no letters or digits), and whether it
looks like a pill imprint. `section_score` and `order_sections` put the section holding the
best match first; `exact_drug` picks the one drug a query names exactly (the results page
then sends the reader straight to it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.pills import imprint as imp
from webapp.blueprints.pills import match as pill_match

MAX_QUERY_CHARS = 200  # longer than any drug, condition or title a person would type
KEPT_CHARS = 2000  # what we put back in the search box: enough to edit, never a 10 kB page
MAX_IMPRINT_PARTS = 4
MAX_IMPRINT_LETTER_RUN = 5  # "ADVIL", "MYLAN"; a longer word is a name ("metformin 500")
MAX_IMPRINT_KEY = 16

# The sections of the results page; ties in score keep this order.
KINDS = ("drugs", "conditions", "pills", "articles", "community")

# How strong a section's best match is, on the drug search's 0-100 scale (EXACT_NAME = 100).
PILL_SCORES = {  # imprint points (pills.match) -> section score
    pill_match.IMPRINT_EXACT: 95,  # below an exact drug name: "B12" the vitamin beats a pill "B12"
    pill_match.IMPRINT_MISREAD: 75,
    pill_match.IMPRINT_PREFIX: 62,
    pill_match.IMPRINT_TOKEN: 55,
}
PILL_WEAK_SCORE = 45
TITLE_MATCH_SCORES = {"articles": 58, "community": 52}  # every word in the title
TEXT_MATCH_SCORES = {"articles": 40, "community": 30}  # words in the text only

# Control characters (NUL included), and format characters such as right-to-left overrides.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z!/][^<>]*>")
_LETTER_RUN = re.compile(r"[A-Z]+")


@dataclass(frozen=True)
class Query:
    typed: str  # what to show back in the search box
    text: str  # what is searched ("" when nothing can be)
    problem: str | None = None  # why nothing is searched, written for the reader
    imprint_like: bool = False
    notice: str | None = None  # how what was typed was changed before searching

    @property
    def searchable(self) -> bool:
        return bool(self.text) and self.problem is None


def read_query(raw: str | None) -> Query:
    """The query as typed, checked: never raises, whatever the input."""
    typed = _INVISIBLE.sub("", (raw or "")[:KEPT_CHARS])
    text = _SPACES.sub(" ", typed).strip()
    if not text:
        return Query(typed="", text="", problem=None)
    if len(text) > MAX_QUERY_CHARS:
        length = max(len(text), len((raw or "").strip()))  # what was typed, not the part kept
        return Query(typed, "", f"That search is {length:,} characters long. Search with at most "
                                f"{MAX_QUERY_CHARS} characters: a drug, a condition, a pill imprint or a few words.")
    notice = None
    if _TAG.search(text):
        # Pasted markup: search the words, not the tags, and say so.
        text = _SPACES.sub(" ", _TAG.sub(" ", text)).strip()
        notice = f"Searches ignore HTML tags, so we searched for “{text}”." if text else None
    if not any(ch.isalnum() for ch in text):
        return Query(typed, "", "Search with letters or numbers: a drug, a condition, a pill imprint or a few "
                                "words. Symbols, emoji and HTML tags on their own can't be searched.")
    return Query(typed, text, None, looks_like_imprint(text), notice)


def looks_like_imprint(text: str) -> bool:
    """Could this be what is printed on a pill? "M 367", "PD 155 10", "L227", "44-175" yes;
    "metformin 500", "high blood pressure", "aspirin" no. A pill identifier result is
    offered for these (it is shown only when pills match)."""
    if not any(ch.isdigit() for ch in text):
        return False
    for ch in text:
        if not (ch.isascii() and (ch.isalnum() or ch in pill_match.ALLOWED_PUNCTUATION)):
            return False
    parts = imp.query_parts(text)
    key = imp.compact(text)
    if not parts or len(parts) > MAX_IMPRINT_PARTS or len(key) > MAX_IMPRINT_KEY:
        return False
    return all(len(run) <= MAX_IMPRINT_LETTER_RUN for run in _LETTER_RUN.findall(key))


def unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --- ordering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    kind: str
    count: int
    score: int


def drug_hit_score(quality: int) -> int:
    """The drug search's own quality (exact name 100, prefix 70, word 50-60, typo -40)."""
    return max(0, min(100, int(quality)))


def pill_score(best_points: int | None) -> int:
    """Score of the pills section from the imprint points of its best pill."""
    if best_points is None:
        return 0
    for points, score in sorted(PILL_SCORES.items(), reverse=True):
        if best_points >= points:
            return score
    return PILL_WEAK_SCORE


def text_score(kind: str, terms: Sequence[str], best_title: str | None) -> int:
    """Full-text sections: a best hit whose title holds every searched word ranks higher."""
    if best_title is None:
        return 0
    title_words = set(re.findall(r"[^\W_]+", unaccented(best_title).lower()))
    if terms and all(any(word.startswith(term) for word in title_words) for term in terms):
        return TITLE_MATCH_SCORES[kind]
    return TEXT_MATCH_SCORES[kind]


def order_sections(sections: Iterable[Ranked]) -> list[Ranked]:
    """Sections with results, the one with the best match first (ties: the KINDS order)."""
    found = [s for s in sections if s.count > 0]
    return sorted(found, key=lambda s: (-s.score, KINDS.index(s.kind)))


def exact_drug(hits: Iterable[drug_search.Hit]) -> str | None:
    """The slug of the one curated drug the query names exactly (its name, a brand, the
    generic or a synonym, spelled as typed), or None when it names none, several, or also
    names a condition exactly."""
    drugs, condition_named = set(), False
    for hit in hits:
        exact = hit.quality >= drug_search.EXACT_NAME and not hit.typo and hit.match_kind != "word"
        if not exact:
            continue
        if hit.target_type == "drug" and hit.match_kind in ("name", "brand", "generic", "synonym"):
            drugs.add(hit.target_key)
        elif hit.target_type == "condition":
            condition_named = True
    return next(iter(drugs)) if len(drugs) == 1 and not condition_named else None
