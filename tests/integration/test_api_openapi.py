"""The OpenAPI document describes exactly the API that exists."""

from __future__ import annotations


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
