"""The drug reference's data files (webapp/data/conditions/, drugs/, drug_classes.yaml)
read into frozen records and validated strictly, before anything is written. See
webapp/data/README.md for the format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from webapp.blueprints.drugs.models import DRUG_KINDS
from webapp.core.datafiles import DataFileError, Fields, read_yaml, records

MONOGRAPH_TEXT_FIELDS = ("summary", "uses", "how_to_take", "warnings", "do_not_take", "overdose", "storage")
DRUG_KEYS = {"slug", "name", "kind", "generic_name", "brand_names", "synonyms", "ingredients", "popularity", "forms",
             "conditions", "monograph", "sources", "last_reviewed"}
OPTIONAL_DRUG_KEYS = {"max_daily_dose"}
# Every prescription monograph states its usual adult maximum (or says honestly that there
# is none); for over-the-counter products the package label is the reader's guide.
MAX_DOSE_REQUIRED_KINDS = {"prescription"}
NO_FIXED_MAXIMUM = "No fixed maximum"  # how `adult` starts when the label sets no single number
MONOGRAPH_MAX_CHARS = 100_000  # a section is Markdown prose; no real one comes near


class DrugDataError(DataFileError):
    """A data file is malformed; the message names the file, the record, the field and the reason."""


@dataclass(frozen=True)
class ConditionData:
    slug: str
    name: str
    description: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class FormData:
    form: str
    route: str
    strengths: tuple[str, ...]


@dataclass(frozen=True)
class DrugData:
    slug: str
    name: str
    kind: str
    generic_name: str
    brand_names: tuple[str, ...]
    synonyms: tuple[str, ...]
    ingredients: tuple[str, ...]
    popularity: int
    forms: tuple[FormData, ...]
    conditions: tuple[str, ...]
    monograph: dict
    side_effects_common: tuple[str, ...]
    side_effects_serious: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]
    last_reviewed: date | None
    # {"adult": ..., "note": ..., "source": {"title": ..., "url": ...}} or None
    max_daily_dose: dict | None = None


@dataclass(frozen=True)
class ClassData:
    slug: str
    name: str
    members: tuple[str, ...]


def _text(fields: Fields, key: str, max_len: int, *, required: bool = True) -> str:
    # Stripped, not folded: the stored text is the file's text.
    return fields.text(key, required=required, max_len=max_len, multiline=True) or ""


def read_conditions(directory: Path) -> dict[str, ConditionData]:
    """Every condition of the folder's files, merged by slug (synonyms are unioned)."""
    merged: dict[str, ConditionData] = {}
    for path in sorted(directory.glob("*.yaml")):
        for number, entry in enumerate(records(read_yaml(path, error=DrugDataError), path.name,
                                               "a list of conditions", error=DrugDataError), 1):
            fields = Fields(entry, path.name, f"condition #{number}", error=DrugDataError)
            slug = fields.slug("slug")
            name = _text(fields, "name", 200)
            description = _text(fields, "description", 10_000, required=False)
            synonyms = fields.text_list("synonyms")
            if slug in merged:
                old = merged[slug]
                synonyms = old.synonyms + tuple(s for s in synonyms if s not in old.synonyms)
                merged[slug] = ConditionData(slug, old.name, old.description or description, synonyms)
            else:
                merged[slug] = ConditionData(slug, name, description, synonyms)
    return merged


def _forms(drug: Fields) -> tuple[FormData, ...]:
    forms = []
    for number, form in enumerate(drug.items("forms"), 1):
        fields = Fields(form, drug.file, f"forms #{number}", allowed={"form", "route", "strengths"}, error=DrugDataError)
        forms.append(FormData(_text(fields, "form", 120), _text(fields, "route", 120, required=False),
                              fields.text_list("strengths")))
    return tuple(forms)


def _sources(drug: Fields) -> tuple[tuple[str, str], ...]:
    sources = []
    for number, source in enumerate(drug.items("sources", allow_empty=False), 1):
        fields = Fields(source, drug.file, f"sources #{number}", error=DrugDataError)
        sources.append((_text(fields, "title", 300), fields.url("url", required=True, schemes=("https://", "http://"))))
    return tuple(sources)


