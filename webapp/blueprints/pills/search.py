# ruff: noqa: S608  (the f-strings join our own SQL fragments; every value is a bound parameter)
"""Pill search in the database: the rules of pill_match as indexed SQL.

Two plans, both free of full scans:

- with an imprint: seeks (equality or prefix range) on pill_imprint_keys find the few
  candidate pills; the database filters them by colour, shape, size and score, orders
  them by the same points pill_match gives (then by id, i.e. import order) and counts them;
- without an imprint (colour, shape, size, score only), thousands of pills can match, so
  we rank the combinations of characteristics in pill_facet_counts (a few thousand rows)
  with pill_match, and read just the page's pills, one combination at a time, by an index
  seek in id order. Order: points, then closeness of size, then the combination, then id.

match_pill then explains each result shown. The SQL is written out (not built with the
expression language) because this is the hot path: building the statement cost more than
running it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from webapp.blueprints.pills import imprint as imp
from webapp.blueprints.pills import match as pm
from webapp.blueprints.pills.models import Pill, PillImprintKey
from webapp.core.paging import Page

PER_PAGE = 20
MAX_PAGE = 500

_PILL_COLUMNS = (
    "p.id, p.name, p.strength, p.imprint, p.color1, p.color2, p.shape, p.size_mm, p.score, p.product_ndc, "
    "p.labeler, p.dosage_form, p.photo_path, p.active_ingredients, d.slug AS drug_slug, d.name AS drug_name"
)


@dataclass(frozen=True)
class DrugLink:
    slug: str
    name: str


@dataclass(frozen=True)
class PillSummary:
    """What a result list shows about a pill (read without the ORM: it is the hot path)."""

    id: int
    name: str
    strength: str
    imprint: str | None
    color1: str | None
    color2: str | None
    shape: str | None
    size_mm: float | None
    score: int | None
    product_ndc: str
    labeler: str
    dosage_form: str
    photo_path: str | None
    active_ingredients: str
    drug: DrugLink | None

    @property
    def colours(self) -> tuple[str, ...]:
        return tuple(c for c in (self.color1, self.color2) if c)


@dataclass
class PillResult:
    pill: PillSummary
    match: pm.Match


def facts(pill) -> pm.PillFacts:
    return pm.PillFacts(pill.imprint, pill.colours, pill.shape, pill.size_mm, pill.score)


# --- keeping the lookup tables right ----------------------------------------------------


def imprint_key_rows(imprint: str | None) -> list[tuple[str, str, str]]:
    """(kind, key_raw, key_fold) for every lookup key of an imprint."""
    rows = [("full", key, imp.fold(key)) for key in imp.full_keys(imprint)]
    rows += [("token", token, imp.fold(token)) for token in imp.tokens(imprint)]
    return rows


def set_imprint_keys(pill: Pill) -> None:
    """Replace a pill's lookup keys after its imprint was set or changed."""
    pill.imprint_keys = [PillImprintKey(kind=k, key_raw=raw, key_fold=folded)
                         for k, raw, folded in imprint_key_rows(pill.imprint)]


_COARSE_KEY = ("shape || '|' || COALESCE(color1, '') || '|' || COALESCE(color2, '') || '|' || "
               "COALESCE(CAST(score AS VARCHAR), '')")
_FACET_KEY = f"{_COARSE_KEY} || '|' || COALESCE(CAST(size_mm AS VARCHAR), '')"


def refresh_facet_counts(session: Session) -> int:
    """Bring pills.facet_key / coarse_key up to date and rebuild pill_facet_counts (after
    any import). Returns the number of fine combinations."""
    session.flush()
    session.execute(text(
        f"UPDATE pills SET facet_key = {_FACET_KEY}, coarse_key = {_COARSE_KEY} WHERE shape IS NOT NULL "
        f"AND (facet_key IS NULL OR coarse_key IS NULL OR facet_key <> {_FACET_KEY})"
    ))
    session.execute(text("UPDATE pills SET facet_key = NULL, coarse_key = NULL "
                         "WHERE shape IS NULL AND facet_key IS NOT NULL"))
    session.execute(text("DELETE FROM pill_facet_counts"))
    session.execute(text(
        "INSERT INTO pill_facet_counts (level, facet_key, shape, color1, color2, size_mm, score, pills) "
        "SELECT 'fine', facet_key, MIN(shape), MIN(color1), MIN(color2), MIN(size_mm), MIN(score), COUNT(*) "
        "FROM pills WHERE facet_key IS NOT NULL GROUP BY facet_key"
    ))
    session.execute(text(
        "INSERT INTO pill_facet_counts (level, facet_key, shape, color1, color2, size_mm, score, pills) "
        "SELECT 'coarse', coarse_key, MIN(shape), MIN(color1), MIN(color2), NULL, MIN(score), COUNT(*) "
        "FROM pills WHERE coarse_key IS NOT NULL GROUP BY coarse_key"
    ))
    _analyze(session)
    return session.execute(text("SELECT COUNT(*) FROM pill_facet_counts WHERE level = 'fine'")).scalar_one()


