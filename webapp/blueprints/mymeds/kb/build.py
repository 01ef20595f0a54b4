"""`flask kb build SOURCE_DIR`: turn the public interaction lists into our own compact file,
webapp/data/interactions_public.json.gz, which interaction_loader loads beside the
hand-written rules.

    pairs = build_pairs(source_dir, known_names)   # {(x, y): PairFacts}
    write_public_file(pairs, path)

The file holds facts only: for each pair of moieties (lowercase US names, as the checker
sees them), each list that names it with its grade, the mechanism kind and which one is
affected. No sentence of a list is kept; kb/wording.py writes our own.

Names: the lists use DrugBank names (ONC) and French INN spellings in English (ANSM);
INN_TO_US maps those that differ from the US names. This is a small table of our own,
kept here until the shared medicine-identity resolver (drugs/moieties.py) can be used.
A pair is kept only when both names are moieties of the Drugs@FDA catalogue or of our
reference. Deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.mymeds.kb import sources as kb_sources
from webapp.blueprints.mymeds.kb.wording import GRADES, MECHANISMS

PUBLIC_FILE = "interactions_public.json.gz"
FORMAT = 1

SOURCES = {
    "ansm": {"title": "ANSM drug interaction thesaurus (France), English translation by WorldVistA, 2016",
             "url": "https://ansm.sante.fr/documents/reference/thesaurus-des-interactions-medicamenteuses-1",
             "date": "2016"},
    "onc-high": {"title": "ONC high-priority drug-drug interactions (Phansalkar et al., JAMIA 2012)",
                 "url": "https://doi.org/10.1136/amiajnl-2011-000612", "date": "2012"},
    "onc-ni": {"title": "ONC drug-drug interactions that should not interrupt (Phansalkar et al., JAMIA 2013)",
               "url": "https://doi.org/10.1136/amiajnl-2012-001089", "date": "2013"},
}
SOURCE_ORDER = ("ansm", "onc-high", "onc-ni")

# List spelling (lowercase) -> the US name our reference and the catalogue use. Only names
# that differ; typos of the lists are fixed here too. One list name may mean several moieties.
INN_TO_US: dict[str, tuple[str, ...]] = {
    "rifampicin": ("rifampin",), "ciclosporin": ("cyclosporine",), "paracetamol": ("acetaminophen",),
    "salbutamol": ("albuterol",), "acetylsalicylic acid": ("aspirin",), "aciclovir": ("acyclovir",),
    "valaciclovir": ("valacyclovir",), "glibenclamide": ("glyburide",), "indometacin": ("indomethacin",),
    "colestyramine": ("cholestyramine",), "chlortalidone": ("chlorthalidone",),
    "chlorphenamine": ("chlorpheniramine",), "pethidine": ("meperidine",), "meclozine": ("meclizine",),
    "mesalazine": ("mesalamine",), "levothyroxine (levothyroxine sodium)": ("levothyroxine",),
    "thyroxine": ("levothyroxine",), "linezolide": ("linezolid",), "dextromethorphane": ("dextromethorphan",),
    "carbamazapine": ("carbamazepine",), "levofloxacine": ("levofloxacin",), "moxifloxacine": ("moxifloxacin",),
    "norfloxacine": ("norfloxacin",), "ofloxacine": ("ofloxacin",), "enoxacine": ("enoxacin",),
    "doxazosine": ("doxazosin",), "prazosine": ("prazosin",), "terazosine": ("terazosin",),
    "tamsulosine": ("tamsulosin",), "griseofulvine": ("griseofulvin",), "fluorouracile": ("fluorouracil",),
    "eribuline": ("eribulin",), "trabectedine": ("trabectedin",), "esclicarbazepine": ("eslicarbazepine",),
    "st john's wort": ("st. john's wort",), "st johns wort": ("st. john's wort",),
    "trinitrine": ("nitroglycerin",), "trinitrine known as nitroglycerin in the us": ("nitroglycerin",),
    "zidovudine (azt)": ("zidovudine",), "norethisterone": ("norethindrone",),
    "ethinylestradiol": ("ethinyl estradiol",), "hydroxycarbamide": ("hydroxyurea",),
    "tioguanine": ("thioguanine",), "alendronic acid": ("alendronate",), "risedronic acid": ("risedronate",),
    "ibandronic acid": ("ibandronate",), "pamidronic acid": ("pamidronate",), "etidronic acid": ("etidronate",),
    "tiludronic acid": ("tiludronate",), "zoledronate": ("zoledronic acid",), "mitomycin c": ("mitomycin",),
    "benzylpenicillin": ("penicillin g",), "phenoxymethylpenicillin": ("penicillin v",),
    "nicotinic acid": ("niacin",), "alpha-tocopherol": ("vitamin e",), "chloroquin": ("chloroquine",),
    "alrrazolam": ("alprazolam",), "isoprenaline": ("isoproterenol",), "suxamethonium": ("succinylcholine",),
    "tetracosactide": ("cosyntropin",), "adrenaline": ("epinephrine",),
    "adrenaline (oral-dental or sub-cutaneous)": ("epinephrine",),
    "epinephrine is the name for adrenaline searchable on the atc search engine.": ("epinephrine",),
    "norepinephrine is the searchable name for noradrenaline": ("norepinephrine",),
    "fampridine": ("dalfampridine",), "fampridine called ampyra in the us": ("dalfampridine",),
    "french: arsenieux, may be arsenic trioxide": ("arsenic trioxide",),
    "tenefovir alafenamide": ("tenofovir alafenamide",), "trastuzumab emtansine": ("ado-trastuzumab emtansine",),
    "methylene blue or methylthioninium chloride": ("methylene blue",), "methylergometrine": ("methylergonovine",),
    "fluticasone propionate": ("fluticasone",), "levomethadyl acetate": ("levomethadyl",),
    "heparin sodium": ("heparin",), "heparin calcium": ("heparin",), "docusate sodium": ("docusate",),
    "dalteparin sodium": ("dalteparin",), "liothyronine sodium": ("liothyronine",),
    "perindopril tert-butylamine": ("perindopril",), "4-aminosalicylic acid (para-aminosalicylic acid or pas)":
    ("aminosalicylic acid",), "catioresine sulfo sodique": ("sodium polystyrene sulfonate",),
    "potassium": ("potassium chloride", "potassium citrate"), "calcium": ("calcium", "calcium carbonate"),
    "mycophenolate sodium": ("mycophenolic acid",), "thyroxines": ("levothyroxine",),
}
# Words the catalogue keeps after the moiety that a list leaves out ("olmesartan medoxomil",
# "dabigatran etexilate"): a list name matches the catalogue moiety without them.
EXTRA_WORDS = frozenset(("medoxomil", "kamedoxomil", "cilexetil", "etexilate", "dimaleate", "dipivoxil",
                         "erbumine", "strontium", "mofetil", "nafate", "alafenamide fumarate"))


@dataclass
class PairFacts:
    grades: dict[str, tuple[str, int]] = field(default_factory=dict)  # source -> (grade, specificity)
    mechanism: str = "generic"
    affected: str | None = None  # the moiety whose level or effect changes, when known
    capped: bool = False


class NameMap:
    """List names -> our moieties (a tuple, usually of one)."""

    def __init__(self, known: Iterable[str]):
        self.by_key: dict[str, str] = {}
        for name in sorted(known):
            self.by_key.setdefault(drug_search.normalize(name), name)
            words = drug_search.normalize(name).split()
            while len(words) > 1 and words[-1] in EXTRA_WORDS:
                words.pop()
                self.by_key.setdefault(" ".join(words), name)
        self._memo: dict[str, tuple[str, ...]] = {}
        self.unmatched: set[str] = set()

    def __call__(self, list_name: str) -> tuple[str, ...]:
        if list_name in self._memo:
            return self._memo[list_name]
        plain = " ".join(list_name.lower().split())
        found: list[str] = []
        for candidate in INN_TO_US.get(plain, (plain,)):
            key = drug_search.normalize(candidate)
            if key in self.by_key:
                found.append(self.by_key[key])
        if not found:
            self.unmatched.add(plain)
        self._memo[list_name] = tuple(dict.fromkeys(found))
        return self._memo[list_name]


def _key(x: str, y: str) -> tuple[str, str]:
    return (x, y) if x <= y else (y, x)


def build_pairs(source_dir: Path, known: Iterable[str], echo: Callable[[str], None] = lambda _m: None,
                class_of: Callable[[str], frozenset[str]] | None = None,
                cap: bool = True) -> tuple[dict[tuple[str, str], PairFacts], dict]:
    """All pairs the lists name among known moieties, and counts for the build's summary.
    `class_of` (moiety -> our hand class slugs) names the mechanism of ONC pairs, which come
    without a description."""
    missing = [name for name in kb_sources.REQUIRED if not (source_dir / name).exists()]
    if missing:
        raise FileNotFoundError(f"{source_dir} does not hold {', '.join(missing)} (see its SOURCE.md)")
    names = NameMap(known)
    pairs: dict[tuple[str, str], PairFacts] = {}
    problems: dict[str, int] = {}
    stats = {"rows": {}, "capped_pairs": 0}
    readers = (
        ("ansm", kb_sources.read_ansm(source_dir / kb_sources.ANSM_ROWS, source_dir / kb_sources.ANSM_CLASSES,
                                      problems, cap)),
        ("onc-high", kb_sources.read_onc(source_dir / kb_sources.ONC_HIGH, "onc-high")),
        ("onc-ni", kb_sources.read_onc(source_dir / kb_sources.ONC_NON_INTERRUPTIVE, "onc-ni")),
    )
    for source, rows in readers:
        count = 0
        for row in rows:
            count += 1
            side_a = [m for n in row.a for m in names(n)]
            side_b = [m for n in row.b for m in names(n)]
            for x in side_a:
                for y in side_b:
                    if x != y:
                        _add(pairs, x, y, row)
        stats["rows"][source] = count
        echo(f"  {source}: {count:,} rows read; {len(pairs):,} pairs so far")
    if class_of is not None:
        for (x, y), facts in pairs.items():
            if facts.mechanism == "generic":
                facts.mechanism = _mechanism_from_classes(class_of(x), class_of(y))
    stats["capped_pairs"] = sum(1 for f in pairs.values() if f.capped)
    stats["problems"] = dict(sorted(problems.items()))
    stats["unmatched_names"] = len(names.unmatched)
    return pairs, stats


def _add(pairs: dict[tuple[str, str], PairFacts], x: str, y: str, row: kb_sources.SourceRow) -> None:
    key = _key(x, y)
    facts = pairs.setdefault(key, PairFacts())
    current = facts.grades.get(row.source)
    new = (row.grade, row.specificity)
    # Within one list the most specific row wins (a drug row over its class row, as the
    # thesaurus reads), then the stricter grade.
    if current is not None and (current[1], GRADES[current[0]].strictness) >= (new[1], GRADES[new[0]].strictness):
        return
    facts.grades[row.source] = new
    if row.source == "ansm" or facts.mechanism == "generic":
        facts.mechanism = row.mechanism
        facts.affected = None
        if row.actor is not None:
            facts.affected = y if row.actor == "a" else x
        facts.capped = row.capped


# ONC pairs have no description: the mechanism comes from our own classes of the two drugs.
_CLASS_MECHANISMS = (
    ({"qt-prolonging"}, {"qt-prolonging"}, "qt"),
    ({"serotonergic", "maoi", "ssri", "snri"}, {"serotonergic", "maoi", "ssri", "snri"}, "serotonin"),
    ({"anticoagulant"}, {"nsaid", "antiplatelet", "anticoagulant", "ssri", "snri"}, "bleeding"),
    ({"potassium-sparing-diuretic", "potassium-supplement"}, {"ace-inhibitor", "arb", "potassium-supplement",
                                                               "calcineurin-inhibitor"}, "hyperkalaemia"),
    ({"opioid"}, {"benzodiazepine", "cns-depressant", "sedative-hypnotic"}, "breathing"),
    ({"nitrate"}, {"pde5-inhibitor"}, "low-blood-pressure"),
    ({"statin"}, {"strong-cyp3a4-inhibitor", "macrolide", "azole-antifungal"}, "muscle"),
)


def _mechanism_from_classes(cx: frozenset[str], cy: frozenset[str]) -> str:
    for left, right, kind in _CLASS_MECHANISMS:
        if cx & left and cy & right or cy & left and cx & right:
            return kind
    return "generic"


def encode(pairs: dict[tuple[str, str], PairFacts], stats: dict) -> bytes:
    """The file's bytes: the same pairs always give the same bytes (sorted, gzip without a time)."""
    moieties = sorted({name for key in pairs for name in key})
    index = {name: i for i, name in enumerate(moieties)}
    grades = sorted(GRADES)
    rows = []
    for (x, y) in sorted(pairs):
        facts = pairs[(x, y)]
        affected = 0 if facts.affected == x else 1 if facts.affected == y else -1
        per_source = [[SOURCE_ORDER.index(s), grades.index(facts.grades[s][0])] for s in SOURCE_ORDER
                      if s in facts.grades]
        rows.append([index[x], index[y], MECHANISMS.index(facts.mechanism), affected, per_source,
                     1 if facts.capped else 0])
    document = {
        "format": FORMAT,
        "about": "HealthDesk interaction pairs generated by `flask kb build` from public lists; facts only.",
        "sources": [{"id": s, **SOURCES[s]} for s in SOURCE_ORDER],
        "grades": grades,
        "mechanisms": list(MECHANISMS),
        "moieties": moieties,
        "pairs": rows,
        "stats": stats,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return gzip.compress(text.encode("ascii"), compresslevel=9, mtime=0)


def write_public_file(data: bytes, path: Path) -> bool:
    """Write the file only when its bytes change; True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def catalogue_moieties(catalogue_dir: Path) -> set[str]:
    """The moieties of every Drugs@FDA product, as the catalogue import names them."""
    import csv

    from webapp.blueprints.drugs.drugsatfda_import import moiety

    found: set[str] = set()
    with (catalogue_dir / "Products.txt").open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for part in (row.get("ActiveIngredient") or "").split(";"):
                if part.strip():
                    found.add(moiety(part))
    found.discard("")
    return found


def reference_moieties(data_dir: Path) -> set[str]:
    """The ingredient names of our reference (drugs/*.yaml) and of the hand-written rules."""
    from webapp.blueprints.mymeds.kb.interaction_loader import read_hand_rules
    from webapp.core.datafiles import read_yaml

    found: set[str] = set()
    for path in sorted((data_dir / "drugs").glob("*.yaml")):
        document = read_yaml(path) or {}
        found.update(i for i in document.get("ingredients") or () if isinstance(i, str))
    kb = read_hand_rules(data_dir)
    found.update(kb.classes_of)
    found.update(name for rule in kb.rules for kind, name in (rule.a, rule.b) if kind == "ingredient")
    return found


def run_build(source_dir: Path, data_dir: Path, catalogue_dir: Path | None,
              echo: Callable[[str], None] = lambda _m: None) -> dict:
    """The whole build; returns a summary. Writes data_dir/interactions_public.json.gz."""
    from webapp.blueprints.mymeds.kb.interaction_loader import read_hand_rules

    known = reference_moieties(data_dir)
    echo(f"Reference: {len(known):,} ingredient names")
    if catalogue_dir is not None:
        catalogue = catalogue_moieties(catalogue_dir)
        echo(f"Catalogue ({catalogue_dir}): {len(catalogue):,} moieties")
        known |= catalogue
    # Foods and drinks are the hand-written rules' business, never a medicine pair.
    known -= {"alcohol", "grapefruit"}
    hand = read_hand_rules(data_dir)
    pairs, stats = build_pairs(source_dir, known, echo, lambda m: frozenset(hand.classes_of.get(m, ())))
    data = encode(pairs, stats)
    path = data_dir / PUBLIC_FILE
    written = write_public_file(data, path)
    echo(f"{len(pairs):,} pairs among {len({n for k in pairs for n in k}):,} moieties "
         f"({stats['capped_pairs']:,} graded below their list because the row is too broad); "
         f"{len(data):,} bytes; {'written' if written else 'unchanged'}: {path}")
    for problem, count in stats["problems"].items():
        echo(f"  skipped: {count} {problem}")
    return {"pairs": len(pairs), "written": written, "bytes": len(data), **stats}
