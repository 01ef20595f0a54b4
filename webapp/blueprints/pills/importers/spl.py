"""Import FDA Structured Product Labeling (DailyMed SPL XML) documents into the pills table.

`parse_spl` reads one document: set id, version, labeler, and every product that carries
SPL characteristics (SPLIMPRINT, SPLCOLOR, SPLSHAPE, SPLSIZE, SPLSCORE, SPLFLAVOR,
SPLIMAGE) with its NDC product code, name, dosage form and active ingredients.

`import_paths` reads the labels spl_sources finds (DailyMed releases, label zips, folders,
XML files) one at a time and loads each: idempotent per set id and version (the same
version again changes nothing, a newer version replaces the older one's products, an
older version is skipped), with the photos its zip ships. A label that cannot be read is
reported by name with the reason and the import goes on; an interrupted import resumes.
"""

from __future__ import annotations

import re
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.pills import photos
from webapp.blueprints.pills.importers.spl_sources import MAX_XML_BYTES, LabelFile, Source, UnsafeMember, find_sources
from webapp.blueprints.pills.models import Pill, SplImportCheckpoint
from webapp.blueprints.pills.search import refresh_facet_counts, set_imprint_keys
from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, SHAPE_BY_CODE, colour_by_name_or_code, shape_by_name_or_code

