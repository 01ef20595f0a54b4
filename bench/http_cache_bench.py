"""Public pages through Varnish and from the origin, as ratios to a bare Flask hello app.

Builds a throw-away SQLite database with the embedded data set (`flask seed`), serves a bare
Flask "Hello, World!" app (bench/bare_hello.py) and HealthDesk with gunicorn under the same
settings, puts deploy/varnish/healthdesk.vcl in front of HealthDesk, and loads each with wrk
in alternating rounds. Then replays public URLs through Varnish to count hits, and profiles
the origin's cache-miss pages in-process with cProfile. Only 127.0.0.1 is contacted.

    .venv/bin/python bench/http_cache_bench.py [--workers 4] [--connections 16] [--seconds 5] [--rounds 3]
        [--replay 1000] [--before-root DIR]   # DIR: a checkout of the code before, for the origin "before" rows

Needs wrk, varnishd and varnish-modules.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import gunicorn, require_wrk, varnish, varnish_available  # noqa: E402

# --profile-only runs the code found here (an older checkout, for the "before" profile).
sys.path.insert(0, os.environ.get("HC_BENCH_CODE_ROOT", str(ROOT)))

ARTICLE = "/health-centers/pancreatic-cancer/pnet-treatment-option-overview"
DRUG = "/drugs/atorvastatin"
DRUG_SEARCH = "/drugs/search?q=metformin"
PILL_SEARCH = "/pill-identifier?imprint=M+365"
ORIGIN_PAGES = {"article": ARTICLE, "drug": DRUG, "drug search": DRUG_SEARCH, "pill search": PILL_SEARCH}
TRACKING = ("utm_source=newsletter&utm_medium=email", "gclid=abc123", "fbclid=xyz")


def build_database(url: str) -> None:
    from config import DevelopmentConfig
    from webapp import create_app
    from webapp.core.search import setup as search_setup
    from webapp.extensions import db
    from webapp.seeding import run_seed

    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": url, "CACHE_PURGE_URLS": []})
    with app.app_context():
        db.create_all()
        search_setup.install(db.engine)
        run_seed(db.session, echo=lambda _m: None)
        db.session.commit()
        db.engine.dispose()


def wrk(url: str, args, connections: int | None = None) -> tuple[float, float]:
    """(requests/s, p99 in ms) for one wrk run."""
    output = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{connections or args.connections}", f"-d{args.seconds}s", "--latency", url],
        check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered with errors:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rate, p99


def rounds(targets: dict[str, str], args, connections: int | None = None) -> dict[str, tuple[float, float]]:
    """Median req/s and p99 of each target over alternating rounds (the machine is shared)."""
    runs: dict[str, list] = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, url in targets.items():
            runs[name].append(wrk(url, args, connections))
    return {name: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v)) for name, v in runs.items()}


def public_urls(cache: str) -> list[str]:
    """Every address in the sitemap, plus the searches readers run."""
    index = urllib.request.urlopen(cache + "/sitemap.xml").read().decode()
    paths = []
    for section in re.findall(r"<loc>([^<]+)</loc>", index):
        body = urllib.request.urlopen(cache + re.sub(r"^https?://[^/]+", "", section)).read().decode()
        paths += [re.sub(r"^https?://[^/]+", "", loc) for loc in re.findall(r"<loc>([^<]+)</loc>", body)]
    paths += [DRUG_SEARCH, "/drugs/search?q=ibuprofen", "/drugs/search?q=lisinopril", PILL_SEARCH, "/drugs?letter=a"]
    return list(dict.fromkeys(paths))


def replay(cache: str, paths: list[str], count: int, seed: int = 20) -> tuple[int, int]:
    """`count` requests, popularity following Zipf's law over `paths` (a few pages get most
    readers), one in ten with tracking parameters; returns (hits, requests)."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(paths))]
    order = paths[:]
    rng.shuffle(order)
    hits = 0
    for path in rng.choices(order, weights=weights, k=count):
        if rng.random() < 0.1:
            path += ("&" if "?" in path else "?") + rng.choice(TRACKING)
        with urllib.request.urlopen(cache + path) as answer:  # noqa: S310 - loopback
            answer.read()
            hits += answer.headers.get("X-Cache") == "HIT"
    return hits, count


