"""The OpenAPI document describes exactly the API that exists."""

from __future__ import annotations

import jsonschema_rs
import pytest

from config import TestConfig
from tests.integration.drugs_helpers import load_sample
from webapp import create_app
from webapp.blueprints.drugs import catalog as drug_catalog
from webapp.blueprints.pills import search as pill_search
from webapp.extensions import db


def test_openapi_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
            routes |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == routes


def test_documented_errors_are_json(client):
    response = client.get("/api/v1/pills")
    assert response.status_code == 400
    assert response.is_json and "error" in response.get_json()
    assert client.get("/api/v1/drugs/no-such-drug").get_json()["error"]


def test_every_operation_documents_the_503_the_api_gives_during_an_outage(client, make_app):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "Retry-After" in operation["responses"]["503"]["headers"], (path, method)
    down = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/nothing").test_client()
    for path in ("/api/v1/drugs?q=aspirin", "/api/v1/drugs/aspirin", "/api/v1/pills?imprint=L227"):
        response = down.get(path)
        assert response.status_code == 503 and response.is_json and response.headers["Retry-After"], path
    response = down.post("/api/v1/interactions", json={"drugs": ["warfarin", "ibuprofen"]})
    assert response.status_code == 503 and response.get_json()["error"]["status"] == 503


@pytest.mark.parametrize(("search", "max_page"), [("/api/v1/drugs?", drug_catalog.MAX_PAGE),
                                                  ("/api/v1/pills?imprint=A&", pill_search.MAX_PAGE)])
def test_one_page_rule_on_both_search_apis(client, search, max_page):
    refused = {"error": {"status": 400, "field": "page", "message": f"page must be a whole number from 1 to {max_page}."}}
    for value in ("0", "00", "-1", "%2B1", "abc", "1.5", "1e3", "%C2%B2", "%ED%A0%80", "%FF", str(max_page + 1), "9" * 30):
        response = client.get(f"{search}page={value}")
        assert (response.status_code, response.get_json()) == (400, refused), value
    for value, page in (("", 1), ("1", 1), ("%202%20", 2), ("007", 7), ("3.0", 3), (str(max_page), max_page)):
        response = client.get(f"{search}page={value}")
        assert response.status_code == 200 and response.get_json()["page"] == page, value


