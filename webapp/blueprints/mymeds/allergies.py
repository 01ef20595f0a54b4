"""Allergy warnings for My Medicine: a profile's free-text allergy list checked against the
ingredients of its medicines.

    classes = allergy_classes()                        # webapp/data/allergy_classes.yaml
    reference = build_reference(drug_names)            # brand names and other names of our drugs
    report = check_allergies("penicillin (rash), latex", medicines, reference, classes)

An allergy entry (the text is split on commas, semicolons, "and", "or", "/", "&" and new
lines) matches a medicine when it names

- one of the medicine's ingredients ("amoxicillin"),
- a drug of our reference by its name, brand or another name ("Amoxil", "Augmentin"),
- a drug family it belongs to ("penicillins", "sulfa", "NSAIDs").

Those are "avoid" findings. Lower, "ask first" findings are raised for another member of a
family whose labels warn about it (aspirin allergy, ibuprofen on the list), for the
families the data file pairs as cross-reacting in some people (penicillins and
cephalosporins), and when only part of a combination product was named. Entries we do not
recognise (foods, latex, stings) simply match nothing.

check_allergies and everything it calls are pure; profile_allergy_report is the one
entry point that reads the drug reference, through the session it is given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.blueprints.drugs import feeds as drug_reference
from webapp.blueprints.drugs.moieties import moieties_of
from webapp.blueprints.mymeds.interactions import Medicine
from webapp.core.datafiles import DATA_DIR, DataFileError, Fields, read_once, read_yaml

DATA_FILE = DATA_DIR / "allergy_classes.yaml"

MAX_TEXT_CHARS = 4000  # the form allows 2,000; anything longer is cut, never an error
MAX_ENTRIES = 100
MAX_ENTRY_WORDS = 40
MAX_SHOWN_CHARS = 120  # an entry as it is quoted back

AVOID = "avoid"
ASK = "ask"
SEVERITY_LABELS = {AVOID: "Allergy warning", ASK: "Ask first"}
ADVICE = {
    AVOID: "Do not take it unless your prescriber knows about the allergy.",
    ASK: "Ask your pharmacist or prescriber before taking it.",
}
# Which explanation wins when one entry matches a medicine in several ways.
_BASIS_ORDER = {"ingredient": 0, "name": 1, "class": 2, "combination": 3, "family": 4, "cross-reactivity": 5, "medicine-name": 6}

_SPLIT = re.compile(r"[\n\r,;/&+]+|\b(?:and|or)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


# --- words -----------------------------------------------------------------------------------


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_of(text: str) -> tuple[str, ...]:
    """Lowercase words without plural s, for comparing names: "NSAIDs" and "nsaid" agree."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("β", " beta ")
    return tuple(_singular(w) for w in _WORD.findall(text))


@dataclass(frozen=True)
class AllergyEntry:
    text: str  # as the person wrote it (tidied, shortened)
    words: tuple[str, ...]


def parse_allergies(text: str | None) -> list[AllergyEntry]:
    """The entries of an allergy list, in order, repeats dropped; empty entries skipped."""
    entries: list[AllergyEntry] = []
    seen: set[tuple[str, ...]] = set()
    for part in _SPLIT.split((text or "")[:MAX_TEXT_CHARS]):
        shown = " ".join(part.replace("\x00", "").split()).strip(" .:-")
        words = words_of(shown)[:MAX_ENTRY_WORDS]
        if not words or words in seen:
            continue
        seen.add(words)
        if len(shown) > MAX_SHOWN_CHARS:
            shown = shown[:MAX_SHOWN_CHARS - 1].rstrip() + "…"
        entries.append(AllergyEntry(shown, words))
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


# --- the data file -------------------------------------------------------------------------------


class AllergyDataError(DataFileError):
    """allergy_classes.yaml is not valid; the message names the class and the field."""


@dataclass(frozen=True)
class AllergyClass:
    slug: str
    name: str
    singular: str
    article: str
    aliases: tuple[str, ...]
    members: frozenset[str]
    siblings: str = ""  # note for other members, when the family's labels warn about it


