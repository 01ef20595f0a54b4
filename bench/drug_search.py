"""Drug name search latency over the full Drugs@FDA catalogue plus the embedded drugs.

    .venv/bin/python bench/drug_search.py                       # SQLite file in a temp folder
    .venv/bin/python bench/drug_search.py --database-url postgresql+psycopg://postgres@127.0.0.1/drugbench
    .venv/bin/python bench/drug_search.py --reuse --database-url ...   # skip the (re)load

Loads webapp/data and ../shared/data/drugsatfda (unless --reuse), then times 1,000 mixed
queries (exact names and brands, prefixes as typed into the search box, typos, condition
names, catalogue product names, words that match nothing) through
`drug_search.search` (the ranked lookup) and `drug_catalog.suggestions` (the
autocomplete endpoint's work: lookup plus the details of the top 8).
Prints the median and 95th percentile in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from config import TestConfig  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402

DRUGSATFDA = ROOT.parent / "shared" / "data" / "drugsatfda"


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "replace", "double"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiou") + word[i + 1:]


def build_queries(session, count: int, seed: int = 7) -> list[str]:
    from webapp.blueprints.drugs.models import ConditionSynonym, Drug, DrugName, Product

    rng = random.Random(seed)
    drug_names = list(session.execute(select(Drug.name)).scalars()) + list(session.execute(select(DrugName.name)).scalars())
    products = list(session.execute(select(Product.brand_name).distinct()).scalars())
    conditions = list(session.execute(select(ConditionSynonym.name)).scalars())
    junk = ["zzqx", "hello world", "<script>", "' or 1=1", "x" * 200, "asdfgh", "\U0001F48A", "qwerty uiop"]
    queries = []
    for _ in range(count):
        roll = rng.random()
        name = rng.choice(drug_names).lower()
        if roll < 0.2:
            queries.append(name)  # exact name or brand
        elif roll < 0.45:
            queries.append(name[: rng.randint(1, 6)])  # typing in the box
        elif roll < 0.6:
            queries.append(typo(name.split()[0], rng))
        elif roll < 0.7:
            queries.append(rng.choice(conditions).lower())
        elif roll < 0.9:
            product = rng.choice(products).lower()
            queries.append(product if rng.random() < 0.5 else product[: rng.randint(2, 8)])
        else:
            queries.append(rng.choice(junk))
    return queries


def timed(function, queries: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per query. On a shared machine the wall clock
    includes waiting for a core; the CPU time of this process is what a query costs
    (all of it on SQLite, which runs in-process; the client side only on PostgreSQL)."""
    for query in queries[:50]:  # warm caches and compiled statements
        function(query)
    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        function(query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def _stats(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    return f"median {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms"


def report(label: str, measured: tuple[list[float], list[float]]) -> None:
    wall, cpu = measured
    print(f"{label:<26} n={len(wall)}  wall: {_stats(wall)}   cpu: {_stats(cpu)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="the database is already loaded")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'drug_bench.sqlite3'}"
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from webapp.blueprints.drugs import catalog as drug_catalog
        from webapp.blueprints.drugs import drugsatfda_import
        from webapp.blueprints.drugs import loader as drug_loader
        from webapp.blueprints.drugs import search as drug_search
        from webapp.blueprints.drugs.models import Product

        if not args.reuse:
            from webapp.core.search import setup as search_setup

            db.drop_all()
            db.create_all()
            search_setup.install(db.engine)
            drug_loader.load(db.session)
            started = time.monotonic()
            drugsatfda_import.import_directory(db.session, DRUGSATFDA)
            db.session.commit()
            print(f"loaded the catalogue in {time.monotonic() - started:.1f} s")
        products = db.session.execute(select(db.func.count(Product.id))).scalar_one()
        print(f"{db.engine.dialect.name}: {products} catalogue products")
        queries = build_queries(db.session, args.queries)
        report("drug_search.search", timed(lambda q: drug_search.search(db.session, q), queries))
        report("autocomplete suggestions", timed(lambda q: drug_catalog.suggestions(db.session, q), queries))
        db.session.remove()


if __name__ == "__main__":
    main()
