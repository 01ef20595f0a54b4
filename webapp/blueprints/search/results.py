"""The site-wide search: one query against every area's own search, as sections.

Nothing here has an index of its own. Drugs, catalogue products and conditions come from
the drug search's name keys (prefix seeks, typo correction); pills from the pill
identifier's imprint keys (only for a query that looks like an imprint); articles, health
centers and public community threads from the shared full-text index. The results are
the same for every reader (the index holds public threads only), so the page can be
shared by the HTTP cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from webapp.blueprints.drugs import catalog as drug_catalog
from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.pills import match as pill_match
from webapp.blueprints.pills import search as pill_search
from webapp.blueprints.search.query import (
    Query,
    Ranked,
    drug_hit_score,
    exact_drug,
    order_sections,
    pill_score,
    text_score,
)
from webapp.core.search import index as site_search

SHOWN = 5  # per section; each section links to its area's full list
ARTICLE_KINDS = ("article", "center", "page")
THREAD_KINDS = ("thread",)
SUGGESTIONS = 6


@dataclass
class Section:
    kind: str  # one of query.KINDS
    count: int
    items: list
    score: int = 0


@dataclass
class SiteResults:
    query: Query
    sections: list[Section] = field(default_factory=list)  # best first, only those with results
    corrected: str | None = None  # the spelling the drug search used instead
    redirect_drug: str | None = None  # the slug of the drug the query names exactly

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)


def search_site(session: Session, query: Query) -> SiteResults:
    results = SiteResults(query)
    if not query.searchable:
        return results
    outcome = drug_search.search(session, query.text, want=SHOWN)
    # Only a name spelled as typed: "atorvastatn" or "metformin 500" show what we understood.
    results.redirect_drug = exact_drug(outcome.hits) if outcome.corrected is None else None
    if results.redirect_drug:
        return results
    results.corrected = outcome.corrected
    sections = [*_drug_sections(session, outcome), _pill_section(session, query),
                _text_section(session, "articles", ARTICLE_KINDS, query.text),
                _text_section(session, "community", THREAD_KINDS, query.text)]
    by_kind = {s.kind: s for s in sections if s is not None}
    order = order_sections(Ranked(s.kind, s.count, s.score) for s in by_kind.values())
    results.sections = [by_kind[r.kind] for r in order]
    return results


def _drug_sections(session: Session, outcome: drug_search.SearchOutcome) -> list[Section]:
    conditions = [h for h in outcome.hits if h.target_type == "condition"]
    drugs = [h for h in outcome.hits if h.target_type != "condition"]
    shown = drug_catalog.describe(session, drugs[:SHOWN] + conditions[:SHOWN])
    return [
        Section("drugs", len(drugs), [r for r in shown if r.type != "condition"],
                drug_hit_score(drugs[0].quality) if drugs else 0),
        Section("conditions", len(conditions), [r for r in shown if r.type == "condition"],
                drug_hit_score(conditions[0].quality) if conditions else 0),
    ]


def pill_query(query: Query) -> pill_match.PillQuery | None:
    if not query.imprint_like:
        return None
    try:
        return pill_match.parse_query(imprint=query.text)
    except pill_match.QueryError:
        return None


def _pill_section(session: Session, query: Query) -> Section | None:
    wanted = pill_query(query)
    if wanted is None:
        return None
    page = pill_search.search(session, wanted, 1, per_page=SHOWN)
    best = page.items[0].match.points if page.items else None
    return Section("pills", page.total, list(page.items), pill_score(best))


def _text_section(session: Session, kind: str, kinds: tuple[str, ...], text: str) -> Section:
    found = site_search.search(session, text, kinds=list(kinds), per_page=SHOWN)
    terms = site_search.search_terms(text)
    best_title = found.hits[0].title if found.hits else None
    return Section(kind, found.total, list(found.hits), text_score(kind, terms, best_title))


# --- suggestions while typing ------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    label: str
    kind: str  # what it is, said after the label ("Drug", "Condition", "Pill identifier")
    target: tuple[str, dict]  # (endpoint, values) for url_for


def suggest(session: Session, query: Query) -> list[Suggestion]:
    """A few names that start with what was typed (drugs, products, conditions), and the
    pill identifier when the text looks like an imprint that some pill carries."""
    if not query.searchable:
        return []
    found: list[Suggestion] = []
    wanted = pill_query(query)
    if wanted is not None:
        pills = pill_search.search(session, wanted, 1, per_page=1)
        if pills.total:
            noun = "pill" if pills.total == 1 else "pills"
            found.append(Suggestion(f"{query.text}: {pills.total} {noun} with this imprint", "Pill identifier",
                                    ("pills.index", {"imprint": query.text})))
    for result in drug_catalog.suggestions(session, query.text, limit=SUGGESTIONS):
        endpoint = {"drug": "drugs.detail", "product": "drugs.product"}.get(result.type, "drugs.condition")
        values = {"key": result.slug} if result.type == "product" else {"slug": result.slug}
        kind = "Condition" if result.type == "condition" else result.kind_label
        if result.matched:
            kind = f"{kind}, matched {result.matched}"
        found.append(Suggestion(result.name, kind, (endpoint, values)))
    return found
