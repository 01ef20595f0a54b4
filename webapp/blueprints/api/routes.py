"""The API's OpenAPI document. The endpoints themselves live with their areas
(drugs, pills, My Medicine); this describes them in one place for API users."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, jsonify, url_for

from webapp.blueprints.api import patterns
from webapp.blueprints.drugs import catalog as drug_catalog
from webapp.blueprints.drugs.feeds import DRUG_KINDS, MARKETING_STATUSES
from webapp.blueprints.drugs.routes import MAX_QUERY_PARAM
from webapp.blueprints.mymeds.checker import MAX_ALLERGY_CHARS
from webapp.blueprints.mymeds.kb.knowledge import SEVERITIES
from webapp.blueprints.mymeds.profiles import MAX_CHECK_NAMES, MAX_NAME_CHARS
from webapp.blueprints.mymeds.routes import API_LIMIT
from webapp.blueprints.pills import imprint as pill_imprint
from webapp.blueprints.pills import match as pill_match
from webapp.blueprints.pills import search as pill_search
from webapp.blueprints.pills import vocab as pill_vocab
from webapp.security import MAX_JSON_DEPTH

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The rules the document states, decided once for every operation (issue #17):
# - an optional query parameter sent empty (`?page=`, `?kind=`) counts as not sent
#   (`allowEmptyValue`, which OpenAPI 3.1 keeps but does not recommend: nothing else says
#   "this integer may also be empty" without changing the schema clients read), as it does for
#   the site's own search forms;
# - a parameter whose value is malformed or outside a fixed list (page, kind, colour, shape,
#   size, score, the interaction body) is refused with 400 and an Error naming the field where
#   there is one; a parameter naming a thing that does not exist (a drug or condition slug) is
#   answered 404;
# - a search asked for a page past the last one answers 200 with no results;
# - only POST /interactions is rate limited (429 with Retry-After); the GET searches are cached
#   by the shared HTTP cache instead.
ERROR = {"$ref": "#/components/schemas/Error"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


UNAVAILABLE = {**_error_response("The database is briefly unreachable; try again after the Retry-After seconds."),
               "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}}
TOO_MANY = {**_error_response(f"More than {API_LIMIT} from one address; try again after the Retry-After seconds."),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    """An optional query parameter; sent empty, it counts as not sent."""
    return {"name": name, "in": "query", "required": False, "allowEmptyValue": True, "description": description,
            "schema": schema or {"type": "string"}}


def _page(max_page: int) -> dict:
    """The page parameter, as params.parse_page reads it on every endpoint."""
    return _query("page", f"Page number, from 1 to {max_page} (ASCII digits; surrounding spaces, leading zeros and "
                          "a zero fraction such as 3.0 are read as the number); another value is refused (400). "
                          "A page past the last answers with no results.",
                  {"type": "integer", "minimum": 1, "maximum": max_page, "default": 1})


def _listing(item: dict, per_page: int) -> dict:
    return {"type": "object", "required": ["results", "total", "page", "per_page"], "properties": {
        "results": {"type": "array", "items": item, "maxItems": per_page},
        "total": {"type": "integer", "minimum": 0, "description": "Results on every page."},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "const": per_page}}}


_NAMED = {"type": "object", "required": ["slug", "name"], "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}}

DRUG_RESULT = {
    "type": "object",
    "required": ["type", "slug", "name", "kind", "generic_name", "brand_names", "url"],
    "properties": {
        "type": {"type": "string", "enum": ["drug", "product"],
                 "description": "drug: a curated reference entry (/drugs/{slug}); product: a name from the "
                                "FDA Drugs@FDA catalogue (not searched when kind is given)."},
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": ["string", "null"], "enum": [*DRUG_KINDS, *[s for s in MARKETING_STATUSES if s not in DRUG_KINDS], None],
                 "description": f"For a drug, its kind ({', '.join(DRUG_KINDS)}); for a product, its FDA marketing "
                                f"status ({', '.join(MARKETING_STATUSES)})."},
        "generic_name": {"type": ["string", "null"]},
        "brand_names": {"type": "array", "items": {"type": "string"}},
        "url": {"type": "string", "format": "uri", "description": "The page on this site."},
    },
}

DRUG_DETAIL = {
    "type": "object",
    "required": ["type", "slug", "name", "kind", "generic_name", "brand_names", "synonyms", "ingredients", "drug_classes",
                 "forms", "conditions", "monograph", "sources", "last_reviewed", "reviews", "url"],
    "properties": {
        "type": {"const": "drug"},
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": list(DRUG_KINDS)},
        "generic_name": {"type": ["string", "null"]},
        "brand_names": {"type": "array", "items": {"type": "string"}},
        "synonyms": {"type": "array", "items": {"type": "string"}},
        "ingredients": {"type": "array", "items": {"type": "string"}},
        "drug_classes": {"type": "array", "items": _NAMED},
        "forms": {"type": "array", "items": {"type": "object", "required": ["form", "route", "strengths"], "properties": {
            "form": {"type": "string"}, "route": {"type": ["string", "null"]}, "strengths": {}}}},
        "conditions": {"type": "array", "items": {**_NAMED, "required": ["slug", "name", "url"], "properties": {
            **_NAMED["properties"], "url": {"type": "string", "format": "uri"}}}},
        "monograph": {"type": "object", "description": "The reference text, Markdown; null where we have none."},
        "sources": {},
        "last_reviewed": {"type": ["string", "null"], "format": "date"},
        "reviews": {"type": "object", "required": ["count"], "properties": {
            "count": {"type": "integer", "minimum": 0},
            "effectiveness": {"type": ["number", "null"]}, "ease_of_use": {"type": ["number", "null"]},
            "satisfaction": {"type": ["number", "null"]}}},
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
        "colors": {"type": "array", "items": {"type": "string", "enum": [c.name for c in pill_vocab.COLOURS]}},
        "shape": {"type": ["string", "null"], "enum": [*(sh.name for sh in pill_vocab.SHAPES), None]},
        "size_mm": {"type": ["number", "null"]},
        "score": {"type": ["integer", "null"]},
        "ndc": {"type": ["string", "null"]},
        "labeler": {"type": ["string", "null"]},
        "drug": {"anyOf": [_NAMED, {"type": "null"}]},
        "image_url": {"type": "string", "format": "uri"},
        "match": {"type": "object", "required": ["score", "reasons"], "properties": {
            "score": {"type": "number", "minimum": 0, "maximum": 100, "description": "Percent of the points the criteria can give."},
            "reasons": {"type": "array", "items": {"type": "string"}}}},
    },
}


def _pill_criteria() -> dict:
    """The five criteria as one exploded query object (imprint=...&color=...), which lets the
    document say "at least one of them" (anyOf) as exactly as pills/match.py's parse_query."""
    unicode_space = patterns.char_class(patterns.space_characters())
    ascii_space = patterns.ascii_space()
    # Every character imprint_char_allowed accepts is a letter, a digit or an ASCII mark.
    candidates = patterns.alnum_characters() + "".join(pill_match.ALLOWED_PUNCTUATION)
    allowed = [ch for ch in candidates if pill_match.imprint_char_allowed(ch)]
    imprint_char = patterns.char_class(allowed)
    imprint_key = patterns.char_class(ch for ch in allowed if pill_imprint.compact(ch))
    imprint_given = f"^{unicode_space}*{imprint_char}*{imprint_key}{imprint_char}*{unicode_space}*$"
    padding = f"[{ascii_space[1:-1]}_]"
    blank = f"{unicode_space}*"

    def one(words) -> str:
        return f"{padding}*{patterns.one_of_words(words, padding)}{padding}*"

    colour = one([c.name for c in pill_vocab.COLOURS] + [c.code for c in pill_vocab.COLOURS] + list(pill_vocab.COLOUR_ALIASES))
    colours_given = f"^(?:{blank},)*{colour}(?:,{blank})*(?:,{colour}(?:,{blank})*)?$"
    shape_given = f"^{one([sh.name for sh in pill_vocab.SHAPES] + [sh.code for sh in pill_vocab.SHAPES] + list(pill_vocab.SHAPE_ALIASES))}$"
    blank_only = f"^{blank}$"
    criteria = {
        "imprint": {"type": "string", "maxLength": pill_imprint.MAX_IMPRINT_INPUT,
                    "anyOf": [{"pattern": imprint_given}, {"pattern": blank_only}],
                    "description": "What is printed on the pill: letters, digits (accented and full-width ones are read as "
                                   f"plain ones) and the marks {''.join(sorted(pill_match.ALLOWED_PUNCTUATION - {' '}))} "
                                   "and space, with at least one letter or digit; case, separators and side order do not "
                                   "matter."},
        "color": {"type": "string", "anyOf": [{"pattern": colours_given}, {"pattern": f"^{blank}(?:,{blank})*$"}],
                  "description": "One colour, or two separated by a comma (a two-coloured capsule): an SPL colour name or "
                                 f"code ({', '.join(c.name.lower() for c in pill_vocab.COLOURS)}; e.g. C48325) or one of "
                                 f"{', '.join(a.lower() for a in pill_vocab.COLOUR_ALIASES)}; any letter case. "
                                 "Sending color twice (color=white&color=red) is the same as one comma-separated value."},
        "shape": {"type": "string", "anyOf": [{"pattern": shape_given}, {"pattern": blank_only}],
                  "description": "An SPL shape name or code ("
                                 f"{', '.join(sh.name.lower() for sh in pill_vocab.SHAPES)}; e.g. C48348) or one of "
                                 f"{', '.join(a.lower() for a in pill_vocab.SHAPE_ALIASES)}; any letter case."},
        "size_mm": {"anyOf": [{"type": "number", "minimum": pill_match.MIN_SIZE_MM, "maximum": pill_match.MAX_SIZE_MM},
                              {"type": "string", "pattern": blank_only}],
                    "description": "Length of the longest side in millimetres (a trailing \"mm\" is allowed); "
                                   "matched within 1 mm."},
        "score": {"anyOf": [{"type": "integer", "minimum": pill_match.MIN_SCORE, "maximum": pill_match.MAX_SCORE},
                            {"type": "string", "pattern": blank_only}],
                  "description": "Number of pieces the pill can be split into (1: not scored)."},
    }
    given = {
        "imprint": {"type": "string", "pattern": imprint_given},
        "color": {"type": "string", "pattern": colours_given},
        "shape": {"type": "string", "pattern": shape_given},
        "size_mm": {"type": "number"},
        "score": {"type": "integer"},
    }
    return {
        "name": "criteria", "in": "query", "required": True, "style": "form", "explode": True,
        "description": "What you can see, as separate query parameters (imprint=L227&color=white); at least one of "
                       "them must be given, not blank. Each criterion given filters the results, with tolerance "
                       "(near colours and shapes, misread characters, partial imprints).",
        "schema": {"type": "object", "properties": criteria,
                   "anyOf": [{"required": [name], "properties": {name: schema}} for name, schema in given.items()]},
    }


