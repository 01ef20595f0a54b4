"""Edits made elsewhere while a form was open: two tabs, or two carers on one account.

An edit form carries a fingerprint of the record as it was shown. Saving compares it with
the record as it is now; when they differ, nothing is overwritten: the form comes back
with what the person typed and the current values, and the next save goes through.
The fingerprint covers only what the form edits, so changes elsewhere on the record (a
vote count, a moderator's flag) never get in the way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable

CONFLICT_MESSAGE = ("{what} was changed somewhere else (another tab or device) after you opened this form. "
                    "Nothing was saved yet: your version is still in the form, and the current one is shown. "
                    "Save again to keep yours.")


def fingerprint(values: Iterable) -> str:
    """A short, stable digest of the values a form edits (any JSON-able values, in order)."""
    data = json.dumps(list(values), default=str, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def changed_since(shown: str | None, current_values: Iterable) -> bool:
    """True when the record no longer matches what the form was opened on (or the form
    carries no fingerprint: an old page, or a hand-made request)."""
    return not shown or not hmac.compare_digest(shown.encode(), fingerprint(current_values).encode())


def conflict_message(what: str) -> str:
    return CONFLICT_MESSAGE.format(what=what)
