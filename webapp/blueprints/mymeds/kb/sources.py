"""Read the public interaction lists (../shared/data/ddi-public-sources/, see its SOURCE.md)
into plain rows: two sides (a drug name or a class of names), the list's grade, the
mechanism kind and which side is affected. kb/build.py turns the rows into our pairs.

- ONC high-priority and non-interruptive lists: `$`-separated DrugBank name pairs.
- ANSM interaction thesaurus (WorldVistA's English translation, 2016): drug and class rows,
  classes expanded with the class-members file.

Only facts are kept (names, grade, mechanism kind); no sentence of a list is kept.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from webapp.blueprints.mymeds.kb.wording import classify_mechanism

ONC_HIGH = "onc_high_priority_pairs.csv"
ONC_NON_INTERRUPTIVE = "onc_non_interruptive_pairs.csv"
ANSM_ROWS = "worldvista_ansm_interactions_2016.tsv"
ANSM_CLASSES = "worldvista_ansm_class_members_2016.tsv"
ANSM_FLAT = "worldvista_ansm_flattened_2016.tsv.gz"
REQUIRED = (ONC_HIGH, ONC_NON_INTERRUPTIVE, ANSM_ROWS, ANSM_CLASSES)

# ANSM classes that gather many unlike medicines sharing one effect (sedation, low blood
# pressure, slow heart, potassium, ...). A row pairing two of them ("sedative + other
# sedative") says the effects add up; how much that matters depends on the two members,
# their doses and the patient, so such a pair is never graded above "precaution for use"
# (moderate). A row pairing one of them with one medicine (fingolimod + medicines that slow
# the heart) keeps its grade: that medicine's risk holds for every member.
BROAD_CLASSES = frozenset((
    "SEDATIVE MEDICATIONS", "HYPNOTICS", "MEDICATIONS AT THE ORIGIN OF ORTHOSTATIC HYPOTENSION",
    "MEDICATIONS THAT LOWER BLOOD PRESSURE", "ANTIHYPERTENSIVES EXCEPT ALPHA BLOCKERS", "BRADYCARDIA INDUCING DRUGS",
    "HYPERKALEMIA INDUCING MEDICATIONS", "HYPONATREMIA INDUCING MEDICATIONS", "POTASSIUM LOWERING AGENTS",
    "MEDICATIONS THAT LOWER THE EPILEPTIC THRESHOLD", "ATROPINIC MEDICATIONS", "NEPHROTOXIC MEDICATIONS",
    "OTOTOXIC MEDICATIONS", "METHEMOGLOBINIZING MEDICATIONS", "SUBSTRATES AT RISK OF CYP3A4", "NEUROLEPTICS",
))
# Classes whose rows hold for one use only, which a medicine name does not tell us: every
# pair they expand to is capped the same way. Glucocorticoids: systemic doses only (the
# rows except inhaled and local use). Beta-blockers "in heart failure": carvedilol and
# metoprolol are mostly taken for blood pressure, where they are combined with diltiazem
# or verapamil under monitoring.
USE_DEPENDENT_CLASSES = frozenset(("GLUCOCORTICOIDS (EXCEPT HYDROCORTISONE)", "BETA-BLOCKING AGENTS IN HEART FAILURE"))
CAPPED_GRADE = "ansm-precaution"


@dataclass(frozen=True)
class SourceRow:
    source: str  # "ansm" | "onc-high" | "onc-ni"
    grade: str  # a key of wording.GRADES
    a: tuple[str, ...]  # the names on one side (one name, or a class's members)
    b: tuple[str, ...]
    specificity: int  # 2 drug+drug, 1 drug+class, 0 class+class (the most specific row wins within ANSM)
    mechanism: str
    actor: str | None  # "a" or "b": the side that changes the other's level or effect, when the row says
    capped: bool = False  # graded lower than the list because the row is too broad


# --- ONC --------------------------------------------------------------------------------


def read_onc(path: Path, source: str) -> Iterator[SourceRow]:
    grade = "onc-high-priority" if source == "onc-high" else "onc-non-interruptive"
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        parts = line.split("$")
        if len(parts) >= 4 and parts[0].strip() and parts[2].strip():
            yield SourceRow(source, grade, (parts[0].strip(),), (parts[2].strip(),), 2, "generic", None)


# --- ANSM -------------------------------------------------------------------------------


def ansm_grade(raw: str) -> str | None:
    """The grade of an ANSM severity cell, whose spelling varies ("CONTRAINDICATON", "Nor
    recommended:"). A cell naming several levels (the level depends on the member) takes the
    least strict it names; a dose-conditional cell counts as a precaution; empty: None."""
    text = (raw or "").lower()
    found = []
    if re.search(r"contra|c0ntra", text):
        found.append("ansm-contraindication")
    if re.search(r"no[rt] recomm", text):
        found.append("ansm-not-recommended")
    if "precaution" in text:
        found.append("ansm-precaution")
    if re.search(r"(take|tale) into account", text):
        found.append("ansm-take-into-account")
    if text.startswith("with doses"):
        found.append("ansm-precaution")
    if not found:
        return None
    order = ("ansm-take-into-account", "ansm-precaution", "ansm-not-recommended", "ansm-contraindication")
    return min(found, key=order.index)


def _class_key(name: str) -> str:
    return " ".join(name.upper().split())


def read_ansm_classes(path: Path) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """({class name: member names}, {class code: class name})."""
    members: dict[str, set[str]] = {}
    codes: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            name, drug = _class_key(row.get("Class Name") or ""), (row.get("Drug Name") or "").strip()
            if name and drug:
                members.setdefault(name, set()).add(drug)
                codes.setdefault((row.get("Class Code") or "").strip(), set()).add(name)
    unique_codes = {code: next(iter(names)) for code, names in codes.items() if code and len(names) == 1}
    return {name: tuple(sorted(drugs)) for name, drugs in members.items()}, unique_codes


# Row class names that neither their spelling nor their code tie to the class-members file.
# "Partial agonist opioids" rows (with every opioid agonist) are the opioid antagonists
# naltrexone and nalmefene, as their contraindications read.
CLASS_ALIASES = {
    "PARTIAL AGONIST OPIOIDS": "OPIOID RECEPTOR ANTAGONISTS (CALLED PARTIAL ANTAGONIST OPIODS IN FRENCH)",
}


def resolve_class(name: str, code: str, members: dict[str, tuple[str, ...]], codes: dict[str, str]) -> str | None:
    """The class-members name a row's class name means: the rows spell some classes
    differently ("OTHER SEDATIVE MEDICATIONS", "BRADYCARIA INDUCING DRUGS")."""
    key = _class_key(name)
    if key in CLASS_ALIASES and CLASS_ALIASES[key] in members:
        return CLASS_ALIASES[key]
    for candidate in (key, key.removeprefix("OTHER ")):
        if candidate in members:
            return candidate
    if code.strip() in codes:
        return codes[code.strip()]
    close = difflib.get_close_matches(key.removeprefix("OTHER "), sorted(members), n=1, cutoff=0.85)
    return close[0] if close else None


# Medicines that speed up the breakdown of many others (strong and moderate CYP3A inducers
# in the FDA's table): in a row that lowers a level, they act unless the row says otherwise.
KNOWN_INDUCERS = frozenset(("rifampicin", "rifampin", "rifabutin", "st john's wort", "st johns wort",
                            "carbamazepine", "phenytoin", "phenobarbital", "primidone"))


def _stems(side_names: tuple[str, ...], class_name: str | None) -> list[str]:
    """The words that name a side in a description: a drug's own name. A class side is never
    looked for by its words ("antihypertensive" names the effect, not the class), so a
    direction is only claimed when a drug is named, or a class of inducers or inhibitors acts."""
    if class_name is None:
        return [n.lower() for n in side_names]
    return []


def _actor(description: str, a_stems: list[str], b_stems: list[str], a_class: str | None,
           b_class: str | None, mechanism: str) -> str | None:
    """Which side acts on the other, for the kinds whose words need a direction."""
    if mechanism not in ("raises-level", "lowers-effect"):
        return None
    for side, cls in (("a", a_class), ("b", b_class)):
        if cls and ("INDUCER" in cls and mechanism == "lowers-effect" or "INHIBITORS OF CYP" in cls
                    and mechanism == "raises-level"):
            return side
    text = description.lower()

    def first(stems: list[str]) -> int | None:
        spots = [text.find(s) for s in stems if s and text.find(s) >= 0]
        return min(spots) if spots else None

    pa, pb = first(a_stems), first(b_stems)
    for side, spot in (("a", pa), ("b", pb)):
        if spot is not None and re.search(r"\bby (the )?$", text[max(0, spot - 8):spot]):
            return side
    if mechanism == "lowers-effect":
        inducing = [side for side, stems in (("a", a_stems), ("b", b_stems)) if set(stems) & KNOWN_INDUCERS]
        if len(inducing) == 1:
            return inducing[0]
    if pa is not None and (pb is None or pa < pb):
        return "b"  # the first one named is the one whose level or effect changes
    if pb is not None:
        return "a"
    return None


def read_ansm(rows_path: Path, classes_path: Path, problems: dict[str, int], cap: bool = True) -> Iterator[SourceRow]:
    """The thesaurus rows; `cap` grades rows of BROAD_CLASSES no higher than a precaution
    (False: as the thesaurus says, which `flask kb report` measures recall against)."""
    members, codes = read_ansm_classes(classes_path)
    with rows_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            grade = ansm_grade(row.get("Severity") or "")
            if grade is None:
                problems["ANSM row without a usable severity"] = problems.get("ANSM row without a usable severity", 0) + 1
                continue
            sides = []
            for n in ("1", "2"):
                drug = (row.get(f"Drug {n} Name") or "").strip()
                class_name = (row.get(f"Drug {n} Class Name") or "").strip()
                if drug:
                    sides.append(((drug,), None))
                elif class_name:
                    resolved = resolve_class(class_name, row.get(f"Drug {n} Code") or "", members, codes)
                    sides.append((members[resolved], resolved) if resolved else ((), None))
                else:
                    sides.append(((), None))
            (a, a_class), (b, b_class) = sides
            if not a or not b:
                problems["ANSM row naming an unknown class or nothing"] = (
                    problems.get("ANSM row naming an unknown class or nothing", 0) + 1)
                continue
            description = row.get("Description") or ""
            mechanism = classify_mechanism(description)
            capped = False
            broad = a_class in BROAD_CLASSES and b_class in BROAD_CLASSES or {a_class, b_class} & USE_DEPENDENT_CLASSES
            if cap and broad and grade in ("ansm-contraindication", "ansm-not-recommended"):
                grade, capped = CAPPED_GRADE, True
            specificity = 2 - (a_class is not None) - (b_class is not None)
            actor = _actor(description, _stems(a, a_class), _stems(b, b_class), a_class, b_class, mechanism)
            yield SourceRow("ansm", grade, a, b, specificity, mechanism, actor, capped)


def read_ansm_flat(path: Path) -> Iterator[tuple[str, str, str | None]]:
    """(name 1, name 2, grade) of WorldVistA's own expansion of the thesaurus: the yardstick
    `flask kb report` counts recall against (independent of our class expansion)."""
    import gzip

    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            a, b = (row.get("d1_name") or "").strip(), (row.get("d2_name") or "").strip()
            if a and b:
                yield a, b, ansm_grade(row.get("DDI_Severity") or "")