@dataclass(frozen=True)
class AllergyClasses:
    classes: dict[str, AllergyClass]
    cross_reactivity: tuple[tuple[frozenset[str], str], ...] = ()

    def classes_of(self, ingredient: str) -> list[AllergyClass]:
        return [c for c in self.classes.values() if ingredient in c.members]

    def cross_note(self, a: str, b: str) -> str:
        for pair, note in self.cross_reactivity:
            if pair == frozenset((a, b)):
                return note
        return ""


CLASS_KEYS = {"slug", "name", "singular", "article", "aliases", "members", "siblings"}


def _allergy_class(fields: Fields, known: dict[str, AllergyClass]) -> AllergyClass:
    slug = fields.text("slug")
    if slug in known:
        raise fields.fail("slug", f"{slug!r} defined twice")
    members = fields.text_list("members", lowercase=True, allow_empty=False)
    aliases = fields.text_list("aliases", allow_empty=False)
    if not all(words_of(alias) for alias in aliases):
        raise fields.fail("aliases", "must be a non-empty list of words")
    article = fields.choice("article", ("a", "an"))
    return AllergyClass(slug, fields.text("name"), fields.text("singular"), article, aliases, frozenset(members),
                        fields.text("siblings", required=False) or "")


def parse_classes(doc: object, file: str = DATA_FILE.name) -> AllergyClasses:
    """Validate the document strictly and build the classes."""
    if not isinstance(doc, dict) or not isinstance(doc.get("classes"), list):
        raise AllergyDataError(file, "expected a mapping with a list under 'classes'")
    classes: dict[str, AllergyClass] = {}
    for n, entry in enumerate(doc["classes"], start=1):
        allergy_class = _allergy_class(Fields(entry, file, f"class {n}", allowed=CLASS_KEYS, error=AllergyDataError), classes)
        classes[allergy_class.slug] = allergy_class
    cross = []
    for n, entry in enumerate(doc.get("cross_reactivity") or [], start=1):
        fields = Fields(entry, file, f"cross_reactivity {n}", error=AllergyDataError)
        pair = fields.get("classes")
        if not isinstance(pair, list) or len(set(pair)) != 2 or not set(pair) <= set(classes):
            raise fields.fail("classes", "must name two known classes")
        cross.append((frozenset(pair), fields.text("note")))
    return AllergyClasses(classes, tuple(cross))


def allergy_classes(path: Path = DATA_FILE) -> AllergyClasses:
    """The classes of the data file, read once per process (again when the file changes)."""
    return read_once((__name__, path), [path], lambda: parse_classes(read_yaml(path, error=AllergyDataError), path.name))


# --- the drug reference's names ---------------------------------------------------------------------


@dataclass(frozen=True)
class DrugNames:
    """One drug of the reference, as the checker needs it."""

    name: str
    ingredients: tuple[str, ...]
    generic_name: str = ""
    brands: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferenceName:
    name: str  # as spelled in the reference: "Augmentin"
    kind: str  # "brand", "synonym" or "name"
    drug: str  # the drug's display name
    ingredients: tuple[str, ...]


def build_reference(drugs: Iterable[DrugNames], classes: AllergyClasses | None = None) -> dict[tuple[str, ...], ReferenceName]:
    """Names that identify one drug, keyed by their words.

    Brand names and drug names always count. Other names ("synonyms") count only when no
    other drug shares them and they are at least three letters: a synonym like "antibiotic"
    or "blood thinner" describes a group, not a drug. Family words ("penicillin") are left
    to the allergy classes, which explain them properly.
    """
    classes = classes or allergy_classes()
    family_words = {words_of(a) for c in classes.classes.values() for a in c.aliases}
    found: dict[tuple[str, ...], ReferenceName] = {}
    synonym_owners: dict[tuple[str, ...], set[str]] = {}
    synonyms: dict[tuple[str, ...], ReferenceName] = {}
    for drug in drugs:
        ingredients = tuple(dict.fromkeys(i.strip().lower() for i in drug.ingredients if i and i.strip()))
        if not ingredients:
            continue
        for kind, names in (("brand", drug.brands), ("name", (drug.name, drug.generic_name))):
            for name in names:
                key = words_of(name)
                if key and key not in family_words:
                    found.setdefault(key, ReferenceName(name, kind, drug.name, ingredients))
        for name in drug.synonyms:
            key = words_of(name)
            if len("".join(key)) < 3 or key in family_words:
                continue
            synonym_owners.setdefault(key, set()).add(drug.name)
            synonyms.setdefault(key, ReferenceName(name, "synonym", drug.name, ingredients))
    for key, ref in synonyms.items():
        if len(synonym_owners[key]) == 1:
            found.setdefault(key, ref)
    return found


