"""Draw a pill as SVG from its record: outline, colour(s), imprint, score lines, to scale.

The drawing is in millimetres (viewBox units = mm, width/height in mm), next to a US dime
(17.9 mm) and a millimetre ruler, so a person can check the scale on their screen and hold
their pill beside it. SPL gives only the longest dimension, so the short side follows the
usual proportions of the shape; the text alternative says so. `describe` is the text
alternative: it says what the drawing shows, in words (colour is always named).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from webapp.blueprints.pills import imprint as imp
from webapp.blueprints.pills.match import score_phrase
from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, SHAPE_BY_CODE

DIME_MM = 17.9
DEFAULT_SIZE_MM = 10.0
MARGIN = 3.0
OUTLINE = "#333333"

# Short side / long side, typical for each shape (SPL records only the long side).
ASPECT = {
    "ROUND": 1.0, "OVAL": 0.6, "CAPSULE": 0.42, "RECTANGLE": 0.5, "SQUARE": 1.0, "TRIANGLE": 0.9,
    "DIAMOND": 0.72, "PENTAGON (5 SIDES)": 1.0, "HEXAGON (6 SIDES)": 1.0, "HEPTAGON (7 SIDES)": 1.0,
    "OCTAGON (8 SIDES)": 1.0, "TRAPEZOID": 0.7, "SEMI-CIRCLE": 0.5, "TEAR": 0.62, "BULLET": 0.45,
    "DOUBLE CIRCLE": 0.58, "CLOVER": 1.0, "GEAR": 1.0, "FREEFORM": 0.75,
}


@dataclass(frozen=True)
class PillDrawing:
    imprint: str | None
    colours: tuple[str, ...]
    shape: str | None
    size_mm: float | None
    score: int | None


def _f(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _polygon(cx: float, cy: float, radius: float, sides: int, rotate: float = -90.0) -> str:
    points = []
    for k in range(sides):
        angle = math.radians(rotate + 360.0 * k / sides)
        points.append(f"{_f(cx + radius * math.cos(angle))},{_f(cy + radius * math.sin(angle))}")
    return "M" + " L".join(points) + " Z"


def outline_path(shape_name: str, cx: float, cy: float, length: float, width: float) -> str:
    """An SVG path for the shape, centred on (cx, cy), `length` wide (x) and `width` tall (y)."""
    r, w = length / 2, width / 2
    left, right, top, bottom = cx - r, cx + r, cy - w, cy + w
    if shape_name == "ROUND":
        return f"M{_f(left)},{_f(cy)} A{_f(r)},{_f(r)} 0 1,0 {_f(right)},{_f(cy)} A{_f(r)},{_f(r)} 0 1,0 {_f(left)},{_f(cy)} Z"
    if shape_name == "OVAL":
        return f"M{_f(left)},{_f(cy)} A{_f(r)},{_f(w)} 0 1,0 {_f(right)},{_f(cy)} A{_f(r)},{_f(w)} 0 1,0 {_f(left)},{_f(cy)} Z"
    if shape_name == "CAPSULE":
        return (f"M{_f(left + w)},{_f(top)} H{_f(right - w)} A{_f(w)},{_f(w)} 0 0,1 {_f(right - w)},{_f(bottom)} "
                f"H{_f(left + w)} A{_f(w)},{_f(w)} 0 0,1 {_f(left + w)},{_f(top)} Z")
    if shape_name in ("RECTANGLE", "SQUARE"):
        c = min(r, w) * 0.3
        return (f"M{_f(left + c)},{_f(top)} H{_f(right - c)} Q{_f(right)},{_f(top)} {_f(right)},{_f(top + c)} "
                f"V{_f(bottom - c)} Q{_f(right)},{_f(bottom)} {_f(right - c)},{_f(bottom)} H{_f(left + c)} "
                f"Q{_f(left)},{_f(bottom)} {_f(left)},{_f(bottom - c)} V{_f(top + c)} Q{_f(left)},{_f(top)} "
                f"{_f(left + c)},{_f(top)} Z")
    if shape_name == "TRIANGLE":
        return f"M{_f(cx)},{_f(top)} L{_f(right)},{_f(bottom)} L{_f(left)},{_f(bottom)} Z"
    if shape_name == "DIAMOND":
        return f"M{_f(cx)},{_f(top)} L{_f(right)},{_f(cy)} L{_f(cx)},{_f(bottom)} L{_f(left)},{_f(cy)} Z"
    sides = {"PENTAGON (5 SIDES)": 5, "HEXAGON (6 SIDES)": 6, "HEPTAGON (7 SIDES)": 7, "OCTAGON (8 SIDES)": 8}
    if shape_name in sides:
        n = sides[shape_name]
        return _polygon(cx, cy, r, n, -90.0 if n % 2 else -90.0 + 180.0 / n)
    if shape_name == "TRAPEZOID":
        inset = length * 0.2
        return f"M{_f(left + inset)},{_f(top)} L{_f(right - inset)},{_f(top)} L{_f(right)},{_f(bottom)} L{_f(left)},{_f(bottom)} Z"
    if shape_name == "SEMI-CIRCLE":
        base = cy + w
        return f"M{_f(left)},{_f(base)} A{_f(r)},{_f(r)} 0 0,1 {_f(right)},{_f(base)} Z"
    if shape_name == "TEAR":
        return (f"M{_f(right)},{_f(cy)} L{_f(left + w)},{_f(top)} A{_f(w)},{_f(w)} 0 0,0 {_f(left + w)},{_f(bottom)} Z")
    if shape_name == "BULLET":
        return (f"M{_f(left)},{_f(top)} H{_f(right - w)} A{_f(w)},{_f(w)} 0 0,1 {_f(right - w)},{_f(bottom)} "
                f"H{_f(left)} Z")
    if shape_name == "DOUBLE CIRCLE":
        cr = w
        c1, c2 = left + cr, right - cr
        return (f"M{_f(c1)},{_f(top)} A{_f(cr)},{_f(cr)} 0 1,0 {_f(c1)},{_f(bottom)} "
                f"A{_f(cr)},{_f(cr)} 0 0,0 {_f(c2)},{_f(bottom)} A{_f(cr)},{_f(cr)} 0 1,0 {_f(c2)},{_f(top)} "
                f"A{_f(cr)},{_f(cr)} 0 0,0 {_f(c1)},{_f(top)} Z")
    if shape_name == "CLOVER":
        # Four lobes (circles of radius 0.55r, 0.45r from the centre) joined where they meet.
        dc, rl = r * 0.45, r * 0.55
        t = (dc + math.sqrt(2 * rl * rl - dc * dc)) / 2
        corners = [(t, -t), (t, t), (-t, t), (-t, -t)]
        path = f"M{_f(cx + corners[0][0])},{_f(cy + corners[0][1])}"
        for x, y in corners[1:] + corners[:1]:
            path += f" A{_f(rl)},{_f(rl)} 0 0,1 {_f(cx + x)},{_f(cy + y)}"
        return path + " Z"
    if shape_name == "GEAR":
        teeth, points = 12, []
        for k in range(teeth * 4):
            angle = math.radians(360.0 * k / (teeth * 4))
            radius = r if (k % 4) in (1, 2) else r * 0.84
            points.append(f"{_f(cx + radius * math.cos(angle))},{_f(cy + radius * math.sin(angle))}")
        return "M" + " L".join(points) + " Z"
    # FREEFORM (and anything unknown): a smooth irregular outline.
    return (f"M{_f(left)},{_f(cy)} C{_f(left)},{_f(top - w * 0.1)} {_f(cx)},{_f(top + w * 0.2)} "
            f"{_f(right - r * 0.2)},{_f(top)} C{_f(right + r * 0.1)},{_f(top + w * 0.3)} {_f(right)},{_f(bottom)} "
            f"{_f(cx + r * 0.2)},{_f(bottom)} C{_f(cx - r * 0.3)},{_f(bottom + w * 0.1)} {_f(left)},{_f(bottom)} "
            f"{_f(left)},{_f(cy)} Z")


def _luminance(hex_colour: str) -> float:
    red, green, blue = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def describe(pill: PillDrawing) -> str:
    """The text alternative: everything the drawing shows, in words."""
    shape = SHAPE_BY_CODE.get(pill.shape or "")
    colours = [COLOUR_BY_CODE[c].label.lower() for c in pill.colours if c in COLOUR_BY_CODE]
    if shape is None:
        return "No drawing: this product has no recorded shape (it is not a tablet or capsule)."
    colour_text = {0: "uncoloured", 1: colours[0] if colours else ""}.get(
        len(colours), " and ".join(colours[:2]) + " (one half each)")
    size_text = (f"{pill.size_mm:g} mm long (the short side is drawn in the usual proportion for this shape)"
                 if pill.size_mm else f"size not recorded (drawn {DEFAULT_SIZE_MM:g} mm long)")
    imprint_text = imp.display(pill.imprint)
    printed = f"printed with “{imprint_text}”" if imprint_text else "with no imprint"
    score = score_phrase(pill.score) if pill.score else "score not recorded"
    return (f"Drawing of a {colour_text} {shape.label.lower()} pill, {size_text}, {printed}, {score}; "
            f"shown to scale beside a US dime ({DIME_MM:g} mm across) and a ruler in millimetres.")


def _layout(pill: PillDrawing, shape_name: str) -> tuple[float, float, float, float, int, float, float]:
    length = float(pill.size_mm) if pill.size_mm and 0 < pill.size_mm <= 60 else DEFAULT_SIZE_MM
    width = length * ASPECT.get(shape_name, 1.0)
    pill_box = max(length, 8.0)
    body_h = max(width, DIME_MM)
    ruler_len = max(20, int(math.ceil(max(length, DIME_MM) / 5.0) * 5))
    canvas_w = max(MARGIN + pill_box + MARGIN * 2 + DIME_MM + MARGIN, ruler_len + 2 * MARGIN)
    canvas_h = MARGIN + body_h + 4.5 + MARGIN + 8.0
    return length, width, pill_box, body_h, ruler_len, canvas_w, canvas_h


def true_size_px(pill: PillDrawing) -> tuple[int, int]:
    """The drawing's size in CSS pixels when shown at true size (CSS: 96 px = 25.4 mm)."""
    shape = SHAPE_BY_CODE.get(pill.shape or "")
    if shape is None:
        return round(40 * 96 / 25.4), round(12 * 96 / 25.4)
    *_rest, canvas_w, canvas_h = _layout(pill, shape.name)
    return round(canvas_w * 96 / 25.4), round(canvas_h * 96 / 25.4)


