"""The interaction knowledge base: what it holds, how it is looked up, and how it is built
(validated strictly) from plain data, the three YAML documents webapp/data/drug_classes.yaml,
interactions.yaml and drug_conditions.yaml that interaction_loader reads.

- drug classes: a rule that names a class covers every member ("NSAIDs + warfarin");
- pairwise rules between ingredients, classes and foods, each with a severity;
- drug-condition warnings, checked against a profile's conditions;
- which classes count as therapeutic duplication, with the note to show.

Rules are symmetric (A+B is B+A). When several rules match one pair of ingredients the
most specific wins (ingredient/food beats class), then the most severe.

Beside the hand-written rules, the knowledge base may hold rules generated from public
lists (kb/generated.py: GeneratedRules, built by `flask kb build`). For one pair the
hand-written rule is shown (more specific and reviewed) unless a generated rule is more
severe: then the stricter one is shown, and `flask kb report` lists the pair for review. The checker that
applies it to a list of medicines is interactions.check_interactions.

Nothing here touches a database or a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kb/generated.py imports this module
    from webapp.blueprints.mymeds.kb.generated import GeneratedRules

SEVERITIES = ("major", "moderate", "minor")
SEVERITY_RANK = {"major": 3, "moderate": 2, "minor": 1}
SEVERITY_LABELS = {"major": "Major", "moderate": "Moderate", "minor": "Minor"}
TERM_KINDS = ("ingredient", "class", "food")

FOODS = {
    "alcohol": "Alcohol",
    "grapefruit": "Grapefruit and grapefruit juice",
    "vitamin-k-rich-foods": "Foods rich in vitamin K (such as leafy greens)",
    "dairy-calcium": "Milk, dairy and calcium-fortified foods",
    "tyramine-rich-foods": "Tyramine-rich foods (such as aged cheese and cured meats)",
    "caffeine": "Caffeine",
    "potassium-rich-foods-salt-substitutes": "Potassium-rich foods and salt substitutes",
}

# Said whenever the same ingredient is in two separate products and no class note applies.
Term = tuple[str, str]  # ("ingredient", "warfarin"), ("class", "nsaid"), ("food", "alcohol")


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True, eq=False)  # each rule is one object: identity hashing keeps the checker fast
class Rule:
    a: Term
    b: Term
    severity: str
    summary: str
    advice: str
    source: Source
    onc_high_priority: bool = False
    # A reviewed hand rule whose severity stands even where a public list grades the pair
    # more strictly (aspirin + clopidogrel: prescribed together on purpose).
    stands_over_lists: bool = False

    @property
    def specificity(self) -> int:
        return sum(1 if kind == "class" else 2 for kind, _ in (self.a, self.b))


@dataclass(frozen=True, eq=False)
class ConditionRule:
    drug: Term
    condition: str
    severity: str
    summary: str
    advice: str
    source: Source


@dataclass(frozen=True)
class DrugClassInfo:
    slug: str
    name: str
    members: frozenset[str]
    duplication: bool = False
    duplication_note: str = ""


@dataclass(frozen=True)
class ConditionInfo:
    slug: str
    name: str
    synonyms: tuple[str, ...] = ()


class KnowledgeBase:
    """Indexes over the rules, built once; lookups memoised per ingredient pair."""

    def __init__(self, classes: Iterable[DrugClassInfo], rules: Iterable[Rule],
                 condition_rules: Iterable[ConditionRule] = (), conditions: Iterable[ConditionInfo] = (),
                 generated: GeneratedRules | None = None):
        self.generated = generated
        self.classes: dict[str, DrugClassInfo] = {c.slug: c for c in classes}
        self.rules: list[Rule] = list(rules)
        self.condition_rules: list[ConditionRule] = list(condition_rules)
        self.conditions: dict[str, ConditionInfo] = {c.slug: c for c in conditions}
        self.classes_of: dict[str, tuple[str, ...]] = {}
        members: dict[str, list[str]] = {}
        for info in self.classes.values():
            for ingredient in info.members:
                members.setdefault(ingredient, []).append(info.slug)
        self.classes_of = {name: tuple(sorted(slugs)) for name, slugs in members.items()}
        self._pair_index: dict[tuple[Term, Term], list[Rule]] = {}
        self._food_index: dict[Term, list[Rule]] = {}
        for rule in self.rules:
            for mine, other in ((rule.a, rule.b), (rule.b, rule.a)):
                if other[0] == "food" and mine[0] != "food":
                    self._food_index.setdefault(mine, []).append(rule)
                elif mine[0] != "food":
                    self._pair_index.setdefault((mine, other), []).append(rule)
        self._condition_index: dict[Term, list[ConditionRule]] = {}
        for crule in self.condition_rules:
            self._condition_index.setdefault(crule.drug, []).append(crule)
        self._pair_memo: dict[tuple[str, str], Rule | None] = {}
        self._hit_memo: dict[tuple[str, str], PairHit | None] = {}
        self._food_memo: dict[str, tuple[Rule, ...]] = {}
        self._food_hits: dict[str, tuple[tuple[Rule, str, tuple[str, ...]], ...]] = {}
        self._condition_hits: dict[str, tuple[tuple[ConditionRule, tuple[str, ...]], ...]] = {}
        self.duplication_classes_of: dict[str, tuple[str, ...]] = {
            name: tuple(slug for slug in slugs if self.classes[slug].duplication and len(self.classes[slug].members) > 1)
            for name, slugs in self.classes_of.items()}
        # Ingredients with at least one interaction rule (with a medicine or a food), named
        # directly or through a class a rule names: the others cannot be checked at all.
        ruled: set[str] = set()
        for rule in self.rules:
            for kind, name in (rule.a, rule.b):
                if kind == "ingredient":
                    ruled.add(name)
                elif kind == "class" and name in self.classes:
                    ruled.update(self.classes[name].members)
        if generated is not None:
            ruled.update(generated.moieties)
        self.known_ingredients: frozenset[str] = frozenset(ruled)

    def terms(self, ingredient: str) -> list[Term]:
        return [("ingredient", ingredient)] + [("class", slug) for slug in self.classes_of.get(ingredient, ())]

    def pair_rule(self, x: str, y: str) -> Rule | None:
        """The one rule shown for two different ingredients (symmetric), or None."""
        key = (x, y) if x <= y else (y, x)
        if key in self._pair_memo:
            return self._pair_memo[key]
        best: Rule | None = None
        if x != y:
            for tx in self.terms(x):
                for ty in self.terms(y):
                    for rule in self._pair_index.get((tx, ty), ()):
                        if best is None or _better(rule, best):
                            best = rule
            if self.generated is not None:
                listed = self.generated.rule(x, y)
                if listed is not None and (best is None or not best.stands_over_lists
                                           and SEVERITY_RANK[listed.severity] > SEVERITY_RANK[best.severity]):
                    best = listed
        self._pair_memo[key] = best
        return best

    def pair_hit(self, x: str, y: str) -> PairHit | None:
        """pair_rule with the words the finding shows, computed once per ingredient pair (in this order)."""
        key = (x, y)
        if key in self._hit_memo:
            return self._hit_memo[key]
        rule = self.pair_rule(x, y)
        hit = None
        if rule is not None:
            terms = (rule.a, rule.b)
            hit = PairHit(rule, f"{x} and {y}", self._via(_matched_term(self, x, terms), _matched_term(self, y, terms)))
        self._hit_memo[key] = hit
        return hit

    def _via(self, *terms: Term) -> tuple[str, ...]:
        return tuple(self.term_name(t) for t in terms if t[0] == "class")

    def food_hits(self, ingredient: str) -> tuple[tuple[Rule, str, tuple[str, ...]], ...]:
        """(rule, food name, via) for each food rule of an ingredient."""
        if ingredient not in self._food_hits:
            hits = []
            for rule in self.food_rules(ingredient):
                food = rule.b if rule.b[0] == "food" else rule.a
                drug_term = rule.a if food is rule.b else rule.b
                hits.append((rule, self.term_name(food), self._via(_matched_term(self, ingredient, (drug_term,)))))
            self._food_hits[ingredient] = tuple(hits)
        return self._food_hits[ingredient]

    def condition_hits(self, ingredient: str) -> tuple[tuple[ConditionRule, tuple[str, ...]], ...]:
        """(rule, via) for every condition warning of an ingredient, whatever the condition."""
        if ingredient not in self._condition_hits:
            hits = []
            for term in self.terms(ingredient):
                for crule in self._condition_index.get(term, ()):
                    hits.append((crule, self._via(term)))
            self._condition_hits[ingredient] = tuple(hits)
        return self._condition_hits[ingredient]

    def food_rules(self, ingredient: str) -> tuple[Rule, ...]:
        """The rules between this ingredient and foods: one per food, the most specific."""
        if ingredient in self._food_memo:
            return self._food_memo[ingredient]
        per_food: dict[Term, Rule] = {}
        for term in self.terms(ingredient):
            for rule in self._food_index.get(term, ()):
                food = rule.b if rule.b[0] == "food" else rule.a
                current = per_food.get(food)
                if current is None or _better(rule, current):
                    per_food[food] = rule
        result = tuple(per_food[food] for food in sorted(per_food))
        self._food_memo[ingredient] = result
        return result

    def condition_rules_for(self, ingredient: str, conditions: frozenset[str]) -> list[ConditionRule]:
        found = []
        for term in self.terms(ingredient):
            for crule in self._condition_index.get(term, ()):
                if crule.condition in conditions:
                    found.append(crule)
        return found

    def conditions_in_text(self, text: str) -> set[str]:
        """Condition slugs whose name or a synonym appears in free text ("CKD, gout" -> chronic-kidney-disease)."""
        words = " " + re.sub(r"[^a-z0-9]+", " ", (text or "").lower()) + " "
        found = set()
        if words.strip():
            for slug, info in self.conditions.items():
                for name in (info.name, *info.synonyms):
                    phrase = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
                    if phrase and f" {phrase} " in words:
                        found.add(slug)
                        break
        return found

    def condition_name(self, slug: str) -> str:
        info = self.conditions.get(slug)
        return info.name if info else slug.replace("-", " ")

    def term_name(self, term: Term) -> str:
        kind, key = term
        if kind == "class":
            info = self.classes.get(key)
            return info.name if info else key
        if kind == "food":
            return FOODS.get(key, key)
        return key


@dataclass(frozen=True)
class PairHit:
    rule: Rule
    because: str
    via: tuple[str, ...]


def _better(rule: Rule, than: Rule) -> bool:
    return (rule.specificity, SEVERITY_RANK[rule.severity]) > (than.specificity, SEVERITY_RANK[than.severity])



def _matched_term(kb: KnowledgeBase, ingredient: str, rule_terms: Sequence[Term]) -> Term:
    for term in kb.terms(ingredient):
        if term in rule_terms:
            return term
    return ("ingredient", ingredient)


# --- building the knowledge base from plain data (the YAML documents) -----------------------


class KnowledgeBaseError(ValueError):
    """The knowledge base files are not valid; the message says where and why."""


def _term(value: object, where: str, classes: Mapping[str, object], allow_food: bool) -> Term:
    if not isinstance(value, dict) or len(value) != 1:
        raise KnowledgeBaseError(f"{where}: expected one of {{ingredient: ...}}, {{class: ...}} or {{food: ...}}, got {value!r}")
    ((kind, key),) = value.items()
    if kind not in TERM_KINDS or (kind == "food" and not allow_food):
        raise KnowledgeBaseError(f"{where}: unknown kind {kind!r}")
    if not isinstance(key, str) or not key.strip() or key != key.strip().lower():
        raise KnowledgeBaseError(f"{where}: {kind} name must be lowercase text, got {key!r}")
    if kind == "class" and key not in classes:
        raise KnowledgeBaseError(f"{where}: unknown class {key!r}")
    if kind == "food" and key not in FOODS:
        raise KnowledgeBaseError(f"{where}: unknown food {key!r} (known: {', '.join(FOODS)})")
    return (kind, key)


def _text(entry: dict, name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeBaseError(f"{where}: {name} is missing or empty")
    return value.strip()


def _severity(entry: dict, where: str) -> str:
    value = entry.get("severity")
    if value not in SEVERITIES:
        raise KnowledgeBaseError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {value!r}")
    return value


def _source(entry: dict, where: str) -> Source:
    value = entry.get("source")
    if not isinstance(value, dict):
        raise KnowledgeBaseError(f"{where}: source must be {{title: ..., url: ...}}")
    title, url = value.get("title"), value.get("url")
    if not isinstance(title, str) or not title.strip():
        raise KnowledgeBaseError(f"{where}: source title is missing")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise KnowledgeBaseError(f"{where}: source url must start with https://")
    return Source(title.strip(), url)


def _check_keys(entry: dict, allowed: set[str], where: str) -> None:
    unknown = set(entry) - allowed
    if unknown:
        raise KnowledgeBaseError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")


def build_knowledge_base(classes_doc: object, interactions_doc: object, conditions_doc: object) -> KnowledgeBase:
    """Validate the three documents strictly and build the knowledge base."""
    for name, doc in (("drug_classes", classes_doc), ("interactions", interactions_doc), ("drug_conditions", conditions_doc)):
        if not isinstance(doc, list):
            raise KnowledgeBaseError(f"{name}: expected a list of entries")

    classes: dict[str, DrugClassInfo] = {}
    for n, entry in enumerate(classes_doc, start=1):
        where = f"drug_classes entry {n}"
        if not isinstance(entry, dict):
            raise KnowledgeBaseError(f"{where}: expected a mapping")
        _check_keys(entry, {"slug", "name", "members", "duplication", "duplication_note"}, where)
        slug = _text(entry, "slug", where)
        where = f"drug_classes {slug!r}"
        if slug in classes:
            raise KnowledgeBaseError(f"{where}: defined twice")
        members = entry.get("members")
        if not isinstance(members, list) or not members or not all(isinstance(m, str) and m == m.strip().lower() and m for m in members):
            raise KnowledgeBaseError(f"{where}: members must be a non-empty list of lowercase ingredient names")
        duplication = entry.get("duplication", False)
        if not isinstance(duplication, bool):
            raise KnowledgeBaseError(f"{where}: duplication must be true or false")
        note = entry.get("duplication_note") or ""
        if duplication and not str(note).strip():
            raise KnowledgeBaseError(f"{where}: duplication is true but duplication_note is missing")
        classes[slug] = DrugClassInfo(slug, _text(entry, "name", where), frozenset(members), duplication, str(note).strip())

    rules: list[Rule] = []
    seen_pairs: dict[frozenset, int] = {}
    for n, entry in enumerate(interactions_doc, start=1):
        where = f"interactions entry {n}"
        if not isinstance(entry, dict):
            raise KnowledgeBaseError(f"{where}: expected a mapping")
        _check_keys(entry, {"a", "b", "severity", "summary", "advice", "source", "onc_high_priority",
                            "stands_over_lists"}, where)
        a = _term(entry.get("a"), f"{where} (a)", classes, allow_food=True)
        b = _term(entry.get("b"), f"{where} (b)", classes, allow_food=True)
        if a == b and a[0] != "class":
            raise KnowledgeBaseError(f"{where}: a and b are the same")
        if a[0] == "food" and b[0] == "food":
            raise KnowledgeBaseError(f"{where}: a rule between two foods is not a medicine interaction")
        pair = frozenset([a, b])
        if pair in seen_pairs:
            raise KnowledgeBaseError(f"{where}: the same pair as entry {seen_pairs[pair]}")
        seen_pairs[pair] = n
        onc = entry.get("onc_high_priority", False)
        if not isinstance(onc, bool):
            raise KnowledgeBaseError(f"{where}: onc_high_priority must be true or false")
        stands = entry.get("stands_over_lists", False)
        if not isinstance(stands, bool):
            raise KnowledgeBaseError(f"{where}: stands_over_lists must be true or false")
        rules.append(Rule(a, b, _severity(entry, where), _text(entry, "summary", where), _text(entry, "advice", where),
                          _source(entry, where), onc, stands))

    condition_rules: list[ConditionRule] = []
    condition_info: dict[str, ConditionInfo] = {}
    seen_condition_pairs: dict[tuple, int] = {}
    for n, entry in enumerate(conditions_doc, start=1):
        where = f"drug_conditions entry {n}"
        if not isinstance(entry, dict):
            raise KnowledgeBaseError(f"{where}: expected a mapping")
        _check_keys(entry, {"drug", "condition", "condition_name", "condition_synonyms", "severity", "summary",
                            "advice", "source"}, where)
        drug = _term(entry.get("drug"), f"{where} (drug)", classes, allow_food=False)
        slug = _text(entry, "condition", where)
        if slug != slug.lower() or " " in slug:
            raise KnowledgeBaseError(f"{where}: condition must be a lowercase slug, got {slug!r}")
        if "condition_name" in entry:
            synonyms = entry.get("condition_synonyms") or []
            if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
                raise KnowledgeBaseError(f"{where}: condition_synonyms must be a list of text")
            condition_info.setdefault(slug, ConditionInfo(slug, _text(entry, "condition_name", where), tuple(synonyms)))
        elif slug not in condition_info:
            raise KnowledgeBaseError(f"{where}: condition_name is needed the first time {slug!r} appears")
        key = (drug, slug)
        if key in seen_condition_pairs:
            raise KnowledgeBaseError(f"{where}: the same drug and condition as entry {seen_condition_pairs[key]}")
        seen_condition_pairs[key] = n
        condition_rules.append(ConditionRule(drug, slug, _severity(entry, where), _text(entry, "summary", where),
                                             _text(entry, "advice", where), _source(entry, where)))

    return KnowledgeBase(classes.values(), rules, condition_rules, condition_info.values())
