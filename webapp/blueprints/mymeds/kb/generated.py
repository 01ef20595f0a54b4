"""The generated interaction pairs (webapp/data/interactions_public.json.gz, written by
`flask kb build`) as the knowledge base uses them.

The file is kept in memory in its compact form (one small tuple per pair); a `Rule` with
our wording is made only when a pair is looked up, and kept for the next lookup.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from webapp.blueprints.mymeds.kb.knowledge import Rule, Source
from webapp.blueprints.mymeds.kb.wording import GRADES, wording

FORMAT = 1


class GeneratedFileError(ValueError):
    """The generated file cannot be read; the message says why."""


@dataclass(frozen=True)
class PairGrades:
    """What the lists say about one pair: {source id: grade}, the strictest first."""

    grades: tuple[tuple[str, str], ...]
    mechanism: str
    affected: str | None
    capped: bool

    @property
    def strictest(self) -> tuple[str, str]:
        return self.grades[0]


class GeneratedRules:
    def __init__(self, document: dict):
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise GeneratedFileError("not a HealthDesk generated interaction file (format 1)")
        try:
            self.sources = {s["id"]: Source(s["title"], s["url"]) for s in document["sources"]}
            self.source_ids: list[str] = [s["id"] for s in document["sources"]]
            self.grade_codes: list[str] = list(document["grades"])
            self.mechanisms: list[str] = list(document["mechanisms"])
            moieties: list[str] = [str(m) for m in document["moieties"]]
            self._pairs: dict[tuple[str, str], tuple] = {}
            for x, y, mechanism, affected, per_source, capped in document["pairs"]:
                self._pairs[(moieties[x], moieties[y])] = (mechanism, affected, tuple(map(tuple, per_source)), capped)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise GeneratedFileError(f"malformed generated interaction file: {exc!r}") from None
        unknown = set(self.grade_codes) - set(GRADES)
        if unknown:
            raise GeneratedFileError(f"unknown grade(s) {', '.join(sorted(unknown))}")
        self.moieties: frozenset[str] = frozenset(moieties)
        self.stats: dict = document.get("stats") or {}
        self._rules: dict[tuple[str, str], Rule] = {}

    def __len__(self) -> int:
        return len(self._pairs)

    def pairs(self):
        return self._pairs.keys()

    def facts(self, x: str, y: str) -> PairGrades | None:
        key = (x, y) if x <= y else (y, x)
        packed = self._pairs.get(key)
        if packed is None:
            return None
        mechanism, affected, per_source, capped = packed
        grades = sorted(((self.source_ids[s], self.grade_codes[g]) for s, g in per_source),
                        key=lambda sg: (-GRADES[sg[1]].strictness, self.source_ids.index(sg[0])))
        who = key[0] if affected == 0 else key[1] if affected == 1 else None
        return PairGrades(tuple(grades), self.mechanisms[mechanism], who, bool(capped))

    def rule(self, x: str, y: str) -> Rule | None:
        """The rule the lists give this pair (the strictest list wins), in our words."""
        key = (x, y) if x <= y else (y, x)
        if key in self._rules:
            return self._rules[key]
        facts = self.facts(*key)
        if facts is None:
            return None
        source, grade = facts.strictest
        summary, advice = wording(facts.mechanism, grade, key[0], key[1], facts.affected)
        rule = Rule(("ingredient", key[0]), ("ingredient", key[1]), GRADES[grade].severity, summary, advice,
                    self.sources[source], onc_high_priority=any(s == "onc-high" for s, _ in facts.grades))
        self._rules[key] = rule
        return rule


def read_generated(path: Path) -> GeneratedRules | None:
    """The generated rules in a file, or None when there is no such file."""
    if not path.exists():
        return None
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, EOFError, ValueError) as exc:
        raise GeneratedFileError(f"{path.name}: {exc}") from None
    return GeneratedRules(document)
