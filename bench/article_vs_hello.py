"""The PDQ article page: requests per second next to the bare /hello route, served the same way.

Builds a throw-away SQLite database holding the health-center content, starts gunicorn on
a free loopback port (same worker settings for both routes), and loads each route with wrk
for a fixed time, as an anonymous reader. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/article_vs_hello.py [--workers 2] [--threads 2] [--connections 8] [--seconds 5] [--rounds 3]

Needs wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLE = "/health-centers/pancreatic-cancer/pnet-treatment-option-overview"
TARGET = 0.35


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_database(url: str) -> None:
    from config import DevelopmentConfig
    from webapp import create_app, search_setup
    from webapp.extensions import db
    from webapp.services import content_loader

    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        search_setup.install(db.engine)
        content_loader.sync(db.session, content_loader.CONTENT_DIR, echo=lambda _m: None)
        db.session.commit()
        db.engine.dispose()


def wrk(url: str, args, cookie: str | None = None) -> float:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    output = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", *headers, url],
        check=True, capture_output=True, text=True,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered with errors:\n{output}")
    errors = re.search(r"Socket errors:.*", output)
    if errors:
        print(f"note: {url}: {errors.group(0)}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        build_database(url)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "HEALTHDESK_ENV": "development", "HEALTHDESK_INSTANCE": folder}
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "webapp:create_app()"],
            cwd=ROOT, env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/hello").read()
                    break
                except OSError:
                    time.sleep(0.1)
            first = urllib.request.urlopen(f"{base}{ARTICLE}")
            html = first.read().decode()
            assert "Surgical Cytoreduction for Metastases" in html and 'id="ref-12"' in html, "the article did not render"
            # A returning reader's browser sends back the session cookie the first visit set.
            cookie = "; ".join(c.split(";", 1)[0] for c in first.headers.get_all("Set-Cookie") or [])
            results = {}
            for label, sent in (("new visitor, no cookies", None), ("returning reader, session cookie", cookie)):
                # Alternate the two routes and keep the medians: the machine is shared, so load comes and goes.
                hellos, articles = [], []
                for _ in range(args.rounds):
                    hellos.append(wrk(f"{base}/hello", args, sent))
                    articles.append(wrk(f"{base}{ARTICLE}", args, sent))
                results[label] = (statistics.median(hellos), statistics.median(articles))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"gunicorn {args.workers} workers, wrk {args.threads} threads / {args.connections} connections / {args.seconds}s, "
          f"median of {args.rounds} alternating rounds")
    for label, (hello, article) in results.items():
        print(f"{label}:")
        print(f"  /hello    {hello:8.1f} req/s")
        print(f"  article   {article:8.1f} req/s  ({article / hello:.0%} of hello; target at least {TARGET:.0%})")


if __name__ == "__main__":
    main()
