"""Read the interaction knowledge base from webapp/data/ (drug_classes.yaml,
interactions.yaml, drug_conditions.yaml, and the pairs generated from public lists in
interactions_public.json.gz), validate it strictly, and keep it in memory.

The files are the single source of truth: every process reads them (once, then again
only when a file changes), so there is no copy in the database to drift. `flask seed`
runs `seed`, which refuses invalid files with a message naming the entry, and reports
ingredient names the reference does not know (usually a typo in the data).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.blueprints.drugs.feeds import ingredient_names
from webapp.blueprints.mymeds.kb.generated import GeneratedFileError, read_generated
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBase, KnowledgeBaseError, build_knowledge_base
from webapp.core.datafiles import DATA_DIR, DataFileError, forget, read_once, read_yaml

FILES = ("drug_classes.yaml", "interactions.yaml", "drug_conditions.yaml")
PUBLIC_FILE = "interactions_public.json.gz"  # written by `flask kb build` (kb_build.py)


def _read(path: Path) -> object:
    if not path.exists():
        return []
    try:
        data = read_yaml(path)
    except DataFileError as exc:
        raise KnowledgeBaseError(str(exc)) from None
    return [] if data is None else data


def read_hand_rules(data_dir: Path = DATA_DIR) -> KnowledgeBase:
    """The hand-written rules alone (no generated pairs): parse and validate the three files."""
    documents = [_read(data_dir / name) for name in FILES]
    return build_knowledge_base(*documents)


def read_knowledge_base(data_dir: Path = DATA_DIR) -> KnowledgeBase:
    """The full knowledge base: the hand-written rules and the generated pairs (no cache)."""
    hand = read_hand_rules(data_dir)
    try:
        generated = read_generated(data_dir / PUBLIC_FILE)
    except GeneratedFileError as exc:
        raise KnowledgeBaseError(str(exc)) from None
    if generated is None:
        return hand
    return KnowledgeBase(hand.classes.values(), hand.rules, hand.condition_rules, hand.conditions.values(), generated)


def knowledge_base(data_dir: Path = DATA_DIR) -> KnowledgeBase:
    """The knowledge base, read once per process and again when a file changes."""
    files = [data_dir / name for name in (*FILES, PUBLIC_FILE)]
    return read_once((__name__, data_dir), files, lambda: read_knowledge_base(data_dir))


def unknown_ingredients(session: Session, kb: KnowledgeBase) -> list[str]:
    """Ingredient names in the knowledge base that the reference does not have."""
    known = ingredient_names(session)
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
    missing = unknown_ingredients(session, read_hand_rules(data_dir))
    if missing:
        echo(f"  note: {len(missing)} ingredient name(s) in the rules are not in the drug reference "
             f"(rules for them apply once such a medicine is added): {', '.join(missing)}")
    if kb.generated is not None:
        echo(f"  pairs from public lists ({PUBLIC_FILE}): {len(kb.generated):,} among "
             f"{len(kb.generated.moieties):,} medicines")
    else:
        echo(f"  no {PUBLIC_FILE}: only the hand-written rules (run `flask kb build SOURCE_DIR`)")
