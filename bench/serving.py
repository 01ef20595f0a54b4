"""Shared by the page benchmarks: serve the app with gunicorn on loopback and load it with wrk."""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def add_load_arguments(parser) -> None:
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)


def require_wrk() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, folder: str, workers: int, extra_env: dict | None = None,
             started: list | None = None, log=None, app_spec: str = "webapp:create_app()",
             cwd: Path | None = None) -> Iterator[str]:
    """The app under gunicorn on a free 127.0.0.1 port; yields its base URL (and appends
    the gunicorn master process to `started`, for benchmarks that signal its workers;
    `log`, an open file, receives its output)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "HEALTHDESK_ENV": "development", "HEALTHDESK_INSTANCE": folder,
           **(extra_env or {})}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec],
        cwd=cwd or ROOT, env=env, stdout=log, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    if started is not None:
        started.append(server)
    try:
        for _ in range(600):  # up to a minute: workers start slowly on a busy machine
            try:
                urllib.request.urlopen(f"{base}/hello").read()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)  # workers finish their requests first; slow on a busy machine
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wrk(url: str, args, cookie: str | None = None) -> float:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    output = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", *headers, url],
        check=True, capture_output=True, text=True,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered with errors:\n{output}")
    errors = re.search(r"Socket errors:.*", output)
    if errors:
        print(f"note: {url}: {errors.group(0)}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def compare(base: str, path: str, args, cookie: str | None = None) -> tuple[float, float]:
    """Median req/s of /hello and of `path` over alternating rounds (the machine is shared,
    so load comes and goes; alternating keeps both routes under the same conditions)."""
    hellos, pages = [], []
    for _ in range(args.rounds):
        hellos.append(wrk(f"{base}/hello", args, cookie))
        pages.append(wrk(f"{base}{path}", args, cookie))
    return statistics.median(hellos), statistics.median(pages)


VCL = ROOT / "deploy" / "varnish" / "healthdesk.vcl"
VCL_BACKEND = '.host = "127.0.0.1"; .port = "8000";'


def varnish_available() -> str | None:
    """None when varnishd and the xkey vmod are installed, else why not."""
    if not shutil.which("varnishd"):
        return "varnishd is not installed (apt-get install varnish varnish-modules)"
    if not list(Path("/usr/lib").glob("*/varnish/vmods/libvmod_xkey.so")) and not list(
            Path("/usr/lib").glob("varnish/vmods/libvmod_xkey.so")):
        return "the xkey vmod is not installed (apt-get install varnish-modules)"
    return None


@contextmanager
def varnish(backend_port: int, folder: str, *, memory: str = "64m") -> Iterator[str]:
    """deploy/varnish/healthdesk.vcl, its backend pointed at `backend_port`, in front of it on a
    free loopback port with its own working directory; yields its base URL."""
    folder_path = Path(folder)
    folder_path.mkdir(parents=True, exist_ok=True)
    source = VCL.read_text()
    if VCL_BACKEND not in source:
        raise RuntimeError(f"{VCL} no longer names its backend as {VCL_BACKEND}")
    vcl = folder_path / "healthdesk-test.vcl"
    vcl.write_text(source.replace(VCL_BACKEND, f'.host = "127.0.0.1"; .port = "{backend_port}";'))
    port = free_port()
    workdir = folder_path / "varnish-n"
    command = ["varnishd", "-F", "-j", "none", "-a", f"127.0.0.1:{port}", "-T", "none", "-f", str(vcl), "-n", str(workdir),
               "-s", f"malloc,{memory}", "-p", "default_ttl=0"]
    log = open(folder_path / "varnishd.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError(f"varnishd exited: {(folder_path / 'varnishd.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
