"""The public interaction checker: typed medicine names in, a report out.

The checker page takes one name a line (or separated by commas); POST /api/v1/interactions
takes a JSON list. Both end in `check_names`: the names matched to the drug reference, the
recognised ones checked against each other (interactions.check_interactions) and against
the allergies typed beside them (allergies.report_for). No account is needed and nothing
is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.mymeds import allergies
from webapp.blueprints.mymeds.interactions import InteractionReport, Medicine, check_interactions
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBase
from webapp.blueprints.mymeds.profiles import MAX_CHECK_NAMES, MAX_NAME_CHARS, NameResult, normalize_name, resolve_names
from webapp.core.errors import FieldError

MAX_ALLERGY_CHARS = 2000  # as the profile and checker forms
_SPLIT = re.compile(r"[\n,;]+")
MAX_SUGGESTIONS = 10


class CheckRequestError(FieldError):
    """A check that cannot be run as asked (too many names, none, malformed API body)."""


# --- the names to check ------------------------------------------------------------------


def split_names(text: str) -> tuple[list[str], list[str]]:
    """(names, repeated): one per line or comma; repeats (any case) kept once."""
    return unique_names(_SPLIT.split(text or ""))


def unique_names(parts: Iterable[str]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for part in parts:
        name = " ".join(part.split())
        if not name:
            continue
        key = normalize_name(name)
        if key in seen:
            if seen[key] not in repeated:
                repeated.append(seen[key])
            continue
        seen[key] = name
        names.append(name)
    return names, repeated


def page_names_error(names: Sequence[str]) -> str | None:
    """What the checker page says about the number of names typed (None: they can be checked)."""
    if len(names) > MAX_CHECK_NAMES:
        return f"Enter at most {MAX_CHECK_NAMES} medicines at a time (you entered {len(names)})."
    if not names:
        return "Enter at least two medicines, one per line."
    return None


@dataclass(frozen=True)
class ApiCheckRequest:
    names: list[str]  # each once
    allergies: str


def parse_api_request(body: object) -> ApiCheckRequest:
    """The JSON body of POST /api/v1/interactions, checked; CheckRequestError says what is wrong."""
    if not isinstance(body, dict):
        raise CheckRequestError('Send a JSON object like {"drugs": ["warfarin", "ibuprofen"]}.')
    drugs = body.get("drugs")
    if not isinstance(drugs, list) or not all(isinstance(d, str) for d in drugs):
        raise CheckRequestError('"drugs" must be a list of medicine names (text).')
    names = [" ".join(d.replace("\x00", "").split()) for d in drugs]
    if not any(names):
        raise CheckRequestError('"drugs" must name at least one medicine.')
    if len(names) > MAX_CHECK_NAMES:
        raise CheckRequestError(f'"drugs" may list at most {MAX_CHECK_NAMES} medicines.')
    # The length as sent (the API document's maxLength), not after spaces are tidied.
    if any(len(d) > MAX_NAME_CHARS for d in drugs):
        raise CheckRequestError(f"Each name may be at most {MAX_NAME_CHARS} characters.")
    allergy_text = body.get("allergies")
    if allergy_text is None:  # left out, or null
        allergy_text = ""
    if not isinstance(allergy_text, str) or len(allergy_text) > MAX_ALLERGY_CHARS:
        raise CheckRequestError(
            f'"allergies" must be text of at most {MAX_ALLERGY_CHARS:,} characters, e.g. "penicillin, sulfa".')
    unique, _repeated = unique_names(names)
    return ApiCheckRequest(unique, allergy_text)


# --- the check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    results: list[NameResult]  # one per name, in the order typed (found is None: not recognised)
    report: InteractionReport
    allergy_report: allergies.AllergyReport | None  # None: no allergies typed, or none recognised
    suggestions: dict[str, str] = field(default_factory=dict)  # unrecognised name -> the name it may mean

    @property
    def recognised(self) -> list[NameResult]:
        return [r for r in self.results if r.found is not None]


def check_names(session: Session, names: Sequence[str], kb: KnowledgeBase, allergy_text: str | None) -> CheckResult:
    """Match the names to the reference and check the recognised ones."""
    results = resolve_names(session, names)
    medicines = [Medicine(r.found.key, r.found.name, r.found.ingredients) for r in results if r.found is not None]
    allergy_report = allergies.report_for(session, allergy_text, medicines)
    return CheckResult(results, check_interactions(medicines, kb), allergy_report if allergy_report.entries else None,
                       suggestions(session, [r.input for r in results if r.found is None]))


def suggestions(session: Session, unrecognised: Sequence[str]) -> dict[str, str]:
    """For misspelt names ("wafrarin"), the medicine the drug search's typo correction finds;
    at most MAX_SUGGESTIONS lookups, so a list of nonsense stays cheap."""
    found: dict[str, str] = {}
    for name in unrecognised[:MAX_SUGGESTIONS]:
        outcome = drug_search.search(session, name, target_types=("drug", "product"), want=1)
        if outcome.corrected and outcome.hits:
            found[name] = outcome.hits[0].label
    return found
