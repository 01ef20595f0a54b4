"""`flask seed` step: the embedded pills (webapp/data/pills/*.yaml), linked to our drugs.

Each record came from a real SPL label (see the file's header). Upserted by set id and
NDC, so seeding again changes nothing; the drug link is resolved here by slug (the drugs
step runs first). Also: the drug linker the importers use, by active moiety.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.drugs import feeds as drug_reference
from webapp.blueprints.drugs.moieties import moiety
from webapp.blueprints.pills.models import Pill
from webapp.blueprints.pills.search import refresh_facet_counts, set_imprint_keys
from webapp.blueprints.pills.vocab import colour_by_name_or_code, shape_by_name_or_code
from webapp.core.datafiles import DATA_DIR as BASE_DATA_DIR
from webapp.core.datafiles import DataFileError, Fields, read_yaml, records

DATA_DIR = BASE_DATA_DIR / "pills"


PILL_KEYS = {"drug", "name", "strength", "active_ingredients", "dosage_form", "labeler", "imprint", "colors", "shape",
             "size_mm", "score", "ndc", "source"}


class PillDataError(DataFileError):
    """A pill record we refuse: file, record, field and reason."""


def _check(record: object, file: str, number: int) -> dict:
    fields = Fields(record, file, f"record {number}", allowed=PILL_KEYS, required=("name", "ndc"), error=PillDataError)
    for name in fields.text_list("colors"):
        if colour_by_name_or_code(name) is None:
            raise fields.fail("colors", f"unknown colour {name!r}")
    shape = fields.text("shape", required=False)
    if shape and shape_by_name_or_code(shape) is None:
        raise fields.fail("shape", f"unknown shape {shape!r}")
    fields.mapping("source")
    return fields.data


def load_records(folder: Path = DATA_DIR) -> list[dict]:
    """Every record of the folder's files, checked; each says where it came from under "_where"."""
    loaded = []
    for path in sorted(folder.glob("*.yaml")):
        document = records(read_yaml(path, error=PillDataError), path.name, "a list of pills", error=PillDataError)
        for n, record in enumerate(document, start=1):
            record = _check(record, path.name, n)
            record["_where"] = f"{path.name} record {n}"
            loaded.append(record)
    return loaded


def _apply(pill: Pill, record: dict, drug_id: int | None) -> None:
    """Copy a checked record (load_records) onto the pill."""
    colours = [colour_by_name_or_code(name).code for name in record.get("colors") or []]
    shape = shape_by_name_or_code(record.get("shape"))
    source = record.get("source") or {}
    effective = source.get("effective_date")
    pill.source = "seed"
    pill.setid = str(source.get("setid") or "")
    pill.spl_version = source.get("spl_version")
    pill.effective_date = date.fromisoformat(str(effective)) if effective else None
    pill.document_type = str(source.get("document_type") or "")
    pill.product_ndc = str(record["ndc"])
    pill.name = str(record["name"])
    pill.strength = str(record.get("strength") or "")
    pill.active_ingredients = str(record.get("active_ingredients") or "")
    pill.dosage_form = str(record.get("dosage_form") or "")
    pill.labeler = str(record.get("labeler") or "")
    new_imprint = str(record["imprint"]) if record.get("imprint") else None
    imprint_changed = pill.imprint != new_imprint or not pill.imprint_keys
    pill.imprint = new_imprint
    pill.color1 = colours[0] if colours else None
    pill.color2 = colours[1] if len(colours) > 1 else None
    pill.shape = shape.code if shape else None
    pill.size_mm = float(record["size_mm"]) if record.get("size_mm") is not None else None
    pill.score = int(record["score"]) if record.get("score") is not None else None
    pill.drug_id = drug_id
    if imprint_changed:
        set_imprint_keys(pill)


def seed(session: Session, echo: Callable[[str], None]) -> None:
    drug_ids = drug_reference.drug_ids_by_slug(session)
    created = updated = unlinked = 0
    for record in load_records():
        setid = str((record.get("source") or {}).get("setid") or "")
        pill = session.execute(
            select(Pill).where(Pill.setid == setid, Pill.product_ndc == str(record["ndc"]))
        ).scalar_one_or_none()
        if pill is None:
            pill = Pill()
            session.add(pill)
            created += 1
        else:
            updated += 1
        drug_id = drug_ids.get(record.get("drug") or "")
        unlinked += drug_id is None
        _apply(pill, record, drug_id)
    session.flush()
    refresh_facet_counts(session)
    echo(f"  pills: {created} added, {updated} already there"
         + (f"; {unlinked} not linked (their drug is not loaded)" if unlinked else ""))


def make_drug_linker(session: Session) -> Callable[[Pill, list[str]], None]:
    """A function linking an imported pill to our drug with exactly its active moieties."""
    by_ingredients = drug_reference.drug_ids_by_ingredients(session)

    def link(pill: Pill, moieties: list[str]) -> None:
        # the label's moiety names read by the one medicine resolver, as our drugs' ingredients are
        wanted = frozenset(filter(None, (moiety(m) for m in moieties)))
        if wanted:
            pill.drug_id = by_ingredients.get(wanted)

    return link
