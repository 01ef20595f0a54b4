"""Regular expressions for the OpenAPI document, built from the predicates and word lists the
API's parsers use, so the document states their rules exactly instead of approximately.

The patterns use only literal characters, character classes, groups and repetition: the
subset on which ECMA-262 (what JSON Schema names), Python's `re` and Rust's `regex` agree.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterable
from functools import cache

_CLASS_SPECIALS = set("\\]^-[")


def _literal_in_class(ch: str) -> str:
    return "\\" + ch if ch in _CLASS_SPECIALS else ch


def _every_character() -> str:
    """All 1.1 million code points but the surrogates, decoded in one go from UTF-32."""
    codes = array("I", range(0xD800)) + array("I", range(0xE000, 0x110000))
    return codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")


@cache
def alnum_characters() -> str:
    """Every character str.isalnum() accepts, found by `re` in C: its Unicode \\w is exactly
    str.isalnum() plus "_" (asking each code point in Python took seconds)."""
    return re.sub(r"[\W_]+", "", _every_character())


@cache
def space_characters() -> str:
    """Every character str.isspace() accepts (`re`'s Unicode \\s is exactly that)."""
    return re.sub(r"\S+", "", _every_character())


def char_class(characters: Iterable[str], *, negate: bool = False) -> str:
    """A [...] class of the characters, as ranges."""
    ranges: list[list[int]] = []
    for code in sorted({ord(ch) for ch in characters}):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = []
    for first, last in ranges:
        parts.append(_literal_in_class(chr(first)) if first == last
                     else f"{_literal_in_class(chr(first))}-{_literal_in_class(chr(last))}")
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


@cache
def ascii_space() -> str:
    """What str.strip() and str.split() remove, within ASCII."""
    return char_class(ch for ch in space_characters() if ch.isascii())


def any_case_word(name: str, separator: str) -> str:
    """An ASCII name in any letter case, its spaces standing for `separator` (one or more)."""
    pieces = []
    for word in name.split(" "):
        pieces.append("".join(f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() else _escape(ch) for ch in word))
    return f"{separator}+".join(pieces)


def _escape(ch: str) -> str:
    return "\\" + ch if ch in set("\\^$.|?*+()[]{}") else ch


def one_of_words(names: Iterable[str], separator: str) -> str:
    # Longest first, so no alternative is cut short by a shorter one it begins with.
    return "(?:" + "|".join(any_case_word(n, separator) for n in sorted(set(names), key=lambda n: (-len(n), n))) + ")"
