"""The drug reference in the two searches: the drug-name search keys and the site search."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.models import Condition, Drug
from webapp.core.search.index import index_document, remove_kind


def reference_search_terms(session: Session) -> list[drug_search.TermRow]:
    """Search rows for every curated drug and condition, from what is in the database."""
    rows: list[drug_search.TermRow] = []
    drugs = session.execute(select(Drug).options(selectinload(Drug.names), selectinload(Drug.ingredients))).scalars()
    for drug in drugs:
        names = [("name", drug.name), ("generic", drug.generic_name), ("name", drug.slug.replace("-", " "))]
        names += [("brand", n.name) if n.kind == "brand" else ("synonym", n.name) for n in drug.names]
        names += [("ingredient", i.name) for i in drug.ingredients]
        rows += drug_search.terms_for("drug", drug.slug, drug.name, drug_search.drug_weight(drug.popularity), names)
    for condition in session.execute(select(Condition).options(selectinload(Condition.synonyms))).scalars():
        names = [("condition", condition.name)] + [("condition", s.name) for s in condition.synonyms]
        rows += drug_search.terms_for("condition", condition.slug, condition.name, drug_search.CONDITION_WEIGHT, names)
    return rows


_MARKDOWN_MARKS = re.compile(r"[*_`>#\[\]|]+")


def _plain(*parts) -> str:
    text = " ".join(p if isinstance(p, str) else " ".join(p) for p in parts if p)
    return " ".join(_MARKDOWN_MARKS.sub(" ", text).split())


def index_site_search(session: Session) -> int:
    """Put every drug and condition page into the shared site search; pages whose data
    file went away are pruned. Returns how many were indexed."""
    drugs = session.execute(select(Drug).options(selectinload(Drug.names))).scalars().all()
    for drug in drugs:
        title = drug.name + (f" ({', '.join(drug.brand_names[:4])})" if drug.brand_names else "")
        body = _plain(drug.generic_name, drug.synonyms, drug.summary, drug.uses, drug.side_effects_common,
                      drug.side_effects_serious, drug.warnings)
        index_document(session, "drug", drug.slug, title, body, f"/drugs/{drug.slug}")
    conditions = session.execute(select(Condition).options(selectinload(Condition.synonyms))).scalars().all()
    for condition in conditions:
        body = _plain(condition.description, [s.name for s in condition.synonyms])
        index_document(session, "condition", condition.slug, f"Drugs for {condition.name}", body,
                       f"/conditions/{condition.slug}")
    remove_kind(session, "drug", keep={d.slug for d in drugs})
    remove_kind(session, "condition", keep={c.slug for c in conditions})
    return len(drugs) + len(conditions)
