"""How many concurrent read-then-write transactions does SQLite lose with a deferred BEGIN
versus BEGIN IMMEDIATE? Several processes each run N transactions that read a counter and
write it back, through an engine configured exactly like the app's (webapp/database.py).

    .venv/bin/python bench/sqlite_begin.py [--processes 4] [--transactions 200]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from webapp import database  # noqa: E402


def make_engine(path: str):
    uri = f"sqlite:///{path}"
    engine = create_engine(uri, **database.engine_options(uri, {}))
    database.configure_sqlite(engine)
    return engine


def worker(path: str, mode: str, transactions: int, results) -> None:
    database.set_begin_mode(mode)
    engine = make_engine(path)
    ok = failed = 0
    for _ in range(transactions):
        try:
            with engine.begin() as conn:
                value = conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
                conn.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})
            ok += 1
        except OperationalError:
            failed += 1
    results.put((ok, failed))


def run(mode: str, processes: int, transactions: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.sqlite3")
        engine = make_engine(path)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
            conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
        results = multiprocessing.Queue()
        started = time.perf_counter()
        procs = [multiprocessing.Process(target=worker, args=(path, mode, transactions, results)) for _ in range(processes)]
        for proc in procs:
            proc.start()
        totals = [results.get() for _ in procs]
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            final = conn.execute(text("SELECT value FROM counter")).scalar_one()
        engine.dispose()
    ok = sum(t[0] for t in totals)
    failed = sum(t[1] for t in totals)
    return {"mode": mode, "committed": ok, "failed": failed, "final_counter": final, "seconds": round(elapsed, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=200)
    args = parser.parse_args()
    for mode in ("DEFERRED", "IMMEDIATE"):
        result = run(mode, args.processes, args.transactions)
        total = args.processes * args.transactions
        print(f"{mode:9}  committed {result['committed']}/{total}  failed 'database is locked' {result['failed']}"
              f"  counter {result['final_counter']}  {result['seconds']} s")


if __name__ == "__main__":
    main()