def load_reference(session: Session, classes: AllergyClasses | None = None) -> dict[tuple[str, ...], ReferenceName]:
    drugs = [DrugNames(d.name, d.ingredients, d.generic_name, d.brand_names, d.synonyms)
             for d in drug_reference.drug_namings(session)]
    return build_reference(drugs, classes)


_reference_cache: dict[str, tuple[tuple, dict]] = {}


def cached_reference(session: Session, classes: AllergyClasses) -> dict[tuple[str, ...], ReferenceName]:
    """load_reference, kept per process while the drug reference is unchanged: building it reads
    every drug with its names (about 25 ms for the embedded 178), checking costs one small query."""
    key = (str(session.get_bind().url), drug_reference.namings_version(session), id(classes))
    hit = _reference_cache.get("reference")
    if hit is not None and hit[0] == key:
        return hit[1]
    reference = load_reference(session, classes)
    _reference_cache["reference"] = (key, reference)
    return reference


# --- checking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllergyFinding:
    medicine: Medicine
    ingredient: str  # the medicine's ingredient concerned ("" when only its name could be compared)
    allergy: str  # the allergy entry, as written
    matched: str  # what in the entry was recognised: "penicillin", "Augmentin"
    basis: str  # ingredient, name, class, combination, family, cross-reactivity, medicine-name
    severity: str  # "avoid" or "ask"
    why: str  # "amoxicillin is a penicillin"
    explanation: str  # the sentence shown: "Amoxicillin 500 mg contains amoxicillin, a penicillin."

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def advice(self) -> str:
        return ADVICE[self.severity]


@dataclass
class AllergyReport:
    entries: list[AllergyEntry] = field(default_factory=list)
    findings: list[AllergyFinding] = field(default_factory=list)
    # Medicines none of whose ingredients belongs to a drug family we know: only their names
    # and ingredients could be compared, so a family allergy would be missed; the page says so.
    unchecked: list[Medicine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.findings

    def about(self, key: str) -> AllergyReport:
        """Only the findings for one medicine (shown right after it is added)."""
        return AllergyReport(self.entries, [f for f in self.findings if f.medicine.key == key],
                             [m for m in self.unchecked if m.key == key])


@dataclass
class _Named:
    """What one allergy entry names."""

    ingredients: dict[str, str] = field(default_factory=dict)  # ingredient -> the words that named it
    references: list[ReferenceName] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)  # class slug -> the alias that named it
    phrases: list[tuple[str, ...]] = field(default_factory=list)

    def members(self) -> dict[str, str]:
        """Every ingredient the entry points at, directly or through a drug name."""
        found = dict(self.ingredients)
        for ref in self.references:
            for ingredient in ref.ingredients:
                found.setdefault(ingredient, ref.name)
        return found


def _phrase_index(ingredients: Iterable[str], reference: Mapping[tuple[str, ...], ReferenceName],
                  classes: AllergyClasses) -> dict[tuple[str, ...], list[tuple[str, object]]]:
    index: dict[tuple[str, ...], list[tuple[str, object]]] = {}
    for ingredient in ingredients:
        index.setdefault(words_of(ingredient), []).append(("ingredient", ingredient))
    for info in classes.classes.values():
        for alias in info.aliases:
            index.setdefault(words_of(alias), []).append(("class", (info.slug, alias)))
    for key, ref in reference.items():
        index.setdefault(key, []).append(("reference", ref))
    index.pop((), None)
    return index