def _analyze(session: Session) -> None:
    # A bulk import changes the tables' sizes and value spread by orders of magnitude; fresh
    # planner statistics keep the searches on their index plans without waiting for autovacuum.
    for table in ("pills", "pill_imprint_keys", "pill_facet_counts"):
        session.execute(text(f"ANALYZE {table}"))


# --- SQL pieces shared by both plans -----------------------------------------------------


class _Sql:
    """Collects conditions, point terms and bound values for one query."""

    def __init__(self) -> None:
        self.params: dict = {}
        self.expanding: list[str] = []
        self.conditions: list[str] = []
        self.points: list[str] = []

    def bind(self, name: str, value, expanding: bool = False) -> str:
        self.params[name] = value
        if expanding:
            self.expanding.append(name)
        return f":{name}"

    def statement(self, sql: str):
        stmt = text(sql)
        used = [name for name in self.expanding if f":{name}" in sql]
        if used:
            stmt = stmt.bindparams(*(bindparam(name, expanding=True) for name in used))
        return stmt


def _add_characteristics(sql: _Sql, query: pm.PillQuery, alias: str) -> None:
    a = alias
    for n, choice in enumerate(query.colours):
        allowed = sql.bind(f"c{n}_all", sorted(choice.exact | choice.near), expanding=True)
        exact = sql.bind(f"c{n}_exact", sorted(choice.exact), expanding=True)
        sql.conditions.append(f"({a}.color1 IN {allowed} OR {a}.color2 IN {allowed})")
        sql.points.append(f"CASE WHEN {a}.color1 IN {exact} OR {a}.color2 IN {exact} "
                          f"THEN {pm.COLOUR_EXACT} ELSE {pm.COLOUR_NEAR} END")
    if query.shape:
        shape = sql.bind("shape", query.shape)
        near = sorted(pm.NEAR_SHAPES[query.shape])
        if near:
            shapes = sql.bind("shapes", [query.shape, *near], expanding=True)
            sql.conditions.append(f"{a}.shape IN {shapes}")
        else:
            sql.conditions.append(f"{a}.shape = {shape}")
        sql.points.append(f"CASE WHEN {a}.shape = {shape} THEN {pm.SHAPE_EXACT} ELSE {pm.SHAPE_NEAR} END")
    if query.size_mm is not None:
        low = sql.bind("size_low", query.size_mm - pm.SIZE_TOLERANCE_MM - 1e-9)
        high = sql.bind("size_high", query.size_mm + pm.SIZE_TOLERANCE_MM + 1e-9)
        exact_low = sql.bind("size_exact_low", query.size_mm - pm.SIZE_EXACT_MM)
        exact_high = sql.bind("size_exact_high", query.size_mm + pm.SIZE_EXACT_MM)
        sql.conditions.append(f"{a}.size_mm BETWEEN {low} AND {high}")
        sql.points.append(f"CASE WHEN {a}.size_mm > {exact_low} AND {a}.size_mm < {exact_high} "
                          f"THEN {pm.SIZE_EXACT} ELSE {pm.SIZE_NEAR} END")
    if query.score is not None:
        sql.conditions.append(f"{a}.score = {sql.bind('score', query.score)}")
        sql.points.append(str(pm.SCORE_EXACT))


# --- plan 1: with an imprint ----------------------------------------------------------------


