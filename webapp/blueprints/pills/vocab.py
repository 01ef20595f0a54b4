"""The SPL vocabularies for pill colour and shape, and the words people use for them.

The 12 colours and 19 shapes are the FDA Structured Product Labeling code lists
(NCI thesaurus codes, as in the NLM Pillbox colour/shape fixture). A pill record stores
the code; pages always show the name beside any swatch, never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Colour:
    code: str
    name: str  # SPL display name, upper case as in the labels
    label: str  # how we show it
    hex: str  # swatch for drawings (not the only cue: the name is always shown)


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    label: str
    description: str  # the outline in words, for text alternatives


COLOURS: tuple[Colour, ...] = (
    Colour("C48325", "WHITE", "White", "#FFFFFF"),
    Colour("C48330", "YELLOW", "Yellow", "#F6E05E"),
    Colour("C48331", "ORANGE", "Orange", "#F6A23C"),
    Colour("C48326", "RED", "Red", "#D64545"),
    Colour("C48328", "PINK", "Pink", "#F4B8C8"),
    Colour("C48327", "PURPLE", "Purple", "#8B5FBF"),
    Colour("C48333", "BLUE", "Blue", "#4A7FD4"),
    Colour("C48334", "TURQUOISE", "Turquoise", "#3CC8BE"),
    Colour("C48329", "GREEN", "Green", "#4C9A52"),
    Colour("C48332", "BROWN", "Brown", "#8E5B32"),
    Colour("C48324", "GRAY", "Gray", "#9A9A9A"),
    Colour("C48323", "BLACK", "Black", "#222222"),
)

SHAPES: tuple[Shape, ...] = (
    Shape("C48348", "ROUND", "Round", "a circle"),
    Shape("C48345", "OVAL", "Oval", "an oval (ellipse)"),
    Shape("C48336", "CAPSULE", "Capsule", "a capsule: a long shape with rounded ends"),
    Shape("C48347", "RECTANGLE", "Rectangle", "a rectangle with rounded corners"),
    Shape("C48350", "SQUARE", "Square", "a square with rounded corners"),
    Shape("C48353", "TRIANGLE", "Triangle", "a triangle with rounded corners"),
    Shape("C48338", "DIAMOND", "Diamond", "a diamond (a square standing on a corner)"),
    Shape("C48346", "PENTAGON (5 SIDES)", "Pentagon (5 sides)", "a pentagon: five equal sides"),
    Shape("C48343", "HEXAGON (6 SIDES)", "Hexagon (6 sides)", "a hexagon: six equal sides"),
    Shape("C48342", "HEPTAGON (7 SIDES)", "Heptagon (7 sides)", "a heptagon: seven equal sides"),
    Shape("C48344", "OCTAGON (8 SIDES)", "Octagon (8 sides)", "an octagon: eight equal sides"),
    Shape("C48352", "TRAPEZOID", "Trapezoid", "a trapezoid: wider at the bottom than at the top"),
    Shape("C48349", "SEMI-CIRCLE", "Semi-circle", "a half circle"),
    Shape("C48351", "TEAR", "Tear", "a teardrop: round at one end, pointed at the other"),
    Shape("C48335", "BULLET", "Bullet", "a bullet: flat at one end, rounded at the other"),
    Shape("C48339", "DOUBLE CIRCLE", "Double circle", "two overlapping circles"),
    Shape("C48337", "CLOVER", "Clover", "a clover with four rounded leaves"),
    Shape("C48341", "GEAR", "Gear", "a gear: a circle with teeth around the edge"),
    Shape("C48340", "FREEFORM", "Freeform", "an irregular outline"),
)

COLOUR_BY_CODE = {c.code: c for c in COLOURS}
SHAPE_BY_CODE = {s.code: s for s in SHAPES}

# Colours people confuse, especially under room light: shown after the exact colour.
# Symmetric by construction below.
_NEAR_COLOUR_PAIRS = [
    ("WHITE", "GRAY"), ("WHITE", "YELLOW"), ("GRAY", "BLACK"), ("YELLOW", "ORANGE"),
    ("ORANGE", "RED"), ("ORANGE", "BROWN"), ("ORANGE", "PINK"), ("RED", "PINK"), ("RED", "BROWN"),
    ("PINK", "PURPLE"), ("PURPLE", "BLUE"), ("BLUE", "TURQUOISE"), ("TURQUOISE", "GREEN"),
]
_NEAR_SHAPE_PAIRS = [("OVAL", "CAPSULE"), ("SQUARE", "RECTANGLE"), ("ROUND", "DOUBLE CIRCLE")]

# Words people use that are not SPL names. Each maps to the SPL colour labels usually
# give such a pill (the first one) and colours it is also often listed as (near).
COLOUR_ALIASES: dict[str, tuple[str, ...]] = {
    "GREY": ("GRAY",),
    "SILVER": ("GRAY",),
    "OFF-WHITE": ("WHITE", "YELLOW", "GRAY"),
    "OFF WHITE": ("WHITE", "YELLOW", "GRAY"),
    "CREAM": ("WHITE", "YELLOW"),
    "IVORY": ("WHITE", "YELLOW"),
    "BEIGE": ("BROWN", "YELLOW", "WHITE"),
    "TAN": ("BROWN", "YELLOW", "ORANGE"),
    "PEACH": ("ORANGE", "PINK"),
    "GOLD": ("YELLOW", "ORANGE"),
    "MAROON": ("RED", "BROWN"),
    "LAVENDER": ("PURPLE", "PINK"),
    "VIOLET": ("PURPLE",),
    "TEAL": ("TURQUOISE", "BLUE", "GREEN"),
    "AQUA": ("TURQUOISE", "BLUE"),
}
SHAPE_ALIASES: dict[str, str] = {
    "CIRCLE": "ROUND", "CIRCULAR": "ROUND", "ELLIPTICAL": "OVAL", "OBLONG": "CAPSULE",
    "PENTAGON": "PENTAGON (5 SIDES)", "HEXAGON": "HEXAGON (6 SIDES)", "HEPTAGON": "HEPTAGON (7 SIDES)",
    "OCTAGON": "OCTAGON (8 SIDES)", "SEMICIRCLE": "SEMI-CIRCLE", "SEMI CIRCLE": "SEMI-CIRCLE",
    "TEARDROP": "TEAR", "RECTANGULAR": "RECTANGLE",
}

_COLOUR_BY_NAME = {c.name: c for c in COLOURS}
_SHAPE_BY_NAME = {s.name: s for s in SHAPES}


def _pairs_to_map(pairs: list[tuple[str, str]], by_name: dict) -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {code: set() for code in (v.code for v in by_name.values())}
    for a, b in pairs:
        near[by_name[a].code].add(by_name[b].code)
        near[by_name[b].code].add(by_name[a].code)
    return {code: frozenset(values) for code, values in near.items()}


NEAR_COLOURS = _pairs_to_map(_NEAR_COLOUR_PAIRS, _COLOUR_BY_NAME)
NEAR_SHAPES = _pairs_to_map(_NEAR_SHAPE_PAIRS, _SHAPE_BY_NAME)


@dataclass(frozen=True)
class ColourChoice:
    """What a person asked for: the colour(s) that count as exact, and those that are near."""

    asked: str  # as the person said it, tidied
    exact: frozenset[str]
    near: frozenset[str]

    @property
    def label(self) -> str:
        return self.asked


def _key(value: str) -> str:
    # ASCII only: str.upper() would also turn "ı" into "I" and "ﬀ" into "FF", which no colour
    # or shape name needs and the API document could not state.
    if not value.isascii():
        return ""
    return " ".join(value.strip().upper().replace("_", " ").split())


def colour_by_name_or_code(value: str | None) -> Colour | None:
    """An SPL colour from its code (C48325) or display name (white), or None."""
    if not value:
        return None
    key = _key(value)
    return COLOUR_BY_CODE.get(key) or _COLOUR_BY_NAME.get(key)


def shape_by_name_or_code(value: str | None) -> Shape | None:
    if not value:
        return None
    key = _key(value)
    shape = SHAPE_BY_CODE.get(key) or _SHAPE_BY_NAME.get(key)
    if shape is None and key in SHAPE_ALIASES:
        shape = _SHAPE_BY_NAME[SHAPE_ALIASES[key]]
    return shape


def colour_choice(value: str | None) -> ColourChoice | None:
    """Parse a colour someone asked for: SPL code or name, or a common word (beige, off-white)."""
    colour = colour_by_name_or_code(value)
    if colour is not None:
        return ColourChoice(colour.label.lower(), frozenset({colour.code}), NEAR_COLOURS[colour.code])
    key = _key(value or "")
    names = COLOUR_ALIASES.get(key) or COLOUR_ALIASES.get(key.replace(" ", "-"))
    if not names:
        return None
    first = _COLOUR_BY_NAME[names[0]].code
    others = frozenset(_COLOUR_BY_NAME[n].code for n in names[1:])
    return ColourChoice(key.lower(), frozenset({first}), others | (NEAR_COLOURS[first] - {first}))


def colour_label(code: str | None) -> str:
    colour = COLOUR_BY_CODE.get(code or "")
    return colour.label if colour else (code or "")


def shape_label(code: str | None) -> str:
    shape = SHAPE_BY_CODE.get(code or "")
    return shape.label if shape else (code or "")
