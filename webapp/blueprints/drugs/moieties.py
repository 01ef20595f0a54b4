"""One medicine identity: a product name or an ingredient string in, its active moieties out.

    moieties_of("HYDROCODONE BITARTRATE AND ACETAMINOPHEN") -> ("hydrocodone", "acetaminophen")
    moieties_of("losartan/HCTZ")                           -> ("losartan", "hydrochlorothiazide")
    moiety("ESOMEPRAZOLE MAGNESIUM")                       -> "esomeprazole"
    moiety("ferrous sulfate")                              -> "iron"
    resolve("®™")                                          -> Resolution((), "no letters in the name")

Salts, esters and hydrates are stripped, combinations split ("and", ";", "/", "+", "&",
hyphenated pairs), dosage-form and strength words dropped (XR, ER, ODT, "HCl", "500 mg"),
and other names and spellings turned into the one our data files use (paracetamol ->
acetaminophen, ciclosporin -> cyclosporine, HCTZ). The tables are in
webapp/data/moieties.yaml. Every area that compares medicines by what is in them (drug
search, the importers, the checker, My Medicine, allergies, recalls, the pill identifier)
goes through here, so "Nexium", "esomeprazole magnesium" and "ESOMEPRAZOLE" are one medicine.

Pure: no database, no request. The moieties are names, not proof that we know the
medicine; callers look them up in the reference. `coverage` runs the resolver over a whole
Drugs@FDA Products.txt (bench/moiety_coverage.py and its test).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from webapp.core.datafiles import DATA_DIR, DataFileError, Fields, read_once, read_yaml

DATA_FILE = DATA_DIR / "moieties.yaml"

# Words naming the salt, ester or hydrate of an active moiety: "metoprolol succinate" is metoprolol.
SALT_WORDS = frozenset((
    "hydrochloride", "hcl", "dihydrochloride", "monohydrochloride", "hydrobromide", "bromide", "iodide",
    "chloride", "sodium", "disodium", "potassium", "dipotassium", "calcium", "magnesium", "zinc", "lithium",
    "aluminum", "succinate", "tartrate", "bitartrate", "maleate", "mesylate", "dimesylate", "besylate",
    "besilate", "citrate", "sulfate", "bisulfate", "phosphate", "diphosphate", "acetate", "fumarate",
    "hemifumarate", "lactate", "gluconate", "nitrate", "carbonate", "bicarbonate", "oxide", "hydroxide",
    "tromethamine", "meglumine", "benzoate", "propionate", "dipropionate", "valerate", "furoate", "xinafoate",
    "pamoate", "palmitate", "decanoate", "enanthate", "cypionate", "oxalate", "napsylate", "estolate",
    "ethylsuccinate", "stearate", "hyclate", "hydrate", "monohydrate", "dihydrate", "trihydrate",
    "hemihydrate", "sesquihydrate", "anhydrous", "saccharate", "aspartate", "tosylate", "edisylate", "malate",
    "mandelate", "salicylate", "subsalicylate", "axetil", "pivoxil", "ferrous", "ferric", "base",
    "hemisulfate", "dibasic", "monobasic", "heptahydrate", "pentahydrate", "hexahydrate", "tetrahydrate",
    "glacial", "sulfide", "medoxomil", "bromide", "hydrobromide", "mesilate", "trometamol", "dimeglumine",
    "glycinate", "bisglycinate", "picolinate", "orotate", "threonate", "chelate", "s-malate",
    # esters, prodrug carriers and resins that deliver the same moiety
    "dipivoxil", "dimaleate", "adipate", "lauroxil", "kamedoxomil", "cilexetil", "indanyl", "nafate", "proxetil",
    "fosamil", "diethylamine", "polistirex", "pivalate", "ethanolate", "etexilate", "diacetate", "epolamine",
    "olamine", "difumarate", "mesylates", "gluceptate", "lactobionate", "strontium", "acetonide", "hexacetonide",
    "enacarbil", "methylsulfate", "methylbromide", "butyrate", "probutate", "caproate", "isethionate",
    "ditosylate", "esylate", "camsylate", "terephthalate", "mofetil", "erbumine", "diaspartate",
    "phenpropionate", "undecanoate", "tebutate", "diolamine", "acetyl", "trifenatate", "etabonate", "polacrilex",
    "benzathine", "sulfoxide", "dimethyl", "glucuronate", "tannate", "tannates", "acetates",
))
_HYDRATE_WORDS = frozenset(w for w in SALT_WORDS if w.endswith("hydrate") or w == "anhydrous")
# Words saying how a biological medicine is made, not what it is ("INSULIN GLARGINE RECOMBINANT").
ORIGIN_WORDS = frozenset(("recombinant", "synthetic", "semisynthetic", "rdna", "origin"))
# Qualifiers of a catalogue name that say how it is made, not what it is ("MICROSIZE").
DESCRIPTOR_WORDS = frozenset(("usp", "nf", "ultramicrosize", "microsize", "microcrystalline", "ultramicrocrystalline",
                              "macrocrystalline", "white", "purified", "modified"))
# Qualifiers written after a comma that belong in front ("ESTROGENS, CONJUGATED").
PREFIX_QUALIFIERS = frozenset(("conjugated", "esterified", "chorionic", "synthetic"))
# Dosage forms, release types and strengths people type after a name ("Wellbutrin XL", "metformin ER 500 mg").
FORM_WORDS = frozenset((
    "tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "caplet", "caplets", "injection",
    "injectable", "oral", "solution", "suspension", "extended", "delayed", "release", "er", "xr", "sr", "cr", "dr",
    "xl", "la", "cd", "odt", "ec", "ir", "sa", "xt", "hfa", "mr", "film", "coated", "film-coated", "chewable",
    "orally", "disintegrating", "cream", "ointment", "gel", "patch", "patches", "syrup", "liquid", "ophthalmic",
    "topical", "lotion", "spray", "nasal", "drops", "autoinjector", "auto-injector", "vial", "vials", "rx", "otc",
    "powder", "granules", "elixir", "concentrate", "pen", "prefilled", "syringe", "inhalation", "inhaler",
    "aerosol", "transdermal", "sublingual", "buccal", "vaginal", "rectal", "suppository", "suppositories",
    "softgel", "softgels", "gelcap", "gelcaps", "extended-release", "delayed-release", "immediate", "mg", "mcg",
    "ml", "iu", "units", "unit", "strength", "maximum", "extra", "regular", "generic", "brand",
))
_STRENGTH = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|ml|%|units?|iu|meq)(?![a-z])")
_SPLIT_COMBINATION = re.compile(r";|\+|&|\bwith\b|\band\b|\bplus\b")
_NOT_WORD = re.compile(r"[^a-z0-9'\-. ;/,+&]+")
_MARKS = str.maketrans("", "", "®™©")
# Hyphenated names that are one moiety: prefixes of stereo-isomers and conjugates.
_JOINED_PREFIXES = frozenset(("alpha", "beta", "gamma", "delta", "omega", "ado", "fam", "ziv", "co", "dl", "l", "d", "n",
                              "st", "k", "tmp", "smx", "peg", "b", "t", "pro"))
_REAL_FOUR_LETTER = frozenset(("iron", "zinc", "urea", "salt", "free", "plus", "acid", "oral"))
MAX_INPUT_CHARS = 500


class MoietyDataError(DataFileError):
    """moieties.yaml is not valid."""


@dataclass(frozen=True)
class NutrientGroup:
    slug: str
    name: str
    members: frozenset[str]
    may_be_in: frozenset[str]
    note: str


@dataclass(frozen=True)
class Tables:
    spellings: dict[str, tuple[str, ...]]
    keep_whole: frozenset[str]
    elements: dict[str, str]
    nutrient_groups: tuple[NutrientGroup, ...]


def parse_tables(doc: object, file: str = DATA_FILE.name) -> Tables:
    top = Fields(doc, file, allowed={"spellings", "keep_whole", "elements", "nutrient_groups"}, error=MoietyDataError)
    spellings: dict[str, tuple[str, ...]] = {}
    for name, target in top.mapping("spellings").items():
        targets = target if isinstance(target, list) else [target]
        if not isinstance(name, str) or not all(isinstance(t, str) and t == t.strip().lower() and t for t in targets):
            raise MoietyDataError(file, f"spelling {name!r}: the moiety must be lowercase text or a list of them")
        spellings[_clean(name)] = tuple(targets)
    groups = []
    for n, raw in enumerate(top.items("nutrient_groups"), start=1):
        entry = Fields(raw, file, f"nutrient group {n}", allowed={"slug", "name", "members", "may_be_in", "note"},
                       error=MoietyDataError)
        groups.append(NutrientGroup(entry.slug("slug"), entry.text("name", max_len=200),
                                    frozenset(entry.text_list("members", lowercase=True, allow_empty=False)),
                                    frozenset(entry.text_list("may_be_in", lowercase=True)),
                                    entry.text("note", max_len=2000)))
    elements = top.mapping("elements")
    return Tables(spellings, frozenset(top.text_list("keep_whole", lowercase=True)),
                  {str(k): str(v) for k, v in elements.items()}, tuple(groups))


def tables() -> Tables:
    """The tables of webapp/data/moieties.yaml, read once per process (again when the file changes)."""
    return read_once("moieties", [DATA_FILE], lambda: parse_tables(read_yaml(DATA_FILE, error=MoietyDataError)))


# --- names ---------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Lowercase, trademark marks and punctuation gone, spaces folded; hyphens, apostrophes and
    dots inside names kept ("st. john's wort", "omega-3")."""
    text = unicodedata.normalize("NFKC", text or "").translate(_MARKS).replace("\x00", "").lower()
    text = _NOT_WORD.sub(" ", text[:MAX_INPUT_CHARS])
    text = re.sub(r"\s*([;/,+&])\s*", r" \1 ", text)
    words = [w.strip("'.-") for w in text.split()]
    # A list separator at either end ("sennosides, USP" once USP is gone) separates nothing.
    return " ".join(w for w in words if w).strip(" ;/,+&")


