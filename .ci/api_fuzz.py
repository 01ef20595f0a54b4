"""Fuzz the JSON API against its own OpenAPI document (issue #17): schemathesis, all checks.

Builds a throwaway app on a temporary SQLite database, migrates and seeds it (with a slice of
the Drugs@FDA catalogue, so search results include catalogue products), serves it with the
Werkzeug server on a free loopback port in a thread of this process, and runs the schemathesis
CLI against /api/v1/openapi.json with a fixed seed. The exit status is schemathesis's: any
failed check fails CI. The server and the database go away with this process.

Run by hand: `.ci/api-fuzz` (extra arguments go to `schemathesis run`, e.g. `-n 200` or `--seed 1`);
API_FUZZ_LOG=INFO logs every request the server answers.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Fixed so a failure found in CI is found again by hand; raise EXAMPLES to look harder.
SEED = 17
EXAMPLES = 120
CATALOGUE_PRODUCTS = 2000  # enough for catalogue products, discontinued ones among them, in search results


def build_app(database_url: str):
    from flask_migrate import upgrade

    from config import DevelopmentConfig
    from webapp import create_app
    from webapp.extensions import db
    from webapp.seeding import run_seed

    app = create_app(DevelopmentConfig, {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DRUG_CATALOGUE_SEED_LIMIT": CATALOGUE_PRODUCTS,
        # POST /api/v1/interactions allows 60 a minute per client; the fuzzer sends hundreds from
        # one address. The limit itself (and its documented 429) is tested in tests/integration/api.
        "RATELIMIT_ENABLED": False,
        "REDIS_URL": None,
        "CACHE_PURGE_URLS": [],
        "TRUSTED_HOSTS": ["127.0.0.1"],  # whatever SITE_URL or TRUSTED_HOSTS the environment sets
    })
    with app.app_context():
        upgrade()
        run_seed(db.session, lambda *_args, **_kwargs: None)
    return app


def serve(app):
    """The app on 127.0.0.1 at a port the OS picks; returns the server (a daemon thread runs it)."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(os.environ.get("API_FUZZ_LOG", "WARNING"))  # not a line per request

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(extra: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="healthdesk-api-fuzz-") as workdir:
        os.environ["HEALTHDESK_INSTANCE"] = workdir
        print("api-fuzz: migrating and seeding a temporary SQLite database ...", flush=True)
        app = build_app(f"sqlite:///{workdir}/fuzz.sqlite3")
        server = serve(app)
        base = f"http://127.0.0.1:{server.server_port}"
        print(f"api-fuzz: serving on {base}", flush=True)
        command = [
            str(Path(sys.executable).with_name("schemathesis")), "run", f"{base}/api/v1/openapi.json",
            "--checks", "all", "--seed", str(SEED), "--max-examples", str(EXAMPLES),
            "--workers", "2", "--generation-database", "none", "--no-color", "--report-dir", f"{workdir}/report", *extra,
        ]
        print("api-fuzz:", " ".join(command), flush=True)
        try:
            return subprocess.run(command, cwd=workdir, check=False).returncode  # noqa: S603 - our own command line
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