def _imprint_statement(query: pm.PillQuery, limit: int, offset: int):
    sql = _Sql()
    typed = query.imprint_key
    folded = imp.fold(typed)
    sql.bind("typed", typed)
    sql.bind("folded", folded)
    if len(folded) >= pm.MIN_PREFIX_LENGTH:
        sql.bind("typed_hi", imp.prefix_upper_bound(typed))
        sql.bind("folded_hi", imp.prefix_upper_bound(folded))
        full_where = "kind = 'full' AND key_fold >= :folded AND key_fold < :folded_hi"
        raw_prefix = "key_raw >= :typed AND key_raw < :typed_hi"
    else:
        full_where = "kind = 'full' AND key_fold = :folded"
        raw_prefix = "1 = 0"
    parts = list(query.imprint_parts)
    folded_parts = sorted({imp.fold(p) for p in parts}, key=lambda p: (-len(p), p))
    # Whole-part matches: seek the longest part (the most selective), check the others per pill.
    sql.bind("driver", folded_parts[0])
    others = []
    for n, folded_part in enumerate(folded_parts[1:]):
        others.append("EXISTS (SELECT 1 FROM pill_imprint_keys o WHERE o.pill_id = t.pill_id AND o.kind = 'token'"
                      f" AND o.key_fold = {sql.bind(f'fpart{n}', folded_part)})")
    raw_checks = []
    for n, part in enumerate(parts):
        raw_checks.append("EXISTS (SELECT 1 FROM pill_imprint_keys r WHERE r.pill_id = t.pill_id AND r.kind = 'token'"
                          f" AND r.key_fold = {sql.bind(f'rfold{n}', imp.fold(part))}"
                          f" AND r.key_raw = {sql.bind(f'rpart{n}', part)})")
    token_where = " AND ".join(["t.kind = 'token'", "t.key_fold = :driver", *others])
    _add_characteristics(sql, query, "p")
    points = " + ".join(["hits.points", *sql.points])
    # Rank and count on the lookup table alone; join pills only when a characteristic filters.
    ranked_from = "hits"
    if sql.conditions:
        ranked_from += f" JOIN pills p ON p.id = hits.pill_id WHERE {' AND '.join(sql.conditions)}"
    sql.bind("limit", limit)
    sql.bind("offset", offset)
    return sql.statement(
        "WITH imprint_rows AS ("
        f" SELECT pill_id, CASE WHEN key_raw = :typed THEN {pm.IMPRINT_EXACT}"
        f" WHEN key_fold = :folded THEN {pm.IMPRINT_MISREAD}"
        f" WHEN {raw_prefix} THEN {pm.IMPRINT_PREFIX} ELSE {pm.IMPRINT_MISREAD_PREFIX} END AS points"
        f" FROM pill_imprint_keys WHERE {full_where}"
        " UNION ALL"
        f" SELECT t.pill_id, CASE WHEN {' AND '.join(raw_checks)}"
        f" THEN {pm.IMPRINT_TOKEN} ELSE {pm.IMPRINT_MISREAD_TOKEN} END AS points"
        f" FROM pill_imprint_keys t WHERE {token_where}"
        "), hits AS (SELECT pill_id, MAX(points) AS points FROM imprint_rows GROUP BY pill_id),"
        f" ranked AS (SELECT hits.pill_id, {points} AS rank_points, COUNT(*) OVER () AS total FROM {ranked_from}"
        " ORDER BY rank_points DESC, hits.pill_id LIMIT :limit OFFSET :offset)"
        f" SELECT {_PILL_COLUMNS}, ranked.rank_points, ranked.total"
        " FROM ranked JOIN pills p ON p.id = ranked.pill_id LEFT JOIN drugs d ON d.id = p.drug_id"
        " ORDER BY ranked.rank_points DESC, p.id"
    ), sql.params


def _imprint_page(session: Session, query: pm.PillQuery, page: int, per_page: int) -> tuple[list[PillSummary], int]:
    stmt, params = _imprint_statement(query, per_page, (page - 1) * per_page)
    rows = session.execute(stmt, params).all()
    if rows:
        return [_summary(row) for row in rows], rows[0].total
    if page == 1:
        return [], 0
    stmt, params = _imprint_statement(query, 1, 0)  # past the last page: still say how many there are
    first = session.execute(stmt, params).first()
    return [], first.total if first else 0


# --- plan 2: characteristics only ---------------------------------------------------------