def _interaction_item(extra: dict) -> dict:
    return {"type": "object", "required": ["severity", "summary", "advice", "source", "source_url", *extra], "properties": {
        **extra, "severity": {"type": "string", "enum": list(SEVERITIES)},
        "summary": {"type": "string"}, "advice": {"type": "string"}, "source": {"type": "string"},
        "source_url": {"type": "string", "format": "uri"}}}


INTERACTION_REPORT = {
    "type": "object",
    "required": ["drugs", "unrecognized", "unchecked", "suggestions", "interactions", "duplications", "food", "allergies"],
    "properties": {
        "drugs": {"type": "array", "description": "The names recognised, each once, in the order sent.",
                  "items": {"type": "object", "required": ["input", "slug", "name"], "properties": {
                      "input": {"type": "string"}, "slug": {"type": "string"}, "name": {"type": "string"}}}},
        "unrecognized": {"type": "array", "items": {"type": "string"},
                         "description": "Names, as sent, that matched no medicine we know; they were not checked."},
        "unchecked": {"type": "array", "items": {"type": "string"},
                      "description": "Names, as sent, of recognised medicines for which we have no interaction "
                                     "information at all: they were not checked against the others (ask a pharmacist)."},
        "suggestions": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "For unrecognized names that look misspelt, the medicine they may mean "
                                       "(name as sent -> medicine name); not checked until sent again."},
        "interactions": {"type": "array", "items": _interaction_item({
            "drugs": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2,
                      "description": "The slugs of the two medicines."}})},
        "duplications": {"type": "array", "description": "The same ingredient in two medicines, or two medicines of one class.",
                         "items": {"type": "object", "required": ["drugs", "note"],
                                   "oneOf": [{"required": ["ingredient"]}, {"required": ["class"]}],
                                   "properties": {"ingredient": {"type": "string"}, "class": {"type": "string"},
                                                  "drugs": {"type": "array", "items": {"type": "string"}},
                                                  "note": {"type": "string"}}}},
        "food": {"type": "array", "description": "Food and drink interactions of the medicines checked.",
                 "items": _interaction_item({"drug": {"type": "string"}, "food": {"type": "string"}})},
        "allergies": {"type": "array", "description": "Medicines an entry of the allergies text warns about (empty without it).",
                      "items": {"type": "object", "required": ["drug", "allergy", "severity", "explanation", "advice"],
                                "properties": {
                          "drug": {"type": "string"}, "allergy": {"type": "string", "description": "The entry, as written."},
                          "severity": {"type": "string", "enum": ["avoid", "ask"],
                                       "description": "avoid: the medicine is or contains what the entry names; "
                                                      "ask: related (family or cross-reactivity), ask a pharmacist."},
                          "explanation": {"type": "string"}, "advice": {"type": "string"}}}},
    },
}