def profile(database_url: str, requests: int = 30) -> dict:
    """In-process: ms per cache-miss request for each origin page, and where the time goes."""
    from config import DevelopmentConfig
    from webapp import create_app

    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "CACHE_PURGE_URLS": []})
    result = {}
    for name, path in ORIGIN_PAGES.items():
        client = app.test_client()
        client.get(path)  # warm imports and the database
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(requests):
            app.test_client().get(path)  # a new reader each time: no cookies
        profiler.disable()
        elapsed = (time.perf_counter() - started) / requests * 1000
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream).sort_stats("cumulative")
        stats.print_stats(r"webapp/|templates/|sqlalchemy/orm/session|markdown|flask_wtf|flask_limiter", 12)
        result[name] = {"ms": round(elapsed, 2), "top": stream.getvalue().splitlines()[-16:]}
    return result


def profile_in(root: Path, database_url: str) -> dict:
    output = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "http_cache_bench.py"), "--profile-only", database_url],
        cwd=root, env={"HC_BENCH_CODE_ROOT": str(root), "PATH": "/usr/bin:/bin",
                       "HEALTHDESK_INSTANCE": str(Path(database_url.removeprefix("sqlite:///")).parent)},
        check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replay", type=int, default=1000)
    parser.add_argument("--before-root", type=Path, default=None)
    parser.add_argument("--profile-only", metavar="DATABASE_URL", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_only:
        print(json.dumps(profile(args.profile_only)))
        return
    require_wrk()
    if varnish_available():
        raise SystemExit(varnish_available())
    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        build_database(url)
        env = {"CACHE_PURGE_URLS": ""}
        with gunicorn(url, folder, args.workers, app_spec="bench.bare_hello:app") as bare, \
                gunicorn(url, folder, args.workers, extra_env=env) as app:
            with varnish(int(app.rsplit(":", 1)[1]), str(Path(folder) / "varnish"), memory="256m") as cache:
                for _ in range(50):  # the health probe
                    try:
                        urllib.request.urlopen(cache + ARTICLE).read()
                        break
                    except OSError:
                        time.sleep(0.2)
                for path in (ARTICLE, DRUG):
                    urllib.request.urlopen(cache + path).read()
                cached = rounds({"bare hello": bare + "/hello", "article via Varnish": cache + ARTICLE,
                                 "drug via Varnish": cache + DRUG}, args)
                at64 = rounds({"article via Varnish, 64 connections": cache + ARTICLE}, args, connections=64)
                paths = public_urls(cache)
                hits, total = replay(cache, paths, args.replay)  # cold: every address's first reader misses
                warm_hits, _ = replay(cache, paths, args.replay)  # the same readers again: a warm cache
            origin = rounds({"bare hello": bare + "/hello", **{f"{n} (origin)": app + p for n, p in ORIGIN_PAGES.items()}}, args)
        before = None
        if args.before_root:
            with gunicorn(url, folder, args.workers, app_spec="bench.bare_hello:app") as bare, \
                    gunicorn(url, folder, args.workers, cwd=args.before_root,
                             extra_env={"PYTHONPATH": str(args.before_root)}) as old:
                before = rounds({"bare hello": bare + "/hello", **{f"{n} (origin, before)": old + p
                                                                  for n, p in ORIGIN_PAGES.items()}}, args)
        profiles = {"after": profile(url)}
        if args.before_root:
            profiles["before"] = profile_in(args.before_root, url)

    print(f"gunicorn {args.workers} workers (both apps), wrk {args.threads} threads / {args.connections} connections / "
          f"{args.seconds}s, median of {args.rounds} alternating rounds")
    for table in (cached, at64, origin, before or {}):
        hello = table.get("bare hello", cached["bare hello"])[0]
        for name, (rate, p99) in table.items():
            print(f"  {name:42s} {rate:9.1f} req/s  p99 {p99:7.2f} ms  {rate / hello:6.2f}x bare hello")
    print(f"replay, cold cache: {hits}/{total} hits ({hits / total:.1%}) over {len(paths)} distinct public addresses")
    print(f"replay, warm (the same {total} requests again): {warm_hits}/{total} hits ({warm_hits / total:.1%})")
    for when, result in profiles.items():
        for name, data in result.items():
            print(f"profile {when}: {name}: {data['ms']} ms per request (in-process, cProfile)")
            print("\n".join("    " + line for line in data["top"] if line.strip()))
    print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
