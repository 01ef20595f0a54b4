"""What a medicine is used for, as FDA labels state it: the LabeledIn facts (NLM/NCBI,
public domain), embedded as webapp/data/catalogue/labeledin.tsv.gz keyed by moiety name,
for the generated pages of catalogue medicines without a written monograph.

Only well-supported rows are kept: those an expert curated, or that two or more labels
state (a single crowd-sourced reading of one label is not enough to tell a reader what a
medicine is for). Rows without a disease name are dropped (nothing to show).
`flask drugs build-indications FILE` writes the file; the same input gives the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from webapp.blueprints.drugs.drugsatfda_import import moiety
from webapp.core.datafiles import DATA_DIR, DataFileError, read_once

FOLDER = DATA_DIR / "catalogue"
FACTS_NAME = "labeledin.tsv.gz"
METADATA_NAME = "labeledin.json"
COLUMNS = ("moiety", "condition", "labels", "expert")
MIN_LABELS = 2
METADATA = {
    "source": "LabeledIn: indications from FDA drug labels (NLM/NCBI)",
    # The copy we read: dhimmel/indications, commit 11d535ba (2016-03-15), labeledin/data/indications.tsv.
    "url": "https://github.com/dhimmel/indications",
    "citation": "Khare R, Li J, Lu Z. LabeledIn: cataloging labeled indications for human drugs. "
                "J Biomed Inform 2014;52:448-56",
    "licence": "Public domain (a United States Government work)",
    "snapshot": "2016-03-15",
    "format": "healthdesk-labeledin-1",
    "file": FACTS_NAME,
    "kept": f"rows an expert curated, or that {MIN_LABELS} or more labels state; rows with a disease name",
}
_USP = re.compile(r"\(?\busp\b\)?", re.IGNORECASE)
_BREAKS = re.compile(r"[\t\r\n]+")


class IndicationsFileError(DataFileError):
    """The LabeledIn file (or our embedded copy) cannot be used."""


@dataclass(frozen=True)
class Use:
    condition: str
    labels: int  # how many FDA labels state it
    expert: bool  # curated by an expert (otherwise by crowd workers, on several labels)


def moiety_key(rxnorm_name: str) -> str:
    """"Omega-3 Acid Ethyl Esters (USP)" -> "omega 3 acid ethyl esters"; salts stripped as
    the catalogue strips them, so keys meet the ingredient names."""
    return moiety(_USP.sub(" ", rxnorm_name or ""))


def read_labeledin(path: Path) -> dict[str, dict[str, Use]]:
    """{moiety: {condition: Use}} from the LabeledIn TSV, well-supported rows only."""
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            return _read_rows(handle, path)
    except OSError as exc:
        raise IndicationsFileError(str(path), f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise IndicationsFileError(str(path), "not UTF-8 text") from None


def _read_rows(handle, path: Path) -> dict[str, dict[str, Use]]:
    facts: dict[str, dict[str, Use]] = {}
    reader = csv.DictReader(handle, delimiter="\t")
    missing = {"rxnorm_name", "disease_mesh_name", "n_labels", "expert"} - set(reader.fieldnames or ())
    if missing:
        raise IndicationsFileError(str(path), f"missing columns: {', '.join(sorted(missing))}", line=1)
    for row in reader:
        key = moiety_key(row["rxnorm_name"])
        condition = _BREAKS.sub(" ", row["disease_mesh_name"] or "").strip()
        labels = int(row["n_labels"]) if (row["n_labels"] or "").isdigit() else 0
        expert = (row["expert"] or "").strip() == "1"
        if not key or not condition or not (expert or labels >= MIN_LABELS):
            continue
        current = facts.setdefault(key, {}).get(condition)
        if current is not None:
            labels, expert = max(labels, current.labels), expert or current.expert
        facts[key][condition] = Use(condition, labels, expert)
    return facts


def encode(facts: dict[str, dict[str, Use]]) -> bytes:
    lines = ["\t".join(COLUMNS)]
    for key in sorted(facts):
        for condition in sorted(facts[key]):
            use = facts[key][condition]
            lines.append(f"{key}\t{condition}\t{use.labels}\t{1 if use.expert else 0}")
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def decode(raw: bytes, name: str = FACTS_NAME) -> dict[str, tuple[Use, ...]]:
    """{moiety: uses, best supported first}."""
    try:
        lines = gzip.decompress(raw).decode("utf-8").split("\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise IndicationsFileError(name, f"not a gzipped UTF-8 file ({exc})") from None
    if tuple(lines[0].split("\t")) != COLUMNS:
        raise IndicationsFileError(name, "the first line does not name the expected columns", line=1)
    found: dict[str, list[Use]] = {}
    for number, line in enumerate(lines[1:], 2):
        if not line:
            continue
        cells = line.split("\t")
        if len(cells) != len(COLUMNS) or not cells[2].isdigit() or cells[3] not in ("0", "1"):
            raise IndicationsFileError(name, "malformed row", line=number)
        found.setdefault(cells[0], []).append(Use(cells[1], int(cells[2]), cells[3] == "1"))
    return {key: tuple(sorted(uses, key=lambda u: (not u.expert, -u.labels, u.condition.lower())))
            for key, uses in found.items()}


def build(source: Path, folder: Path = FOLDER, progress: Callable[[str], None] = lambda _m: None) -> int:
    """Write our embedded copy from a LabeledIn indications.tsv; returns the rows kept."""
    facts = read_labeledin(source)
    folder.mkdir(parents=True, exist_ok=True)
    count = sum(len(uses) for uses in facts.values())
    for name, data in ((FACTS_NAME, encode(facts)),
                       (METADATA_NAME, (json.dumps({**METADATA, "rows": count, "moieties": len(facts)}, indent=2,
                                                   sort_keys=True) + "\n").encode("utf-8"))):
        partial = folder / (name + ".partial")
        partial.write_bytes(data)
        partial.replace(folder / name)
    progress(f"  kept {count} uses of {len(facts)} medicines")
    return count


def _load(folder: Path) -> tuple[dict[str, tuple[Use, ...]], dict]:
    path = folder / FACTS_NAME
    if not path.is_file():
        return {}, {}
    try:
        metadata = json.loads((folder / METADATA_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndicationsFileError(METADATA_NAME, f"cannot be read ({exc})") from None
    return decode(path.read_bytes()), metadata


def uses_for(name: str, folder: Path = FOLDER) -> tuple[Use, ...]:
    """The labeled uses of one moiety ("esomeprazole"), read once per process."""
    facts, _metadata = read_once((__name__, str(folder)), [folder / FACTS_NAME, folder / METADATA_NAME],
                                 lambda: _load(folder))
    return facts.get(name, ())


def source_info(folder: Path = FOLDER) -> dict:
    _facts, metadata = read_once((__name__, str(folder)), [folder / FACTS_NAME, folder / METADATA_NAME],
                                 lambda: _load(folder))
    return metadata
