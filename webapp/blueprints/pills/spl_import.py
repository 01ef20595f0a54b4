"""Import FDA Structured Product Labeling (DailyMed SPL XML) documents into the pills table.

`parse_spl` reads one document: set id, version, labeler, and every product that carries
SPL characteristics (SPLIMPRINT, SPLCOLOR, SPLSHAPE, SPLSIZE, SPLSCORE, SPLFLAVOR,
SPLIMAGE) with its NDC product code, name, dosage form and active ingredients.

`import_paths` walks files, folders and zip files, and loads each document: idempotent
per set id and version (the same version again changes nothing, a newer version replaces
the older one's products, an older version is skipped). A file that cannot be read is
reported with the reason and the import goes on.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.pills.models import Pill
from webapp.blueprints.pills.search import refresh_facet_counts, set_imprint_keys
from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, SHAPE_BY_CODE, colour_by_name_or_code, shape_by_name_or_code

NS = {"v3": "urn:hl7-org:v3"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MAX_FILE_BYTES = 50 * 1024 * 1024  # SPL documents are a few MB at most
MAX_ZIP_MEMBERS = 5000


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


# --- files, folders, zips ---------------------------------------------------------------


def iter_documents(paths: list[str | Path]) -> Iterator[tuple[str, bytes | None, str | None]]:
    """(name, bytes, None) for each XML file found, or (name, None, reason) when unreadable."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in {".xml", ".zip"})
            if not files:
                yield str(path), None, "no .xml or .zip files in this folder"
            yield from iter_documents(files)
        elif not path.exists():
            yield str(path), None, "no such file or folder"
        elif path.suffix.lower() == ".zip":
            yield from _iter_zip(path)
        else:
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    yield str(path), None, "larger than 50 MB; not an SPL label"
                    continue
                yield str(path), path.read_bytes(), None
            except OSError as exc:
                yield str(path), None, f"could not be read ({exc.strerror or exc})"


def _iter_zip(path: Path) -> Iterator[tuple[str, bytes | None, str | None]]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".xml") and not m.is_dir()]
            if not members:
                yield str(path), None, "the zip file holds no .xml file"
            for member in members[:MAX_ZIP_MEMBERS]:
                name = f"{path}::{member.filename}"
                if member.file_size > MAX_FILE_BYTES:
                    yield name, None, "larger than 50 MB; not an SPL label"
                    continue
                try:
                    yield name, archive.read(member), None
                except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                    yield name, None, f"could not be unpacked ({exc})"
    except (zipfile.BadZipFile, OSError) as exc:
        yield str(path), None, f"not a readable zip file ({exc})"


# --- loading into the database ------------------------------------------------------------


@dataclass
class ImportReport:
    documents: int = 0
    products: int = 0
    skipped_same: int = 0
    skipped_older: int = 0
    replaced: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)


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


def pill_from_product(document: SplDocument, product: SplProduct, source: str = "spl") -> Pill:
    colours = [c for c in (_colour_code(code, name) for code, name in product.colours) if c]
    pill = Pill(
        source=source,
        setid=document.setid,
        spl_version=document.version,
        effective_date=_effective_date(document.effective_time),
        document_type=document.document_type[:100],
        product_ndc=product.ndc[:20],
        name=(" ".join(filter(None, [product.name, product.name_suffix])) or "(no name on the label)")[:300],
        strength=product.strength[:300],
        active_ingredients=product.active_ingredients_text,
        dosage_form=product.dosage_form[:120],
        labeler=document.labeler[:300],
        imprint=product.imprint[:200] or None,
        color1=colours[0] if colours else None,
        color2=colours[1] if len(colours) > 1 else None,
        shape=_shape_code(product.shape),
        size_mm=_float(product.size_mm),
        score=_int(product.score),
        flavor=";".join(product.flavors)[:200],
        image_ref=product.image[:300],
    )
    set_imprint_keys(pill)
    return pill


DrugLinker = Callable[[Pill, list[str]], None]  # (pill, active moiety names) -> sets pill.drug_id


def load_document(session: Session, document: SplDocument, link_drug: DrugLinker | None = None) -> str:
    """Store one document's products. Returns "loaded", "replaced", "same" or "older"."""
    existing = session.execute(
        select(Pill.spl_version).where(Pill.setid == document.setid).limit(1)
    ).scalar_one_or_none()
    outcome = "loaded"
    if existing is not None:
        if existing == document.version:
            return "same"
        if existing > document.version:
            return "older"
        outcome = "replaced"
        for pill in session.execute(select(Pill).where(Pill.setid == document.setid)).scalars():
            session.delete(pill)
        session.flush()
    seen = set()
    for product in document.products:
        if not product.ndc or product.ndc in seen:
            continue
        seen.add(product.ndc)
        pill = pill_from_product(document, product)
        if link_drug is not None:
            link_drug(pill, product.moieties)
        session.add(pill)
    session.flush()
    return outcome


def import_paths(session: Session, paths: list[str | Path], echo: Callable[[str], None] = lambda _m: None,
                 link_drug: DrugLinker | None = None) -> ImportReport:
    """Import every SPL document under paths; commits per document; never stops on a bad file."""
    report = ImportReport()
    for name, data, problem in iter_documents(paths):
        if problem is not None:
            report.problems.append((name, problem))
            echo(f"  could not read {name}: {problem}")
            continue
        try:
            document = parse_spl(data)
        except SplError as exc:
            report.problems.append((name, str(exc)))
            echo(f"  could not read {name}: {exc}")
            continue
        try:
            outcome = load_document(session, document, link_drug)
            session.commit()
        except Exception as exc:  # a database refusal for one document must not stop the rest
            session.rollback()
            report.problems.append((name, f"could not be stored ({exc.__class__.__name__})"))
            echo(f"  could not store {name}: {exc.__class__.__name__}")
            continue
        report.documents += 1
        if outcome == "same":
            report.skipped_same += 1
        elif outcome == "older":
            report.skipped_older += 1
        else:
            report.products += len({p.ndc for p in document.products if p.ndc})
            report.replaced += outcome == "replaced"
        echo(f"  [{report.documents}] {Path(name.split('::')[-1]).name}: set {document.setid} v{document.version}, "
             f"{len(document.products)} product(s) — {outcome}")
    refresh_facet_counts(session)
    session.commit()
    return report
