"""Recall alerts at scale: the sample FDA enforcement file imported with N members who saved an
affected medicine (atenolol 25 mg, NDC 0093-0787, one of the file's drug recalls), timed from
the start of `flask import recalls` to every alert email queued in the outbox (committed).

    .venv/bin/python bench/recall_alerts.py --database-url postgresql+psycopg://postgres@127.0.0.1/test [--members 50000]

The import, matching and alerts run as the recalls.import job in the command's process (the
file is on this machine), as in production; delivery is not part of this number (see
queue_delivery.py). Runs in a schema of its own, dropped at the end. Needs ../shared/data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT.parent / "shared" / "data" / "fda-enforcement-samples" / "res_weekly_report_20120613.jsonl"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/data/fda-enforcement-samples/res_weekly_report_20120613.jsonl")


def add_members(count: int) -> None:
    import secrets

    from sqlalchemy import insert

    from webapp.blueprints.accounts.models import User
    from webapp.blueprints.mymeds.models import AlertSubscription, MedProfile, SavedMedicine
    from webapp.extensions import db

    now = datetime.now(timezone.utc)
    for start in range(0, count, 5000):
        numbers = range(start, min(start + 5000, count))
        user_ids = db.session.execute(insert(User).returning(User.id), [
            {"email": f"member{n}@example.com", "display_name": f"Member {n}", "password_hash": "x", "role": "member",
             "email_verified_at": now, "session_token": secrets.token_hex(16), "created_at": now, "password_changed_at": now}
            for n in numbers]).scalars().all()
        profile_ids = db.session.execute(insert(MedProfile).returning(MedProfile.id), [
            {"user_id": u, "name": "Me", "relation": "self", "is_self": True, "conditions": [], "position": 0,
             "created_at": now, "updated_at": now} for u in user_ids]).scalars().all()
        db.session.execute(insert(SavedMedicine), [
            {"profile_id": p, "user_id": u, "kind": "other", "name": "Atenolol 25 mg tablets", "ingredients": ["atenolol"],
             "brand_names": [], "ndc": "0093-0787", "strength": "25 mg", "status": "active", "created_at": now,
             "updated_at": now} for u, p in zip(user_ids, profile_ids, strict=True)])
        db.session.execute(insert(AlertSubscription), [
            {"user_id": u, "profile_id": None, "scope_key": "all", "by_email": True, "created_at": now} for u in user_ids])
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--members", type=int, default=50_000)
    args = parser.parse_args()
    if not SAMPLE.exists():
        sys.exit(f"the sample enforcement file is not there: {SAMPLE}")

    from sqlalchemy import func, select

    from config import DevelopmentConfig
    from tests.conftest import drop_postgres_schema, reset_postgres_schema, with_search_path
    from webapp import create_app
    from webapp.core.mail.models import OutboxMessage
    from webapp.extensions import db

    schema = f"hd_bench_recalls_{os.getpid()}"
    reset_postgres_schema(args.database_url, schema)
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": with_search_path(args.database_url, schema),
                                         "REDIS_URL": None, "MAIL_LOG_IMMEDIATELY": False})
    try:
        with app.app_context():
            db.create_all()
            started = time.monotonic()
            add_members(args.members)
            print(f"{args.members} members with atenolol 25 mg (NDC 0093-0787) saved, subscribed by email: "
                  f"set up in {time.monotonic() - started:.1f} s", flush=True)
        runner = app.test_cli_runner()
        started = time.monotonic()
        result = runner.invoke(args=["import", "recalls", str(SAMPLE)])
        elapsed = time.monotonic() - started
        print(result.output.strip())
        with app.app_context():
            queued = db.session.execute(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.category == "recall-alert")).scalar_one()
            db.session.remove()
        print(f"import → matching → {queued} alert emails queued: {elapsed:.1f} s "
              f"({queued / elapsed:.0f} alerts/s)", flush=True)
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_postgres_schema(args.database_url, schema)


if __name__ == "__main__":
    main()
