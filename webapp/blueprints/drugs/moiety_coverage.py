"""How well the medicine resolver (moieties.py) reads a catalogue: every product should
resolve to at least one moiety, or say why not.

    report = coverage(read_products(Path("Products.txt")), known={"atorvastatin", ...})

Used by bench/moiety_coverage.py and by the test that runs it over the whole Drugs@FDA
catalogue. Pure apart from reading the file it is given.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from webapp.blueprints.drugs.moieties import SALT_WORDS, resolve, tables


@dataclass
class CoverageReport:
    products: int = 0
    resolved: int = 0
    no_moiety: Counter = field(default_factory=Counter)  # reason -> products
    no_moiety_examples: dict[str, list[str]] = field(default_factory=dict)
    moieties: Counter = field(default_factory=Counter)  # moiety -> products
    salt_word_left: Counter = field(default_factory=Counter)  # moieties still ending in a salt word
    all_known: int = 0  # products whose every moiety is one our monographs use

    @property
    def unresolved(self) -> int:
        return self.products - self.resolved

    def lines(self) -> list[str]:
        share = 100 * self.resolved / self.products if self.products else 0.0
        out = [f"products read: {self.products:,}",
               f"resolved to at least one moiety: {self.resolved:,} ({share:.2f}%)",
               f"no moiety: {self.unresolved:,}"]
        for reason, count in self.no_moiety.most_common():
            out.append(f"  {count:,} because {reason} (e.g. {', '.join(self.no_moiety_examples[reason])})")
        out.append(f"distinct moieties: {len(self.moieties):,}")
        out.append(f"products whose moieties all have a written monograph: {self.all_known:,}")
        out.append(f"moieties still ending in a salt word (kept on purpose or to review): {len(self.salt_word_left):,}")
        for name, count in self.salt_word_left.most_common(10):
            out.append(f"  {name} ({count:,} products)")
        return out


def read_products(path: Path) -> Iterable[tuple[str, str]]:
    """(drug name, active ingredients) for each row of a Drugs@FDA Products.txt."""
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            yield (row.get("DrugName") or "").strip(), (row.get("ActiveIngredient") or "").strip()


def coverage(products: Iterable[tuple[str, str]], known: Iterable[str] = ()) -> CoverageReport:
    """Resolve each product's active ingredients (its name when they are blank)."""
    report = CoverageReport()
    known_set = set(known)
    kept = tables().keep_whole | set(tables().elements.values())
    for name, active in products:
        report.products += 1
        result = resolve(active or name)
        if not result.moieties:
            reason = result.reason if (active or name) else "the row names no ingredient and no product"
            report.no_moiety[reason] += 1
            examples = report.no_moiety_examples.setdefault(reason, [])
            if len(examples) < 3:
                examples.append(repr(active or name))
            continue
        report.resolved += 1
        for moiety in result.moieties:
            report.moieties[moiety] += 1
            if moiety.split()[-1] in SALT_WORDS and moiety not in kept:
                report.salt_word_left[moiety] += 1
        if known_set and all(m in known_set for m in result.moieties):
            report.all_known += 1
    return report
