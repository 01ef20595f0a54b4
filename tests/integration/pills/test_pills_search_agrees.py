"""The indexed SQL search and the pure matching rules agree: same pills, same points, same order.

Also checks on SQLite that every search seeks indexes. Uses a small SYNTHETIC pill table (bench/pill_synthetic.py; made-up pills, not medicines)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import bindparam, insert, select, text

from bench.pill_synthetic import synthetic_rows
from webapp.blueprints.pills import imprint as imp
from webapp.blueprints.pills import match as pm
from webapp.blueprints.pills import search as pill_search
from webapp.blueprints.pills.models import Pill, PillImprintKey
from webapp.core.db_types import utcnow
from webapp.extensions import db


@pytest.fixture
def synthetic_pills(app_ctx):
    rows = list(synthetic_rows(400, seed=5))
    now = utcnow()
    for row in rows:
        row["created_at"] = row["updated_at"] = now
    db.session.execute(insert(Pill), rows)
    pills = list(db.session.execute(select(Pill)).scalars())
    keys = [{"pill_id": p.id, "kind": k, "key_raw": raw, "key_fold": folded}
            for p in pills for k, raw, folded in pill_search.imprint_key_rows(p.imprint)]
    db.session.execute(insert(PillImprintKey), keys)
    pill_search.refresh_facet_counts(db.session)
    db.session.commit()
    return [(p.id, pill_search.facts(p)) for p in pills]


def queries(pills, n=60):
    rng = random.Random(3)
    found = []
    for _ in range(n):
        _id, facts = rng.choice(pills)
        parts = imp.parts(facts.imprint)
        choice = rng.randrange(6)
        if choice == 0 and parts:
            found.append(pm.parse_query(" ".join(reversed(parts))))
        elif choice == 1 and parts:
            found.append(pm.parse_query(parts[0][:2]))
        elif choice == 2 and parts:
            found.append(pm.parse_query(parts[-1], ["white"], "round"))
        elif choice == 3:
            found.append(pm.parse_query(None, [facts.colours[0]], facts.shape))
        elif choice == 4:
            found.append(pm.parse_query(None, [], facts.shape, str(facts.size_mm), str(facts.score)))
        else:
            found.append(pm.parse_query(None, ["gray"], None, "9"))
    return found


def test_sql_search_equals_the_rules(synthetic_pills):
    for query in queries(synthetic_pills):
        expected = pm.rank(query, synthetic_pills)
        got = []
        page_number = 1
        while True:
            page = pill_search.search(db.session, query, page_number, per_page=50)
            assert page.total == len(expected), query
            got += [(r.pill.id, r.match.points) for r in page.items]
            if not page.has_next:
                break
            page_number += 1
        assert sorted(got) == sorted((pill_id, m.points) for pill_id, m in expected), query
        points = [p for _id, p in got]
        assert points == sorted(points, reverse=True), query  # best first, across pages
        assert len({pill_id for pill_id, _p in got}) == len(got)  # no pill twice across pages


def _sqlite_plan(stmt, params) -> list[str]:
    expanding = [bindparam(name, expanding=True) for name, bound in stmt._bindparams.items() if bound.expanding]
    plan = text("EXPLAIN QUERY PLAN " + stmt.text)
    if expanding:
        plan = plan.bindparams(*expanding)
    return [row[-1] for row in db.session.execute(plan, params)]


def test_searches_seek_indexes_and_never_scan_a_table(synthetic_pills):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL prefers sequential scans on a test-sized table; bench/pill_search_bench.py --plans "
                    "shows its plans over 100,000 pills")
    derived = ("imprint_rows", "hits", "ranked", "running", "(subquery-")  # our CTEs, a few rows each
    for query in queries(synthetic_pills, n=30):
        for stmt, params in pill_search.explain_statements(query):
            plan = _sqlite_plan(stmt, params)
            scans = [step for step in plan if step.startswith("SCAN ") and not step[5:].startswith(derived)]
            assert not scans, (query, plan)
            assert any(step.startswith("SEARCH ") and " USING " in step for step in plan), (query, plan)