def test_the_document_states_the_page_rule_of_both_search_apis(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, max_page in (("/drugs", drug_catalog.MAX_PAGE), ("/pills", pill_search.MAX_PAGE)):
        operation = paths[path]["get"]
        (page,) = [p for p in operation["parameters"] if p["name"] == "page"]
        assert page["schema"] == {"type": "integer", "minimum": 1, "maximum": max_page, "default": 1}, path
        assert "400" in operation["responses"], path


def test_the_interaction_report_schema_matches_what_the_api_answers(client):
    document = client.get("/api/v1/openapi.json").get_json()
    report = document["paths"]["/interactions"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"unrecognized", "unchecked"} <= set(report["required"])
    assert "ask a pharmacist" in report["properties"]["unchecked"]["description"]
    answer = client.post("/api/v1/interactions", json={"drugs": ["warfarin", "nope-ium"]}).get_json()
    assert set(report["required"]) <= set(answer) and set(answer) <= set(report["properties"])


# --- the document and the answers agree (issue #17) ------------------------------------------


def assert_documented(document: dict, path: str, method: str, response) -> dict:
    """The answer's status is one the operation lists, and its JSON body fits that status's schema."""
    responses = document["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (path, response.status_code, response.get_data(as_text=True)[:300])
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    body = response.get_json()
    errors = [e.message for e in jsonschema_rs.validator_for({**schema, "components": document["components"]}).iter_errors(body)]
    assert errors == [], (path, errors[:3])
    return body


@pytest.fixture
def catalogue(app, tmp_path):
    """The sample drugs and their Drugs@FDA products (one of them discontinued)."""
    with app.app_context():
        load_sample(tmp_path)
        db.session.remove()
    return app


def test_a_discontinued_catalogue_product_fits_the_document(catalogue, client):
    document = client.get("/api/v1/openapi.json").get_json()
    body = assert_documented(document, "/drugs", "get", client.get("/api/v1/drugs?q=tylenol"))
    assert {"product", "drug"} == {r["type"] for r in body["results"]}
    assert "discontinued" in {r["kind"] for r in body["results"]}


def test_the_answers_the_issue_found_outside_the_document_are_now_in_it(catalogue, client):
    document = client.get("/api/v1/openapi.json").get_json()
    # No criteria: refused, and the document's "at least one" says so.
    body = assert_documented(document, "/pills", "get", client.get("/api/v1/pills?imprint=&color=&page=1"))
    assert body["error"]["field"] == "imprint"
    # Nothing but blank names: refused, as the body schema's "contains" says.
    response = client.post("/api/v1/interactions", json={"drugs": [""] * 49})
    assert assert_documented(document, "/interactions", "post", response)["error"]["status"] == 400
    # A long unicode q past the last page: no results, not an error.
    response = client.get("/api/v1/drugs", query_string={"q": "ǅ€𝔘ﬁ" * 600, "page": 3618})
    body = assert_documented(document, "/drugs", "get", response)
    assert (response.status_code, body["results"], body["page"]) == (200, [], 3618)
    # A condition we do not know: 404, documented, naming the field.
    response = client.get("/api/v1/drugs?condition=no-such-condition")
    assert response.status_code == 404
    assert assert_documented(document, "/drugs", "get", response)["error"]["field"] == "condition"
    # An empty page= is the first page, and the document allows it empty.
    assert assert_documented(document, "/drugs", "get", client.get("/api/v1/drugs?page="))["page"] == 1
    (page,) = [p for p in document["paths"]["/drugs"]["get"]["parameters"] if p["name"] == "page"]
    assert page["allowEmptyValue"] is True


def test_the_interaction_answer_fits_the_document(catalogue, client):
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.post("/api/v1/interactions", json={"drugs": ["ibuprofen", "atorvastatin", "wafrarin"],
                                                         "allergies": None})
    body = assert_documented(document, "/interactions", "post", response)
    assert response.status_code == 200 and body["unrecognized"] == ["wafrarin"]
    response = client.post("/api/v1/interactions", json={"drugs": ["ibuprofen"], "allergies": 0})
    assert response.status_code == 400 and "allergies" in assert_documented(document, "/interactions", "post", response)["error"]["message"]


def test_a_drug_entry_fits_the_document(catalogue, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert assert_documented(document, "/drugs/{slug}", "get", client.get("/api/v1/drugs/octreotide"))["slug"] == "octreotide"
    assert assert_documented(document, "/drugs/{slug}", "get", client.get("/api/v1/drugs/nope"))["error"]["status"] == 404


def test_the_rate_limited_answer_fits_the_document(app, database_url, client):
    document = client.get("/api/v1/openapi.json").get_json()
    limited = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True})
    try:
        limited_client = limited.test_client()
        for _ in range(60):
            limited_client.post("/api/v1/interactions", json={})
        response = limited_client.post("/api/v1/interactions", json={})
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
        assert_documented(document, "/interactions", "post", response)
        assert "Retry-After" in document["paths"]["/interactions"]["post"]["responses"]["429"]["headers"]
    finally:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()


def test_kind_is_one_of_the_documented_values_exactly(catalogue, client):
    document = client.get("/api/v1/openapi.json").get_json()
    (kind,) = [p for p in document["paths"]["/drugs"]["get"]["parameters"] if p["name"] == "kind"]
    for value in kind["schema"]["enum"]:
        assert client.get(f"/api/v1/drugs?kind={value}").status_code == 200, value
    for value in ("%20otc", "OTC", "discontinued"):
        response = client.get(f"/api/v1/drugs?kind={value}")
        assert response.status_code == 400 and assert_documented(document, "/drugs", "get", response)["error"]["field"] == "kind"
