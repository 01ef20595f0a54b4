"""Bulk import of a flat CSV in the NLM Pillbox column layout.

Columns are matched by name, case-insensitively; the ones we read (others are ignored):
setid, version_number (or spl_version), effective_time, product_code (or ndc, ndc9),
medicine_name (or title), spl_strength, spl_ingredients, author (or labeler),
dosage_form, document_type, splimprint, splcolor (SPL codes or names, ";" between two),
splcolor_text, splshape (code or name), splshape_text, splsize, splscore, splimage.

Upserted by (set id, NDC product code); a row from an older version than the one stored
is skipped. Bad rows are reported with their line number and skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.pills.models import Pill
from webapp.blueprints.pills.search import refresh_facet_counts, set_imprint_keys
from webapp.blueprints.pills.vocab import colour_by_name_or_code, shape_by_name_or_code

BATCH = 1000
MAX_FIELD = 100_000

ALIASES = {
    "ndc": ("product_code", "ndc", "ndc9", "product_ndc"),
    "name": ("medicine_name", "title", "proprietary_name"),
    "version": ("version_number", "spl_version"),
    "labeler": ("author", "labeler", "labeler_name"),
}


@dataclass
class PillboxReport:
    rows: int = 0
    added: int = 0
    updated: int = 0
    skipped_older: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)


def _get(row: dict, *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _colours(row: dict) -> list[str]:
    raw = _get(row, "splcolor") or _get(row, "splcolor_text")
    codes = []
    for piece in raw.replace(",", ";").split(";"):
        if not piece.strip():
            continue
        colour = colour_by_name_or_code(piece)
        if colour is None:
            raise ValueError(f"unknown colour {piece.strip()!r}")
        if colour.code not in codes:
            codes.append(colour.code)
    return codes[:2]


def _number(text: str, kind, low, high, what: str):
    if not text:
        return None
    try:
        value = kind(float(text))
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not low <= value <= high:
        raise ValueError(f"{what} {text!r} is out of range")
    return value


def _row_values(row: dict) -> dict:
    ndc = _get(row, *ALIASES["ndc"])
    if not ndc:
        raise ValueError("no NDC product code")
    shape_text = _get(row, "splshape") or _get(row, "splshape_text")
    shape = shape_by_name_or_code(shape_text) if shape_text else None
    if shape_text and shape is None:
        raise ValueError(f"unknown shape {shape_text!r}")
    colours = _colours(row)
    version_text = _get(row, *ALIASES["version"])
    return {
        "setid": _get(row, "setid").lower()[:64],
        "spl_version": _number(version_text, int, 0, 10_000, "version") if version_text else None,
        "product_ndc": ndc[:20],
        "name": (_get(row, *ALIASES["name"]) or "(no name)")[:300],
        "strength": _get(row, "spl_strength")[:300],
        "active_ingredients": _get(row, "spl_ingredients", "active_ingredients"),
        "labeler": _get(row, *ALIASES["labeler"])[:300],
        "dosage_form": _get(row, "dosage_form")[:120],
        "document_type": _get(row, "document_type")[:100],
        "imprint": _get(row, "splimprint")[:200] or None,
        "color1": colours[0] if colours else None,
        "color2": colours[1] if len(colours) > 1 else None,
        "shape": shape.code if shape else None,
        "size_mm": _number(_get(row, "splsize"), float, 0.1, 100, "size"),
        "score": _number(_get(row, "splscore"), int, 1, 9, "score"),
        "image_ref": _get(row, "splimage")[:300],
    }


def import_csv(session: Session, path: str | Path, echo: Callable[[str], None] = lambda _m: None) -> PillboxReport:
    report = PillboxReport()
    csv.field_size_limit(MAX_FIELD)
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not {"splimprint", "splshape", "splcolor"} & set(reader.fieldnames):
        report.problems.append((1, "this is not a Pillbox-layout CSV (no splimprint, splshape or splcolor column)"))
        return report
    for line, row in enumerate(reader, start=2):
        report.rows += 1
        try:
            values = _row_values(row)
        except (ValueError, csv.Error) as exc:
            report.problems.append((line, str(exc)))
            continue
        pill = session.execute(
            select(Pill).where(Pill.setid == values["setid"], Pill.product_ndc == values["product_ndc"])
        ).scalar_one_or_none()
        if pill is None:
            pill = Pill(source="pillbox")
            session.add(pill)
            report.added += 1
        elif (pill.spl_version or 0) > (values["spl_version"] or 0):
            report.skipped_older += 1
            continue
        else:
            report.updated += 1
        imprint_changed = pill.imprint != values["imprint"] or not pill.imprint_keys
        for key, value in values.items():
            setattr(pill, key, value)
        if imprint_changed:
            set_imprint_keys(pill)
        if report.rows % BATCH == 0:
            session.commit()
            echo(f"  {report.rows} rows")
    session.flush()
    refresh_facet_counts(session)
    session.commit()
    return report
