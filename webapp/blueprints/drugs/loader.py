"""`flask seed` step for the drug reference: conditions, drugs, ingredients, names,
forms and drug classes from webapp/data/, validated strictly and upserted.

Running it twice changes nothing: every row is compared with the data file and only
differences are written. Drugs whose data file disappeared are kept (members' reviews
point at them) and reported.

reference/files.py reads and validates the files, reference/upsert.py writes the rows,
reference/index.py keeps the drug-name search and the site search in step; this module
runs them in order. The readers are importable from here as before the split.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.drugsatfda_import import link_products_to_drugs
from webapp.blueprints.drugs.reference.files import DrugDataError as DrugDataError
from webapp.blueprints.drugs.reference.files import read_classes, read_conditions, read_drugs
from webapp.blueprints.drugs.reference.index import index_site_search, reference_search_terms
from webapp.blueprints.drugs.reference.upsert import upsert_classes, upsert_conditions, upsert_drugs
from webapp.core.datafiles import DATA_DIR

__all__ = ["DrugDataError", "load", "read_classes", "read_conditions", "read_drugs", "seed"]


def load(session: Session, data_dir: Path = DATA_DIR, echo: Callable[[str], None] = lambda _m: None) -> dict:
    """Validate every file first, then upsert. Returns counts (for tests and the CLI)."""
    with session.no_autoflush:
        return _load(session, data_dir, echo)


def _load(session: Session, data_dir: Path, echo: Callable[[str], None]) -> dict:
    conditions_data = read_conditions(data_dir / "conditions")
    drugs_data = read_drugs(data_dir / "drugs", set(conditions_data))
    classes_data = read_classes(data_dir / "drug_classes.yaml")

    conditions, condition_counts = upsert_conditions(session, conditions_data)
    existing, drug_counts = upsert_drugs(session, drugs_data, conditions)
    class_counts = upsert_classes(session, classes_data)
    session.flush()

    session.expire_all()  # read back relationships in their stored order
    linked = link_products_to_drugs(session)
    added, removed = drug_search.sync_terms(session, ("drug", "condition"), reference_search_terms(session))
    typo_added, typo_removed = drug_search.sync_typo_keys(session)
    indexed = index_site_search(session)
    session.flush()
    orphans = sorted(existing - {d.slug for d in drugs_data})

    echo(f"  conditions: {len(conditions_data)} ({condition_counts})")
    echo(f"  drugs: {len(drugs_data)} ({drug_counts})")
    echo(f"  drug classes: {len(classes_data)} ({class_counts})")
    echo(f"  search keys: {added} added, {removed} removed; typo keys: {typo_added} added, {typo_removed} removed")
    if indexed:
        echo(f"  site search: {indexed} drug and condition pages indexed")
    if linked:
        echo(f"  catalogue products newly linked to a monograph: {linked}")
    if orphans:
        echo(f"  kept {len(orphans)} drug(s) that no longer have a data file: {', '.join(orphans)}")
    return {"conditions": condition_counts, "drugs": drug_counts, "classes": class_counts,
            "terms_added": added, "terms_removed": removed, "linked": linked, "orphans": orphans}


def seed(session: Session, echo: Callable[[str], None]) -> None:
    load(session, DATA_DIR, echo)
