"""Every journey endpoint, every role: who gets in and who gets 401/403."""

import pytest

from tests.authz import ADMIN, STAFF_MARKETING, Endpoint, check_endpoint, endpoint_ids, endpoint_params

API = "/api/v1"

ENDPOINTS = [
    Endpoint("GET", f"{API}/members/<int:member_id>/journey", STAFF_MARKETING),
    Endpoint("GET", f"{API}/journey/funnel", STAFF_MARKETING),
    Endpoint("GET", f"{API}/customers/health", STAFF_MARKETING),
    Endpoint("GET", f"{API}/customers/health/rules", STAFF_MARKETING),
    Endpoint("PUT", f"{API}/customers/health/rules", ADMIN, json={"baseline": 100}),
    Endpoint("GET", f"{API}/retention/cohorts", STAFF_MARKETING),
]


@pytest.mark.parametrize(("endpoint", "role"), endpoint_params(ENDPOINTS), ids=endpoint_ids(ENDPOINTS))
def test_journey_endpoint_authorisation(auth, endpoint, role):
    check_endpoint(auth, endpoint, role)
