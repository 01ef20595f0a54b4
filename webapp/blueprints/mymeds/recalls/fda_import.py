"""Import FDA drug enforcement reports (recalls).

Two layouts are read:
- the openFDA API layout: a JSON document `{"results": [...]}` (or a bare list, or JSON
  Lines) with recall_number, classification, status, product_description,
  reason_for_recall, recalling_firm, report_date (YYYYMMDD), openfda.product_ndc ...;
- the older weekly Enforcement Report layout: JSON Lines with hyphenated keys
  (report-date as MM/DD/YYYY, product-type, no recall number field: the recall number is
  printed inside the product description, "Recall # D-1362-2012").

Only drug records are kept. The import is idempotent by recall number: an unchanged
record is left alone, a changed one is updated in place, never duplicated.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.mymeds.models import Recall
from webapp.core.db_types import utcnow

_RECALL_NUMBER_IN_TEXT = re.compile(r"Recall\s*#\s*([A-Z]-\d{2,5}-\d{3,4})", re.IGNORECASE)
_NDC = re.compile(r"\b(\d{4,5})-(\d{3,4})(?:-(\d{1,2}))?\b")
# In free text only the full three-part code counts ("Recall # D-1362-2012" is not an NDC).
_NDC_IN_TEXT = re.compile(r"(?<![\w-])(\d{4,5})-(\d{3,4})-(\d{1,2})(?![\d-])")
_FIRM_PREFIX = re.compile(r"^\s*recalling firm\s*:\s*", re.IGNORECASE)

FIELDS = ("recall_number", "classification", "status", "product_type", "product_description", "code_info",
          "reason_for_recall", "recalling_firm", "distribution_pattern", "product_quantity", "report_date",
          "recall_initiation_date", "ndcs", "generic_names", "brand_names")


class RecallFileError(ValueError):
    """The file is not in a layout we read."""


def canonical_ndc(value: str | None) -> str | None:
    """The product part of an NDC in a comparable 5-4 form: "0093-0787-01" -> "00093-0787".

    NDCs are printed 4-4-2, 5-3-2 or 5-4-1; padding labeler to 5 and product to 4 digits
    makes the same product compare equal whichever way it was written.
    """
    if not value:
        return None
    match = _NDC.search(str(value))
    if not match:
        return None
    labeler, product = match.group(1), match.group(2)
    return f"{labeler.zfill(5)}-{product.zfill(4)}"


def ndcs_in_text(text: str) -> list[str]:
    found = []
    for match in _NDC_IN_TEXT.finditer(text or ""):
        ndc = f"{match.group(1).zfill(5)}-{match.group(2).zfill(4)}"
        if ndc not in found:
            found.append(ndc)
    return found


def _date(value) -> date | None:
    text = str(value or "").strip()
    for pattern in ("%Y%m%d", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _text(value, limit: int | None = None) -> str:
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value or "").replace("\x00", "").strip()
    return text[:limit] if limit else text


def _names(values) -> list[str]:
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values or []:
        name = " ".join(str(value).split()).lower()
        if name and name not in out:
            out.append(name)
    return out


def clean_firm(value: str) -> str:
    """ "Recalling Firm: Teva Pharmaceuticals USA, Inc., Sellersville, PA,Manufacturer: ..." -> the firm."""
    text = _FIRM_PREFIX.sub("", _text(value))
    for marker in (",Manufacturer", ", Manufacturer", " by letter", ", by ", ". Firm initiated"):
        index = text.lower().find(marker.lower())
        if index > 0:
            text = text[:index]
    return text.strip(" ,.")[:300]


def normalize_record(raw: dict) -> dict | None:
    """One record in our field names, or None when it is not a drug recall."""
    record = {str(k).replace("-", "_"): v for k, v in raw.items()}
    product_type = _text(record.get("product_type"))
    if product_type and product_type.lower() not in ("drugs", "drug"):
        return None
    description = _text(record.get("product_description"))
    code_info = _text(record.get("code_info"))
    number = _text(record.get("recall_number"), 40)
    if not number:
        found = _RECALL_NUMBER_IN_TEXT.search(description)
        if found:
            number = found.group(1).upper()
        else:
            digest = hashlib.sha256("|".join([_text(record.get("report_date")), _text(record.get("recalling_firm")),
                                            description, code_info]).encode()).hexdigest()[:12]
            number = f"RES-{digest.upper()}"
    openfda = record.get("openfda") if isinstance(record.get("openfda"), dict) else {}
    ndcs: list[str] = []
    for value in list(openfda.get("product_ndc") or []) + list(openfda.get("package_ndc") or []):
        ndc = canonical_ndc(value)
        if ndc and ndc not in ndcs:
            ndcs.append(ndc)
    for ndc in ndcs_in_text(description) + ndcs_in_text(code_info):
        if ndc not in ndcs:
            ndcs.append(ndc)
    generic = _names(openfda.get("generic_name")) + [n for n in _names(openfda.get("substance_name"))]
    return {
        "recall_number": number,
        "classification": _text(record.get("classification"), 20),
        "status": _text(record.get("status"), 40),
        "product_type": product_type[:40] or "Drugs",
        "product_description": description,
        "code_info": code_info,
        "reason_for_recall": _text(record.get("reason_for_recall")),
        "recalling_firm": clean_firm(_text(record.get("recalling_firm"))),
        "distribution_pattern": _text(record.get("distribution_pattern")),
        "product_quantity": _text(record.get("product_quantity"), 300),
        "report_date": _date(record.get("report_date")),
        "recall_initiation_date": _date(record.get("recall_initiation_date")),
        "ndcs": ndcs,
        "generic_names": list(dict.fromkeys(generic)),
        "brand_names": _names(openfda.get("brand_name")),
    }


def read_records(path: Path) -> Iterator[dict]:
    """Raw records from an openFDA JSON document, a JSON list or JSON Lines."""
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if not stripped:
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        results = document.get("results")
        if not isinstance(results, list):
            raise RecallFileError(f"{path.name}: a JSON object needs a \"results\" list (openFDA layout)")
        yield from (r for r in results if isinstance(r, dict))
        return
    if isinstance(document, list):
        yield from (r for r in document if isinstance(r, dict))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecallFileError(f"{path.name}: line {number} is not JSON ({exc.msg})") from None
        if isinstance(record, dict):
            yield record


@dataclass
class RecallImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # not drug recalls
    recall_ids: list[int] = field(default_factory=list)  # every drug recall in the file

    def __str__(self) -> str:
        return (f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.skipped} skipped (not drugs)")


def _hash(record: dict) -> str:
    payload = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in record.items()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def upsert_records(session: Session, records: Iterable[dict]) -> RecallImportReport:
    report = RecallImportReport()
    normalized: dict[str, dict] = {}
    for raw in records:
        record = normalize_record(raw)
        if record is None:
            report.skipped += 1
            continue
        normalized[record["recall_number"]] = record  # a later copy in the same file wins
    existing: dict[str, Recall] = {}
    numbers = list(normalized)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        for recall in session.execute(select(Recall).where(Recall.recall_number.in_(chunk))).scalars():
            existing[recall.recall_number] = recall
    for number, record in normalized.items():
        digest = _hash(record)
        recall = existing.get(number)
        if recall is None:
            recall = Recall(content_hash=digest, **record)
            session.add(recall)
            existing[number] = recall
            report.created += 1
        elif recall.content_hash != digest:
            for name in FIELDS:
                setattr(recall, name, record[name])
            recall.content_hash = digest
            recall.updated_at = utcnow()
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    report.recall_ids = [existing[number].id for number in numbers]
    return report


def import_file(session: Session, path: Path, progress: Callable[[str], None] = lambda _m: None) -> RecallImportReport:
    if not path.is_file():
        raise RecallFileError(f"{path}: no such file")
    report = upsert_records(session, read_records(path))
    progress(f"  recalls: {report}")
    return report
