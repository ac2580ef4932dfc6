"""Every leads endpoint, every role: who gets in and who gets 401/403."""

import pytest

from tests.authz import ADMIN, Endpoint, check_endpoint, endpoint_ids, endpoint_params

INGEST = ("marketer", "admin")
READERS = ("marketer", "sales", "admin")
SELLERS = ("sales", "admin")
WEBHOOK_MANAGERS = ("marketer", "admin")

ENDPOINTS = [
    Endpoint("POST", "/api/v1/events", INGEST, json={"events": []}),
    Endpoint("POST", "/api/v1/segment/v1/batch", INGEST, json={"batch": []}),
    Endpoint("POST", "/api/v1/segment/v1/track", INGEST, json={}),
    Endpoint("POST", "/api/v1/segment/v1/identify", INGEST, json={}),
    Endpoint("POST", "/api/v1/segment/v1/page", INGEST, json={}),
    Endpoint("GET", "/api/v1/leads/scoring", INGEST),
    Endpoint("PUT", "/api/v1/leads/scoring", INGEST, json={"weights": {}}),
    Endpoint("GET", "/api/v1/leads/scoring/jobs/<int:job_id>", INGEST),
    Endpoint("GET", "/api/v1/leads/scoring/insights", INGEST),
    Endpoint("POST", "/api/v1/leads/scoring/backtest", INGEST, json={"rules": {}}),
    Endpoint("GET", "/api/v1/leads", READERS),
    Endpoint("GET", "/api/v1/leads/export.csv", READERS),
    Endpoint("GET", "/api/v1/leads/accounts", READERS),
    Endpoint("GET", "/api/v1/leads/<int:lead_id>", READERS),
    Endpoint("POST", "/api/v1/leads/<int:lead_id>/claim", SELLERS),
    Endpoint("PATCH", "/api/v1/leads/<int:lead_id>", SELLERS, json={"note": "called"}),
    Endpoint("GET", "/api/v1/leads/<int:lead_id>/history", READERS),
    Endpoint("GET", "/api/v1/leads/assignment", SELLERS),
    Endpoint("PUT", "/api/v1/leads/assignment", ADMIN, json={"mode": "bogus"}),
    Endpoint("POST", "/api/v1/webhooks", WEBHOOK_MANAGERS, json={"url": "ftp://x"}),
    Endpoint("GET", "/api/v1/webhooks", WEBHOOK_MANAGERS),
    Endpoint("DELETE", "/api/v1/webhooks/<int:webhook_id>", WEBHOOK_MANAGERS),
    Endpoint("GET", "/api/v1/webhooks/<int:webhook_id>/deliveries", WEBHOOK_MANAGERS),
    Endpoint("POST", "/api/v1/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/replay", WEBHOOK_MANAGERS),
]


@pytest.mark.parametrize(("endpoint", "role"), endpoint_params(ENDPOINTS), ids=endpoint_ids(ENDPOINTS))
def test_leads_endpoint_authorisation(auth, endpoint, role):
    check_endpoint(auth, endpoint, role)


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/segment/v1/batch"])
def test_ingestion_needs_the_ingest_scope(client, auth, path):
    marketer = auth.member("marketer")
    response = client.post(path, json={}, headers=auth.token(marketer, "read write"))
    assert response.status_code == 403
    assert "ingest" in response.get_json()["message"]


def test_sales_token_with_ingest_scope_still_needs_the_role(client, auth):
    seller = auth.member("sales")
    response = client.post("/api/v1/events", json={}, headers=auth.token(seller, "ingest"))
    assert response.status_code == 403
