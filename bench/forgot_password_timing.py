"""Forgot-password: how long the answer takes for an address with an account and without.

Security issue #13 found the two answers 1.5 ms apart (median 6.0 ms vs 4.5 ms), enough to
tell over many requests whether an account exists. Both branches now look the address up,
sign a token and queue one email. This measures the two medians in-process (the Flask test
client, a throw-away SQLite database, production-like settings: CSRF off, no rate limit),
alternating the two addresses so that drift hits both alike.

    .venv/bin/python bench/forgot_password_timing.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per address")
    args = parser.parse_args()

    from config import TestConfig
    from webapp import create_app
    from webapp.blueprints.accounts import passwords
    from webapp.blueprints.accounts.models import User
    from webapp.core.mail.models import OutboxMessage
    from webapp.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                                      "RATELIMIT_ENABLED": False})
        with app.app_context():
            db.create_all()
            db.session.add(User(email="known@example.com", display_name="Known",
                                password_hash=passwords.hash_password("correct horse battery", "scrypt:16384:8:1")))
            db.session.commit()
        client = app.test_client()
        timings: dict[str, list[float]] = {"known@example.com": [], "nobody@example.com": []}
        for _ in range(50):  # warm-up
            for address in timings:
                client.post("/forgot-password", data={"email": address})
        for _ in range(args.requests):
            for address, seen in timings.items():
                started = time.perf_counter()
                response = client.post("/forgot-password", data={"email": address})
                seen.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        with app.app_context():
            queued = db.session.query(OutboxMessage).count()
            db.engine.dispose()

    print(f"{args.requests} requests per address, alternating; {queued} emails queued in all")
    for address, seen in timings.items():
        seen.sort()
        print(f"  {address:22} median {statistics.median(seen):.2f} ms   p90 {seen[int(len(seen) * 0.9)]:.2f} ms")
    known, unknown = (statistics.median(v) for v in timings.values())
    print(f"  difference of medians: {abs(known - unknown):.3f} ms")


if __name__ == "__main__":
    main()
