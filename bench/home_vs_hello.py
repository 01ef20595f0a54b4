"""Home page ("Today on HealthDesk") for a member with 20 saved medicines and 5 groups,
requests per second next to the bare /hello route served the same way.

Builds a throw-away SQLite database with the embedded seed data, starts gunicorn on a
free loopback port (same worker settings for both routes), logs the member in, and
loads each route with wrk for a fixed time. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/home_vs_hello.py [--workers 2] [--threads 2] [--connections 8] [--seconds 10]

Needs wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "benchmark member passphrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_database(url: str) -> None:
    from sqlalchemy import select

    from config import DevelopmentConfig
    from webapp import create_app, search_setup
    from webapp.extensions import db
    from webapp.models.community import CommunityGroup, CommunityMembership
    from webapp.models.drugs import Drug
    from webapp.models.mymeds import MedProfile, SavedMedicine
    from webapp.seeding import run_seed
    from webapp.services import accounts

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


def wrk(url: str, cookie: str, args) -> float:
    output = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "-H", f"Cookie: {cookie}", url],
        check=True, capture_output=True, text=True,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered with errors:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
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
            cookie = log_in(base)
            home_html = urllib.request.urlopen(urllib.request.Request(f"{base}/", headers={"Cookie": cookie})).read().decode()
            assert "Because you saved" in home_html, "the member's home page is not personalised"
            hello = wrk(f"{base}/hello", cookie, args)
            home = wrk(f"{base}/", cookie, args)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"gunicorn {args.workers} workers, wrk {args.threads} threads / {args.connections} connections / {args.seconds}s")
    print(f"/hello  {hello:8.1f} req/s")
    print(f"/       {home:8.1f} req/s  ({home / hello:.0%} of hello; target at least 25%)")


if __name__ == "__main__":
    main()
