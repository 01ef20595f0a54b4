"""`flask import spl` on a SYNTHETIC DailyMed release: wall time and peak memory of the command.

Runs the real command in a child process on a fresh database (SQLite file, or a PostgreSQL
database it creates), with a fresh instance folder for the photos, and reads the child's
peak resident memory from the kernel (wait4 rusage). Build the release first:

    .venv/bin/python bench/spl_release_synthetic.py --out /tmp/dm_spl_release_SYNTHETIC.zip
    .venv/bin/python bench/spl_import_bench.py --release /tmp/dm_spl_release_SYNTHETIC.zip \
        --database-url sqlite:////tmp/spl_bench.sqlite3
    .venv/bin/python bench/spl_import_bench.py --release /tmp/dm_spl_release_SYNTHETIC.zip \
        --database-url postgresql+psycopg://postgres@127.0.0.1/spl_bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "webapp"]


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def run(url: str, release: Path, keep_instance: Path | None) -> None:
    fresh_database(url)
    instance = keep_instance or Path(tempfile.mkdtemp(prefix="spl_bench_instance_"))
    env = {**os.environ, "DATABASE_URL": url, "HEALTHDESK_INSTANCE": str(instance), "PYTHONPATH": str(ROOT)}
    subprocess.run([*FLASK, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen([*FLASK, "import", "spl", str(release)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    summary = [line for line in output.splitlines() if not line.startswith("Importing labels")]
    print("\n".join(summary[-12:]))
    photos = list((instance / "media" / "pills").glob("*.jpg"))
    print(f"\n{url.split('://')[0]}: exit {os.waitstatus_to_exitcode(status)}; {elapsed:.0f} s wall, "
          f"{usage.ru_utime + usage.ru_stime:.0f} s CPU, peak memory {usage.ru_maxrss / 1024:.0f} MB; "
          f"{len(photos)} distinct photo files; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          "(2 cores, shared)")
    if keep_instance is None:
        shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--release", type=Path, required=True)
    parser.add_argument("--keep-instance", type=Path, help="instance folder to keep the photos in")
    args = parser.parse_args()
    run(args.database_url, args.release, args.keep_instance)


if __name__ == "__main__":
    main()
