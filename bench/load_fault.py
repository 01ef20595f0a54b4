"""Load and fault test: the production settings under gunicorn (several workers) on
PostgreSQL, rate limits in Redis, loaded with a mix of public pages and API calls while
faults are injected: a worker killed with SIGKILL, Redis stopped and started again, and
(with --restart-postgres) the PostgreSQL server restarted.

    .venv/bin/python bench/load_fault.py --database-url postgresql+psycopg://postgres@127.0.0.1/hd_load_bench \\
        [--workers 4] [--connections 16] [--seconds 30] [--restart-postgres]

The database must have "bench" in its name: it is dropped and made afresh, with the
embedded seed data. Redis is a private redis-server on a free loopback port, so stopping
it touches nothing else. Needs wrk and redis-server. Prints one row per phase: requests
per second, latency percentiles, responses by status class and socket errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import free_port, gunicorn, require_wrk  # noqa: E402

# Visitor pages and API calls; 429s are the rate limits doing their job (all load comes
# from one address), not failures.
PATHS = [
    "/",
    "/health-centers/pancreatic-cancer/pnet-treatment-option-overview",
    "/drugs/warfarin",
    "/drugs/search?q=lisinpril",
    "/pill-identifier?imprint=L227&color=white",
    "/api/v1/pills?imprint=L227",
    "/api/v1/drugs?q=ibuprofen",
    "/interaction-checker?medicines=warfarin%0D%0Aibuprofen",
    "/community",
    "/health-centers",
]
INTERACTIONS_BODY = '{"drugs": ["warfarin", "ibuprofen"]}'

WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
local requests = {}
local n = 0
ok, redirect, limited, client, unavailable, server = 0, 0, 0, 0, 0, 0
function init(args)
  for i, path in ipairs(PATHS) do requests[i] = wrk.format("GET", path) end
  requests[#requests + 1] = wrk.format("POST", "/api/v1/interactions", {["Content-Type"] = "application/json"}, BODY)
end
function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
function response(status, headers, body)
  if status == 503 then unavailable = unavailable + 1
  elseif status >= 500 then server = server + 1
  elseif status == 429 then limited = limited + 1
  elseif status >= 400 then client = client + 1
  elseif status >= 300 then redirect = redirect + 1
  else ok = ok + 1 end
end
function done(summary, latency, requests)
  local total = {ok = 0, redirect = 0, limited = 0, client = 0, unavailable = 0, server = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(total) do total[name] = total[name] + thread:get(name) end
  end
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, '
    .. '"ok": %d, "redirect": %d, "limited": %d, "client": %d, "unavailable": %d, "server": %d, '
    .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, total.ok, total.redirect, total.limited, total.client, total.unavailable, total.server,
    e.connect, e.read, e.write, e.timeout))
end
"""


def lua_script() -> str:
    paths = ", ".join(json.dumps(p) for p in PATHS)
    return f"PATHS = {{{paths}}}\nBODY = {json.dumps(INTERACTIONS_BODY)}\n" + WRK_SCRIPT


def fresh_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if "bench" not in (target.database or ""):
        raise SystemExit(f"Refusing to drop {target.database!r}: use a database with 'bench' in its name.")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    from bench.home_vs_hello import build_database

    build_database(url)


class RedisServer:
    """A private, disposable redis-server on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def worker_pids(master: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def run_wrk(base: str, script: Path, args, seconds: int) -> dict:
    output = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), base],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(re.search(r"RESULT (\{.*\})", output).group(1))


def with_faults(faults: list[tuple[float, str, Callable[[], None]]], log: list[str]) -> threading.Thread:
    started = time.monotonic()

    def run() -> None:
        for at, name, action in faults:
            time.sleep(max(0.0, at - (time.monotonic() - started)))
            action()
            log.append(f"{time.monotonic() - started:5.1f} s  {name}")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)


def row(name: str, result: dict) -> str:
    rate = result["requests"] / result["seconds"]
    errors = result["connect_errors"] + result["read_errors"] + result["write_errors"] + result["timeouts"]
    return (f"| {name} | {result['requests']} | {rate:.0f} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} | "
            f"{result['max_ms']:.0f} | {result['ok'] + result['redirect']} | {result['limited']} | {result['client']} | "
            f"{result['unavailable']} | **{result['server']}** | {errors} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--restart-postgres", action="store_true", help="also restart the PostgreSQL server mid-run")
    parser.add_argument("--server-log", default="load_fault_gunicorn.log", help="where to keep gunicorn's output (default: in the current folder)")
    args = parser.parse_args()
    require_wrk()

    print("Building the database ...", flush=True)
    fresh_database(args.database_url)
    redis = RedisServer()
    redis.start()
    masters: list[subprocess.Popen] = []
    env = {"HEALTHDESK_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "REDIS_URL": redis.url,
           "SITE_URL": "http://127.0.0.1"}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "mix.lua"
        script.write_text(lua_script())
        log_path = Path(folder) / "gunicorn.log"
        with open(log_path, "w") as server_log, gunicorn(args.database_url, folder, args.workers, env, masters, server_log) as base:
            master = masters[0]
            run_wrk(base, script, args, 3)  # warm up: every worker fills its caches
            print("Steady load ...", flush=True)
            steady = run_wrk(base, script, args, args.seconds)
            log: list[str] = []
            third = args.seconds / 3
            faults = [
                (third * 0.5, "SIGKILL to one gunicorn worker", lambda: os.kill(worker_pids(master)[0], signal.SIGKILL)),
                (third * 1.0, "Redis stopped", redis.stop),
                (third * 2.0, "Redis started again", redis.start),
            ]
            if args.restart_postgres:
                faults.append((third * 2.4, "PostgreSQL restarted", restart_postgres))
            print("Load with faults ...", flush=True)
            injector = with_faults(faults, log)
            faulty = run_wrk(base, script, args, args.seconds)
            injector.join()
            print("Load after the faults ...", flush=True)
            after = run_wrk(base, script, args, max(5, args.seconds // 3))
        server_output = log_path.read_text()
        Path(args.server_log).write_text(server_output)
    redis.stop()

    print(f"\ngunicorn {args.workers} workers (production settings), PostgreSQL, Redis rate limits; "
          f"wrk {args.threads} threads / {args.connections} connections; mix of {len(PATHS)} pages and API GETs "
          "and one rate-limited POST")
    print("| phase | requests | req/s | p50 ms | p99 ms | max ms | 2xx/3xx | 429 | other 4xx | 503 | other 5xx | socket errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(row(f"steady, {args.seconds} s", steady))
    print(row(f"with faults, {args.seconds} s", faulty))
    print(row(f"after the faults, {max(5, args.seconds // 3)} s", after))
    print("\nFaults injected (seconds into the faulty phase):")
    print("\n".join(f"- {line}" for line in log))
    tracebacks = server_output.count("Traceback (most recent call last)")
    print(f"\nServer log: {tracebacks} tracebacks; lines naming an error or a restart:")
    notable = [line for line in server_output.splitlines()
               if re.search(r"ERROR|CRITICAL|WARNING|Booting worker|Worker .* (was sent|exited)", line)
               and "ratelimit" not in line]
    print("\n".join(f"    {line[:200]}" for line in notable[:20]) or "    (none)")


if __name__ == "__main__":
    main()