def _strip_forms(words: list[str]) -> list[str]:
    """Drop dosage-form and strength words, but never the whole name ("CR" alone stays)."""
    kept = [w for w in words if w not in FORM_WORDS and not w.replace(".", "").isdigit()]
    return kept or words


def _salt_stripped(words: list[str], t: Tables) -> str:
    """The moiety of one ingredient's words: salt words at the end dropped, unless only salt
    words would be left; then the metal ("ferrous sulfate" -> iron) or the name as it is."""
    name = " ".join(words)
    if name in t.keep_whole:
        return name
    if all(w in SALT_WORDS or w in DESCRIPTOR_WORDS for w in words):
        metals = {t.elements[w] for w in words if w in t.elements}
        if len(metals) == 1:
            return metals.pop()
        return " ".join(w for w in words if w not in _HYDRATE_WORDS and w not in DESCRIPTOR_WORDS) or name
    kept = [w for w in words if w not in DESCRIPTOR_WORDS and w not in ORIGIN_WORDS] or words
    while len(kept) > 1 and kept[-1] in SALT_WORDS:
        kept.pop()
    # "sodium valproate", "calcium folinate": a salt word in front of the moiety
    while len(kept) > 1 and kept[0] in SALT_WORDS and kept[0] not in t.elements.values():
        kept.pop(0)
    return " ".join(kept)


