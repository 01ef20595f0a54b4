"""Read the interaction knowledge base from webapp/data/ (drug_classes.yaml,
interactions.yaml, drug_conditions.yaml), validate it strictly, and keep it in memory.

The files are the single source of truth: every process reads them (once, then again
only when a file changes), so there is no copy in the database to drift. `flask seed`
runs `seed`, which refuses invalid files with a message naming the entry, and reports
ingredient names the reference does not know (usually a typo in the data).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.drugs.models import Ingredient
from webapp.blueprints.mymeds.knowledge import KnowledgeBase, KnowledgeBaseError, build_knowledge_base
from webapp.core.datafiles import DATA_DIR, DataFileError, forget, read_once, read_yaml

FILES = ("drug_classes.yaml", "interactions.yaml", "drug_conditions.yaml")


def _read(path: Path) -> object:
    if not path.exists():
        return []
    try:
        data = read_yaml(path)
    except DataFileError as exc:
        raise KnowledgeBaseError(str(exc)) from None
    return [] if data is None else data


def read_knowledge_base(data_dir: Path = DATA_DIR) -> KnowledgeBase:
    """Parse and validate the three files (no cache)."""
    documents = [_read(data_dir / name) for name in FILES]
    return build_knowledge_base(*documents)


def knowledge_base(data_dir: Path = DATA_DIR) -> KnowledgeBase:
    """The knowledge base, read once per process and again when a file changes."""
    return read_once((__name__, data_dir), [data_dir / name for name in FILES], lambda: read_knowledge_base(data_dir))


def unknown_ingredients(session: Session, kb: KnowledgeBase) -> list[str]:
    """Ingredient names in the knowledge base that the reference does not have."""
    known = set(session.execute(select(Ingredient.name)).scalars())
    if not known:
        return []
    return sorted(kb.known_ingredients - known)


def seed(session: Session, echo: Callable[[str], None], data_dir: Path = DATA_DIR) -> None:
    """`flask seed` step: validate the knowledge base (raising on any error) and report on it."""
    kb = read_knowledge_base(data_dir)
    forget((__name__, data_dir))
    onc = sum(1 for rule in kb.rules if rule.onc_high_priority)
    food = sum(1 for rule in kb.rules if "food" in (rule.a[0], rule.b[0]))
    echo(f"  drug classes: {len(kb.classes)}; interaction rules: {len(kb.rules)} "
         f"({onc} from the ONC high-priority list, {food} with food or alcohol); "
         f"drug-condition warnings: {len(kb.condition_rules)} for {len(kb.conditions)} conditions")
    missing = unknown_ingredients(session, kb)
    if missing:
        echo(f"  note: {len(missing)} ingredient name(s) in the rules are not in the drug reference "
             f"(rules for them apply once such a medicine is added): {', '.join(missing)}")
