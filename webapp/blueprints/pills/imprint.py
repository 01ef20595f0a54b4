"""Imprint normalisation: the keys an imprint is stored and looked up under.

SPL writes an imprint's parts (sides, or lines on one side) separated by ";", e.g.
"PD;155;10". People type it any way: "pd 155 10", "PD-155/10", "10 PD155". So:

- `compact` drops case and every separator: "PD15510";
- `full_keys` are the compact imprint with its parts in every order (side order does not
  matter): "PD15510", "10PD155", ...; a typed imprint equal to one of them is a full match,
  a typed imprint that starts one of them is a prefix match;
- `tokens` are the parts on their own, plus the letter and digit runs inside them, for
  whole-token matches ("155");
- `fold` maps characters people misread (0/O, 1/I/L, 5/S, 8/B, 2/Z, 6/G) onto one of each
  group, so a misreading still finds the pill; `readings` says which reading matched.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import permutations

MAX_IMPRINT_INPUT = 100  # characters a person may type
MAX_KEY_LENGTH = 80
MAX_PERMUTED_PARTS = 4  # 4! = 24 keys; longer imprints keep their printed order (and reversed)

CONFUSABLE_GROUPS = ("0O", "1IL", "5S", "8B", "2Z", "6G")
_FOLD = {ch: group[0] for group in CONFUSABLE_GROUPS for ch in group}
_FOLD_TABLE = str.maketrans(_FOLD)
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
_RUNS = re.compile(r"[0-9]+|[A-Z]+")


def _ascii_upper(text: str) -> str:
    # "é" -> "E", full-width digits -> ASCII; anything else that is not a letter or digit goes.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def compact(text: str | None) -> str:
    """Upper case, letters and digits only: "pd 155-10" -> "PD15510"."""
    if not text:
        return ""
    return _NON_ALNUM.sub("", _ascii_upper(text))[:MAX_KEY_LENGTH]


def parts(imprint: str | None) -> list[str]:
    """The compact parts of a stored imprint ("PD;155;10" -> ["PD", "155", "10"])."""
    if not imprint:
        return []
    return [p for p in (compact(piece) for piece in imprint.split(";")) if p]


def query_parts(text: str | None) -> list[str]:
    """The parts of a typed imprint: any separator splits ("PD 155/10" -> ["PD", "155", "10"])."""
    if not text:
        return []
    return [p for p in _NON_ALNUM.split(_ascii_upper(text)) if p]


def fold(key: str) -> str:
    return key.translate(_FOLD_TABLE)


def full_keys(imprint: str | None) -> list[str]:
    """The compact imprint with its parts in every order (deduplicated, printed order first)."""
    pieces = parts(imprint)
    if not pieces:
        return []
    few = len(pieces) <= MAX_PERMUTED_PARTS
    orders = permutations(pieces) if few else [tuple(pieces), tuple(reversed(pieces))]
    keys: list[str] = []
    for order in orders:
        key = "".join(order)[:MAX_KEY_LENGTH]
        if key not in keys:
            keys.append(key)
    return keys


def tokens(imprint: str | None) -> list[str]:
    """Whole parts, and the letter/digit runs inside them ("L227" -> "L227", "L", "227")."""
    found: list[str] = []
    for piece in parts(imprint):
        for token in [piece, *_RUNS.findall(piece)]:
            if token not in found:
                found.append(token[:MAX_KEY_LENGTH])
    return found


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string above every string that starts with prefix (keys are [0-9A-Z])."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def readings(typed: str, printed: str) -> list[tuple[str, str]]:
    """Where a typed key differs from the printed key of equal folding: [(typed, printed), ...]."""
    differences: list[tuple[str, str]] = []
    for a, b in zip(typed, printed, strict=False):
        if a != b and (a, b) not in differences:
            differences.append((a, b))
    return differences


CHARACTER_NAMES = {
    "0": "0 (zero)", "O": "O (letter)", "1": "1 (one)", "I": "I (letter i)", "L": "L (letter)",
    "5": "5 (five)", "S": "S (letter)", "8": "8 (eight)", "B": "B (letter)", "2": "2 (two)",
    "Z": "Z (letter)", "6": "6 (six)", "G": "G (letter)",
}


def describe_readings(differences: list[tuple[str, str]]) -> str:
    """'you typed O (letter), the pill has 0 (zero)' for each misread character."""
    return "; ".join(
        f"you typed {CHARACTER_NAMES.get(a, a)}, the pill has {CHARACTER_NAMES.get(b, b)}" for a, b in differences
    )


def display(imprint: str | None) -> str:
    """How we show an imprint: its parts separated by a middle dot ("PD · 155 · 10")."""
    pieces = [piece.strip() for piece in (imprint or "").split(";") if piece.strip()]
    return " · ".join(pieces)