NS = {"v3": "urn:hl7-org:v3"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MAX_FILE_BYTES = MAX_XML_BYTES


class SplError(ValueError):
    """A document that is not a usable SPL file; the message says why."""


@dataclass
class SplProduct:
    ndc: str
    name: str
    dosage_form: str
    active_ingredients: list[tuple[str, str]]  # (substance name, "10 mg")
    name_suffix: str = ""  # "Extra Strength"
    moieties: list[str] = field(default_factory=list)  # active moieties ("ATORVASTATIN")
    imprint: str = ""
    colours: list[tuple[str, str]] = field(default_factory=list)  # (code, display name as labelled)
    shape: tuple[str, str] | None = None
    size_mm: str = ""
    score: str = ""
    flavors: list[str] = field(default_factory=list)
    image: str = ""

    @property
    def active_ingredients_text(self) -> str:
        return "; ".join(f"{name} {amount}".strip() for name, amount in self.active_ingredients)

    @property
    def strength(self) -> str:
        return "; ".join(" ".join(amount.split()) for _name, amount in self.active_ingredients if amount)


@dataclass
class SplDocument:
    setid: str
    version: int
    effective_time: str
    document_type: str
    labeler: str
    products: list[SplProduct]


def _text(element: ElementTree.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _attr(element: ElementTree.Element | None, name: str) -> str:
    return (element.get(name) or "").strip() if element is not None else ""


def _amount(quantity: ElementTree.Element | None) -> str:
    numerator = quantity.find("v3:numerator", NS) if quantity is not None else None
    if numerator is None:
        return ""
    # The value as labelled (spacing included), so the text matches the label exactly.
    value, unit = numerator.get("value") or "", _attr(numerator, "unit")
    if not value.strip():
        return ""
    return f"{value} {unit}" if unit and unit != "1" else value


def _read_product(outer: ElementTree.Element) -> SplProduct | None:
    inner = outer.find("v3:manufacturedProduct", NS)
    characteristics = outer.findall("v3:subjectOf/v3:characteristic", NS)
    if inner is None or not characteristics:
        return None
    ingredients, moieties = [], []
    for ingredient in inner.findall("v3:ingredient", NS):
        if not (ingredient.get("classCode") or "").startswith("ACTI"):
            continue
        substance = _text(ingredient.find("v3:ingredientSubstance/v3:name", NS))
        ingredients.append((substance, _amount(ingredient.find("v3:quantity", NS))))
        moiety = _text(ingredient.find("v3:ingredientSubstance/v3:activeMoiety/v3:activeMoiety/v3:name", NS))
        moieties.append(moiety or substance)
    name = inner.find("v3:name", NS)
    product = SplProduct(
        ndc=_attr(inner.find("v3:code", NS), "code"),
        name=(name.text or "").strip() if name is not None else "",
        name_suffix=_text(name.find("v3:suffix", NS)) if name is not None else "",
        dosage_form=_attr(inner.find("v3:formCode", NS), "displayName"),
        active_ingredients=ingredients,
        moieties=moieties,
    )
    for characteristic in characteristics:
        kind = _attr(characteristic.find("v3:code", NS), "code")
        value = characteristic.find("v3:value", NS)
        if value is None:
            continue
        if kind == "SPLIMPRINT":
            product.imprint = _text(value)
        elif kind == "SPLCOLOR":
            product.colours.append((_attr(value, "code"), _attr(value, "displayName")))
        elif kind == "SPLSHAPE":
            product.shape = (_attr(value, "code"), _attr(value, "displayName"))
        elif kind == "SPLSIZE":
            product.size_mm = _attr(value, "value")
        elif kind == "SPLSCORE":
            product.score = _attr(value, "value")
        elif kind == "SPLFLAVOR":
            product.flavors.append(_attr(value, "displayName"))
        elif kind == "SPLIMAGE":
            reference = value.find("v3:reference", NS)
            product.image = _attr(reference, "value") or _text(value)
    return product


def parse_spl(data: bytes) -> SplDocument:
    """Read one SPL XML document (bytes). Raises SplError when it is not one."""
    if len(data) > MAX_FILE_BYTES:
        raise SplError("larger than 50 MB; not an SPL label")
    # SPL has no DTD. A literal "<!" markup declaration can only be a DTD or entity (text
    # holds "&lt;"), so refusing them rules out entity-expansion attacks before parsing.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SplError("XML with a DTD or entities is not accepted")
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 (no DTD possible, see above)
    except ElementTree.ParseError as exc:
        raise SplError(f"not well-formed XML ({exc})") from None
    if root.tag != "{urn:hl7-org:v3}document":
        raise SplError("not an HL7 SPL document (the root element is not urn:hl7-org:v3 document)")
    setid = _attr(root.find("v3:setId", NS), "root")
    if not setid:
        raise SplError("the document has no set id")
    version_text = _attr(root.find("v3:versionNumber", NS), "value")
    try:
        version = int(version_text)
    except ValueError:
        raise SplError(f"the version number {version_text!r} is not a number") from None
    labeler = _text(root.find("v3:author/v3:assignedEntity/v3:representedOrganization/v3:name", NS))
    products = [
        product
        for outer in root.iterfind(".//v3:subject/v3:manufacturedProduct", NS)
        if (product := _read_product(outer)) is not None
    ]
    return SplDocument(
        setid=setid.lower(),
        version=version,
        effective_time=_attr(root.find("v3:effectiveTime", NS), "value"),
        document_type=_attr(root.find("v3:code", NS), "displayName"),
        labeler=labeler,
        products=products,
    )


# --- storing one label ------------------------------------------------------------------------


def _effective_date(text: str) -> date | None:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, IndexError):
        return None


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 1000 else None


def _int(text: str) -> int | None:
    try:
        value = int(float(text))
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 9 else None


def _colour_code(code: str, name: str) -> str | None:
    if code in COLOUR_BY_CODE:
        return code
    colour = colour_by_name_or_code(name)
    return colour.code if colour else None


def _shape_code(shape: tuple[str, str] | None) -> str | None:
    if shape is None:
        return None
    if shape[0] in SHAPE_BY_CODE:
        return shape[0]
    found = shape_by_name_or_code(shape[1])
    return found.code if found else None


def fill_pill(pill: Pill, document: SplDocument, product: SplProduct, source: str = "spl") -> None:
    """Write one label product onto a pill row (new or the one from an older version)."""
    colours = [c for c in (_colour_code(code, name) for code, name in product.colours) if c]
    new_imprint = product.imprint[:200] or None
    imprint_changed = pill.id is None or pill.imprint != new_imprint
    pill.source = source
    pill.setid = document.setid
    pill.spl_version = document.version
    pill.effective_date = _effective_date(document.effective_time)
    pill.document_type = document.document_type[:100]
    pill.product_ndc = product.ndc[:20]
    pill.name = (" ".join(filter(None, [product.name, product.name_suffix])) or "(no name on the label)")[:300]
    pill.strength = product.strength[:300]
    pill.active_ingredients = product.active_ingredients_text
    pill.dosage_form = product.dosage_form[:120]
    pill.labeler = document.labeler[:300]
    pill.imprint = new_imprint
    pill.color1 = colours[0] if colours else None
    pill.color2 = colours[1] if len(colours) > 1 else None
    pill.shape = _shape_code(product.shape)
    pill.size_mm = _float(product.size_mm)
    pill.score = _int(product.score)
    pill.flavor = ";".join(product.flavors)[:200]
    pill.image_ref = product.image[:300]
    if imprint_changed:
        set_imprint_keys(pill)


def pill_from_product(document: SplDocument, product: SplProduct, source: str = "spl") -> Pill:
    pill = Pill()
    fill_pill(pill, document, product, source)
    return pill


DrugLinker = Callable[[Pill, list[str]], None]  # (pill, active moiety names) -> sets pill.drug_id
PhotoFinder = Callable[[SplProduct], str | None]  # product -> stored photo file name


def load_document(session: Session, document: SplDocument, link_drug: DrugLinker | None = None,
                  photo_for: PhotoFinder | None = None, known_setids: set[str] | None = None) -> str:
    """Store one document's products. Returns "loaded", "replaced", "same" or "older".

    A newer version updates its set's rows in place, matched by NDC product code (pages keep
    their address, saved medicines their link); products it no longer lists are removed.
    known_setids, when given, holds every set id in the table (a release is mostly new
    labels: those need no query).
    """
    existing = {}
    if known_setids is None or document.setid in known_setids:
        existing = {pill.product_ndc: pill
                    for pill in session.execute(select(Pill).where(Pill.setid == document.setid)).scalars()}
    outcome = "loaded"
    if existing:
        version = max(pill.spl_version or 0 for pill in existing.values())
        if version == document.version:
            return "same"
        if version > document.version:
            return "older"
        outcome = "replaced"
    seen = set()
    for product in document.products:
        if not product.ndc or product.ndc in seen:
            continue
        seen.add(product.ndc)
        pill = existing.pop(product.ndc[:20], None)
        if pill is None:
            pill = Pill()
            session.add(pill)
        fill_pill(pill, document, product)
        pill.photo_path = photo_for(product) if photo_for is not None else None
        if link_drug is not None:
            link_drug(pill, product.moieties)
    for gone in existing.values():
        session.delete(gone)
    session.flush()
    return outcome


# --- a whole import ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    labels: int = 0  # documents read (whatever happened to them)
    loaded: int = 0  # set ids new to us
    replaced: int = 0  # a newer version of a set id we had
    skipped_same: int = 0
    skipped_older: int = 0
    products: int = 0  # products stored by loaded and replaced labels
    photos: int = 0  # products given a photo
    photos_not_shipped: int = 0  # SPLIMAGE names a file the label's zip does not hold
    problems: list[tuple[str, str]] = field(default_factory=list)  # unreadable labels: (name, reason)
    photo_problems: list[tuple[str, str]] = field(default_factory=list)
    resumed: list[tuple[str, int]] = field(default_factory=list)  # (file, labels already done)

    @property
    def skipped(self) -> int:
        return self.skipped_same + self.skipped_older


Progress = Callable[[int], None]  # labels just finished (read, skipped or refused)

COMMIT_EVERY_LABELS = 200
COMMIT_EVERY_SECONDS = 2.0


def _photo_finder(label: LabelFile, folder: Path | None, report: ImportReport) -> PhotoFinder:
    """Photos of one label's products: each SPLIMAGE file made into a web copy once."""
    made: dict[str, str | None] = {}

    def photo_for(product: SplProduct) -> str | None:
        if not product.image or folder is None:
            return None
        if product.image not in made:
            made[product.image] = None
            try:
                data = label.read_image(product.image)
                if data is None:
                    report.photos_not_shipped += 1
                else:
                    made[product.image] = photos.store(folder, photos.web_copy(data))
            except (photos.PhotoError, UnsafeMember) as exc:
                report.photo_problems.append((f"{label.name} :: {product.image}", str(exc)))
            except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as exc:
                report.photo_problems.append((f"{label.name} :: {product.image}", f"could not be unpacked ({exc})"))
        if made[product.image]:
            report.photos += 1
        return made[product.image]

    return photo_for


class _Checkpoints:
    """Where each source file's import got to (SplImportCheckpoint rows)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.row: SplImportCheckpoint | None = None

    def start(self, source: Source) -> int:
        """Labels of this file already done by an interrupted import of the same file."""
        self.row = None
        if source.kind != "zip" or source.path is None or source.count < 2:
            return 0
        key = str(source.path.resolve())
        row = self.session.execute(select(SplImportCheckpoint).where(SplImportCheckpoint.source == key)
                                   ).scalar_one_or_none()
        if row is None:
            row = SplImportCheckpoint(source=key, fingerprint=source.fingerprint, labels_done=0)
            self.session.add(row)
        elif row.fingerprint != source.fingerprint:  # another file under the same name: start over
            row.fingerprint, row.labels_done = source.fingerprint, 0
        self.row = row
        return min(row.labels_done, source.count)

    def advance(self, position: int) -> None:
        if self.row is not None and position > self.row.labels_done:
            self.row.labels_done = position

    def finish(self) -> None:
        if self.row is not None:
            self.session.delete(self.row)
            self.row = None


def import_paths(session: Session, paths: list[str | Path], echo: Callable[[str], None] = lambda _m: None,
                 link_drug: DrugLinker | None = None, *, photo_folder: Path | None = None,
                 progress: Progress | None = None, sources: list[Source] | None = None) -> ImportReport:
    """Import every SPL label under paths (see spl_sources for the layouts), one at a time.

    Each label is stored in a savepoint of its own, so a database refusal skips that label
    only; work is committed every few seconds together with the file's checkpoint, so an
    interrupted import (Ctrl-C, a crash) started again resumes where the last commit left it.
    Unreadable labels are reported by name with the reason and the import goes on.
    """
    report = ImportReport()
    checkpoints = _Checkpoints(session)
    known_setids = set(session.execute(select(Pill.setid).distinct()).scalars())
    advance = progress or (lambda _n: None)
    pending, last_commit = 0, time.monotonic()
    for source in sources if sources is not None else find_sources(paths):
        start = checkpoints.start(source)
        if start:
            report.resumed.append((source.name, start))
            echo(f"  {source.name}: resuming after label {start} of {source.count}")
            advance(start)
        done_before = start
        for label in source.labels(start):
            _import_label(session, label, link_drug, photo_folder, report, known_setids)
            checkpoints.advance(label.position)
            advance(label.position - done_before)
            done_before = label.position
            pending += 1
            if pending >= COMMIT_EVERY_LABELS or time.monotonic() - last_commit >= COMMIT_EVERY_SECONDS:
                session.commit()
                pending, last_commit = 0, time.monotonic()
        checkpoints.finish()
        session.commit()
    refresh_facet_counts(session)
    session.commit()
    return report


def _import_label(session: Session, label: LabelFile, link_drug: DrugLinker | None, photo_folder: Path | None,
                  report: ImportReport, known_setids: set[str]) -> None:
    if label.problem is not None or label.xml is None:
        report.problems.append((label.name, label.problem or "empty"))
        return
    try:
        document = parse_spl(label.xml)
    except SplError as exc:
        report.problems.append((label.name, str(exc)))
        return
    try:
        with session.begin_nested():
            outcome = load_document(session, document, link_drug, _photo_finder(label, photo_folder, report),
                                    known_setids)
    except Exception as exc:  # noqa: BLE001 - a database refusal for one label must not stop the rest
        report.problems.append((label.name, f"could not be stored ({exc.__class__.__name__})"))
        return
    report.labels += 1
    known_setids.add(document.setid)
    if outcome == "same":
        report.skipped_same += 1
    elif outcome == "older":
        report.skipped_older += 1
    else:
        report.products += len({p.ndc for p in document.products if p.ndc})
        report.loaded += outcome == "loaded"
        report.replaced += outcome == "replaced"


# --- labels DailyMed withdrew -------------------------------------------------------------------

SETID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


def read_setids(path: Path) -> list[str]:
    """The set ids listed in a file: the first set id on each line (a plain list, or DailyMed's
    delimited files, whose lines carry other columns too). Raises OSError, UnicodeDecodeError."""
    found: dict[str, None] = {}
    with open(path, encoding="utf-8-sig") as handle:
        for line in handle:
            match = SETID.search(line)
            if match:
                found[match.group(0).lower()] = None
    return list(found)


def remove_setids(session: Session, setids: list[str]) -> int:
    """Remove the pills of these labels; returns how many pills went."""
    removed = 0
    for start in range(0, len(setids), 500):
        chunk = setids[start:start + 500]
        for pill in session.execute(select(Pill).where(Pill.setid.in_(chunk))).scalars():
            session.delete(pill)
            removed += 1
        session.flush()
    refresh_facet_counts(session)
    session.commit()
    return removed
