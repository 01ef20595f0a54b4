"""The interaction checker: a pure function over a list of medicines and a knowledge base.

    report = check_interactions(medicines, kb, conditions={"chronic-kidney-disease"})

A medicine is a name and its active ingredients. The knowledge base (knowledge.py: drug
classes, pairwise rules, drug-condition warnings, duplication classes; read from
webapp/data/ by interaction_loader) says which ingredients interact and how.

Two ingredients of one product (hydrocodone + acetaminophen in Norco) never interact with
each other and never count as duplicates of each other.

Nothing here touches a database or a request; the result is plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# interaction_loader imports KnowledgeBaseError and build_knowledge_base from here; its owner
# is changing that module, so they stay importable here until it imports them from knowledge.
from webapp.blueprints.drugs.moieties import nutrient_groups
from webapp.blueprints.mymeds.kb.knowledge import (
    SEVERITIES,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    ConditionRule,
    KnowledgeBase,
    KnowledgeBaseError,  # noqa: F401
    Rule,
    Source,
    build_knowledge_base,  # noqa: F401
)

SAME_INGREDIENT_NOTE = (
    "The same active ingredient is in two of these medicines. Taking both can mean a "
    "double dose. Check with your pharmacist whether you need both."
)

# --- input and output ----------------------------------------------------------------


@dataclass(frozen=True)
class Medicine:
    """What the checker needs to know about one medicine on the list."""

    key: str  # a slug or an id: stable, used in the API output
    name: str  # what the person sees
    ingredients: tuple[str, ...]


@dataclass(slots=True, eq=False)  # made by the hundred per check: plain slots are much cheaper than frozen
class Finding:
    """One interaction: between two medicines, a medicine and a food, or a medicine and a condition."""

    kind: str  # "drug", "food" or "condition"
    severity: str
    medicines: tuple[Medicine, ...]  # two for "drug", one otherwise
    other: str  # the food or condition name ("" for drug pairs)
    summary: str
    advice: str
    source: Source
    because: str  # the ingredients that matched, e.g. "ibuprofen and warfarin"
    via: tuple[str, ...] = ()  # the classes a class rule matched through, e.g. ("NSAIDs ...",)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def medicine_keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.medicines)

    def involves(self, key: str) -> bool:
        return key in self.medicine_keys


@dataclass(frozen=True)
class Duplication:
    """The same ingredient in two products, or two medicines of one class."""

    kind: str  # "ingredient" or "class"
    key: str  # the ingredient name or the class slug
    label: str  # what to call it
    medicines: tuple[Medicine, ...]
    note: str

    def involves(self, key: str) -> bool:
        return any(m.key == key for m in self.medicines)


@dataclass
class InteractionReport:
    medicines: list[Medicine]
    conditions: list[str]  # condition names checked
    interactions: list[Finding] = field(default_factory=list)  # drug-drug
    food: list[Finding] = field(default_factory=list)
    condition_warnings: list[Finding] = field(default_factory=list)
    duplications: list[Duplication] = field(default_factory=list)
    # Recognised, but none of their ingredients has any interaction rule: nothing was really
    # checked for them, and the report must say so rather than list them as checked.
    unchecked: list[Medicine] = field(default_factory=list)

    @property
    def checked(self) -> list[Medicine]:
        """The medicines that were checked against each other (the unchecked left out)."""
        skip = {m.key for m in self.unchecked}
        return [m for m in self.medicines if m.key not in skip and any(i.strip() for i in m.ingredients)]

    @property
    def all_findings(self) -> list[Finding]:
        return sorted(self.interactions + self.condition_warnings + self.food,
                      key=lambda f: (-SEVERITY_RANK[f.severity], _KIND_ORDER[f.kind]))

    def by_severity(self) -> list[tuple[str, list[Finding]]]:
        """[(severity, findings)] for the severities that have any, most severe first."""
        groups = []
        findings = self.all_findings
        for severity in SEVERITIES:
            group = [f for f in findings if f.severity == severity]
            if group:
                groups.append((severity, group))
        return groups

    @property
    def is_empty(self) -> bool:
        return not (self.interactions or self.food or self.condition_warnings or self.duplications)

    def count(self) -> int:
        return len(self.interactions) + len(self.food) + len(self.condition_warnings) + len(self.duplications)

    def about(self, key: str) -> InteractionReport:
        """Only the findings that involve one medicine (shown right after it is added)."""
        return InteractionReport(
            medicines=self.medicines,
            conditions=self.conditions,
            interactions=[f for f in self.interactions if f.involves(key)],
            food=[f for f in self.food if f.involves(key)],
            condition_warnings=[f for f in self.condition_warnings if f.involves(key)],
            duplications=[d for d in self.duplications if d.involves(key)],
            unchecked=[m for m in self.unchecked if m.key == key],
        )


_KIND_ORDER = {"drug": 0, "condition": 1, "food": 2}


def check_interactions(medicines: Sequence[Medicine], kb: KnowledgeBase,
                       conditions: Iterable[str] = ()) -> InteractionReport:
    """Every known interaction, duplication, food and condition warning for a list of medicines."""
    meds = list(medicines)
    condition_set = frozenset(conditions)
    report = InteractionReport(medicines=meds, conditions=[kb.condition_name(c) for c in sorted(condition_set)])
    ingredient_sets = [tuple(dict.fromkeys(i.strip().lower() for i in m.ingredients if i and i.strip())) for m in meds]

    # Drug-drug: every pair of medicines, every pair of their ingredients.
    pair_hit = kb.pair_hit
    for i in range(len(meds)):
        ingredients_i = ingredient_sets[i]
        for j in range(i + 1, len(meds)):
            seen: set[Rule] = set()
            for x in ingredients_i:
                for y in ingredient_sets[j]:
                    hit = pair_hit(x, y)
                    if hit is None or hit.rule in seen:
                        continue
                    seen.add(hit.rule)
                    rule = hit.rule
                    report.interactions.append(Finding(
                        "drug", rule.severity, (meds[i], meds[j]), "", rule.summary, rule.advice, rule.source,
                        hit.because, hit.via))

    # Food and drink; conditions from the profile.
    for med, ingredients in zip(meds, ingredient_sets, strict=True):
        seen_food: set[Rule] = set()
        seen_conditions: set[ConditionRule] = set()
        for x in ingredients:
            for rule, food_name, via in kb.food_hits(x):
                if rule in seen_food:
                    continue
                seen_food.add(rule)
                report.food.append(Finding("food", rule.severity, (med,), food_name, rule.summary, rule.advice,
                                           rule.source, x, via))
            if condition_set:
                for crule, via in kb.condition_hits(x):
                    if crule.condition not in condition_set or crule in seen_conditions:
                        continue
                    seen_conditions.add(crule)
                    report.condition_warnings.append(Finding(
                        "condition", crule.severity, (med,), kb.condition_name(crule.condition), crule.summary,
                        crule.advice, crule.source, x, via))

    report.duplications = _duplications(meds, ingredient_sets, kb)
    report.unchecked = [m for m, ingredients in zip(meds, ingredient_sets, strict=True)
                        if ingredients and not any(x in kb.known_ingredients for x in ingredients)]
    report.interactions.sort(key=lambda f: -SEVERITY_RANK[f.severity])
    report.food.sort(key=lambda f: -SEVERITY_RANK[f.severity])
    report.condition_warnings.sort(key=lambda f: -SEVERITY_RANK[f.severity])
    return report


def _duplications(meds: list[Medicine], ingredient_sets: list[tuple[str, ...]], kb: KnowledgeBase) -> list[Duplication]:
    by_ingredient: dict[str, list[int]] = {}
    for index, ingredients in enumerate(ingredient_sets):
        for name in ingredients:
            by_ingredient.setdefault(name, []).append(index)
    found: list[Duplication] = []

    def note_for(ingredient: str) -> str:
        for slug in kb.classes_of.get(ingredient, ()):
            info = kb.classes[slug]
            if info.duplication and info.members == frozenset([ingredient]):
                return info.duplication_note
        return SAME_INGREDIENT_NOTE

    for name, indexes in sorted(by_ingredient.items()):
        if len(indexes) > 1:
            found.append(Duplication("ingredient", name, name, tuple(meds[i] for i in indexes), note_for(name)))

    # Same class: two different products holding members of a duplication class.
    held_by_class: dict[str, dict[int, set[str]]] = {}
    for index, ingredients in enumerate(ingredient_sets):
        for name in ingredients:
            for slug in kb.duplication_classes_of.get(name, ()):
                held_by_class.setdefault(slug, {}).setdefault(index, set()).add(name)
    for slug in sorted(held_by_class):
        info = kb.classes[slug]
        held = held_by_class[slug]
        # Two products that only share one ingredient are reported above; here two different members are needed.
        if len(held) < 2 or len(set().union(*held.values())) < 2:
            continue
        indexes = sorted(held)
        found.append(Duplication("class", slug, info.name, tuple(meds[i] for i in indexes), info.duplication_note))
    found += _nutrient_duplications(meds, ingredient_sets, {d.key for d in found if d.kind == "class"})
    return found


def _nutrient_duplications(meds: list[Medicine], ingredient_sets: list[tuple[str, ...]],
                           reported: set[str]) -> list[Duplication]:
    """Two products that deliver the same mineral, vitamin or salicylate under different
    names (Caltrate's calcium + Tums' calcium carbonate; aspirin + bismuth subsalicylate;
    vitamin D or iron on its own + a multivitamin). The same ingredient twice is reported
    above; here two different ingredients of one group are needed."""
    found = []
    for group in nutrient_groups():
        if group.slug in reported:
            continue
        held: dict[int, set[str]] = {}
        for index, ingredients in enumerate(ingredient_sets):
            for name in ingredients:
                if name in group.members or name in group.may_be_in:
                    held.setdefault(index, set()).add(name)
        names = set().union(*held.values()) if held else set()
        if len(held) < 2 or len(names) < 2 or not names & group.members:
            continue
        found.append(Duplication("class", group.slug, group.name, tuple(meds[i] for i in sorted(held)), group.note))
    return found

