"""Home page ("Today on HealthDesk") for a member with 20 saved medicines and 5 groups,
requests per second next to the bare /hello route served the same way.

Builds a throw-away SQLite database with the embedded seed data, starts gunicorn on a
free loopback port (same worker settings for both routes), logs the member in, and
loads each route with wrk for a fixed time. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/home_vs_hello.py [--visitor] [--workers 2] [--threads 2] [--connections 8] [--seconds 5] [--rounds 3]

Needs wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import add_load_arguments, compare, gunicorn, require_wrk  # noqa: E402

PASSWORD = "benchmark member passphrase"
TARGET = 0.25


def build_database(url: str) -> None:
    from sqlalchemy import select

    from config import DevelopmentConfig
    from webapp import create_app
    from webapp.blueprints.accounts import rules as accounts
    from webapp.blueprints.community.models import CommunityGroup, CommunityMembership
    from webapp.blueprints.drugs.models import Drug
    from webapp.blueprints.mymeds.models import MedProfile, SavedMedicine
    from webapp.core.search import setup as search_setup
    from webapp.extensions import db
    from webapp.seeding import run_seed

    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        search_setup.install(db.engine)
        run_seed(db.session, lambda _m: None)
        user = accounts.create_user(db.session, "bench@example.com", PASSWORD, app.config["PASSWORD_HASH_METHOD"], display_name="Bench")
        profile = MedProfile(user_id=user.id, name="Me", relation="self", is_self=True)
        db.session.add(profile)
        db.session.flush()
        drugs = db.session.execute(select(Drug).order_by(Drug.popularity.desc(), Drug.slug).limit(20)).scalars()
        for drug in drugs:
            db.session.add(SavedMedicine(profile_id=profile.id, user_id=user.id, kind="drug", drug_id=drug.id, name=drug.name,
                                         ingredients=[i.name for i in drug.ingredients]))
        for group in db.session.execute(select(CommunityGroup).order_by(CommunityGroup.slug).limit(5)).scalars():
            db.session.add(CommunityMembership(group_id=group.id, user_id=user.id))
        db.session.commit()
        db.engine.dispose()


def log_in(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"email": "bench@example.com", "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(f"{base}/login", data=data).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookies
    return cookies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    parser.add_argument("--visitor", action="store_true", help="load the home page as a visitor (no account, no cookies)")
    args = parser.parse_args()
    require_wrk()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        build_database(url)
        with gunicorn(url, folder, args.workers) as base:
            cookie = None if args.visitor else log_in(base)
            request = urllib.request.Request(f"{base}/", headers={"Cookie": cookie} if cookie else {})
            page = urllib.request.urlopen(request).read().decode()
            assert args.visitor or "Because you saved" in page, "the home page is not personalised"
            hello, home = compare(base, "/", args, cookie)
    reader = "a visitor (no cookies)" if args.visitor else "member with 20 saved medicines and 5 groups"
    print(f"gunicorn {args.workers} workers, wrk {args.threads} threads / {args.connections} connections / {args.seconds}s, "
          f"median of {args.rounds} alternating rounds, {reader}")
    print(f"/hello  {hello:8.1f} req/s")
    print(f"/       {home:8.1f} req/s  ({home / hello:.0%} of hello; target at least {TARGET:.0%})")


if __name__ == "__main__":
    main()
