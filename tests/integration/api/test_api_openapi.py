"""The OpenAPI document describes exactly the API that exists."""

from __future__ import annotations

import pytest

from webapp.blueprints.drugs import catalog as drug_catalog
from webapp.blueprints.pills import search as pill_search


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
    for value, page in (("", 1), ("1", 1), ("%202%20", 2), ("007", 7), (str(max_page), max_page)):
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