def _named_by(entry: AllergyEntry, index: Mapping[tuple[str, ...], list[tuple[str, object]]], longest: int) -> _Named:
    named = _Named()
    words = entry.words
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + longest) + 1):
            hits = index.get(words[start:end])
            if not hits:
                continue
            named.phrases.append(words[start:end])
            for kind, value in hits:
                if kind == "ingredient":
                    named.ingredients.setdefault(value, value)
                elif kind == "class":
                    slug, alias = value
                    named.classes.setdefault(slug, alias)
                elif value not in named.references:
                    named.references.append(value)
    # Another name or spelling of an ingredient ("paracetamol", "ciclosporin"), read by the
    # medicine resolver the checker uses.
    for name in moieties_of(entry.text):
        for kind, value in index.get(words_of(name), ()):
            if kind == "ingredient" and value not in named.ingredients:
                named.ingredients[value] = value
                named.phrases.append(words_of(name))
    return named


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def _finding(med: Medicine, ingredient: str, entry: AllergyEntry, matched: str, basis: str, severity: str, why: str,
             explanation: str) -> AllergyFinding:
    return AllergyFinding(med, ingredient, entry.text, matched, basis, severity, why, explanation)


def _findings_for(med: Medicine, ingredients: tuple[str, ...], entry: AllergyEntry, named: _Named,
                  classes: AllergyClasses) -> list[AllergyFinding]:
    found: list[AllergyFinding] = []
    held = set(ingredients)
    pointed = named.members()
    for ingredient in ingredients:
        if ingredient in named.ingredients:
            found.append(_finding(med, ingredient, entry, ingredient, "ingredient", AVOID,
                                  f"the allergy names {ingredient}", f"{med.name} contains {ingredient}."))
        for ref in named.references:
            if ingredient not in ref.ingredients:
                continue
            called = {"brand": "a brand name of", "synonym": "another name for", "name": "the name of"}[ref.kind]
            if len(ref.ingredients) == 1 or set(ref.ingredients) <= held:
                if ref.name.lower() == ingredient:
                    continue  # said better by the ingredient finding
                why = f"{ref.name} is {called} {ref.drug}" if ref.name != ref.drug else f"{ref.drug} contains {ingredient}"
                found.append(_finding(med, ingredient, entry, ref.name, "name", AVOID, why,
                                      f"{med.name} contains {ingredient} ({why})."))
            else:
                # The reaction may have been to another ingredient of the combination, but
                # nobody can tell from the list: warn as for the ingredient itself.
                others = ", ".join(ref.ingredients)
                found.append(_finding(
                    med, ingredient, entry, ref.name, "combination", AVOID,
                    f"{ingredient} is one of the ingredients of {ref.name} ({others})",
                    f"{med.name} contains {ingredient}, which is also in {ref.name} (a combination of {others})."))
        for info in classes.classes_of(ingredient):
            if info.slug in named.classes:
                found.append(_finding(med, ingredient, entry, named.classes[info.slug], "class", AVOID,
                                      f"{ingredient} is {info.article} {info.singular}",
                                      f"{med.name} contains {ingredient}, {info.article} {info.singular}."))
            elif info.siblings:
                related = sorted(m for m in pointed if m in info.members and m != ingredient)
                if related:
                    found.append(_finding(
                        med, ingredient, entry, pointed[related[0]], "family", ASK,
                        f"{ingredient} and {related[0]} are both {info.name}",
                        f"{med.name} contains {ingredient}. {ingredient.capitalize()} and {related[0]} are both "
                        f"{info.name}. {info.siblings}"))
            named_families = set(named.classes) | {c.slug for m in pointed for c in classes.classes_of(m)}
            for other in sorted(named_families - {info.slug}):
                note = classes.cross_note(info.slug, other)
                if note:
                    found.append(_finding(
                        med, ingredient, entry, named.classes.get(other) or classes.classes[other].singular,
                        "cross-reactivity", ASK, f"{ingredient} is {info.article} {info.singular}; the allergy is to "
                        f"{classes.classes[other].name}",
                        f"{med.name} contains {ingredient}, {info.article} {info.singular}. {note}"))
    if not ingredients:
        # Not in our reference, so only its name can be compared ("Penicillin VK" saved by hand).
        name_words = words_of(med.name)
        for phrase in named.phrases:
            if _contains(name_words, phrase):
                said = " ".join(phrase)
                found.append(_finding(med, "", entry, said, "medicine-name", ASK,
                                      f"the name {med.name} mentions {said}",
                                      f"The name {med.name} mentions {said}. We do not know its ingredients, "
                                      "so we could not check it properly."))
                break
    return found