def _interaction_request() -> dict:
    # "Blank" as checker.parse_api_request reads it: whitespace (str.split) and NUL characters only.
    not_blank = patterns.char_class(patterns.space_characters() + "\x00", negate=True)
    return {"type": "object", "required": ["drugs"], "properties": {
        "drugs": {"type": "array", "maxItems": MAX_CHECK_NAMES,
                  "items": {"type": "string", "maxLength": MAX_NAME_CHARS},
                  "contains": {"type": "string", "pattern": not_blank},
                  "description": "Names, brand names or slugs; at least one not blank. Repeats and blank entries are "
                                 "left out."},
        "allergies": {"type": ["string", "null"], "maxLength": MAX_ALLERGY_CHARS,
                      "description": "Optional drug allergies, e.g. \"penicillin, sulfa\"; checked against the drugs."}}}


@cache
def _paths() -> dict:
    return {
        "/drugs": {"get": {
            "summary": "Search drugs and supplements (and imported catalogue products) by name, kind or condition",
            "parameters": [
                _query("q", f"Name, brand or generic; typo tolerant; read up to {MAX_QUERY_PARAM} characters. "
                            "Without it: the curated drugs A–Z."),
                _query("kind", "Only curated drugs of this kind (catalogue products are left out).",
                       {"type": "string", "enum": list(DRUG_KINDS)}),
                _query("condition", "Only drugs for this condition, by its slug (e.g. hypertension); "
                                    "a slug we do not know answers 404."),
                _page(drug_catalog.MAX_PAGE),
            ],
            "responses": {
                "200": _json(_listing(DRUG_RESULT, drug_catalog.PER_PAGE)),
                "400": _error_response("page or kind is not valid; the error names it."),
                "404": _error_response("No condition with that slug; the error names the condition field."),
                "503": UNAVAILABLE,
            },
        }},
        "/drugs/{slug}": {"get": {
            "summary": "One drug's reference entry",
            "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "As in the results of /drugs (type drug), e.g. ibuprofen."}],
            "responses": {"200": _json(DRUG_DETAIL), "404": _error_response("No such drug."), "503": UNAVAILABLE},
        }},
        "/pills": {"get": {
            "summary": "Identify a pill by imprint, colour, shape, size and score (at least one)",
            "parameters": [_pill_criteria(), _page(pill_search.MAX_PAGE)],
            "responses": {
                "200": _json(_listing(PILL_RESULT, pill_search.PER_PAGE)),
                "400": _error_response("No criteria, a criterion that is not valid, or a page out of range; "
                                       "the error names the field."),
                "503": UNAVAILABLE,
            },
        }},
        "/interactions": {"post": {
            "summary": "Check a list of medicines for interactions and duplicate therapy (no account needed, nothing stored)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _interaction_request()}}},
            "responses": {
                "200": _json(INTERACTION_REPORT),
                "400": _error_response(f"The body is not JSON of that shape (nested at most {MAX_JSON_DEPTH} levels, "
                                       "text without lone surrogates such as \\ud800), or not sent as application/json."),
                "413": _error_response("The body is larger than the site accepts."),
                "429": TOO_MANY,
                "503": UNAVAILABLE,
            },
        }},
    }


def openapi_document(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "HealthDesk API",
            "version": "1",
            "description": "Drug search, pill identification and interaction checks. General information, not medical "
                           "advice. An optional query parameter sent empty counts as not sent; a malformed value is "
                           "refused with 400, a slug we do not know with 404; every error is an Error object.",
        },
        "servers": [{"url": server_url}],
        "paths": _paths(),
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "message"], "properties": {
                    "status": {"type": "integer"}, "message": {"type": "string"},
                    "field": {"type": "string", "description": "The parameter or body field at fault, where there is one."}}}}}}},
    }


@bp.route("/openapi.json")
def openapi():
    response = jsonify(openapi_document(url_for("api.openapi", _external=True).removesuffix("/openapi.json")))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