def render(pill: PillDrawing) -> str:
    """The SVG document for a pill (a small placeholder when the shape is not recorded)."""
    title = escape(describe(pill))
    shape = SHAPE_BY_CODE.get(pill.shape or "")
    if shape is None:
        return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 12" width="40mm" height="12mm" role="img">'
                f'<title>{title}</title><rect width="40" height="12" fill="#f4f4f4"/>'
                '<text x="20" y="7.5" font-size="3" text-anchor="middle" font-family="sans-serif" fill="#333">'
                'No drawing</text></svg>')
    length, width, pill_box, body_h, ruler_len, canvas_w, canvas_h = _layout(pill, shape.name)
    cx, cy = MARGIN + pill_box / 2, MARGIN + body_h / 2
    path = outline_path(shape.name, cx, cy, length, width)
    fills = [COLOUR_BY_CODE[c].hex for c in pill.colours if c in COLOUR_BY_CODE] or ["#F2F2F2"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(canvas_w)} {_f(canvas_h)}" '
        f'width="{_f(canvas_w)}mm" height="{_f(canvas_h)}mm" role="img" aria-labelledby="t">',
        f'<title id="t">{title}</title>',
        "<defs>",
        f'<clipPath id="pill"><path d="{path}"/></clipPath>',
        "</defs>",
        f'<rect width="{_f(canvas_w)}" height="{_f(canvas_h)}" fill="#ffffff"/>',
    ]
    if len(fills) == 2:
        out.append(f'<g clip-path="url(#pill)"><rect x="{_f(cx - length / 2)}" y="{_f(cy - width / 2)}" '
                   f'width="{_f(length / 2)}" height="{_f(width)}" fill="{fills[0]}"/>'
                   f'<rect x="{_f(cx)}" y="{_f(cy - width / 2)}" width="{_f(length / 2)}" height="{_f(width)}" '
                   f'fill="{fills[1]}"/></g>')
        out.append(f'<line x1="{_f(cx)}" y1="{_f(cy - width / 2)}" x2="{_f(cx)}" y2="{_f(cy + width / 2)}" '
                   f'stroke="{OUTLINE}" stroke-width="0.15" clip-path="url(#pill)"/>')
        out.append(f'<path d="{path}" fill="none" stroke="{OUTLINE}" stroke-width="0.25" stroke-linejoin="round"/>')
    else:
        out.append(f'<path d="{path}" fill="{fills[0]}" stroke="{OUTLINE}" stroke-width="0.25" '
                   'stroke-linejoin="round"/>')
    score = pill.score or 1
    if score >= 2 and len(fills) == 1:
        lines = [(cx, "v")] if score == 2 else ([(cx - length / 6, "v"), (cx + length / 6, "v")] if score == 3
                                                else [(cx, "v"), (cy, "h")])
        for position, direction in lines:
            if direction == "v":
                out.append(f'<line x1="{_f(position)}" y1="{_f(cy - width / 2)}" x2="{_f(position)}" '
                           f'y2="{_f(cy + width / 2)}" stroke="{OUTLINE}" stroke-width="0.2" clip-path="url(#pill)"/>')
            else:
                out.append(f'<line x1="{_f(cx - length / 2)}" y1="{_f(position)}" x2="{_f(cx + length / 2)}" '
                           f'y2="{_f(position)}" stroke="{OUTLINE}" stroke-width="0.2" clip-path="url(#pill)"/>')
    parts = [p.strip() for p in (pill.imprint or "").split(";") if p.strip()]
    if parts:
        text_fill = "#111111" if _luminance(fills[0]) > 0.45 else "#ffffff"
        lines = [" ".join(parts)] if len(" ".join(parts)) <= 8 or len(parts) == 1 else [
            " ".join(parts[: (len(parts) + 1) // 2]), " ".join(parts[(len(parts) + 1) // 2:])]
        font = min(width * 0.32, length * 0.9 / max(1, max(len(line) for line in lines)) * 1.6, 3.2)
        if shape.name in ("TRIANGLE", "DIAMOND", "TEAR", "SEMI-CIRCLE", "TRAPEZOID"):
            font *= 0.6  # less room across the middle of these outlines
        font = max(font, 1.0)
        first = cy - (len(lines) - 1) * font * 0.55
        for n, line in enumerate(lines):
            out.append(f'<text x="{_f(cx)}" y="{_f(first + n * font * 1.1 + font * 0.35)}" font-size="{_f(font)}" '
                       f'text-anchor="middle" font-family="sans-serif" font-weight="bold" fill="{text_fill}">'
                       f"{escape(line)}</text>")
    # Scale references: a US dime, and a ruler in millimetres.
    dime_cx = MARGIN + pill_box + MARGIN * 2 + DIME_MM / 2
    out.append(f'<circle cx="{_f(dime_cx)}" cy="{_f(cy)}" r="{_f(DIME_MM / 2)}" fill="#d9d9d9" stroke="#555555" '
               'stroke-width="0.25"/>')
    out.append(f'<text x="{_f(dime_cx)}" y="{_f(cy - 1)}" font-size="2.4" text-anchor="middle" '
               'font-family="sans-serif" fill="#222222">US dime</text>')
    out.append(f'<text x="{_f(dime_cx)}" y="{_f(cy + 2.6)}" font-size="2.4" text-anchor="middle" '
               f'font-family="sans-serif" fill="#222222">{DIME_MM:g} mm</text>')
    ruler_y = MARGIN + body_h + 4.5
    out.append(f'<line x1="{_f(MARGIN)}" y1="{_f(ruler_y)}" x2="{_f(MARGIN + ruler_len)}" y2="{_f(ruler_y)}" '
               'stroke="#222222" stroke-width="0.2"/>')
    for mm in range(ruler_len + 1):
        tick = 2.0 if mm % 5 == 0 else 1.0
        out.append(f'<line x1="{_f(MARGIN + mm)}" y1="{_f(ruler_y)}" x2="{_f(MARGIN + mm)}" '
                   f'y2="{_f(ruler_y + tick)}" stroke="#222222" stroke-width="0.12"/>')
        if mm % 10 == 0:
            out.append(f'<text x="{_f(MARGIN + mm)}" y="{_f(ruler_y + 4.6)}" font-size="2.2" text-anchor="middle" '
                       f'font-family="sans-serif" fill="#222222">{mm}</text>')
    out.append(f'<text x="{_f(MARGIN + ruler_len)}" y="{_f(ruler_y - 1)}" font-size="2" text-anchor="end" '
               'font-family="sans-serif" fill="#222222">mm</text>')
    out.append("</svg>")
    return "".join(out)


def drawing_for(pill) -> PillDrawing:
    return PillDrawing(pill.imprint, tuple(pill.colours), pill.shape, pill.size_mm, pill.score)
