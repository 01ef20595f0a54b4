"""Interaction check for a list of medicines against the real knowledge base.

    .venv/bin/python bench/interactions_bench.py            # 30 medicines, 2,000 runs
    .venv/bin/python bench/interactions_bench.py --medicines 100 --runs 500

The medicines are real ones from webapp/data (single ingredients from the knowledge
base plus three combination products, chosen so the list has many findings). The first
("cold") check builds the per-ingredient-pair cache a running server keeps; the median
is over the warm checks, which is what every page view after the first one costs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.blueprints.mymeds.interactions import Medicine, check_interactions  # noqa: E402
from webapp.blueprints.mymeds.kb.interaction_loader import read_knowledge_base  # noqa: E402

COMBINATIONS = [
    Medicine("hydrocodone-acetaminophen", "Norco", ("hydrocodone", "acetaminophen")),
    Medicine("amphetamine-dextroamphetamine", "Adderall", ("amphetamine", "dextroamphetamine")),
    Medicine("sulfamethoxazole-trimethoprim", "Bactrim DS", ("sulfamethoxazole", "trimethoprim")),
]


def medicines(kb, count: int) -> list[Medicine]:
    # Ingredients named in the most rules first: a worst-case list, not a typical one.
    mentions: dict[str, int] = {}
    for rule in kb.rules:
        for kind, key in (rule.a, rule.b):
            if kind == "ingredient":
                mentions[key] = mentions.get(key, 0) + 1
            elif kind == "class":
                for member in kb.classes[key].members:
                    mentions[member] = mentions.get(member, 0) + 1
    ranked = sorted(mentions, key=lambda name: (-mentions[name], name))
    singles = [Medicine(name, name.title(), (name,)) for name in ranked]
    return (COMBINATIONS + singles)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medicines", type=int, default=30)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    start = time.perf_counter()
    kb = read_knowledge_base()
    load_ms = (time.perf_counter() - start) * 1000
    meds = medicines(kb, args.medicines)
    conditions = sorted(kb.conditions)[:5]

    start = time.perf_counter()
    report = check_interactions(meds, kb, conditions)
    cold_ms = (time.perf_counter() - start) * 1000

    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        check_interactions(meds, kb, conditions)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"knowledge base: {len(kb.classes)} classes, {len(kb.rules)} rules, {len(kb.condition_rules)} condition "
          f"warnings; read and validated in {load_ms:.1f} ms")
    print(f"{len(meds)} medicines, {len(conditions)} profile conditions: {len(report.interactions)} interactions, "
          f"{len(report.duplications)} duplications, {len(report.food)} food, {len(report.condition_warnings)} condition")
    print(f"first (cold) check: {cold_ms:.2f} ms")
    print(f"warm checks over {args.runs} runs: median {statistics.median(timings):.3f} ms, p95 {p95:.3f} ms, "
          f"max {timings[-1]:.3f} ms")


if __name__ == "__main__":
    main()