def _max_daily_dose(drug: Fields, kind: str) -> dict | None:
    """The usual adult maximum daily dose: the amount (or "No fixed maximum") as the reader
    sees it, an optional note (which form or use it applies to, or why there is no number),
    and the label it comes from."""
    if drug.get("max_daily_dose") is None:
        if kind in MAX_DOSE_REQUIRED_KINDS:
            raise drug.fail("max_daily_dose", f"is required for a {kind} drug (write \"No fixed maximum\" "
                                              "with a note when the label sets none)")
        return None
    dose = drug.nested("max_daily_dose", allowed={"adult", "note", "source"}, required=("adult", "source"))
    source = dose.nested("source", allowed={"title", "url"}, required=("title", "url"))
    note = _text(dose, "note", 2_000, required=False)
    adult = _text(dose, "adult", 300)
    fixed = not adult.lower().startswith(NO_FIXED_MAXIMUM.lower())
    if not fixed and not note:
        raise dose.fail("note", "must say who sets the dose, and how, when there is no fixed maximum")
    return {
        "adult": adult,
        "fixed": fixed,
        "note": note,
        "source": {"title": _text(source, "title", 300),
                   "url": source.url("url", required=True, schemes=("https://", "http://"))},
    }


def _validate_drug(raw, path: Path, condition_slugs: set[str]) -> DrugData:
    drug = Fields(raw, path.name, allowed=DRUG_KEYS | OPTIONAL_DRUG_KEYS, required=sorted(DRUG_KEYS),
                  error=DrugDataError)
    kind = drug.choice("kind", DRUG_KINDS)
    slug = drug.slug("slug")
    if slug != path.stem:
        raise drug.fail("slug", f"{slug!r} differs from the file name")
    conditions = drug.text_list("conditions")
    unknown_conditions = [c for c in conditions if c not in condition_slugs]
    if unknown_conditions:
        raise drug.fail("conditions", f"unknown condition slug(s): {', '.join(unknown_conditions)} (define them in conditions/)")
    monograph = drug.nested("monograph", allowed={*MONOGRAPH_TEXT_FIELDS, "side_effects"})
    side_effects = monograph.nested("side_effects", allowed={"common", "serious"})
    return DrugData(
        slug=slug,
        name=_text(drug, "name", 200),
        kind=kind,
        generic_name=_text(drug, "generic_name", 300),
        brand_names=drug.text_list("brand_names"),
        synonyms=drug.text_list("synonyms"),
        ingredients=drug.text_list("ingredients", lowercase=True, allow_empty=False),
        popularity=drug.integer("popularity", minimum=1, maximum=5, required=True),
        forms=_forms(drug),
        conditions=conditions,
        monograph={name: _text(monograph, name, MONOGRAPH_MAX_CHARS, required=name == "summary")
                   for name in MONOGRAPH_TEXT_FIELDS},
        side_effects_common=side_effects.text_list("common"),
        side_effects_serious=side_effects.text_list("serious"),
        sources=_sources(drug),
        last_reviewed=drug.date("last_reviewed", required=False, allow_text=True),
        max_daily_dose=_max_daily_dose(drug, kind),
    )


def read_drugs(directory: Path, condition_slugs: set[str]) -> list[DrugData]:
    """Every drug file, validated; raises DrugDataError listing every bad file."""
    drugs, problems = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
            drugs.append(_validate_drug(read_yaml(path, error=DrugDataError), path, condition_slugs))
        except DrugDataError as exc:
            problems.append(str(exc))
    if problems:
        raise DrugDataError(f"{directory.name}/", "drug data files are not valid:\n  " + "\n  ".join(problems))
    return drugs


def read_classes(path: Path) -> list[ClassData]:
    if not path.exists():
        return []
    raw = read_yaml(path, error=DrugDataError)
    if isinstance(raw, dict):
        raw = raw.get("classes", raw.get("drug_classes"))
    classes, seen = [], set()
    for number, entry in enumerate(records(raw, path.name, "a list of classes (or a mapping with a 'classes' list)",
                                           error=DrugDataError), 1):
        fields = Fields(entry, path.name, f"class #{number}", error=DrugDataError)
        slug = fields.slug("slug")
        if slug in seen:
            raise fields.fail("slug", f"{slug!r} is defined twice")
        seen.add(slug)
        classes.append(ClassData(slug, _text(fields, "name", 200), fields.text_list("members", lowercase=True)))
    return classes
