"""The embedded Drugs@FDA catalogue: our own compressed copy of the FDA product files,
written by `flask drugs build-catalogue DIR` and loaded by `flask seed`.

webapp/data/catalogue/drugsatfda.tsv.gz holds one line per product, already joined
(product, application type and sponsor, marketing status, TE code), with only the fields
we use; drugsatfda.json beside it says where the data comes from, under which licence,
and the date of the snapshot. Every catalogue page shows that source and date.

The same input always gives byte-identical files (rows sorted, gzip without a time
stamp), so rebuilding from an unchanged release shows no difference in git. Loading goes
through the folder importer's own upsert (drugsatfda_import.load_products), so `flask seed`
and `flask import drugsatfda DIR` write products the same way.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.drugs import drugsatfda_import
from webapp.blueprints.drugs.drugsatfda_import import ImportReport, product_slug
from webapp.blueprints.drugs.models import MARKETING_STATUSES, Product
from webapp.core.datafiles import DATA_DIR, DataFileError, read_once

CATALOGUE_DIR = DATA_DIR / "catalogue"
PRODUCTS_NAME = "drugsatfda.tsv.gz"
METADATA_NAME = "drugsatfda.json"
FORMAT = "healthdesk-drugsatfda-1"
COLUMNS = ("appl_no", "product_no", "appl_type", "sponsor", "brand_name", "active_ingredients", "strength",
           "form", "route", "marketing_status", "te_code", "reference_drug")
SOURCE = "U.S. Food and Drug Administration, Drugs@FDA data files"
SOURCE_URL = "https://www.fda.gov/drugs/drug-approvals-and-databases/drugsfda-data-files"
LICENCE = "U.S. Government data in the public domain; the openFDA copy is CC0 1.0"
_SNAPSHOT_IN_SOURCE_MD = re.compile(r"snapshot\s+(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_BREAKS = re.compile(r"[\t\r\n]+")


class CatalogueFileError(DataFileError):
    """The embedded catalogue (or the folder it is built from) cannot be used."""


@dataclass(frozen=True)
class CatalogueInfo:
    """Where the loaded catalogue comes from; shown on every catalogue page."""

    source: str
    url: str
    licence: str
    snapshot: date
    products: int

    def as_json(self) -> dict:
        return {**asdict(self), "snapshot": self.snapshot.isoformat(), "format": FORMAT, "file": PRODUCTS_NAME}


# --- writing ---------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return _BREAKS.sub(" ", str(value)).strip()


def encode_products(products: dict[tuple[str, str], dict]) -> bytes:
    """The products (as read_catalogue returns them) as our gzipped TSV, sorted by
    application and product number; gzip gets no time stamp so the bytes repeat."""
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(_cell(products[key].get(column)) for column in COLUMNS) for key in sorted(products)]
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def write_catalogue(products: dict[tuple[str, str], dict], snapshot: date, folder: Path = CATALOGUE_DIR) -> CatalogueInfo:
    """Write drugsatfda.tsv.gz and drugsatfda.json into `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    info = CatalogueInfo(SOURCE, SOURCE_URL, LICENCE, snapshot, len(products))
    _replace(folder / PRODUCTS_NAME, encode_products(products))
    _replace(folder / METADATA_NAME, (json.dumps(info.as_json(), indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return info


def _replace(path: Path, data: bytes) -> None:
    # Written aside and renamed, so a reader (or an interrupted build) never sees half a file.
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def snapshot_from_source_md(directory: Path) -> date | None:
    """The snapshot date a shared-data SOURCE.md states ("Drugs@FDA data files (snapshot 2019-07-02)")."""
    source_md = directory / "SOURCE.md"
    if not source_md.is_file():
        return None
    found = _SNAPSHOT_IN_SOURCE_MD.search(source_md.read_text(encoding="utf-8", errors="replace"))
    return date.fromisoformat(found.group(1)) if found else None


def build_from_directory(directory: Path, snapshot: date | None = None, folder: Path = CATALOGUE_DIR,
                         progress: Callable[[str], None] = lambda _m: None) -> tuple[CatalogueInfo, ImportReport]:
    """Read a Drugs@FDA folder (the same checks as `flask import drugsatfda`) and write the
    embedded copy. The snapshot date is given, or read from the folder's SOURCE.md."""
    directory = Path(directory)
    snapshot = snapshot or snapshot_from_source_md(directory)
    if snapshot is None:
        raise CatalogueFileError(str(directory), "no snapshot date: give --snapshot-date (the date of the FDA release)")
    report = ImportReport()
    try:
        products = drugsatfda_import.read_catalogue(directory, report, progress)
    except drugsatfda_import.ImportFilesError as exc:
        raise CatalogueFileError(str(directory), str(exc)) from None
    return write_catalogue(products, snapshot, folder), report


# --- reading ---------------------------------------------------------------------------


def decode_products(raw: bytes, name: str = PRODUCTS_NAME, limit: int | None = None) -> dict[tuple[str, str], dict]:
    """Products as read_catalogue returns them (the slug is made again from the name, so a
    change to the slug rules needs no rebuild). `limit` keeps the first rows only."""
    try:
        text = gzip.decompress(raw).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise CatalogueFileError(name, f"not a gzipped UTF-8 file ({exc})") from None
    lines = text.split("\n")
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise CatalogueFileError(name, "the first line does not name the expected columns", line=1)
    products: dict[tuple[str, str], dict] = {}
    for number, line in enumerate(lines[1:], 2):
        if not line:
            continue
        if limit is not None and len(products) >= limit:
            break
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise CatalogueFileError(name, f"{len(cells)} fields where {len(COLUMNS)} are expected", line=number)
        row = dict(zip(COLUMNS, cells, strict=True))
        key = (row["appl_no"], row["product_no"])
        if not row["appl_no"].isdigit() or not row["product_no"].isdigit() or not row["brand_name"]:
            raise CatalogueFileError(name, "no application number, product number or name", line=number)
        if key in products:
            raise CatalogueFileError(name, f"application {key[0]} product {key[1]} appears twice", line=number)
        status = row["marketing_status"] or None
        if status is not None and status not in MARKETING_STATUSES:
            raise CatalogueFileError(name, f"unknown marketing status {status!r}", line=number)
        products[key] = {**row, "slug": product_slug(row["brand_name"]), "marketing_status": status,
                         "te_code": row["te_code"] or None, "reference_drug": row["reference_drug"] == "1"}
    return products


def read_products(folder: Path = CATALOGUE_DIR, limit: int | None = None) -> dict[tuple[str, str], dict]:
    path = folder / PRODUCTS_NAME
    if not path.is_file():
        raise CatalogueFileError(str(path), "the embedded catalogue is missing (build it with `flask drugs build-catalogue DIR`)")
    return decode_products(path.read_bytes(), PRODUCTS_NAME, limit)


def _read_info(path: Path) -> CatalogueInfo:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CatalogueInfo(str(data["source"]), str(data["url"]), str(data["licence"]),
                             date.fromisoformat(data["snapshot"]), int(data["products"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogueFileError(path.name, f"cannot be read ({exc})") from None


def catalogue_info(folder: Path = CATALOGUE_DIR) -> CatalogueInfo:
    """The embedded catalogue's source and snapshot date, read once per process."""
    path = folder / METADATA_NAME
    return read_once((__name__, str(folder)), [path], lambda: _read_info(path))


# --- loading (flask seed) ----------------------------------------------------------------


def _foreign_products(session: Session, products: dict[tuple[str, str], dict]) -> int:
    """Products in the database that the embedded copy does not have."""
    stored = session.execute(select(Product.appl_no, Product.product_no))
    return sum(1 for key in stored if tuple(key) not in products)


def seed(session: Session, echo: Callable[[str], None], folder: Path = CATALOGUE_DIR,
         limit: int | None = None) -> ImportReport | None:
    """Load the embedded catalogue (idempotent: unchanged products are not written).

    `limit` loads the first products only (the test configuration, so tests that seed stay
    fast). When the database holds products the embedded copy lacks, a newer release was
    imported with `flask import drugsatfda`; the embedded, older values must not overwrite
    it, so nothing is loaded. Returns None then."""
    if limit == 0:
        echo("  catalogue: not loaded (DRUG_CATALOGUE_SEED_LIMIT is 0)")
        return None
    info = catalogue_info(folder)
    products = read_products(folder, limit)
    echo(f"  catalogue: {len(products)} products from the {info.snapshot.isoformat()} snapshot"
         + (f" (the first {limit} only)" if limit is not None else ""))
    foreign = _foreign_products(session, products)
    if foreign:
        echo(f"  left the catalogue as it is: it holds {foreign} products the embedded copy does not have "
             "(a newer release imported with `flask import drugsatfda DIR`)")
        return None
    report = ImportReport(rows_read=len(products))
    drugsatfda_import.load_products(session, products, report, echo)
    echo(f"  products: {report.inserted} new, {report.updated} updated, {report.unchanged} unchanged; "
         f"ingredients added: {report.ingredients_created}; links to monographs changed: {report.linked_to_monograph}")
    return report
