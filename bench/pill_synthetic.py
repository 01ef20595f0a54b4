"""SYNTHETIC pill table for benchmarks: 100,000 made-up pills. NOT real medicines.

Every generated row is named "SYNTHETIC pill #n", has labeler "SYNTHETIC DATA (benchmark
only)", source "pillbox" and set id "synthetic-..."; the imprints, colours, shapes and
sizes are random, drawn from distributions shaped roughly like the real Pillbox table
(lots of white round tablets, prefixes of 1-4 letters with numbers, some two-part
imprints, a few two-tone capsules). Never load this into a database people use.

    .venv/bin/python bench/pill_synthetic.py --database-url sqlite:////tmp/pills.sqlite3 [--count 100000]
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SYNTHETIC_LABELER = "SYNTHETIC DATA (benchmark only)"
SYNTHETIC_SETID_PREFIX = "synthetic-"

COLOUR_WEIGHTS = {
    "C48325": 40, "C48330": 10, "C48331": 7, "C48328": 8, "C48333": 8, "C48326": 4, "C48329": 4,
    "C48332": 4, "C48324": 3, "C48327": 3, "C48334": 2, "C48323": 1,
}
SHAPE_WEIGHTS = {
    "C48348": 45, "C48345": 20, "C48336": 22, "C48347": 2, "C48350": 1, "C48353": 1, "C48338": 1,
    "C48346": 1, "C48343": 1, "C48342": 0.3, "C48344": 0.5, "C48352": 0.3, "C48349": 0.3, "C48351": 0.5,
    "C48335": 0.3, "C48339": 0.3, "C48337": 0.2, "C48341": 0.2, "C48340": 0.5,
}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def synthetic_imprint(rng: random.Random, prefixes: list[str]) -> str | None:
    roll = rng.random()
    if roll < 0.03:
        return None
    number = str(rng.randint(1, 9999))
    if roll < 0.45:
        return f"{rng.choice(prefixes)}{number}"
    if roll < 0.75:
        return f"{rng.choice(prefixes)};{number}"
    if roll < 0.90:
        return f"{rng.choice(prefixes)};{number};{rng.choice(['5', '10', '20', '25', '40', '50', '100'])}"
    return number


def synthetic_rows(count: int, seed: int = 20261128):
    """Yield dicts for the pills table (keys: the Pill columns), deterministic for a seed."""
    rng = random.Random(seed)
    prefixes = sorted({"".join(rng.choices(string.ascii_uppercase, k=rng.randint(1, 4))) for _ in range(400)})
    for n in range(1, count + 1):
        shape = _pick(rng, SHAPE_WEIGHTS)
        colour1 = _pick(rng, COLOUR_WEIGHTS)
        colour2 = _pick(rng, COLOUR_WEIGHTS) if shape == "C48336" and rng.random() < 0.3 else None
        if colour2 == colour1:
            colour2 = None
        size = float(rng.randint(4, 22)) if rng.random() < 0.95 else round(rng.uniform(4, 22), 1)
        yield {
            "source": "pillbox",
            "setid": f"{SYNTHETIC_SETID_PREFIX}{n // 3:06d}",
            "spl_version": 1,
            "product_ndc": f"99{n:07d}",
            "name": f"SYNTHETIC pill #{n}",
            "strength": f"{rng.choice([1, 2, 5, 10, 20, 25, 50, 100, 200, 500])} mg",
            "active_ingredients": "SYNTHETIC",
            "dosage_form": "CAPSULE" if shape == "C48336" and colour2 else "TABLET",
            "labeler": SYNTHETIC_LABELER,
            "imprint": synthetic_imprint(rng, prefixes),
            "color1": colour1,
            "color2": colour2,
            "shape": shape,
            "size_mm": size,
            "score": rng.choices([1, 2, 3, 4], weights=[80, 17, 2, 1])[0],
        }


def load(database_url: str, count: int, batch: int = 5000) -> None:
    from sqlalchemy import delete, insert, select

    from config import TestConfig
    from webapp import create_app
    from webapp.blueprints.pills.models import Pill, PillImprintKey
    from webapp.blueprints.pills.search import imprint_key_rows
    from webapp.core.db_types import utcnow
    from webapp.extensions import db

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        session = db.session
        synthetic = select(Pill.id).where(Pill.labeler == SYNTHETIC_LABELER)
        session.execute(delete(PillImprintKey).where(PillImprintKey.pill_id.in_(synthetic)))
        session.execute(delete(Pill).where(Pill.labeler == SYNTHETIC_LABELER))
        session.commit()
        started = time.perf_counter()
        now = utcnow()
        rows = list(synthetic_rows(count))
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            for row in chunk:
                row["created_at"] = row["updated_at"] = now
            session.execute(insert(Pill), chunk)
            ndcs = [row["product_ndc"] for row in chunk]
            ids = dict(session.execute(select(Pill.product_ndc, Pill.id).where(Pill.product_ndc.in_(ndcs))).all())
            keys = [
                {"pill_id": ids[row["product_ndc"]], "kind": kind, "key_raw": raw, "key_fold": folded}
                for row in chunk for kind, raw, folded in imprint_key_rows(row["imprint"])
            ]
            if keys:
                session.execute(insert(PillImprintKey), keys)
            session.commit()
            print(f"  {min(start + batch, len(rows))}/{len(rows)} synthetic pills", flush=True)
        from webapp.blueprints.pills.search import refresh_facet_counts

        print(f"  {refresh_facet_counts(session)} characteristic combinations")
        session.commit()
        session.remove()
        # Fresh statistics (and on PostgreSQL a visibility map, so index-only scans stay index-only).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if db.engine.dialect.name == "postgresql":
                connection.execute(db.text("VACUUM ANALYZE pills"))
                connection.execute(db.text("VACUUM ANALYZE pill_imprint_keys"))
                connection.execute(db.text("VACUUM ANALYZE pill_facet_counts"))
            else:
                connection.execute(db.text("ANALYZE"))
        print(f"Loaded {count} SYNTHETIC pills in {time.perf_counter() - started:.1f} s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    load(args.database_url, args.count)


if __name__ == "__main__":
    main()
