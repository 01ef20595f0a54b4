"""The PDQ article page: requests per second next to the bare /hello route, served the same way.

Builds a throw-away SQLite database holding the health-center content, starts gunicorn on
a free loopback port (same worker settings for both routes), and loads each route with wrk
for a fixed time, as an anonymous reader. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/article_vs_hello.py [--workers 2] [--threads 2] [--connections 8] [--seconds 5] [--rounds 3]

Needs wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import add_load_arguments, compare, gunicorn, require_wrk  # noqa: E402

ARTICLE = "/health-centers/pancreatic-cancer/pnet-treatment-option-overview"
TARGET = 0.35


def build_database(url: str) -> None:
    from config import DevelopmentConfig
    from webapp import create_app
    from webapp.blueprints.content import loader as content_loader
    from webapp.core.search import setup as search_setup
    from webapp.extensions import db

    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        search_setup.install(db.engine)
        content_loader.sync(db.session, content_loader.CONTENT_DIR, echo=lambda _m: None)
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    args = parser.parse_args()
    require_wrk()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        build_database(url)
        with gunicorn(url, folder, args.workers) as base:
            first = urllib.request.urlopen(f"{base}{ARTICLE}")
            html = first.read().decode()
            assert "Surgical Cytoreduction for Metastases" in html and 'id="ref-12"' in html, "the article did not render"
            # A returning reader's browser sends back the session cookie the first visit set.
            cookie = "; ".join(c.split(";", 1)[0] for c in first.headers.get_all("Set-Cookie") or [])
            results = {}
            for label, sent in (("new visitor, no cookies", None), ("returning reader, session cookie", cookie)):
                results[label] = compare(base, ARTICLE, args, sent)
    print(f"gunicorn {args.workers} workers, wrk {args.threads} threads / {args.connections} connections / {args.seconds}s, "
          f"median of {args.rounds} alternating rounds")
    for label, (hello, article) in results.items():
        print(f"{label}:")
        print(f"  /hello    {hello:8.1f} req/s")
        print(f"  article   {article:8.1f} req/s  ({article / hello:.0%} of hello; target at least {TARGET:.0%})")


if __name__ == "__main__":
    main()
