"""Imprint normalisation, misread characters, colour/shape vocabularies and ranking."""

from __future__ import annotations

import pytest

from webapp.blueprints.pills import imprint as imp
from webapp.blueprints.pills import match as pm
from webapp.blueprints.pills.vocab import COLOURS, SHAPES, colour_choice, shape_by_name_or_code

LIPITOR = pm.PillFacts("PD;155;10", ("C48325",), "C48345", 10.0, 1)
BACLOFEN = pm.PillFacts("2265;V", ("C48325",), "C48345", 11.0, 2)
IBU_BROWN = pm.PillFacts("I2", ("C48332",), "C48348", 10.0, 1)
CAPSULE_TWO_TONE = pm.PillFacts("A41", ("C48333", "C48330"), "C48336", 15.0, 1)


def q(imprint=None, colours=(), shape=None, size_mm=None, score=None) -> pm.PillQuery:
    return pm.parse_query(imprint, list(colours), shape, size_mm, score)


def test_vocabularies_are_the_spl_lists():
    assert len(COLOURS) == 12 and len({c.code for c in COLOURS}) == 12
    assert len(SHAPES) == 19 and len({s.code for s in SHAPES}) == 19
    assert shape_by_name_or_code("c48345").name == "OVAL"
    assert shape_by_name_or_code("Pentagon").name == "PENTAGON (5 SIDES)"
    assert colour_choice("WHITE").exact == {"C48325"}
    assert colour_choice("C48325").exact == {"C48325"}


@pytest.mark.parametrize("typed", ["PD;155;10", "pd 155 10", "PD-155-10", "p.d. 155.10", "10 PD155", "155 / 10 / pd"])
def test_case_separators_and_side_order_do_not_matter(typed):
    match = pm.match_pill(q(typed), LIPITOR)
    assert match is not None and match.points == pm.IMPRINT_EXACT
    assert "exactly" in match.reasons[0]


def test_compact_and_keys():
    assert imp.compact(" pd-155.10 ") == "PD15510"
    assert imp.parts("PD;155;10") == ["PD", "155", "10"]
    assert "10PD155" in imp.full_keys("PD;155;10")
    assert set(imp.tokens("L227")) == {"L227", "L", "227"}


@pytest.mark.parametrize("typed, misread", [("PDI55", "I"), ("PD 1S5 1O", "S"), ("PD155 1O", "O")])
def test_misread_characters_still_find_the_pill_below_exact(typed, misread):
    match = pm.match_pill(q(typed), LIPITOR)
    assert match is not None
    assert match.points < pm.IMPRINT_EXACT
    assert "read differently" in match.reasons[0]
    assert f"you typed {imp.CHARACTER_NAMES[misread]}" in match.reasons[0]


def test_every_confusable_pair_folds_together():
    for group in imp.CONFUSABLE_GROUPS:
        assert len({imp.fold(ch) for ch in group}) == 1
    assert imp.fold("O") != imp.fold("Q")


def test_partial_imprints_rank_below_full_ones():
    full = pm.match_pill(q("PD 155 10"), LIPITOR)
    prefix = pm.match_pill(q("PD15"), LIPITOR)
    token = pm.match_pill(q("10"), LIPITOR)
    assert full.points > prefix.points
    assert full.points > token.points
    assert pm.match_pill(q("PD 99"), LIPITOR) is None


def test_single_character_only_matches_whole_parts():
    assert pm.match_pill(q("V"), BACLOFEN) is not None  # "V" is a whole part
    assert pm.match_pill(q("2"), BACLOFEN) is None  # not a prefix match on one character


def test_colour_near_matches_rank_after_exact_and_say_so():
    exact = pm.match_pill(q(colours=["white"]), LIPITOR)
    near = pm.match_pill(q(colours=["gray"]), LIPITOR)
    assert exact.points > near.points
    assert "close to gray" in near.reasons[0]
    assert pm.match_pill(q(colours=["green"]), LIPITOR) is None


def test_beige_and_tan_are_understood():
    assert colour_choice("beige").exact == {"C48332"}  # brown
    assert pm.match_pill(q(colours=["tan"]), IBU_BROWN) is not None
    assert pm.match_pill(q(colours=["off-white"]), LIPITOR).points == pm.COLOUR_EXACT


def test_two_tone_capsule_matches_either_colour():
    assert pm.match_pill(q(colours=["blue"]), CAPSULE_TWO_TONE).points == pm.COLOUR_EXACT
    assert pm.match_pill(q(colours=["yellow"]), CAPSULE_TWO_TONE).points == pm.COLOUR_EXACT


def test_size_within_one_millimetre():
    assert pm.match_pill(q(size_mm="10"), LIPITOR).points == pm.SIZE_EXACT
    assert pm.match_pill(q(size_mm="11"), LIPITOR).points == pm.SIZE_NEAR
    assert pm.match_pill(q(size_mm="11.5"), LIPITOR) is None


def test_shape_near_and_score():
    assert pm.match_pill(q(shape="capsule"), LIPITOR).points == pm.SHAPE_NEAR
    assert pm.match_pill(q(shape="round"), LIPITOR) is None
    assert pm.match_pill(q(score="2"), BACLOFEN) is not None
    assert pm.match_pill(q(score="2"), LIPITOR) is None


def test_ranking_and_explanations():
    pills = [("baclofen", BACLOFEN), ("lipitor", LIPITOR), ("ibu", IBU_BROWN)]
    ranked = pm.rank(q("PD155", ["white"], "oval"), pills)
    assert [name for name, _ in ranked] == ["lipitor"]
    match = ranked[0][1]
    assert match.percent < 100  # a prefix, not the whole imprint
    assert match.reasons[1:] == ["colour white", "shape oval"]
    assert pm.match_pill(q("PD15510", ["white"], "oval"), LIPITOR).percent == 100


@pytest.mark.parametrize("kwargs, field", [
    ({}, "imprint"),
    ({"imprint": "   "}, "imprint"),
    ({"imprint": "-;.;-"}, "imprint"),
    ({"imprint": "<b>PD</b>"}, "imprint"),
    ({"imprint": "PD 155 💊"}, "imprint"),
    ({"imprint": "A" * 500}, "imprint"),
    ({"imprint": "PD\x00155"}, "imprint"),
    ({"colours": ["mauve"]}, "color"),
    ({"colours": ["white", "blue", "red"]}, "color"),
    ({"shape": "blob"}, "shape"),
    ({"size_mm": "-4"}, "size_mm"),
    ({"size_mm": "1e9"}, "size_mm"),
    ({"size_mm": "nan"}, "size_mm"),
    ({"size_mm": "ten"}, "size_mm"),
    ({"score": "12"}, "score"),
    ({"score": "two"}, "score"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(pm.QueryError) as caught:
        pm.parse_query(kwargs.get("imprint"), kwargs.get("colours", []), kwargs.get("shape"),
                       kwargs.get("size_mm"), kwargs.get("score"))
    assert caught.value.field == field
    assert caught.value.message


def test_sql_looking_imprint_is_just_text():
    query = pm.parse_query("PD155'; DROP TABLE pills;--", [], None)
    assert query.imprint_key == "PD155DROPTABLEPILLS"
    assert pm.match_pill(query, LIPITOR) is None


def test_no_match_suggests_what_to_loosen():
    tips = pm.loosening_suggestions(q("XYZ", ["white"], "round", "9"))
    assert any("imprint" in t for t in tips) and any("size" in t for t in tips)
    assert any("colour" in t for t in tips) and any("shape" in t for t in tips)
