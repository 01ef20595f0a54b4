"""In-process cost of the origin's cache-miss pages: ms per request through Flask's test
client, next to the bare hello app (bench/bare_hello.py) timed the same way, and optionally
where the time goes (pyinstrument). A complement to bench/http_cache_bench.py's wrk ratios
that a shared, busy machine disturbs less (CPU time per request, the median of several batches).

    .venv/bin/python bench/origin_timing.py [--database sqlite:////tmp/x.sqlite3] [--requests 200] [--batches 5]
        [--profile article|drug|drug search|pill search|member home]

Without --database it seeds a throw-away SQLite database (with the member of
bench/home_vs_hello.py: 20 saved medicines, 5 groups); with one, that database is reused.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.home_vs_hello import PASSWORD, build_database  # noqa: E402
from bench.http_cache_bench import ORIGIN_PAGES  # noqa: E402

PAGES = {**ORIGIN_PAGES, "member home": "/", "member home, no page cache": "/"}
TARGETS = {"article": 0.35, "drug": 0.35, "drug search": 0.25, "pill search": 0.25, "member home": 0.25,
           "member home, no page cache": 0.25}


def per_request_ms(get, requests: int, batches: int) -> float:
    """Median over `batches` of the mean CPU ms per request of `requests` calls.

    CPU time of this process, not wall time: on a machine shared with other engineers'
    test runs (load average 10+), wall time mostly measures waiting for a core. SQLite
    runs in this process, so its work is counted."""
    get()  # warm
    timings = []
    for _ in range(batches):
        started = time.process_time()
        for _ in range(requests):
            get()
        timings.append((time.process_time() - started) / requests * 1000)
    return statistics.median(timings)


def member_client(app):
    import re

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": "bench@example.com", "password": PASSWORD, "csrf_token": token})
    assert "Because you saved" in client.get("/").get_data(as_text=True), "the member's home page is not personalised"
    return client


def getter(app, name: str, path: str):
    if name.startswith("member home"):
        client = member_client(app)
        if name.endswith("no page cache"):
            # Item 6 of #20: what the member's page costs when the per-worker page cache
            # (webapp/core/caching/page_cache.py) does not have it.
            from webapp.blueprints.main import routes

            routes.cacheable_request = lambda: False

        def get():
            response = client.get(path)
            assert response.status_code == 200
        return get

    def get():
        response = app.test_client().get(path)  # a new reader each time: no cookies, a cache miss
        assert response.status_code == 200, (path, response.status_code)
        assert "Set-Cookie" not in response.headers
    return get


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--profile", choices=sorted(PAGES), default=None)
    args = parser.parse_args()
    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())

    with tempfile.TemporaryDirectory() as folder:
        url = args.database
        if url is None:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            build_database(url)

        from bench.bare_hello import app as bare
        from config import DevelopmentConfig
        from webapp import create_app

        app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": url, "CACHE_PURGE_URLS": []})
        if args.profile:
            from pyinstrument import Profiler

            get = getter(app, args.profile, PAGES[args.profile])
            get()
            with Profiler(interval=0.0005) as profiler:
                for _ in range(args.requests):
                    get()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
            return
        hello = per_request_ms(lambda: bare.test_client().get("/hello"), args.requests, args.batches)
        print(f"in-process CPU ms per request, median of {args.batches} batches of {args.requests} requests")
        print(f"  {'bare hello':12s} {hello:7.3f} ms")
        for name, path in PAGES.items():
            ms = per_request_ms(getter(app, name, path), args.requests, args.batches)
            print(f"  {name:12s} {ms:7.3f} ms  {hello / ms:6.1%} of bare hello's rate  (target {TARGETS[name]:.0%})")
    print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
