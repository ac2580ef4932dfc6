"""One JSON error envelope for every failure, with the field named and a request id."""

import pytest
from flask import Flask

from core.errors import handle_unexpected

ENVELOPE_KEYS = {"code", "status", "message", "errors", "request_id"}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "code"),
    [
        ("GET", "/api/v1/nowhere", {}, 404),
        ("DELETE", "/api/v1/auth/signup", {}, 405),
        ("GET", "/api/v1/me", {}, 401),
        ("POST", "/api/v1/auth/signup", {"data": "{not json", "content_type": "application/json"}, 400),
        ("POST", "/api/v1/auth/signup", {"json": {"email": "a@b.co"}}, 422),
        ("POST", "/api/v1/auth/signup", {"data": "x" * (2 * 1024 * 1024), "content_type": "application/json"}, 413),
        ("POST", "/api/v1/auth/signup", {"data": "email=x", "content_type": "application/x-www-form-urlencoded"}, 415),
    ],
)
def test_errors_share_one_envelope(client, method, path, kwargs, code):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == code
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert body["code"] == code and body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_malformed_json_names_the_body(client):
    response = client.post("/api/v1/auth/signup", data="{not json", content_type="application/json")
    assert response.get_json()["errors"] == {"body": ["Invalid JSON body."]}


def test_validation_errors_are_keyed_by_field(client):
    body = client.post("/api/v1/auth/signup", json={"email": "nope", "password": "x"}).get_json()
    assert set(body["errors"]) == {"email", "password", "display_name"}
    assert body["message"] == "Invalid input: display_name, email, password."


def test_query_string_errors_are_keyed_by_parameter(auth):
    response = auth.client("admin").get("/api/v1/members?limit=1000")
    assert response.status_code == 422
    assert "limit" in response.get_json()["errors"]


def test_incoming_request_id_is_kept_when_sane(client):
    response = client.get("/api/v1/nowhere", headers={"X-Request-ID": "abc-123-def-456"})
    assert response.get_json()["request_id"] == "abc-123-def-456"
    hostile = client.get("/api/v1/nowhere", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert hostile.get_json()["request_id"] != "<script>alert(1)</script>"
    assert len(hostile.get_json()["request_id"]) == 32


def test_unexpected_exceptions_become_a_json_500_without_details(app, caplog):
    with app.test_request_context("/api/v1/anything"):
        app.preprocess_request()
        response = handle_unexpected(RuntimeError("secret internals"))
    assert response.status_code == 500
    body = response.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert "secret internals" not in body["message"]
    assert "unhandled error" in caplog.text


def test_log_lines_carry_the_request_id(app, caplog):
    flask_app: Flask = app
    with flask_app.test_request_context("/", headers={"X-Request-ID": "req-id-for-logs"}):
        flask_app.preprocess_request()
        flask_app.logger.warning("something happened")
    record = next(r for r in caplog.records if r.getMessage() == "something happened")
    assert record.request_id == "req-id-for-logs"


@pytest.mark.parametrize("token_id", ["99999999999999999999", str(2**31)])
def test_ids_too_large_for_the_database_are_404(auth, token_id):
    response = auth.client("member").delete(f"/api/v1/me/tokens/{token_id}")
    assert response.status_code == 404
    assert set(response.get_json()) == ENVELOPE_KEYS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"email": "a@example.com", "password": "long enough pw", "display_name": "A\\u0000B"}', "display_name"),
        ('{"email": "a@example.com", "password": "long\\u0000enough pw", "display_name": "A"}', "password"),
        ('{"email": "a@example.com", "password": "long enough pw", "display_name": "\\ud800"}', "display_name"),
    ],
)
def test_unstorable_text_is_refused_naming_the_field(client, body, field):
    response = client.post("/api/v1/auth/signup", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"][field] == ["Text must be valid Unicode without NUL characters."]


def test_nul_characters_in_query_strings_are_refused(auth):
    response = auth.client("admin").get("/api/v1/members?q=a%00b")
    assert response.status_code == 422
    assert "q" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("depth", "status", "errors"),
    [
        (40, 422, {"bio": ["Nested too deeply."]}),  # parsed, then refused by the schema
        (100_000, 400, {"body": ["Invalid JSON body."]}),  # past the JSON decoder's own limit
    ],
)
def test_deeply_nested_json_is_refused_not_a_crash(auth, depth, status, errors):
    body = '{"bio": ' + "[" * depth + "]" * depth + "}"
    response = auth.client("member").patch("/api/v1/me", data=body, content_type="application/json")
    assert response.status_code == status
    assert response.get_json()["errors"] == errors
