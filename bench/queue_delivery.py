"""Mail delivery on the task queue: messages per second with 1, 2 and 4 Celery worker processes,
and a 100,000-subscriber newsletter issue queued and delivered, on PostgreSQL + Redis, to a
real SMTP server on loopback (aiosmtpd in a process of its own that accepts at once).

    .venv/bin/python bench/queue_delivery.py --database-url postgresql+psycopg://postgres@127.0.0.1/test \\
        --redis-url redis://127.0.0.1:6379/15 delivery --messages 4000 --workers 1 2 4
    .venv/bin/python bench/queue_delivery.py ... newsletter --subscribers 100000 --workers 4

Everything happens in a schema of its own (dropped at the end) and a Redis list of its own.
Workers are `celery -A webapp.jobs.worker worker --concurrency N` (prefork), started and
ready before the clock starts. The SMTP sink counts every Message-ID it receives, so
duplicates and losses are reported next to the speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)


# --- the SMTP sink (run as: queue_delivery.py --sink PORT FILE) -------------------------------

def run_sink(port: int, out: Path) -> None:
    import signal

    from aiosmtpd.controller import Controller

    seen: dict[bytes, int] = {}

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            match = MESSAGE_ID.search(envelope.content)
            key = match.group(1) if match else b"?"
            seen[key] = seen.get(key, 0) + 1
            return "250 OK"

    def dump(*_args):
        out.write_text(json.dumps({"received": sum(seen.values()), "unique": len(seen)}))

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGTERM, lambda *_a: (dump(), controller.stop(), os._exit(0)))
    while True:
        time.sleep(3600)


@contextmanager
def smtp_sink(tmp: Path):
    from tests.conftest import free_port

    port = free_port()
    out = tmp / f"sink-{port}.json"
    process = subprocess.Popen([sys.executable, __file__, "--sink", str(port), str(out)], cwd=ROOT)
    time.sleep(1.5)

    def counts() -> dict:
        import signal

        process.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        return json.loads(out.read_text())

    try:
        yield port, counts
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- where the CPU went ------------------------------------------------------------------------

def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd on (state, ppid, ...)


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by a process and its children (the prefork pool)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- the app, the workers ---------------------------------------------------------------------

def bench_app(database_url: str, redis_url: str, queue: str):
    from config import DevelopmentConfig
    from webapp import create_app

    return create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                                          "JOBS_QUEUE": queue, "MAIL_LOG_IMMEDIATELY": False,
                                          "SITE_URL": "https://healthdesk.example", "RATELIMIT_ENABLED": False})


@contextmanager
def celery_worker(concurrency: int, env: dict, tmp: Path):
    log_path = tmp / f"worker-{concurrency}-{uuid.uuid4().hex[:6]}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "webapp.jobs.worker", "worker", "--pool", "prefork",
             "--concurrency", str(concurrency), "-Q", env["JOBS_QUEUE"], "-n", f"bench-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while b" ready." not in log_path.read_bytes():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the worker did not start:\n" + log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.2)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def statuses(app) -> dict[str, int]:
    from webapp.core.mail import outbox
    from webapp.extensions import db

    with app.app_context():
        counts = outbox.status_counts(db.session)
        db.session.remove()
        return counts


def wait_until_sent(app, expected: int, timeout: float) -> float:
    start = time.monotonic()
    while statuses(app).get("sent", 0) < expected:
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out: {statuses(app)}")
        time.sleep(0.25)
    return time.monotonic()


def queue_plain_messages(app, count: int) -> None:
    from sqlalchemy import insert

    from webapp.core.mail.models import OutboxMessage
    from webapp.extensions import db

    now = datetime.now(timezone.utc)
    rows = [{"message_id": f"<bench-{uuid.uuid4().hex}@healthdesk.local>", "to_address": f"reader{n}@example.com",
             "subject": f"Recall alert {n}", "body_text": "A medicine you saved was recalled. " * 20, "headers": {},
             "category": "general", "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for n in range(count)]
    with app.app_context():
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        db.session.remove()


def empty_outbox(app) -> None:
    from sqlalchemy import text

    from webapp.extensions import db

    with app.app_context():
        db.session.execute(text("TRUNCATE outbox_messages, jobs CASCADE"))
        db.session.commit()
        db.session.remove()


def delivery(args, app, env, tmp) -> None:
    from webapp import jobs

    results = {}
    for workers in args.workers:
        empty_outbox(app)
        queue_plain_messages(app, args.messages)
        with smtp_sink(tmp) as (port, counts), celery_worker(workers, {**env, "MAIL_PORT": str(port)}, tmp) as worker:
            cpu_before, (busy_before, all_before) = process_tree_cpu(worker.pid), machine_busy()
            started = time.monotonic()
            with app.app_context():
                for _ in range(workers):
                    jobs.start("mail.deliver")
            finished = wait_until_sent(app, args.messages, args.timeout)
            cpu_used, (busy_after, all_after) = process_tree_cpu(worker.pid) - cpu_before, machine_busy()
            seen = counts()
        rate = args.messages / (finished - started)
        results[workers] = rate
        print(f"{workers} worker(s): {args.messages} messages in {finished - started:.1f} s = {rate:.0f} messages/s; "
              f"server received {seen['received']}, unique {seen['unique']} (duplicates {seen['received'] - seen['unique']}); "
              f"workers' CPU {1000 * cpu_used / args.messages:.1f} ms/message; machine busy "
              f"{100 * (busy_after - busy_before) / max(all_after - all_before, 1):.0f}% of both cores", flush=True)
    if 1 in results:
        for workers, rate in results.items():
            print(f"  {workers} worker(s): {rate / results[1]:.2f}x one worker")


def add_subscribers(app, count: int) -> None:
    import hashlib

    from sqlalchemy import insert, select

    from webapp.blueprints.mymeds.models import Recall
    from webapp.blueprints.newsletter import seed as newsletter_seed
    from webapp.blueprints.newsletter.models import NewsletterSubscriber, NewsletterSubscription, NewsletterTopic
    from webapp.extensions import db

    now = datetime.now(timezone.utc)
    with app.app_context():
        newsletter_seed.seed(db.session, lambda _m: None)
        topic_id = db.session.execute(select(NewsletterTopic.id).where(NewsletterTopic.slug == "drug-safety")).scalar_one()
        db.session.add(Recall(
            recall_number="D-9001-2026", classification="Class II", status="Ongoing", product_type="Drugs",
            product_description="Metformin ER 500 mg tablets (benchmark sample)", reason_for_recall="Failed dissolution.",
            recalling_firm="Example Pharma", report_date=date.today() - timedelta(days=1),
            generic_names=["metformin"], brand_names=[], ndcs=[], content_hash=hashlib.sha256(b"bench").hexdigest()))
        for start in range(0, count, 10_000):
            ids = db.session.execute(insert(NewsletterSubscriber).returning(NewsletterSubscriber.id), [
                {"email": f"reader{n}@example.com", "status": "confirmed", "created_at": now, "confirmed_at": now}
                for n in range(start, min(start + 10_000, count))]).scalars().all()
            db.session.execute(insert(NewsletterSubscription), [{"subscriber_id": i, "topic_id": topic_id, "created_at": now}
                                                                for i in ids])
        db.session.commit()
        db.session.remove()


def newsletter(args, app, env, tmp) -> None:
    add_subscribers(app, args.subscribers)
    [workers] = args.workers
    runner = app.test_cli_runner()
    with smtp_sink(tmp) as (port, counts), celery_worker(workers, {**env, "MAIL_PORT": str(port)}, tmp):
        started = time.monotonic()
        result = runner.invoke(args=["newsletter", "send", "drug-safety"])
        print(result.output.strip(), flush=True)
        queued_at = None
        while True:
            counts_now = statuses(app)
            total = sum(counts_now.values())
            if queued_at is None and total >= args.subscribers:
                queued_at = time.monotonic()
                print(f"  all {total} queued after {queued_at - started:.1f} s; sent so far {counts_now.get('sent', 0)}", flush=True)
            if counts_now.get("sent", 0) >= args.subscribers:
                break
            if time.monotonic() - started > args.timeout:
                raise RuntimeError(f"timed out after {args.timeout:.0f} s: {counts_now}")
            if int(time.monotonic() - started) % 60 == 0:
                print(f"  {time.monotonic() - started:.0f} s: {total} queued, {counts_now.get('sent', 0)} sent", flush=True)
            time.sleep(1)
        finished = time.monotonic()
        seen = counts()
    print(f"{args.subscribers} newsletter messages queued and delivered by {workers} worker processes in "
          f"{finished - started:.1f} s ({args.subscribers / (finished - started):.0f} messages/s); server received "
          f"{seen['received']}, unique {seen['unique']}", flush=True)
    print(app.test_cli_runner().invoke(args=["jobs", "status", "--recent", "6"]).output)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--sink":
        run_sink(int(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--timeout", type=float, default=1800)
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("delivery")
    one.add_argument("--messages", type=int, default=4000)
    one.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    two = sub.add_parser("newsletter")
    two.add_argument("--subscribers", type=int, default=100_000)
    two.add_argument("--workers", type=int, nargs=1, default=[4])
    args = parser.parse_args()

    import tempfile

    from tests.conftest import drop_postgres_schema, reset_postgres_schema, with_search_path
    from webapp.extensions import db

    schema = f"hd_bench_queue_{os.getpid()}"
    queue = f"hd-bench-{uuid.uuid4().hex[:8]}"
    reset_postgres_schema(args.database_url, schema)
    url = with_search_path(args.database_url, schema)
    app = bench_app(url, args.redis_url, queue)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    env = {"HEALTHDESK_ENV": "development", "DATABASE_URL": url, "REDIS_URL": args.redis_url, "JOBS_QUEUE": queue,
           "MAIL_SERVER": "127.0.0.1", "MAIL_USE_TLS": "0", "SITE_URL": "https://healthdesk.example",
           "MAIL_DELIVERY_JOBS": str(args.workers[-1])}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env["HEALTHDESK_INSTANCE"] = tmp
            (delivery if args.what == "delivery" else newsletter)(args, app, env, Path(tmp))
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_postgres_schema(args.database_url, schema)
        import redis

        redis.Redis.from_url(args.redis_url).delete(queue)


if __name__ == "__main__":
    main()
