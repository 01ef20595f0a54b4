"""`flask kb report`: what the interaction knowledge base covers, measured by a script.

    report = measure(kb, hand_kb, recognised, source_dir)
    for line in report_lines(report): print(line)

- moieties recognised and moieties with at least one interaction rule;
- recall against the ONC lists and against ANSM contraindication / not-recommended pairs
  (WorldVistA's own expansion of the thesaurus, independent of ours), for pairs whose two
  medicines are both in the knowledge base, and for pairs within our reference;
- false-major rate on 200 random pairs that no list names (fixed seed), with the pairs;
- the review list: pairs where a hand-written rule and the lists disagree, or the lists
  disagree with each other (the stricter is shown);
- pairs graded major with the hand-written rules only, and with everything, and where
  the rise comes from.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from webapp.blueprints.mymeds.kb import sources as kb_sources
from webapp.blueprints.mymeds.kb.build import NameMap, build_pairs
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBase
from webapp.blueprints.mymeds.kb.wording import GRADES

SAMPLE_SIZE = 200
SAMPLE_SEED = 19  # the number: the same 200 pairs every run


@dataclass
class Recall:
    name: str
    pairs: int = 0
    flagged: int = 0
    major: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        if not self.pairs:
            return f"  {self.name}: no pairs"
        return (f"  {self.name}: {self.pairs:,} pairs; flagged {self.flagged:,} ({100 * self.flagged / self.pairs:.1f}%), "
                f"as major {self.major:,} ({100 * self.major / self.pairs:.1f}%)")


@dataclass
class Conflict:
    pair: tuple[str, str]
    hand: str | None  # the hand-written rule's severity (None: no hand rule)
    lists: tuple[tuple[str, str], ...]  # (source, grade)
    shown: str
    kept_by_review: bool = False  # the hand rule stands over a stricter list (stands_over_lists)


@dataclass
class KbReport:
    recognised: int
    recognised_from: str
    with_rules: int
    known_ingredients: int
    generated_pairs: int
    recalls: list[Recall]
    sample: list[tuple[str, str, str | None, str]]  # (x, y, severity shown, which rule)
    conflicts: list[Conflict]
    major_before: int
    major_after: int
    rise_by_grade: Counter
    lowered: int
    major_in_reference: tuple[int, int] = (0, 0)  # before, after, both medicines in our reference


def _pairs_named(rows: Iterable[tuple[str, str, str | None]], names: NameMap) -> dict[tuple[str, str], str]:
    """{pair: strictest grade} for list rows, in our moiety names."""
    found: dict[tuple[str, str], str] = {}
    for a, b, grade in rows:
        if grade is None:
            continue
        for x in names(a):
            for y in names(b):
                if x == y:
                    continue
                key = (x, y) if x <= y else (y, x)
                if key not in found or GRADES[grade].strictness > GRADES[found[key]].strictness:
                    found[key] = grade
    return found


def _recall(name: str, pairs: Iterable[tuple[str, str]], kb: KnowledgeBase, within: frozenset[str]) -> Recall:
    result = Recall(name)
    for x, y in sorted(pairs):
        if x not in within or y not in within:
            continue
        result.pairs += 1
        rule = kb.pair_rule(x, y)
        if rule is None:
            result.missed.append((x, y))
            continue
        result.flagged += 1
        result.major += rule.severity == "major"
    return result


def _hand_pairs(hand: KnowledgeBase, universe: frozenset[str]) -> set[tuple[str, str]]:
    """Every pair of medicines a hand-written drug rule covers, among `universe`."""
    def members(term):
        kind, key = term
        if kind == "class":
            return hand.classes[key].members & universe
        return {key} & universe if kind == "ingredient" else set()

    found = set()
    for rule in hand.rules:
        for x in members(rule.a):
            for y in members(rule.b):
                if x != y:
                    found.add((x, y) if x <= y else (y, x))
    return found


def measure(kb: KnowledgeBase, hand: KnowledgeBase, recognised: frozenset[str], recognised_from: str,
            reference: frozenset[str], source_dir: Path | None) -> KbReport:
    known = kb.known_ingredients
    generated = kb.generated
    listed: dict[tuple[str, str], str] = {}
    recalls: list[Recall] = []
    if source_dir is not None:
        # What the lists say, before our caps: the thesaurus rows with their classes expanded
        # by its class-members file (the data we build from), and the ONC lists.
        said, _stats = build_pairs(source_dir, known, cap=False)
        by_grade: dict[str, list[tuple[str, str]]] = {}
        for pair, facts in said.items():
            for grade, _specificity in facts.grades.values():
                by_grade.setdefault(grade, []).append(pair)
        # WorldVistA's own expansion (an earlier 2016 version with other class lists): an
        # independent check of our expansion.
        flat = _pairs_named(kb_sources.read_ansm_flat(source_dir / kb_sources.ANSM_FLAT), NameMap(known))
        listed.update(dict.fromkeys(said, ""))
        listed.update(dict.fromkeys(flat, ""))
        for scope, within in (("in the knowledge base", known), ("in our reference", known & reference)):
            recalls += [
                _recall(f"ANSM contraindications, {scope}", by_grade.get("ansm-contraindication", ()), kb, within),
                _recall(f"ANSM not recommended, {scope}", by_grade.get("ansm-not-recommended", ()), kb, within),
                _recall(f"ONC high priority, {scope}", by_grade.get("onc-high-priority", ()), kb, within),
                _recall(f"ONC non-interruptive, {scope}", by_grade.get("onc-non-interruptive", ()), kb, within),
            ]
        recalls += [
            _recall("ANSM contraindications in WorldVistA's flattened expansion, in the knowledge base",
                    [p for p, g in flat.items() if g == "ansm-contraindication"], kb, known),
            _recall("ANSM not recommended in WorldVistA's flattened expansion, in the knowledge base",
                    [p for p, g in flat.items() if g == "ansm-not-recommended"], kb, known),
        ]
    if generated is not None:
        listed.update(dict.fromkeys(generated.pairs(), ""))

    # 200 pairs no list names, drawn from the medicines the knowledge base knows.
    pool = sorted(known & recognised) or sorted(known)
    rng = random.Random(SAMPLE_SEED)
    sample: list[tuple[str, str, str | None, str]] = []
    seen: set[tuple[str, str]] = set()
    attempts = 0
    while len(sample) < SAMPLE_SIZE and len(pool) > 1 and attempts < 100_000:
        attempts += 1
        x, y = sorted(rng.sample(pool, 2))
        if (x, y) in listed or (x, y) in seen:
            continue
        seen.add((x, y))
        rule = kb.pair_rule(x, y)
        sample.append((x, y, rule.severity if rule else None, _why(kb, rule)))

    conflicts: list[Conflict] = []
    if generated is not None:
        for x, y in sorted(generated.pairs()):
            facts = generated.facts(x, y)
            hand_rule = hand.pair_rule(x, y)
            severities = {GRADES[g].severity for _, g in facts.grades}
            if hand_rule is not None:
                severities.add(hand_rule.severity)
            if len(severities) > 1:
                shown = kb.pair_rule(x, y)
                conflicts.append(Conflict((x, y), hand_rule.severity if hand_rule else None, facts.grades,
                                          shown.severity if shown else "-",
                                          hand_rule is not None and hand_rule.stands_over_lists))

    universe = frozenset(known | recognised)
    pairs = _hand_pairs(hand, universe) | (set(generated.pairs()) if generated is not None else set())
    before = after = lowered = 0
    in_reference = [0, 0]
    rise: Counter = Counter()
    for x, y in pairs:
        old, new = hand.pair_rule(x, y), kb.pair_rule(x, y)
        was, now = old is not None and old.severity == "major", new is not None and new.severity == "major"
        before += was
        after += now
        if x in reference and y in reference:
            in_reference[0] += was
            in_reference[1] += now
        lowered += was and not now
        if now and not was and generated is not None:
            facts = generated.facts(x, y)
            rise[facts.strictest[1] if facts else "hand"] += 1
    return KbReport(len(recognised), recognised_from, len(known & recognised), len(known),
                    len(generated) if generated is not None else 0, recalls, sample, conflicts,
                    before, after, rise, lowered, tuple(in_reference))


def _why(kb: KnowledgeBase, rule) -> str:
    """Which rule grades a pair, for a reviewer: a hand rule by its terms and source."""
    if rule is None:
        return ""
    if kb.generated is not None and rule.source in kb.generated.sources.values():
        return f"public list: {rule.source.title}"
    terms = " + ".join(kb.term_name(t) for t in (rule.a, rule.b))
    return f"hand rule {terms}; {rule.source.title}"


def report_lines(report: KbReport, show_conflicts: int | None = 60) -> list[str]:
    lines = [
        f"Moieties recognised ({report.recognised_from}): {report.recognised:,}",
        f"Moieties with at least one interaction rule: {report.with_rules:,} of those "
        f"({report.known_ingredients:,} in the knowledge base in all; {report.generated_pairs:,} pairs from public lists)",
        "Recall: pairs a list names, both medicines in the scope named; flagged at any level, and as major",
        *[r.line() for r in report.recalls],
    ]
    majors = [s for s in report.sample if s[2] == "major"]
    flagged = [s for s in report.sample if s[2] is not None]
    lines.append(f"False-major rate on {len(report.sample)} random pairs no list names (seed {SAMPLE_SEED}): "
                 f"{len(majors)} major ({100 * len(majors) / max(1, len(report.sample)):.1f}%), "
                 f"{len(flagged)} flagged at any level")
    lines += [f"  major, to review: {x} + {y} ({why})" for x, y, _, why in majors]
    lines.append(f"Pairs graded major: {report.major_before:,} with the hand-written rules only, "
                 f"{report.major_after:,} with the public lists ({report.lowered} lowered: never, by design); "
                 f"among our reference's medicines alone: {report.major_in_reference[0]:,} -> "
                 f"{report.major_in_reference[1]:,}")
    for grade, count in sorted(report.rise_by_grade.items(), key=lambda item: -item[1]):
        lines.append(f"  +{count:,} graded major because of {grade} ({_WHY.get(grade, '')})")
    lines.append(f"Review list: {len(report.conflicts):,} pairs where the sources disagree (the stricter is shown)")
    by_kind = Counter(_kind(c) for c in report.conflicts)
    lines += [f"  {kind}: {count:,}" for kind, count in sorted(by_kind.items(), key=lambda item: _ORDER.index(item[0]))]
    ordered = sorted(report.conflicts, key=lambda c: (_ORDER.index(_kind(c)), c.pair))
    shown = ordered if show_conflicts is None else ordered[:show_conflicts]
    for c in shown:
        listed = ", ".join(f"{source} {grade.split('-', 1)[1]}" for source, grade in c.lists)
        kept = " (hand rule kept after review)" if c.kept_by_review else ""
        lines.append(f"  {c.pair[0]} + {c.pair[1]}: hand {c.hand or '-'}; lists: {listed}; shown {c.shown}{kept}")
    if show_conflicts is not None and len(report.conflicts) > show_conflicts:
        lines.append(f"  ... {len(report.conflicts) - show_conflicts:,} more (flask kb report --all)")
    return lines


_ORDER = ("a list is stricter than the hand rule: the list is shown, correct the hand rule",
          "a list is stricter, the hand rule is kept after review",
          "the hand rule is stricter than the lists: the hand rule is shown",
          "the lists disagree with each other: the stricter is shown")


def _kind(c: Conflict) -> str:
    if c.hand is None:
        return _ORDER[3]
    if c.kept_by_review:
        return _ORDER[1]
    return _ORDER[0] if c.shown != c.hand else _ORDER[2]


_WHY = {
    "ansm-contraindication": "the French regulator says never combine",
    "ansm-not-recommended": "the French regulator advises against combining",
    "onc-high-priority": "a US expert panel's list of pairs that should interrupt the prescriber",
}

