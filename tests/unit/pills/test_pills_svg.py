"""The drawn pill pictures: every SPL shape, colours, imprint, score, scale references."""

from __future__ import annotations

from xml.etree import ElementTree  # parses only our own drawings

import pytest

from webapp.blueprints.pills.svg import DIME_MM, PillDrawing, describe, render, true_size_px
from webapp.blueprints.pills.vocab import SHAPES

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
def test_every_shape_draws_a_valid_svg_to_scale(shape):
    drawing = PillDrawing("AB;12", ("C48328",), shape.code, 12.0, 2)
    root = ElementTree.fromstring(render(drawing))  # noqa: S314
    assert root.get("width").endswith("mm")
    paths = root.findall(f".//{SVG}path")
    assert any(p.get("fill") == "#F4B8C8" for p in paths)  # pink body
    assert DIME_MM == 17.9 and "US dime" in "".join(root.itertext())
    assert root.find(f"{SVG}title").text == describe(drawing)


def test_two_tone_capsule_is_drawn_in_two_halves():
    root = ElementTree.fromstring(render(PillDrawing("A41", ("C48333", "C48330"), "C48336", 15.0, 1)))  # noqa: S314
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert {"#4A7FD4", "#F6E05E"} <= fills


def test_text_alternative_names_everything_drawn():
    text = describe(PillDrawing("PD;155;10", ("C48325",), "C48345", 10.0, 1))
    assert "white oval pill" in text
    assert "10 mm" in text and "PD · 155 · 10" in text and "not scored" in text and "dime" in text
    assert "scored to split into 2 pieces" in describe(PillDrawing(None, ("C48325",), "C48348", 8.0, 2))


def test_imprint_text_is_escaped():
    svg = render(PillDrawing("<&>", ("C48325",), "C48348", 8.0, 1))
    ElementTree.fromstring(svg)  # noqa: S314 (well-formed)
    assert "<&>" not in svg


def test_product_without_shape_gets_a_placeholder():
    svg = render(PillDrawing(None, ("C48326",), None, None, None))
    assert "No drawing" in svg


def test_true_size_matches_the_millimetres_of_the_drawing():
    drawing = PillDrawing("A", ("C48325",), "C48348", 10.0, 1)
    root = ElementTree.fromstring(render(drawing))  # noqa: S314
    width_mm = float(root.get("width").removesuffix("mm"))
    assert true_size_px(drawing)[0] == round(width_mm * 96 / 25.4)
