"""The OpenAPI document describes every endpoint, and the docs work offline."""

import re

from openapi_spec_validator import validate


def test_openapi_lists_every_api_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routes = {
        (method, re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - documented == set()


def test_every_operation_has_a_summary_and_error_responses(client):
    spec = client.get("/api/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert "default" in operation["responses"], f"{method} {path} documents no error"


def test_protected_operations_document_auth_and_its_errors(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/v1/members"]["get"]
    assert {"bearerAuth": []} in operation["security"]
    assert {"401", "403"} <= set(operation["responses"])


def test_docs_page_uses_only_local_assets(client):
    html = client.get("/api/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/docs/assets/") for s in sources)
    for source in sources:
        with client.get(source) as response:
            assert response.status_code == 200


def test_ingestion_documents_http_basic_with_the_integration_key(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"ingestBasic": []} in paths["/api/v1/segment/v1/batch"]["post"]["security"]


def test_the_document_is_valid_openapi(client):
    validate(client.get("/api/openapi.json").get_json())  # raises, naming the first invalid part


def test_shared_error_responses_reference_the_error_schema(client):
    responses = client.get("/api/openapi.json").get_json()["components"]["responses"]
    for name in ("UNAUTHORIZED", "FORBIDDEN"):
        assert responses[name]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_referral_redirect_is_documented(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/r/{code}"]["get"]
    assert {"302", "404"} <= set(operation["responses"])
    assert "Location" in operation["responses"]["302"]["headers"]
    assert {p["name"] for p in operation["parameters"]} >= {"c", "content", "utm_source"}
