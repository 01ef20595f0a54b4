"""1,000 mixed pill-identifier searches against the SYNTHETIC 100,000-pill table.

Run bench/pill_synthetic.py on the same database first. Each query is timed end to end
through webapp.blueprints.pills.search.search (count + ranked page + loading the 20 pills +
explaining each match). Prints p50/p95/p99 per query kind and overall, and the query
plans (EXPLAIN) of one query of each kind so index use can be checked.

    .venv/bin/python bench/pill_search_bench.py --database-url sqlite:////tmp/pills.sqlite3 [--queries 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pill_synthetic import SYNTHETIC_LABELER  # noqa: E402

MIX = [  # (kind, share)
    ("imprint exact", 0.25),
    ("imprint + colour + shape", 0.15),
    ("imprint misread", 0.10),
    ("imprint prefix", 0.12),
    ("imprint one part", 0.08),
    ("colour + shape", 0.15),
    ("colour + shape + size", 0.08),
    ("shape + size + score", 0.04),
    ("colour only", 0.03),
]
CONFUSE = {"0": "O", "O": "0", "1": "I", "I": "1", "L": "1", "5": "S", "S": "5", "8": "B", "B": "8",
           "2": "Z", "Z": "2", "6": "G", "G": "6"}
SEPARATORS = [" ", "-", ".", "", " / "]


def make_queries(samples: list[dict], n: int, rng: random.Random) -> list[tuple[str, dict]]:
    from webapp.blueprints.pills import imprint as imp
    from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, SHAPE_BY_CODE

    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=n)
    queries = []
    for kind in kinds:
        pill = rng.choice(samples)
        parts = imp.parts(pill["imprint"])
        rng.shuffle(parts)
        typed = rng.choice(SEPARATORS).join(parts)
        typed = typed.lower() if rng.random() < 0.3 else typed
        colour = COLOUR_BY_CODE[pill["color1"]].label
        shape = SHAPE_BY_CODE[pill["shape"]].label
        if kind == "imprint exact":
            q = {"imprint": typed}
        elif kind == "imprint + colour + shape":
            q = {"imprint": typed, "colours": [colour], "shape": shape}
        elif kind == "imprint misread":
            chars = list(typed.upper())
            spots = [i for i, ch in enumerate(chars) if ch in CONFUSE]
            if spots:
                i = rng.choice(spots)
                chars[i] = CONFUSE[chars[i]]
            q = {"imprint": "".join(chars)}
        elif kind == "imprint prefix":
            key = imp.compact(pill["imprint"])
            q = {"imprint": key[: max(2, min(len(key) - 1, rng.randint(2, 4)))]}
        elif kind == "imprint one part":
            q = {"imprint": rng.choice(parts)}
        elif kind == "colour + shape":
            q = {"colours": [colour], "shape": shape}
        elif kind == "colour + shape + size":
            q = {"colours": [colour], "shape": shape, "size_mm": pill["size_mm"]}
        elif kind == "shape + size + score":
            q = {"shape": shape, "size_mm": pill["size_mm"], "score": pill["score"]}
        else:
            q = {"colours": [colour]}
        q["page"] = 1 if rng.random() < 0.9 else 2
        queries.append((kind, q))
    return queries


def explain(session, dialect: str, stmt, params: dict) -> str:
    from sqlalchemy import bindparam, text

    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    plan = text(prefix + stmt.text)
    expanding = [bindparam(name, expanding=True) for name, bound in stmt._bindparams.items() if bound.expanding]
    if expanding:
        plan = plan.bindparams(*expanding)
    rows = session.execute(plan, params).all()
    if dialect == "sqlite":
        return "\n".join(f"    {row[-1]}" for row in rows)
    return "\n".join(f"    {row[0]}" for row in rows)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(database_url: str, n: int, show_plans: bool) -> None:
    from sqlalchemy import func, select

    from config import TestConfig
    from webapp import create_app
    from webapp.blueprints.pills import match as pm
    from webapp.blueprints.pills import search as pill_search
    from webapp.blueprints.pills.models import Pill
    from webapp.extensions import db

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url})
    rng = random.Random(7)
    with app.app_context():
        session = db.session
        dialect = db.engine.dialect.name
        total = session.execute(select(func.count()).select_from(Pill).where(Pill.labeler == SYNTHETIC_LABELER)).scalar()
        if not total:
            raise SystemExit("No synthetic pills: run bench/pill_synthetic.py on this database first.")
        sample_ids = rng.sample(range(1, total + 1), 2000)
        samples = [
            {"imprint": p.imprint, "color1": p.color1, "shape": p.shape, "size_mm": p.size_mm, "score": p.score}
            for p in session.execute(select(Pill).where(Pill.product_ndc.in_([f"99{i:07d}" for i in sample_ids]))).scalars()
            if p.imprint
        ]
        session.rollback()
        queries = make_queries(samples, n, rng)
        for _kind, q in queries[:20]:  # warm the caches
            pill_search.search(session, pm.parse_query(q.get("imprint"), q.get("colours", ()), q.get("shape"),
                                                       q.get("size_mm"), q.get("score")), q["page"])
        timings: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        found: dict[str, list[int]] = defaultdict(list)
        load_before = os.getloadavg()[0]
        for kind, q in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            query = pm.parse_query(q.get("imprint"), q.get("colours", ()), q.get("shape"), q.get("size_mm"), q.get("score"))
            page = pill_search.search(session, query, q["page"])
            timings[kind].append((time.perf_counter() - started) * 1000)
            cpu[kind].append((time.process_time() - started_cpu) * 1000)
            found[kind].append(page.total)
            session.rollback()
        every = [t for values in timings.values() for t in values]
        every_cpu = [t for values in cpu.values() for t in values]
        print(f"{dialect}: {len(every)} queries over {total} SYNTHETIC pills; load average {load_before:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after (2 cores)")
        print("| query kind | n | median results | p50 ms | p95 ms | p99 ms | p95 CPU ms (this process) |")
        print("|---|---|---|---|---|---|---|")
        for kind, _share in MIX:
            values = timings[kind]
            if values:
                print(f"| {kind} | {len(values)} | {statistics.median(found[kind]):g} | {percentile(values, 50):.2f} | "
                      f"{percentile(values, 95):.2f} | {percentile(values, 99):.2f} | {percentile(cpu[kind], 95):.2f} |")
        print(f"| **all** | {len(every)} | | {percentile(every, 50):.2f} | {percentile(every, 95):.2f} | "
              f"{percentile(every, 99):.2f} | {percentile(every_cpu, 95):.2f} |")
        if show_plans:
            shown = set()
            for kind, q in queries:
                if kind in shown:
                    continue
                shown.add(kind)
                query = pm.parse_query(q.get("imprint"), q.get("colours", ()), q.get("shape"), q.get("size_mm"),
                                       q.get("score"))
                print(f"\nPlan for {kind}: {q}")
                for stmt, params in pill_search.explain_statements(query):
                    print(explain(session, dialect, stmt, params))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--plans", action="store_true", help="print the EXPLAIN plan of one query per kind")
    args = parser.parse_args()
    run(args.database_url, args.queries, args.plans)


if __name__ == "__main__":
    main()