def _combinations_statement(query: pm.PillQuery, start: int, end: int):
    """The combinations of characteristics that hold the pills ranked start..end-1, with
    how many pills come before each, and the total."""
    sql = _Sql()
    _add_characteristics(sql, query, "f")
    level = "fine" if query.size_mm is not None else "coarse"
    where = " AND ".join([f"f.level = '{level}'", *sql.conditions])
    points = " + ".join(sql.points) or "0"
    closeness = "ABS(f.size_mm - :size_mm)" if query.size_mm is not None else "0"
    sql.bind("size_mm", query.size_mm)
    sql.bind("start", start)
    sql.bind("end", end)
    return sql.statement(
        "WITH ranked AS ("
        f" SELECT f.facet_key, f.shape, f.color1, f.color2, f.size_mm, f.score, f.pills, {points} AS rank_points,"
        f" {closeness} AS closeness FROM pill_facet_counts f WHERE {where}"
        "), running AS ("
        " SELECT ranked.*, SUM(pills) OVER (ORDER BY rank_points DESC, closeness, shape, color1, color2, size_mm,"
        " score ROWS UNBOUNDED PRECEDING) AS upto, SUM(pills) OVER () AS total FROM ranked"
        ")"
        " SELECT facet_key, pills, upto, total FROM running"
        " WHERE (upto > :start AND upto - pills < :end) OR upto = total ORDER BY upto"
    ), sql.params


def _combination_pills(session: Session, level: str, facet_key: str, limit: int, offset: int) -> list[PillSummary]:
    column = "facet_key" if level == "fine" else "coarse_key"
    stmt = text(f"SELECT {_PILL_COLUMNS} FROM pills p LEFT JOIN drugs d ON d.id = p.drug_id "
                f"WHERE p.{column} = :key ORDER BY p.id LIMIT :limit OFFSET :offset")
    return [_summary(row) for row in session.execute(stmt, {"key": facet_key, "limit": limit, "offset": offset})]


def _characteristics_page(session: Session, query: pm.PillQuery, page: int,
                          per_page: int) -> tuple[list[PillSummary], int]:
    start, end = (page - 1) * per_page, page * per_page
    level = "fine" if query.size_mm is not None else "coarse"
    stmt, params = _combinations_statement(query, start, end)
    combos = session.execute(stmt, params).all()
    if not combos:
        return [], 0
    total = combos[0].total
    pills: list[PillSummary] = []
    for combo in combos:
        before = combo.upto - combo.pills
        if combo.upto <= start or before >= end:
            continue  # the last combination, read only for the total
        offset = max(0, start - before)
        pills += _combination_pills(session, level, combo.facet_key, min(combo.upto, end) - before - offset, offset)
    return pills, total


# --- the service ------------------------------------------------------------------------------


_SUMMARY_FIELDS = ("id", "name", "strength", "imprint", "color1", "color2", "shape", "size_mm", "score",
                   "product_ndc", "labeler", "dosage_form", "photo_path", "active_ingredients")


def _summary(row) -> PillSummary:
    values = {name: getattr(row, name) for name in _SUMMARY_FIELDS}
    return PillSummary(**values, drug=DrugLink(row.drug_slug, row.drug_name) if row.drug_slug else None)


def search(session: Session, query: pm.PillQuery, page: int = 1, per_page: int = PER_PAGE) -> Page[PillResult]:
    """One page of matching pills, best first, with the total count."""
    page = max(1, min(int(page), MAX_PAGE))
    if query.imprint_key:
        pills, total = _imprint_page(session, query, page, per_page)
    else:
        pills, total = _characteristics_page(session, query, page, per_page)
    results = []
    for pill in pills:
        match = pm.match_pill(query, facts(pill))
        if match is None:  # cannot happen while SQL and pill_match agree; never show an unexplained result
            continue
        results.append(PillResult(pill, match))
    return Page(items=results, total=total, page=page, per_page=per_page)


def explain_statements(query: pm.PillQuery) -> list[tuple[object, dict]]:
    """The statements a search runs (for bench/pill_search_bench.py --plans)."""
    if query.imprint_key:
        return [_imprint_statement(query, PER_PAGE, 0)]
    column = "facet_key" if query.size_mm is not None else "coarse_key"
    return [
        _combinations_statement(query, 0, PER_PAGE),
        (text(f"SELECT {_PILL_COLUMNS} FROM pills p LEFT JOIN drugs d ON d.id = p.drug_id "
              f"WHERE p.{column} = :key ORDER BY p.id LIMIT 20 OFFSET 0"),
         {"key": "C48348|C48325||1|10.0" if query.size_mm is not None else "C48348|C48325||1"}),
    ]


def get_pill(session: Session, pill_id: int) -> Pill | None:
    return session.get(Pill, pill_id)


def pills_for_drug(session: Session, drug_id: int) -> list[Pill]:
    """The pills (solid forms) linked to a drug, for the drug page: by name, then size, then strength."""
    from sqlalchemy import select

    return list(session.execute(
        select(Pill).where(Pill.drug_id == drug_id, Pill.shape.is_not(None))
        .order_by(Pill.name, Pill.size_mm, Pill.strength, Pill.id)
    ).scalars())