def _one(part: str, t: Tables) -> tuple[str, ...]:
    """The moieties of one part of a name (usually one; a spelling may name a combination)."""
    if part in t.spellings:
        return t.spellings[part]
    words = _strip_forms(part.split())
    joined = " ".join(words)
    if joined in t.spellings:
        return t.spellings[joined]
    name = _salt_stripped(words, t)
    if name in t.spellings and name not in t.elements.values():
        return t.spellings[name]
    return (name,) if name else ()


def _hyphen_parts(word: str, t: Tables) -> list[str]:
    """A hyphenated word as the parts of a combination ("losartan-hctz"), or as itself
    (a biosimilar suffix "adalimumab-adaz" is dropped; "alpha-tocopherol", "co-trimoxazole" stay one)."""
    if "-" not in word or word in t.spellings:
        return [word]
    parts = [p for p in word.split("-") if p]
    if len(parts) != 2 or not all(p.isalpha() for p in parts):
        return [word]
    left, right = parts
    if right in FORM_WORDS:  # "Toprol-XL"
        return [left]
    if left in _JOINED_PREFIXES:
        return [word]
    if right in t.spellings or (len(left) >= 4 and len(right) >= 5):
        return [left, right]
    if len(right) == 4 and right not in _REAL_FOUR_LETTER:  # a biosimilar's four-letter suffix
        return [left]
    return [word]


