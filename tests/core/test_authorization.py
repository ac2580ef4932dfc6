"""Every endpoint, every role: who gets in and who gets 401/403."""

import importlib

import pytest

from tests.authz import ADMIN, EVERYONE, SIGNED_IN, Endpoint, check_endpoint, endpoint_ids, endpoint_params

DOMAIN_TABLES = ("tests.community", "tests.referrals", "tests.leads", "tests.journey", "tests.console")

ENDPOINTS = [
    Endpoint("POST", "/api/v1/auth/signup", EVERYONE, json={"email": "x"}),
    Endpoint("POST", "/api/v1/auth/login", EVERYONE, json={"email": "x"}),
    Endpoint("POST", "/api/v1/auth/logout", EVERYONE),
    Endpoint("POST", "/api/v1/auth/logout-all", SIGNED_IN),
    Endpoint("POST", "/api/v1/auth/verify-email", EVERYONE, json={"token": ""}),
    Endpoint("POST", "/api/v1/auth/verify-email/request", SIGNED_IN),
    Endpoint("POST", "/api/v1/auth/password-reset/request", EVERYONE, json={"email": "x"}),
    Endpoint("POST", "/api/v1/auth/password-reset", EVERYONE, json={"token": ""}),
    Endpoint("GET", "/api/v1/me", SIGNED_IN),
    Endpoint("PATCH", "/api/v1/me", SIGNED_IN, json={"bio": "hello"}),
    Endpoint("DELETE", "/api/v1/me", SIGNED_IN),
    Endpoint("GET", "/api/v1/me/export", SIGNED_IN),
    Endpoint("GET", "/api/v1/me/tokens", SIGNED_IN),
    Endpoint("POST", "/api/v1/me/tokens", SIGNED_IN, json={"name": "cli"}),
    Endpoint("DELETE", "/api/v1/me/tokens/<int:token_id>", SIGNED_IN),
    Endpoint("GET", "/api/v1/me/notifications", SIGNED_IN),
    Endpoint("POST", "/api/v1/me/notifications/read", SIGNED_IN, json={"ids": [1]}),
    Endpoint("GET", "/api/v1/members", ADMIN),
    Endpoint("PATCH", "/api/v1/members/<int:member_id>", ADMIN, json={"banned": True}),
    Endpoint("GET", "/healthz", EVERYONE),
    Endpoint("GET", "/readyz", EVERYONE),
    Endpoint("GET", "/livez", EVERYONE),
    Endpoint("GET", "/api/openapi.json", EVERYONE),
    Endpoint("GET", "/api/docs", EVERYONE),
    Endpoint("GET", "/api/docs/assets/<path:filename>", EVERYONE),
]


@pytest.mark.parametrize(("endpoint", "role"), endpoint_params(ENDPOINTS), ids=endpoint_ids(ENDPOINTS))
def test_core_endpoint_authorisation(auth, endpoint, role):
    check_endpoint(auth, endpoint, role)


def domain_endpoints() -> list[Endpoint]:
    endpoints = []
    for package in DOMAIN_TABLES:
        try:
            module = importlib.import_module(f"{package}.test_authorization")
        except ModuleNotFoundError:
            continue
        endpoints.extend(module.ENDPOINTS)
    return endpoints


def test_every_route_has_an_authorisation_row(app):
    covered = {(e.method, e.rule) for e in [*ENDPOINTS, *domain_endpoints()]}
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - covered)
    assert not missing, f"routes without an authorisation row: {missing}"
