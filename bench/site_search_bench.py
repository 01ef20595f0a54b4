"""Site-wide search (/search) latency over the full catalogue: server time per request.

    .venv/bin/python bench/site_search_bench.py                      # SQLite file in a temp folder
    .venv/bin/python bench/site_search_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1/sitesearchbench
    .venv/bin/python bench/site_search_bench.py --reuse --database-url ...   # skip the (re)load
    .venv/bin/python bench/site_search_bench.py --synthetic-pills 100000     # also the SYNTHETIC pill table

Loads the embedded seed (drugs, conditions, pills, health-center articles, community groups
and threads) and the whole Drugs@FDA catalogue from ../shared/data/drugsatfda (unless
--reuse); optionally bench/pill_synthetic.py's made-up pills, so imprint lookups run against
a table of real size. Then times 1,000 mixed queries (bench/drug_search.py's mix of exact
names, prefixes, typos, condition names, catalogue names and junk, plus pill imprints and
health words) three ways:

- `search_site`: the service alone (every area's lookup, no HTML);
- `GET /search`: the whole request through the WSGI app (routing, the service, the Jinja
  render of the page or the redirect), i.e. the server time a visitor's request costs when the
  shared cache does not have it;
- `GET /search/suggest`: the suggestions while typing;
- `GET /hello`: a bare route through the same app and client in the same run, the baseline.

Prints the median and the 95th percentile, wall clock and this process's CPU time, in ms.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.drug_search import DRUGSATFDA, build_queries, report, timed  # noqa: E402
from config import TestConfig  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402

HEALTH_WORDS = ["pancreatic cancer", "surgery", "chemotherapy side effects", "tired", "stomach pain", "treatment",
                "liver metastases", "sleep", "muscle pain", "diabetes diet"]


def site_queries(session, count: int, seed: int = 11) -> list[str]:
    """bench/drug_search.py's mix for 80%, then 12% pill imprints as people type them, 8% health words."""
    from webapp.blueprints.pills.models import Pill

    rng = random.Random(seed)
    drug_mix = build_queries(session, count)
    imprints = [i for i in session.execute(select(Pill.imprint).where(Pill.imprint.is_not(None)).limit(5000)).scalars()]
    queries = []
    for query in drug_mix:
        roll = rng.random()
        if roll < 0.12 and imprints:
            printed = rng.choice(imprints).split(";")
            queries.append(rng.choice([" ", "-", ""]).join(printed))
        elif roll < 0.20:
            queries.append(rng.choice(HEALTH_WORDS))
        else:
            queries.append(query)
    return queries


def load(app, synthetic_pills: int, url: str) -> None:
    from webapp.blueprints.drugs import drugsatfda_import
    from webapp.core.search import setup as search_setup
    from webapp.seeding import run_seed

    with app.app_context():
        db.drop_all()
        db.create_all()
        search_setup.install(db.engine)
        started = time.monotonic()
        run_seed(db.session, lambda _m: None)
        drugsatfda_import.import_directory(db.session, DRUGSATFDA)
        db.session.commit()
        print(f"loaded the seed and the catalogue in {time.monotonic() - started:.1f} s")
        db.session.remove()
    if synthetic_pills:
        from bench import pill_synthetic

        pill_synthetic.load(url, synthetic_pills)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--synthetic-pills", type=int, default=0)
    parser.add_argument("--reuse", action="store_true", help="the database is already loaded")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'site_search_bench.sqlite3'}"
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    if not args.reuse:
        load(app, args.synthetic_pills, url)
    from webapp.blueprints.drugs.models import Product
    from webapp.blueprints.pills.models import Pill
    from webapp.blueprints.search import results as site_results
    from webapp.blueprints.search.query import read_query

    with app.app_context():
        products = db.session.execute(select(db.func.count(Product.id))).scalar_one()
        pills = db.session.execute(select(db.func.count(Pill.id))).scalar_one()
        print(f"{db.engine.dialect.name}: {products} catalogue products, {pills} pills")
        queries = site_queries(db.session, args.queries)
        report("search_site (service)", timed(lambda q: site_results.search_site(db.session, read_query(q)), queries))
        db.session.remove()
    client = app.test_client()

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code in (200, 302, 400), (path, response.status_code)

    # The baseline in the same run: a bare route through the same app, same client, same load.
    report("GET /hello (baseline)", timed(lambda q: get("/hello"), queries))
    report("GET /search", timed(lambda q: get("/search?q=" + quote(q)), queries))
    report("GET /search/suggest", timed(lambda q: get("/search/suggest?q=" + quote(q)), queries))


if __name__ == "__main__":
    main()
