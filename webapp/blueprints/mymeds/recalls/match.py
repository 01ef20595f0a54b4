"""Match FDA recalls to saved medicines, carefully.

1. By product code (NDC): when both the recall and the saved medicine carry NDCs, they
   decide alone. A different NDC means a different product: no alert.
2. Otherwise by ingredients and brand: the recall's active ingredients must be exactly
   the medicine's (a hydrocodone-acetaminophen recall is not about plain acetaminophen).
   When both name strengths and none is shared, it is another strength: no alert.
   Every such match says what the recall covers (strengths, firm, lots), because a recall
   of one maker's 25 mg tablets must not read as "your atenolol is recalled".

`match_recall` is pure; `match_recalls` applies it to the saved medicines in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.drugs import moieties
from webapp.blueprints.mymeds.models import Recall, RecallMatch, SavedMedicine
from webapp.blueprints.mymeds.recalls.fda_import import canonical_ndc

FORM_WORDS = frozenset([
    "tablet", "tablets", "capsule", "capsules", "caplet", "caplets", "usp", "injection", "injectable", "oral",
    "solution", "suspension", "extended", "delayed", "release", "er", "xr", "sr", "cr", "dr", "odt", "film",
    "coated", "film-coated", "chewable", "orally", "disintegrating", "cream", "ointment", "gel", "patch",
    "patches", "syrup", "liquid", "for", "ophthalmic", "topical", "lotion", "spray", "nasal", "drops",
    "autoinjector", "auto-injector", "vial", "vials", "rx", "only", "otc", "lubricant", "powder", "granules",
    "elixir", "concentrate", "kit", "pen", "prefilled", "syringe", "inhalation", "inhaler", "aerosol",
    "transdermal", "sublingual", "buccal", "vaginal", "rectal", "suppository", "suppositories", "softgel",
    "softgels", "gelcap", "gelcaps", "extended-release", "delayed-release", "immediate", "hcl", "mg", "mcg",
    "ml", "and",
])
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|mcg|µg|g|ml|%|units?|iu)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*")
_PARENS = re.compile(r"\(([^()]*)\)")


def strengths_in(text: str) -> frozenset[str]:
    out = set()
    for number, unit in _STRENGTH.findall(text or ""):
        unit = unit.lower().replace("µg", "mcg").rstrip("s")
        value = number.rstrip("0").rstrip(".") if "." in number else number
        out.add(f"{value} {unit}")
    return frozenset(out)


def moiety(name: str) -> str:
    """One ingredient of a recall's description as the medicine resolver names it (so that a
    recall's "Potassium Chloride Extended-Release" and "Ferrous Sulfate" meet the saved
    medicines' moieties), after the recall's own packaging words are dropped."""
    words = [w for w in _WORD.findall(name.lower()) if w not in FORM_WORDS and not any(ch.isdigit() for ch in w)]
    return moieties.moiety(" ".join(words))


def _split_ingredients(text: str) -> frozenset[str]:
    parts = re.split(r"\band\b|,|/|;|\+", text.lower())
    return frozenset(filter(None, (moiety(p) for p in parts)))


def ingredients_from_description(description: str) -> tuple[frozenset[str], str]:
    """(ingredients, brand words) read from the start of a product description:
    "Atenolol Tablets USP, 25 mg ..." -> ({"atenolol"}, "");
    "Introvale (levonorgestrel and ethinyl estradiol) tablets ..." -> ({"levonorgestrel", "ethinyl estradiol"}, "introvale")."""
    head = (description or "").split(",")[0]
    inside = [g for g in _PARENS.findall(head) if not any(ch.isdigit() for ch in g)]
    outside = _PARENS.sub(" ", head)
    if inside:
        return _split_ingredients(" and ".join(inside)), moiety(outside)
    return _split_ingredients(outside), ""


@dataclass(frozen=True)
class RecallFacts:
    ndcs: frozenset[str]
    ingredients: frozenset[str]
    brands: frozenset[str]
    strengths: frozenset[str]
    firm: str
    text: str  # lowercase description, for brand words


@dataclass(frozen=True)
class MedicineFacts:
    ndc: str | None
    ingredients: frozenset[str]
    brands: frozenset[str]
    strength: str = ""


@dataclass(frozen=True)
class MatchResult:
    basis: str  # "ndc", "brand" or "ingredient"
    scope_note: str


def recall_facts(recall: Recall) -> RecallFacts:
    ingredients: frozenset[str] = frozenset()
    brand_words = ""
    if recall.generic_names:
        ingredients = frozenset().union(*(_split_ingredients(g) for g in recall.generic_names))
    if not ingredients:
        ingredients, brand_words = ingredients_from_description(recall.product_description)
    brands = frozenset(b.lower() for b in (recall.brand_names or [])) | ({brand_words} if brand_words else frozenset())
    ndcs = frozenset(filter(None, (canonical_ndc(n) for n in recall.ndcs or [])))
    return RecallFacts(ndcs, ingredients, brands, strengths_in(recall.product_description), recall.recalling_firm,
                       (recall.product_description or "").lower())


def medicine_facts(medicine: SavedMedicine) -> MedicineFacts:
    return MedicineFacts(canonical_ndc(medicine.ndc), frozenset(i.lower() for i in medicine.ingredients or []),
                         frozenset(b.lower() for b in medicine.brand_names or [] if b), medicine.strength or "")


def _brand_named(recall: RecallFacts, brands: Iterable[str]) -> bool:
    return any(brand in recall.brands or re.search(r"\b" + re.escape(brand) + r"\b", recall.text) for brand in brands)


def scope_note(recall: RecallFacts) -> str:
    parts = []
    if recall.strengths:
        parts.append("strength " + ", ".join(sorted(recall.strengths)))
    if recall.firm:
        parts.append(f"made or sold by {recall.firm}")
    covered = " and ".join(parts) if parts else "particular products and lots"
    return (f"This recall covers only {covered}, not every product with this ingredient. "
            "Compare the maker, strength and lot number on your label with the recall before acting on it.")


def match_recall(recall: RecallFacts, medicine: MedicineFacts) -> MatchResult | None:
    if medicine.ndc and recall.ndcs:
        if medicine.ndc in recall.ndcs:
            return MatchResult("ndc", f"The recall lists the product code of your medicine (NDC {medicine.ndc}). "
                                      "Check the lot number on your package against the recall.")
        return None
    if not medicine.ingredients or medicine.ingredients != recall.ingredients:
        return None
    medicine_strengths = strengths_in(medicine.strength)
    if medicine_strengths and recall.strengths and not (medicine_strengths & recall.strengths):
        return None
    basis = "brand" if medicine.brands and _brand_named(recall, medicine.brands) else "ingredient"
    return MatchResult(basis, scope_note(recall))


def match_recalls(session: Session, recall_ids: Sequence[int]) -> list[RecallMatch]:
    """Record a RecallMatch for every active saved medicine a recall concerns; returns the new ones."""
    if not recall_ids:
        return []
    medicines = list(session.execute(select(SavedMedicine).where(SavedMedicine.status == "active")).scalars())
    by_ndc: dict[str, list[tuple[SavedMedicine, MedicineFacts]]] = {}
    by_ingredients: dict[frozenset[str], list[tuple[SavedMedicine, MedicineFacts]]] = {}
    for medicine in medicines:
        facts = medicine_facts(medicine)
        if facts.ndc:
            by_ndc.setdefault(facts.ndc, []).append((medicine, facts))
        if facts.ingredients:
            by_ingredients.setdefault(facts.ingredients, []).append((medicine, facts))
    if not medicines:
        return []
    created: list[RecallMatch] = []
    for start in range(0, len(recall_ids), 500):
        chunk = list(recall_ids[start:start + 500])
        existing = {tuple(row) for row in session.execute(select(RecallMatch.recall_id, RecallMatch.saved_medicine_id)
                                       .where(RecallMatch.recall_id.in_(chunk)))}
        for recall in session.execute(select(Recall).where(Recall.id.in_(chunk))).scalars():
            facts = recall_facts(recall)
            candidates: dict[int, tuple[SavedMedicine, MedicineFacts]] = {}
            for ndc in facts.ndcs:
                for pair in by_ndc.get(ndc, ()):
                    candidates[pair[0].id] = pair
            for pair in by_ingredients.get(facts.ingredients, ()):
                candidates[pair[0].id] = pair
            for medicine_id, (medicine, med_facts) in sorted(candidates.items()):
                if (recall.id, medicine_id) in existing:
                    continue
                result = match_recall(facts, med_facts)
                if result is None:
                    continue
                match = RecallMatch(recall_id=recall.id, saved_medicine_id=medicine_id, profile_id=medicine.profile_id,
                                    user_id=medicine.user_id, basis=result.basis, scope_note=result.scope_note)
                session.add(match)
                created.append(match)
    session.flush()
    return created
