"""How well a pill matches what someone sees: the rules, as pure functions.

A query is any combination of imprint, colour(s), shape, size and score. Every criterion
given is a filter (with tolerance: near colours and shapes, size within 1 mm, misread
characters, partial imprints) and adds points; the points decide the order and the
reasons explain it. pill_search runs the same rules as indexed SQL and uses
`match_pill` to explain each result; the weights below are shared by both.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from webapp.blueprints.pills import imprint as imp
from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, NEAR_SHAPES, SHAPE_BY_CODE, ColourChoice, colour_choice, shape_by_name_or_code
from webapp.core.errors import FieldError

# Points. Full imprint readings outrank partial ones; exact readings outrank misreadings.
IMPRINT_EXACT = 100
IMPRINT_MISREAD = 80
IMPRINT_PREFIX = 60
IMPRINT_TOKEN = 50
IMPRINT_MISREAD_PREFIX = 45
IMPRINT_MISREAD_TOKEN = 40
COLOUR_EXACT = 20
COLOUR_NEAR = 8
SHAPE_EXACT = 20
SHAPE_NEAR = 8
SIZE_EXACT = 10  # same millimetre (within half a millimetre)
SIZE_NEAR = 5  # within SIZE_TOLERANCE_MM
SCORE_EXACT = 5

SIZE_TOLERANCE_MM = 1.0
SIZE_EXACT_MM = 0.5
MIN_PREFIX_LENGTH = 2  # a single typed character matches whole parts only
MIN_SIZE_MM, MAX_SIZE_MM = 1.0, 50.0
MIN_SCORE, MAX_SCORE = 1, 6
MAX_COLOURS = 2

# Characters that can appear on (or be typed for) an imprint, besides letters and digits.
ALLOWED_PUNCTUATION = set(" -.;,/\\'\"&+*()_:#!|")
# Numbers as the API documents them (ASCII digits): int() and float() would also take "٣", "+3" or "1_0".
_WHOLE = re.compile(r"([0-9]+)(?:\.0+)?")  # "2.0" is whole too, as in JSON Schema
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class QueryError(FieldError):
    """A criterion that cannot be used; `field` names it (imprint, color, shape, size_mm, score)."""


@dataclass(frozen=True)
class PillQuery:
    imprint: str = ""  # as typed (validated)
    colours: tuple[ColourChoice, ...] = ()
    shape: str | None = None  # SPL code
    size_mm: float | None = None
    score: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.imprint_key or self.colours or self.shape or self.size_mm is not None or self.score is not None)

    @property
    def imprint_key(self) -> str:
        return imp.compact(self.imprint)

    @property
    def imprint_parts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(imp.query_parts(self.imprint)))

    def max_points(self) -> int:
        total = 0
        if self.imprint_key:
            total += IMPRINT_EXACT
        total += COLOUR_EXACT * len(self.colours)
        if self.shape:
            total += SHAPE_EXACT
        if self.size_mm is not None:
            total += SIZE_EXACT
        if self.score is not None:
            total += SCORE_EXACT
        return total


@dataclass(frozen=True)
class PillFacts:
    """The parts of a pill record that matching looks at."""

    imprint: str | None
    colours: tuple[str, ...]  # SPL codes
    shape: str | None
    size_mm: float | None
    score: int | None


@dataclass(frozen=True)
class ImprintMatch:
    points: int
    reason: str


@dataclass
class Match:
    points: int
    percent: int
    reasons: list[str] = field(default_factory=list)


# --- parsing what a person typed ---------------------------------------------------------


def imprint_char_allowed(ch: str) -> bool:
    """Whether an imprint may contain the character (the API document's pattern is built from this)."""
    if ch.isascii():
        return ch.isalnum() or ch in ALLOWED_PUNCTUATION
    return ch.isalnum() and unicodedata.normalize("NFKD", ch)[:1].isascii()  # é, full-width digits


def _check_imprint(raw: str | None) -> str:
    # The length as sent, surrounding spaces included: one rule the API document can state.
    if raw and len(raw) > imp.MAX_IMPRINT_INPUT:
        raise QueryError(f"An imprint is at most {imp.MAX_IMPRINT_INPUT} characters. "
                         "Type just the letters and numbers printed on the pill.", field="imprint")
    text = (raw or "").strip()
    if not text:
        return ""
    odd = []
    for ch in text:
        if imprint_char_allowed(ch):
            continue
        if ch not in odd:
            odd.append(ch)
    if odd:
        shown = " ".join(repr(ch)[1:-1] if not ch.isprintable() else ch for ch in odd[:5])
        raise QueryError(f"Imprints are letters, numbers and a few marks; remove these characters: {shown}", field="imprint")
    if not imp.compact(text):
        raise QueryError("Type the letters or numbers printed on the pill; "
                         "separators such as - . ; alone can't be matched.", field="imprint")
    return text


def _check_size(raw) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().lower().removesuffix("mm").strip()
    if not _DECIMAL.fullmatch(text):
        raise QueryError("Enter the size as a number of millimetres, for example 10.", field="size_mm")
    value = float(text)
    if not math.isfinite(value) or not MIN_SIZE_MM <= value <= MAX_SIZE_MM:
        raise QueryError(f"Pills measure between {MIN_SIZE_MM:g} and {MAX_SIZE_MM:g} mm; "
                         "enter the length of the longest side in millimetres.", field="size_mm")
    return round(value, 1)


def _check_score(raw) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    whole = _WHOLE.fullmatch(str(raw).strip())
    if not whole:
        raise QueryError("Enter the number of pieces the pill can be split into, for example 2.", field="score")
    digits = whole[1].lstrip("0") or "0"
    value = int(digits) if len(digits) <= 9 else MAX_SCORE + 1  # int() refuses over 4,300 digits
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise QueryError(f"Enter a number of pieces from {MIN_SCORE} (not scored) to {MAX_SCORE}.", field="score")
    return value


def _shown(value) -> str:
    """What was typed, for a message: a long value is cut, not refused for its length."""
    text = str(value).strip()
    return text if len(text) <= 40 else text[:40] + "…"


def parse_query(imprint: str | None = None, colours: list[str] | tuple[str, ...] = (), shape: str | None = None,
                size_mm=None, score=None) -> PillQuery:
    """Check what a person typed and turn it into a PillQuery, or raise QueryError naming the field."""
    text = _check_imprint(imprint)
    choices: list[ColourChoice] = []
    given = 0
    for value in colours:
        if value is None or not str(value).strip():
            continue
        given += 1
        choice = colour_choice(str(value))
        if choice is None:
            raise QueryError(f"We don't know the colour “{_shown(value)}”. "
                             "Use one of the listed colours (for example white, yellow or pink).", field="color")
        if choice not in choices:
            choices.append(choice)
    # Colours as given, not as distinct: "white,white,red" is a mistake worth saying, and a
    # rule on the count of pieces is one the API document can state.
    if given > MAX_COLOURS:
        raise QueryError("Choose at most two colours (for a two-coloured capsule).", field="color")
    shape_code = None
    if shape is not None and str(shape).strip():
        found = shape_by_name_or_code(str(shape))
        if found is None:
            raise QueryError(f"We don't know the shape “{_shown(shape)}”. "
                             "Use one of the listed shapes (for example round, oval or capsule).", field="shape")
        shape_code = found.code
    query = PillQuery(text, tuple(choices), shape_code, _check_size(size_mm), _check_score(score))
    if query.is_empty:
        raise QueryError("Enter at least one thing you can see: the imprint, the colour, the shape, "
                         "the size or the score.", field="imprint")
    return query


# --- matching ----------------------------------------------------------------------------


def imprint_match(query: PillQuery, imprint: str | None) -> ImprintMatch | None:
    """How the typed imprint matches a printed one (best reading), or None."""
    typed = query.imprint_key
    if not typed or not imprint:
        return None
    keys = imp.full_keys(imprint)
    shown = imp.display(imprint)
    if typed in keys:
        return ImprintMatch(IMPRINT_EXACT, f"imprint matches exactly ({shown})")
    folded = imp.fold(typed)
    for key in keys:
        if imp.fold(key) == folded:
            return ImprintMatch(IMPRINT_MISREAD, f"imprint matches if characters are read differently "
                                                 f"({imp.describe_readings(imp.readings(typed, key))}; imprint {shown})")
    candidates: list[ImprintMatch] = []
    long_enough = len(typed) >= MIN_PREFIX_LENGTH
    if long_enough and any(key.startswith(typed) for key in keys):
        candidates.append(ImprintMatch(IMPRINT_PREFIX, f"imprint begins with what you typed (imprint {shown})"))
    parts = query.imprint_parts
    record_tokens = imp.tokens(imprint)
    if parts and all(p in record_tokens for p in parts):
        said = ", ".join(parts)
        candidates.append(ImprintMatch(IMPRINT_TOKEN, f"part of the imprint matches: {said} (imprint {shown})"))
    if not candidates:
        if long_enough:
            for key in keys:
                if imp.fold(key).startswith(folded):
                    differences = imp.readings(typed, key)
                    candidates.append(ImprintMatch(
                        IMPRINT_MISREAD_PREFIX,
                        f"imprint begins with what you typed if characters are read differently "
                        f"({imp.describe_readings(differences)}; imprint {shown})"))
                    break
        folded_tokens = {imp.fold(t): t for t in record_tokens}
        if parts and all(imp.fold(p) in folded_tokens for p in parts):
            differences = [d for p in parts for d in imp.readings(p, folded_tokens[imp.fold(p)])]
            candidates.append(ImprintMatch(
                IMPRINT_MISREAD_TOKEN,
                f"part of the imprint matches if characters are read differently "
                f"({imp.describe_readings(differences)}; imprint {shown})"))
    return max(candidates, key=lambda m: m.points) if candidates else None


def _colour_points(choice: ColourChoice, pill_colours: tuple[str, ...]) -> tuple[int, str] | None:
    names = [COLOUR_BY_CODE[c].label.lower() for c in pill_colours if c in COLOUR_BY_CODE]
    if choice.exact & set(pill_colours):
        shown = " and ".join(names)
        return COLOUR_EXACT, f"colour {shown}" if len(names) == 1 else f"colours {shown} (you said {choice.label})"
    near = [COLOUR_BY_CODE[c].label.lower() for c in pill_colours if c in choice.near]
    if near:
        return COLOUR_NEAR, f"colour {' and '.join(names)} is close to {choice.label}"
    return None


def match_pill(query: PillQuery, pill: PillFacts) -> Match | None:
    """Points and reasons when the pill meets every criterion (within tolerance), else None."""
    points = 0
    reasons: list[str] = []
    if query.imprint_key:
        found = imprint_match(query, pill.imprint)
        if found is None:
            return None
        points += found.points
        reasons.append(found.reason)
    for choice in query.colours:
        colour = _colour_points(choice, pill.colours)
        if colour is None:
            return None
        points += colour[0]
        reasons.append(colour[1])
    if query.shape:
        wanted = SHAPE_BY_CODE[query.shape]
        if pill.shape == query.shape:
            points += SHAPE_EXACT
            reasons.append(f"shape {wanted.label.lower()}")
        elif pill.shape in NEAR_SHAPES[query.shape]:
            points += SHAPE_NEAR
            reasons.append(f"shape {SHAPE_BY_CODE[pill.shape].label.lower()} is close to {wanted.label.lower()}")
        else:
            return None
    if query.size_mm is not None:
        if pill.size_mm is None:
            return None
        difference = abs(pill.size_mm - query.size_mm)
        if difference < SIZE_EXACT_MM:
            points += SIZE_EXACT
            reasons.append(f"size {pill.size_mm:g} mm")
        elif difference <= SIZE_TOLERANCE_MM + 1e-9:
            points += SIZE_NEAR
            reasons.append(f"size {pill.size_mm:g} mm (within 1 mm of {query.size_mm:g} mm)")
        else:
            return None
    if query.score is not None:
        if pill.score != query.score:
            return None
        points += SCORE_EXACT
        reasons.append(score_phrase(query.score))
    maximum = query.max_points() or 1
    return Match(points, round(100 * points / maximum), reasons)


def score_phrase(score: int | None) -> str:
    if score is None:
        return "score not recorded"
    if score <= 1:
        return "not scored (cannot be split)"
    return f"scored to split into {score} pieces"


def rank(query: PillQuery, pills: list[tuple[object, PillFacts]]) -> list[tuple[object, Match]]:
    """The matching pills, best first (ties keep the given order)."""
    matched = [(item, m) for item, facts in pills if (m := match_pill(query, facts)) is not None]
    return sorted(matched, key=lambda pair: -pair[1].points)


def loosening_suggestions(query: PillQuery) -> list[str]:
    """What to try when nothing matched, in the order most likely to help."""
    tips: list[str] = []
    if query.imprint_key:
        tips.append("Check the imprint, or type only the part you are sure of (for example the first letters "
                    "or numbers). Each side of the pill counts; the order does not matter.")
    if query.size_mm is not None:
        tips.append("Leave out the size: measuring a small pill by eye is hard.")
    if query.score is not None:
        tips.append("Leave out the score: a faint line is easy to miss.")
    if query.colours:
        tips.append("Leave out the colour, or choose a nearby one: colours look different under different light.")
    if query.shape:
        tips.append("Leave out the shape, or try a similar one (oval and capsule are often confused).")
    tips.append("Some pills are not in our database yet. A pharmacist can identify a pill for you.")
    return tips