def _parts(clean: str, t: Tables) -> list[str]:
    """Split a cleaned name into the names of its components."""
    if clean in t.spellings:
        return [clean]
    pieces: list[str] = []
    for chunk in _SPLIT_COMBINATION.split(clean):
        comma_parts = [c.strip() for c in chunk.split(" , ")]
        for comma_part in comma_parts:
            words = comma_part.split()
            if not words:
                continue
            if words[0] in PREFIX_QUALIFIERS and pieces:
                pieces[-1] = " ".join(words) + " " + pieces[-1]
            elif all(w in DESCRIPTOR_WORDS or w in SALT_WORDS for w in words) and pieces and len(comma_parts) > 1:
                continue  # "POTASSIUM PHOSPHATE, DIBASIC"
            else:
                pieces.extend(_slash_parts(comma_part))
    out: list[str] = []
    for piece in pieces:
        words = piece.split()
        if len(words) == 1:
            out.extend(_hyphen_parts(words[0], t))
        else:
            out.append(" ".join(w for word in words for w in _hyphen_parts(word, t)) if piece not in t.spellings else piece)
    return [p for p in out if p]


def _slash_parts(text: str) -> list[str]:
    """"losartan/hctz" and "conjugated estrogens/medroxyprogesterone acetate" are combinations;
    "follitropin alfa/beta" and "insulin ... beef/pork" name variants of one thing."""
    if "/" not in text:
        return [text]
    parts = [p.strip() for p in text.split(" / ") if p.strip()]
    if len(parts) < 2:
        return parts
    if len(parts[0].split()) > 1 and any(len(p.split()) == 1 for p in parts[1:]):
        return [parts[0]]
    return parts


def _without_strengths(text: str) -> str:
    return _STRENGTH.sub(" ", text)


@dataclass(frozen=True)
class Resolution:
    moieties: tuple[str, ...]
    reason: str = ""  # why there are none

    def __bool__(self) -> bool:
        return bool(self.moieties)


@lru_cache(maxsize=20_000)
def _resolve_cached(text: str) -> Resolution:
    t = tables()
    if not re.search(r"[^\W\d_]", text):
        return Resolution((), "no letters in the name")
    clean = _clean(_without_strengths(unicodedata.normalize("NFKC", text).lower()))
    if not re.search(r"[a-z]", clean):
        return Resolution((), "the name has no letters we can read (only symbols or another alphabet)")
    found: list[str] = []
    for part in _parts(clean, t):
        for name in _one(part, t):
            if name and name not in found:
                found.append(name)
    if not found:
        return Resolution((), "only dosage-form or strength words")
    return Resolution(tuple(found))


def resolve(text: str | None) -> Resolution:
    """The moieties of a product name or ingredient list, or the reason there are none."""
    return _resolve_cached((text or "")[:MAX_INPUT_CHARS])


def moieties_of(text: str | None) -> tuple[str, ...]:
    """The moieties named by a product name or ingredient list, in order, each once."""
    return resolve(text).moieties


def moiety(ingredient: str | None) -> str:
    """The one moiety of a single catalogue ingredient ("METOPROLOL SUCCINATE" -> "metoprolol");
    when a name holds several ("AMPICILLIN/AMPICILLIN TRIHYDRATE" is one), the first. "" for none."""
    found = moieties_of(ingredient)
    return found[0] if found else ""


def nutrient_groups() -> tuple[NutrientGroup, ...]:
    return tables().nutrient_groups


# --- how well a whole catalogue resolves (bench/moiety_coverage.py and its test) ------------------


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
