"""The OpenAPI document's patterns say exactly what the API's parsers accept (issue #17):
a value the document allows is never refused, and one it does not allow is never accepted."""

from __future__ import annotations

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.blueprints.api.routes import _paths
from webapp.blueprints.mymeds import checker
from webapp.blueprints.pills import match as pm

CRITERIA = _paths()["/pills"]["get"]["parameters"][0]["schema"]
INTERACTION_BODY = _paths()["/interactions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
valid_criteria = jsonschema_rs.validator_for(CRITERIA).is_valid
valid_body = jsonschema_rs.validator_for(INTERACTION_BODY).is_valid


def parser_accepts(**criteria) -> bool:
    colours = criteria.get("color", "").split(",") if "color" in criteria else []
    try:
        pm.parse_query(criteria.get("imprint"), colours, criteria.get("shape"), criteria.get("size_mm"), criteria.get("score"))
    except pm.QueryError:
        return False
    return True


def body_accepted(body) -> bool:
    try:
        checker.parse_api_request(body)
    except checker.CheckRequestError:
        return False
    return True


@pytest.mark.parametrize("criteria", [
    {}, {"imprint": ""}, {"imprint": "", "color": ""}, {"imprint": "   "}, {"color": " , ,"}, {"shape": "\u3000"},
    {"imprint": "L227"}, {"imprint": "  pd 155-10 "}, {"imprint": "ＡＢ１２"}, {"imprint": "é5"}, {"imprint": "<b>5"},
    {"imprint": "-.-;"}, {"imprint": "A" * 100}, {"imprint": "A" * 101}, {"imprint": " " * 101, "shape": "round"},
    {"imprint": "A\tB"}, {"imprint": "\tAB\u3000"}, {"imprint": "💊"}, {"imprint": "ı"},
    {"color": "white"}, {"color": "WHITE, c48327"}, {"color": "white,white"}, {"color": "white,red,blue"},
    {"color": "off_white"}, {"color": "Off   White"}, {"color": "_grey_"}, {"color": "mauve"}, {"color": "whıte"},
    {"color": ",white,,"}, {"color": "white\u3000"}, {"shape": "Pentagon (5 sides)"}, {"shape": "pentagon(5 sides)"},
    {"shape": "C48348"}, {"shape": "semi circle"}, {"shape": "blob"}, {"shape": "round,oval"},
    {"imprint": "", "shape": "oval"}, {"color": "", "imprint": "A"},
])
def test_the_pill_criteria_schema_accepts_what_the_parser_accepts(criteria):
    assert valid_criteria(criteria) == parser_accepts(**criteria), criteria


# Characters around the rules' edges: letters and marks, spaces of several kinds, NUL, look-alikes.
_TRICKY = st.sampled_from(list("aZ09 -.;,/_()#|<>@\t\n\x0b\x1c\x00\u00a0\u3000éıﬀＡ１²⑴💊"))


@settings(max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(imprint=st.text(_TRICKY, max_size=12), color=st.text(st.sampled_from(list("WHITEredgry ,_\t\u3000ı")), max_size=14),
       which=st.sampled_from(["imprint", "color", "both"]))
def test_the_schema_and_the_parser_agree_on_generated_criteria(imprint, color, which):
    criteria = {"imprint": imprint, "color": color}
    if which != "both":
        criteria = {which: criteria[which]}
    assert valid_criteria(criteria) == parser_accepts(**criteria), criteria


@pytest.mark.parametrize("body", [
    {"drugs": ["warfarin"]}, {"drugs": [""] * 49}, {"drugs": []}, {"drugs": [" \x00 ", "\u3000"]}, {"drugs": ["", "x"]},
    {"drugs": ["a"] * 50}, {"drugs": ["a"] * 51}, {"drugs": ["a" * 100]}, {"drugs": ["a" * 101]},
    {"drugs": ["a" + " " * 100]}, {"drugs": ["aspirin"], "allergies": None}, {"drugs": ["aspirin"], "allergies": ""},
    {"drugs": ["aspirin"], "allergies": 0}, {"drugs": ["aspirin"], "allergies": False}, {"drugs": ["aspirin"], "allergies": []},
    {"drugs": ["aspirin"], "allergies": "x" * 2000}, {"drugs": ["aspirin"], "allergies": "x" * 2001},
    {"drugs": "aspirin"}, {"drugs": [1]}, {}, [], "x",
])
def test_the_interaction_body_schema_accepts_what_the_api_accepts(body):
    assert valid_body(body) == body_accepted(body), body
