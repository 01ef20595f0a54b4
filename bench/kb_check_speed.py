"""The 30-medicine interaction check with the full knowledge base (hand-written rules plus
the pairs from public lists), and the memory the loaded knowledge base takes in a worker.

    .venv/bin/python bench/kb_check_speed.py              # 30 medicines, 2,000 runs
    .venv/bin/python bench/kb_check_speed.py --medicines 100 --runs 300

The list is a worst case: the medicines named in the most generated pairs (plus three
combination products). "cold" is the first check (it fills the per-pair cache a running
worker keeps); the median is over warm checks. Memory: Python allocations while reading the
knowledge base (tracemalloc), the worker's resident size before and after, and again after
every pair the lists name has been looked up once (the most the per-pair cache can hold).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.blueprints.mymeds.interactions import Medicine, check_interactions  # noqa: E402
from webapp.blueprints.mymeds.kb.interaction_loader import read_knowledge_base  # noqa: E402

COMBINATIONS = [
    Medicine("hydrocodone-acetaminophen", "Norco", ("hydrocodone", "acetaminophen")),
    Medicine("amphetamine-dextroamphetamine", "Adderall", ("amphetamine", "dextroamphetamine")),
    Medicine("sulfamethoxazole-trimethoprim", "Bactrim DS", ("sulfamethoxazole", "trimethoprim")),
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def medicines(kb, count: int) -> list[Medicine]:
    mentions: dict[str, int] = {}
    for x, y in kb.generated.pairs():
        mentions[x] = mentions.get(x, 0) + 1
        mentions[y] = mentions.get(y, 0) + 1
    ranked = sorted(mentions, key=lambda name: (-mentions[name], name))
    singles = [Medicine(name, name.title(), (name,)) for name in ranked]
    return (COMBINATIONS + singles)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medicines", type=int, default=30)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    rss_before = rss_mb()
    start = time.perf_counter()
    kb = read_knowledge_base()
    load_ms = (time.perf_counter() - start) * 1000
    rss_loaded = rss_mb()
    tracemalloc.start()  # a second copy, traced (tracing makes reading several times slower)
    second = read_knowledge_base()
    allocated, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del second
    if kb.generated is None:
        sys.exit("webapp/data/interactions_public.json.gz is missing: run `flask kb build SOURCE_DIR` first")

    meds = medicines(kb, args.medicines)
    start = time.perf_counter()
    report = check_interactions(meds, kb)
    cold_ms = (time.perf_counter() - start) * 1000
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        check_interactions(meds, kb)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]

    for x, y in list(kb.generated.pairs()):
        kb.pair_hit(x, y)
    rss_warm = rss_mb()

    print(f"knowledge base: {len(kb.rules)} hand-written rules, {len(kb.generated):,} pairs from public lists, "
          f"{len(kb.known_ingredients):,} medicines with a rule; read in {load_ms:.0f} ms")
    print(f"memory: {allocated / 2**20:.1f} MB allocated while reading; worker RSS {rss_before:.0f} MB -> "
          f"{rss_loaded:.0f} MB loaded -> {rss_warm:.0f} MB after every listed pair was looked up once")
    print(f"{len(meds)} medicines: {len(report.interactions)} interactions, {len(report.duplications)} duplications, "
          f"{len(report.food)} food")
    print(f"first (cold) check: {cold_ms:.2f} ms")
    print(f"warm checks over {args.runs} runs: median {statistics.median(timings):.3f} ms, p95 {p95:.3f} ms")


if __name__ == "__main__":
    main()