def check_allergies(allergy_text: str | None, medicines: Sequence[Medicine], reference: Mapping[tuple[str, ...], ReferenceName],
                    classes: AllergyClasses) -> AllergyReport:
    """Every medicine that an entry of the allergy list warns about: one finding per medicine and
    entry (the strongest), "avoid" findings first."""
    entries = parse_allergies(allergy_text)
    report = AllergyReport(entries)
    if not entries or not medicines:
        return report
    ingredient_sets = [tuple(dict.fromkeys(i.strip().lower() for i in m.ingredients if i and i.strip())) for m in medicines]
    known = {i for s in ingredient_sets for i in s} | {m for c in classes.classes.values() for m in c.members}
    report.unchecked = [m for m, ingredients in zip(medicines, ingredient_sets, strict=True)
                        if ingredients and not any(classes.classes_of(i) for i in ingredients)]
    index = _phrase_index(known, reference, classes)
    longest = max((len(k) for k in index), default=1)
    for entry in entries:
        named = _named_by(entry, index, longest)
        if not named.phrases:
            continue
        for med, ingredients in zip(medicines, ingredient_sets, strict=True):
            options = _findings_for(med, ingredients, entry, named, classes)
            if options:
                report.findings.append(min(options, key=lambda f: (f.severity != AVOID, _BASIS_ORDER[f.basis])))
    order = {m.key: n for n, m in enumerate(medicines)}
    report.findings.sort(key=lambda f: (f.severity != AVOID, order[f.medicine.key]))
    return report


def report_for(session: Session, allergy_text: str | None, medicines: Sequence[Medicine]) -> AllergyReport:
    """An allergy list against some medicines, with the drug reference read (from the
    per-process copy) only when there is something to check."""
    entries = parse_allergies(allergy_text)
    if not entries or not medicines:
        return AllergyReport(entries)
    classes = allergy_classes()
    return check_allergies(allergy_text, medicines, cached_reference(session, classes), classes)


def profile_allergy_report(session: Session, allergy_text: str | None, saved_medicines: Iterable) -> AllergyReport:
    """The report for a profile: its active saved medicines (named with their strength)
    against its allergy text."""
    medicines = [Medicine(str(m.id), f"{m.name} {m.strength}".strip() if m.strength else m.name, tuple(m.ingredients or ()))
                 for m in saved_medicines if m.is_active]
    return report_for(session, allergy_text, medicines)


def warnings_for_item(session: Session, profiles: Iterable, key: str, name: str,
                      ingredients: Sequence[str]) -> list[tuple[str, AllergyFinding]]:
    """(profile name, finding) for each profile whose allergy list warns about one medicine,
    for the drug, product and pill pages before it is saved. Reads the drug reference only
    when some profile lists an allergy."""
    listed = [p for p in profiles if parse_allergies(p.allergies)]
    if not listed:
        return []
    classes = allergy_classes()
    reference = cached_reference(session, classes)
    medicine = Medicine(key, name, tuple(ingredients))
    return [(p.name, finding) for p in listed
            for finding in check_allergies(p.allergies, [medicine], reference, classes).findings]
