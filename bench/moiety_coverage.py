"""How many Drugs@FDA catalogue products the medicine resolver (webapp/blueprints/drugs/moieties.py)
turns into active moieties, and why the others do not.

    .venv/bin/python bench/moiety_coverage.py [PATH/TO/drugsatfda]   # default ../shared/data/drugsatfda

Reads Products.txt only (no database). Also counts the products whose every moiety has a
written monograph in webapp/data/drugs/, and lists the moieties that still end in a salt
word (kept whole on purpose, like sodium chloride, or to review).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from webapp.blueprints.drugs.moieties import coverage, read_products  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "drugsatfda"


def monograph_ingredients() -> set[str]:
    names: set[str] = set()
    for path in sorted((ROOT / "webapp" / "data" / "drugs").glob("*.yaml")):
        record = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update(str(i).lower() for i in record.get("ingredients") or ())
    return names


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT
    products = folder / "Products.txt"
    if not products.is_file():
        print(f"{products} not found: pass the folder holding the Drugs@FDA files", file=sys.stderr)
        return 2
    print(f"reading {products}", flush=True)
    started = time.monotonic()
    report = coverage(read_products(products), monograph_ingredients())
    print("\n".join(report.lines()))
    print(f"took {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
