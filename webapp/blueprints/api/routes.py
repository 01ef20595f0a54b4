"""The API's OpenAPI document. The endpoints themselves live with their areas
(drugs, pills, My Medicine); this describes them in one place for API users."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from webapp.blueprints.drugs import catalog as drug_catalog
from webapp.blueprints.pills import search as pill_search
from webapp.security import MAX_JSON_DEPTH

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ERROR = {"$ref": "#/components/schemas/Error"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


UNAVAILABLE = {**_error_response("The database is briefly unreachable; try again after the Retry-After seconds."),
               "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or {"type": "string"}}


def _page(max_page: int) -> dict:
    """The page parameter, as params.parse_page reads it on every endpoint."""
    return _query("page", f"Page number, from 1 to {max_page}; another value is refused (400).",
                  {"type": "integer", "minimum": 1, "maximum": max_page, "default": 1})


DRUG_RESULT = {
    "type": "object",
    "required": ["type", "slug", "name", "kind", "generic_name", "brand_names", "url"],
    "properties": {
        "type": {"type": "string", "enum": ["drug", "product"]},
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": ["string", "null"], "enum": ["prescription", "otc", "vitamin", "supplement", None]},
        "generic_name": {"type": ["string", "null"]},
        "brand_names": {"type": "array", "items": {"type": "string"}},
        "url": {"type": "string", "format": "uri"},
    },
}

PILL_RESULT = {
    "type": "object",
    "required": ["id", "name", "strength", "imprint", "colors", "shape", "size_mm", "score", "ndc", "labeler", "drug", "image_url", "match"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "strength": {"type": ["string", "null"]},
        "imprint": {"type": ["string", "null"], "description": "As printed; sides separated by ';' (e.g. PD;155;10)."},
        "colors": {"type": "array", "items": {"type": "string"}},
        "shape": {"type": ["string", "null"]},
        "size_mm": {"type": ["number", "null"]},
        "score": {"type": ["integer", "null"]},
        "ndc": {"type": ["string", "null"]},
        "labeler": {"type": ["string", "null"]},
        "drug": {"type": ["object", "null"], "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}},
        "image_url": {"type": "string"},
        "match": {"type": "object", "properties": {"score": {"type": "number"}, "reasons": {"type": "array", "items": {"type": "string"}}}},
    },
}

INTERACTION_REPORT = {
    "type": "object",
    "required": ["drugs", "unrecognized", "unchecked", "interactions", "duplications"],
    "properties": {
        "drugs": {"type": "array", "items": {"type": "object", "properties": {
            "input": {"type": "string"}, "slug": {"type": "string"}, "name": {"type": "string"}}}},
        "unrecognized": {"type": "array", "items": {"type": "string"},
                         "description": "Names, as sent, that matched no medicine we know; they were not checked."},
        "unchecked": {"type": "array", "items": {"type": "string"},
                      "description": "Names, as sent, of recognised medicines for which we have no interaction "
                                     "information at all: they were not checked against the others (ask a pharmacist)."},
        "suggestions": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "For unrecognized names that look misspelt, the medicine they may mean "
                                       "(name as sent -> medicine name); not checked until sent again."},
        "interactions": {"type": "array", "items": {"type": "object", "properties": {
            "drugs": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
            "severity": {"type": "string", "enum": ["major", "moderate", "minor"]},
            "summary": {"type": "string"}, "advice": {"type": "string"}, "source": {"type": "string"}}}},
        "duplications": {"type": "array", "items": {"type": "object", "properties": {
            "ingredient": {"type": "string"}, "class": {"type": "string"}, "drugs": {"type": "array", "items": {"type": "string"}}}}},
        "food": {"type": "array", "description": "Food and drink interactions of the medicines checked.",
                 "items": {"type": "object", "properties": {
                     "drug": {"type": "string"}, "food": {"type": "string"},
                     "severity": {"type": "string", "enum": ["major", "moderate", "minor"]},
                     "summary": {"type": "string"}, "advice": {"type": "string"}, "source": {"type": "string"},
                     "source_url": {"type": "string"}}}},
        "allergies": {"type": "array", "description": "Medicines an entry of the allergies text warns about (empty without it).",
                      "items": {"type": "object", "properties": {
                          "drug": {"type": "string"}, "allergy": {"type": "string", "description": "The entry, as written."},
                          "severity": {"type": "string", "enum": ["avoid", "ask"],
                                       "description": "avoid: the medicine is or contains what the entry names; "
                                                      "ask: related (family or cross-reactivity), ask a pharmacist."},
                          "explanation": {"type": "string"}, "advice": {"type": "string"}}}},
    },
}


def openapi_document(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "HealthDesk API",
            "version": "1",
            "description": "Drug search, pill identification and interaction checks. The same rules and rate limits as the "
                           "pages apply. General information, not medical advice.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/drugs": {"get": {
                "summary": "Search drugs and supplements (and imported catalogue products) by name, kind or condition",
                "parameters": [
                    _query("q", "Name, brand or generic; typo tolerant. Without it: the curated drugs A–Z."),
                    _query("kind", "prescription, otc, vitamin or supplement."),
                    _query("condition", "A condition slug or name, e.g. hypertension."),
                    _page(drug_catalog.MAX_PAGE),
                ],
                "responses": {
                    "200": _json({"type": "object", "required": ["results", "total", "page"], "properties": {
                        "results": {"type": "array", "items": DRUG_RESULT},
                        "total": {"type": "integer"}, "page": {"type": "integer"}}}),
                    "400": _error_response("A parameter is not valid; the message names it."),
                    "429": _error_response("Too many requests."),
                    "503": UNAVAILABLE,
                },
            }},
            "/drugs/{slug}": {"get": {
                "summary": "One drug's reference entry",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object"}), "404": _error_response("No such drug."), "503": UNAVAILABLE},
            }},
            "/pills": {"get": {
                "summary": "Identify a pill by imprint, colour, shape, size and score (at least one)",
                "parameters": [
                    _query("imprint", "What is printed on the pill; case, spaces, hyphens and side order do not matter."),
                    _query("color", "SPL colour name or code (e.g. white or C48325); up to two."),
                    _query("shape", "SPL shape name or code (e.g. round or C48348)."),
                    _query("size_mm", "Size in millimetres; matched within 1 mm.", {"type": "number", "exclusiveMinimum": 0}),
                    _query("score", "Number of pieces the pill can be split into.", {"type": "integer", "minimum": 1}),
                    _page(pill_search.MAX_PAGE),
                ],
                "responses": {
                    "200": _json({"type": "object", "required": ["results", "total", "page"], "properties": {
                        "results": {"type": "array", "items": PILL_RESULT},
                        "total": {"type": "integer"}, "page": {"type": "integer"}}}),
                    "400": _error_response("No criteria, an unknown colour or shape, or a page out of range; "
                                           "the message names the field."),
                    "429": _error_response("Too many requests."),
                    "503": UNAVAILABLE,
                },
            }},
            "/interactions": {"post": {
                "summary": "Check a list of medicines for interactions and duplicate therapy (no account needed, nothing stored)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["drugs"], "properties": {
                        "drugs": {"type": "array", "items": {"type": "string"}, "maxItems": 50,
                                  "description": "Names, brand names or slugs."},
                        "allergies": {"type": "string", "maxLength": 2000,
                                      "description": "Optional drug allergies, e.g. \"penicillin, sulfa\"; checked against the drugs."}}}}}},
                "responses": {
                    "200": _json(INTERACTION_REPORT),
                    "400": _error_response(f"The body is not valid JSON of that shape (nested at most {MAX_JSON_DEPTH} "
                                           "levels, text without lone surrogates such as \\ud800)."),
                    "429": _error_response("Too many requests."),
                    "503": UNAVAILABLE,
                },
            }},
        },
        "components": {"schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
            "status": {"type": "integer"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}}},
    }


@bp.route("/openapi.json")
def openapi():
    response = jsonify(openapi_document(url_for("api.openapi", _external=True).removesuffix("/openapi.json")))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
